/// <reference lib="dom" />
// The live dashboard in Debian's real Chromium (one browser for this file), against a real
// analytics app on 127.0.0.1 fed by rows the test appends.
import test from 'ava';
import type { Browser, Page } from 'playwright-core';
import { request } from 'node:http';
import { MAX_CLIENTS } from '../../apps/analytics/dashboard/dashboard.js';
import { launchBrowser } from '../browser.js';
import { startDashboardApp, type DashboardApp } from '../dashboard-app.js';
import { readFileSync } from 'node:fs';
import { tempDir, waitFor } from '../helpers.js';
import { takeScreenshots } from '../screenshots.js';
import { startProxy } from '../tcp-proxy.js';

let browser: Browser | undefined;
test.before(async () => {
  browser = await launchBrowser();
});
test.after.always(async () => {
  await browser?.close();
});

interface Seen {
  errors: string[];
  foreign: string[];
}

/** A page on the dashboard that records console errors, CSP violations and requests off 127.0.0.1. */
async function open(url: string, colorScheme: 'light' | 'dark' = 'light'): Promise<{ page: Page; seen: Seen }> {
  const page = await browser!.newPage({ viewport: { width: 1100, height: 1200 }, colorScheme });
  const seen: Seen = { errors: [], foreign: [] };
  page.on('console', (m) => m.type() === 'error' && seen.errors.push(m.text()));
  page.on('pageerror', (e) => seen.errors.push(String(e)));
  page.on('request', (r) => new URL(r.url()).hostname !== '127.0.0.1' && seen.foreign.push(r.url()));
  await page.addInitScript(() =>
    document.addEventListener('securitypolicyviolation', (e) =>
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`),
    ),
  );
  await page.goto(url);
  await page.waitForFunction(() => (window as unknown as Partial<Dash>).telemetryDashboard?.state.connected);
  return { page, seen };
}

interface Dash {
  telemetryDashboard: {
    data: { t: number[]; cpuAvg: number[]; cpuMax: number[]; ramAvg: number[] };
    state: {
      connected: boolean;
      boot: string;
      snapshots: number;
      points: number;
      events: number;
      firingAt: Record<string, number>;
      rules: { name: string; state: string }[];
    };
  };
}

const dash = (page: Page): Promise<Dash['telemetryDashboard']> =>
  page.evaluate(() => (window as unknown as Dash).telemetryDashboard);
const pointCount = (page: Page): Promise<number> =>
  page.evaluate(() => (window as unknown as Dash).telemetryDashboard.data.t.length);

/** `n` rows one second apart ending now, cpu and ram from `value(i)`. */
function rows(n: number, value: (i: number) => [number, number], end = Date.now()): [number, number, number][] {
  return Array.from({ length: n }, (_, i) => [end - (n - 1 - i) * 1000, ...value(i)] as [number, number, number]);
}

async function withApp(t: import('ava').ExecutionContext, extra = ''): Promise<DashboardApp> {
  const d = await startDashboardApp(extra);
  t.teardown(() => d.app.child.kill('SIGKILL'));
  return d;
}

test('loads with no console error, no CSP violation and no request leaving 127.0.0.1; the chart ends at the last CSV row', async (t) => {
  const d = await withApp(t);
  const written = rows(30, (i) => [20 + i, 50 + (i % 5)]);
  d.append(written);
  const { page, seen } = await open(d.url);
  await page.waitForFunction(() => (window as unknown as Dash).telemetryDashboard.data.t.length === 30);
  const { data } = await dash(page);
  const last = written.at(-1)!;
  t.deepEqual([data.t.at(-1), data.cpuAvg.at(-1), data.ramAvg.at(-1)], [last[0] / 1000, last[1], last[2]]);
  t.deepEqual(
    data.t,
    written.map((r) => r[0] / 1000),
    'one point per row at 1 Hz',
  );
  t.regex((await page.textContent('#host')) ?? '', /\S/);
  t.deepEqual(await page.$$eval('#rules li', (lis) => lis.map((li) => li.textContent.replace(/\s+/g, ' ').trim())), [
    'ok high_cpu cpu > 80 (clears at ≤ 75) (warning)',
    'ok high_ram ram > 90 (critical)',
    'ok cpu_minute avg cpu over 1m > 70 (info)',
    'ok no_data no sample for 30s (critical)',
  ]);
  t.regex(
    (await page.getAttribute('#cpu-chart', 'aria-label')) ?? '',
    /^CPU usage chart\. CPU, last 5 min: now 49\.00 % at .*, highest 49\.00 %$/,
  );
  t.is(await page.getAttribute('#cpu-chart', 'role'), 'img');
  t.is(await page.getAttribute('#rules', 'aria-live'), 'polite');
  t.regex((await page.textContent('#freshness')) ?? '', /^last sample \d+ s ago/);
  t.is(await page.textContent('[data-count="samples"]'), '30');
  await page.close();
  t.deepEqual(seen, { errors: [], foreign: [] });
});

test('"last sample N s ago" turns visibly stale after 10 s without data, and fresh again with a new row', async (t) => {
  const d = await withApp(t);
  d.append(rows(3, () => [30, 40], Date.now() - 60_000));
  const { page } = await open(d.url);
  await page.waitForFunction(() => document.querySelector('#freshness')?.classList.contains('stale') === true);
  const stale = /^last sample (\d+) s ago — stale: no new data$/.exec((await page.textContent('#freshness')) ?? '');
  t.true(Number(stale?.[1]) >= 60, `the age of the last row (60 s or more), not of the page: ${stale?.[0]}`);
  d.append([[Date.now(), 30, 40]]);
  await page.waitForFunction(() => document.querySelector('#freshness')?.classList.contains('stale') === false);
  t.regex((await page.textContent('#freshness')) ?? '', /^last sample \d+ s ago$/, 'fresh: no stale warning');
  await page.close();
});

test('a spike row appended to the CSV shows its rule firing in the page within 1 s (measured in the page)', async (t) => {
  const d = await withApp(t);
  d.append(rows(5, () => [30, 50]));
  const { page } = await open(d.url);
  await page.waitForFunction(() => (window as unknown as Dash).telemetryDashboard.data.t.length === 5);
  const appendedAt = Date.now();
  d.append([[appendedAt, 95, 50]]);
  await page.waitForFunction(
    () => (window as unknown as Dash).telemetryDashboard.state.firingAt.high_cpu !== undefined,
  );
  const shownAt = (await dash(page)).state.firingAt.high_cpu!;
  t.log(`shown ${shownAt - appendedAt} ms after the append`);
  t.true(shownAt - appendedAt <= 1000, `${shownAt - appendedAt} ms`);
  t.is(await page.textContent('#rules li[data-rule="high_cpu"] .state'), 'firing');
  t.regex((await page.textContent('#transitions li')) ?? '', /^firing .* high_cpu value 95\.00$/);
  await page.close();
});

test('connections dropped while rows arrive: the browser reconnects with Last-Event-ID and misses no point', async (t) => {
  const d = await withApp(t);
  const proxy = await startProxy(d.port);
  t.teardown(() => proxy.close());
  const start = Date.now() - 60_000;
  d.append([[start, 10, 10]]);
  const { page } = await open(`http://127.0.0.1:${proxy.port}/`);
  await page.waitForFunction(() => (window as unknown as Dash).telemetryDashboard.data.t.length === 1);
  let expected = 1;
  for (let round = 1; round <= 3; round++) {
    t.true(proxy.dropAll() > 0, 'a connection was open');
    d.append(
      Array.from({ length: 10 }, (_, i) => [start + (round * 10 + i) * 1000, 20 + i, 30] as [number, number, number]),
    );
    expected += 10;
    await waitFor(`round ${round}: every point`, async () => (await pointCount(page)) === expected);
  }
  const state = (await dash(page)).state;
  t.is(state.snapshots, 1, 'resumed from the ring each time, no snapshot needed');
  t.is(state.points, expected);
  await page.close();
});

test('an analytics restart is picked up without reloading the page', async (t) => {
  const d = await withApp(t);
  d.append(rows(3, () => [30, 40], Date.now() - 5000));
  const { page } = await open(d.url);
  await page.waitForFunction(() => (window as unknown as Dash).telemetryDashboard.data.t.length === 3);
  await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
  const bootBefore = (await dash(page)).state.boot;
  await d.restart();
  d.append([[Date.now(), 96, 40]]);
  await page.waitForFunction((boot) => {
    const s = (window as unknown as Dash).telemetryDashboard.state;
    // the page keeps the points it had and adds the new one
    return s.boot !== boot && s.connected && (window as unknown as Dash).telemetryDashboard.data.t.length === 4;
  }, bootBefore);
  t.true(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded === true));
  await page.waitForFunction(
    () => document.querySelector('#rules li[data-rule="high_cpu"] .state')?.textContent === 'firing',
  );
  t.pass();
  await page.close();
});

test('a 1M-row burst: the page stays responsive and gets a bounded number of points', async (t) => {
  const d = await withApp(t);
  const { page } = await open(d.url);
  // the page measures its own longest stall while the burst arrives
  await page.evaluate(() => {
    const w = window as unknown as { stall: number; last: number };
    w.stall = 0;
    w.last = performance.now();
    setInterval(() => {
      const now = performance.now();
      w.stall = Math.max(w.stall, now - w.last);
      w.last = now;
    }, 20);
  });
  const N = 1_000_000;
  const span = 200; // seconds of sample time: 5,000 rows a second
  const end = Date.now();
  const burst: [number, number, number][] = [];
  for (let i = 0; i < N; i++)
    burst.push([end - span * 1000 + Math.floor((i * span * 1000) / N), ((i * 7919) % 10000) / 100, 50]);
  d.append(burst);
  await page.waitForFunction(
    (n) => {
      const text = document.querySelector('[data-count="samples"]')?.textContent;
      return text === String(n);
    },
    N,
    { timeout: 60_000 },
  );
  const shown = await dash(page);
  const points = shown.data.t.length;
  const stall = await page.evaluate(() => (window as unknown as { stall: number }).stall);
  t.log(`${points} points in the chart for ${N} rows over ${span} s; longest stall ${Math.round(stall)} ms`);
  t.true(points > 0 && points <= span * 10 + 10, `${points} points: at most 10 per second of samples`);
  t.true(stall < 1000, `stalled ${stall} ms`);
  t.is(Math.max(...shown.data.cpuMax), 99.99, 'the highest sample survives downsampling');
  await page.close();
});

test('zoom pauses the live view and "back to live" resumes; ranges change the window', async (t) => {
  const d = await withApp(t);
  d.append(rows(120, (i) => [30 + (i % 20), 40]));
  const { page } = await open(d.url);
  await page.waitForFunction(() => (window as unknown as Dash).telemetryDashboard.data.t.length === 120);
  await page.click('button[data-range="60"]');
  t.is(await page.getAttribute('button[data-range="60"]', 'aria-pressed'), 'true');
  t.regex((await page.textContent('#cpu-summary')) ?? '', /^CPU, last 1 min:/);
  const box = (await page.locator('#cpu-chart .u-over').boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2, { steps: 5 });
  await page.mouse.up();
  await page.waitForSelector('#live:not([hidden])');
  t.true(await page.isVisible('#paused'));
  await page.click('#live');
  t.true(await page.isHidden('#live'));
  await page.close();
});

function raw(port: number, path: string, host: string, method = 'GET'): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers: { Host: host }, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', reject);
    req.end();
  });
}

test('foreign Host, path traversal, other methods and too many clients are refused; /api/state answers', async (t) => {
  const d = await withApp(t);
  const own = `127.0.0.1:${d.port}`;
  t.is(await raw(d.port, '/', own), 200);
  t.is(await raw(d.port, '/', `localhost:${d.port}`), 200);
  t.is(await raw(d.port, '/', 'rebind.attacker.example'), 403);
  t.is(await raw(d.port, '/api/state', `attacker.example:${d.port}`), 403);
  for (const path of [
    '/static/../package.json',
    '/static/%2e%2e/%2e%2e/package.json',
    '/static/../../../etc/passwd',
    '/static/',
    '/static/app.js/..',
    '//etc/passwd',
  ])
    t.is(await raw(d.port, path, own), 404, path);
  t.is(await raw(d.port, '/events', own, 'POST'), 405);
  t.is(await raw(d.port, '/', own, 'PUT'), 405);
  const state = (await (await fetch(`${d.url}api/state`)).json()) as {
    host: string;
    rules: unknown[];
    stats: { samples: number };
  };
  t.is(state.rules.length, 4);
  t.is(state.stats.samples, 0);
  const res = await fetch(d.url);
  t.regex(res.headers.get('content-security-policy') ?? '', /script-src 'self'/);
  t.is(res.headers.get('x-content-type-options'), 'nosniff');
  t.is(res.headers.get('access-control-allow-origin'), null);
  // at most MAX_CLIENTS (16) event streams at once
  const streams = await Promise.all(Array.from({ length: MAX_CLIENTS }, () => fetch(`${d.url}events`)));
  t.true(streams.every((s) => s.status === 200));
  t.is((await fetch(`${d.url}events`)).status, 503);
  await Promise.all(streams.map((s) => s.body!.cancel()));
});

test('the README screenshots helper writes a light and a dark PNG', async (t) => {
  const dir = await tempDir();
  const files = await takeScreenshots(browser!, dir);
  t.deepEqual(
    files.map((f) => f.slice(dir.length + 1)),
    ['dashboard-light.png', 'dashboard-dark.png'],
  );
  for (const f of files)
    t.deepEqual([...readFileSync(f).subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], `${f} is a PNG`);
  t.notDeepEqual(readFileSync(files[0]!), readFileSync(files[1]!), 'light and dark differ');
});

test('the dashboard remembers: a page opened after an analytics restart shows the points and transitions of the hour before', async (t) => {
  const d = await withApp(t);
  // 40 minutes of rows, 10 s apart, with one spike 20 minutes ago
  const end = Date.now();
  const written = Array.from(
    { length: 240 },
    (_, i) => [end - (239 - i) * 10_000, i === 120 ? 95 : 30, 50] as [number, number, number],
  );
  d.append(written);
  await waitFor('the rows read', async () =>
    (await (await fetch(`${d.url}metrics`)).text()).includes('telemetry_analytics_samples_total 240'),
  );
  await waitFor('the spike shown', async () => {
    const state = (await (await fetch(`${d.url}api/state`)).json()) as { transitions: { rule: string }[] };
    return state.transitions.some((x) => x.rule === 'high_cpu');
  });
  await d.restart();
  const { page } = await open(d.url);
  await page.waitForFunction(() => (window as unknown as Dash).telemetryDashboard.data.t.length >= 200, undefined, {
    timeout: 20_000,
  });
  const shown = await dash(page);
  t.true(shown.data.t[0]! * 1000 <= written[10]![0], 'the page starts at the hour before the restart');
  t.true(shown.data.cpuMax.includes(95), 'the spike is there');
  t.regex((await page.textContent('#transitions')) ?? '', /high_cpu/);
  await page.close();
});
