// remote_write into Debian's real Prometheus (--web.enable-remote-write-receiver) and
// VictoriaMetrics: every accepted sample with its own timestamp and exact value, read back through
// their APIs; an outage of the store and a kill -9 of the app lose nothing and double nothing.
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { percentToRatio } from '../../common/ratio.js';
import { loggedPort, runNode, tempDir, waitFor, writeConfig, type Running } from '../helpers.js';
import { freePort } from '../smtp-fixture.js';

interface Store {
  url: string;
  /** Every sample of `metric` for `host`: [seconds, "value"]. */
  samples(metric: string, host: string): Promise<[number, string][]>;
  stop(): Promise<void>;
  start(): Promise<void>;
}

async function ready(url: string): Promise<void> {
  await waitFor(
    `${url} to be ready`,
    () =>
      fetch(url).then(
        (r) => r.ok,
        () => false,
      ),
    30_000,
  );
}

/**
 * A store at `url` (its remote-write path at `url/api/v1/write`), its process started by `spawnIt`
 * and waited for at `readyPath`; stop() ends it and waits. Returned started.
 */
async function startStore(
  url: string,
  spawnIt: () => ChildProcess,
  readyPath: string,
  samples: Store['samples'],
): Promise<Store> {
  const readyUrl = `${url}${readyPath}`;
  let child: ChildProcess | null = null;
  const store: Store = {
    url: `${url}/api/v1/write`,
    samples,
    async start() {
      child = spawnIt();
      await ready(readyUrl);
    },
    async stop() {
      const c = child;
      if (!c) return;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      await exited;
      child = null;
    },
  };
  await store.start();
  return store;
}

async function startPrometheus(): Promise<Store> {
  const root = await tempDir('telemetry-prom-');
  const port = await freePort();
  writeFileSync(join(root, 'prometheus.yml'), 'global: { scrape_interval: 1h }\n');
  const url = `http://127.0.0.1:${port}`;
  return startStore(
    url,
    () =>
      spawn(
        'prometheus',
        [
          `--config.file=${join(root, 'prometheus.yml')}`,
          `--storage.tsdb.path=${join(root, 'tsdb')}`,
          `--web.listen-address=127.0.0.1:${port}`,
          '--web.enable-remote-write-receiver',
        ],
        { stdio: 'ignore' },
      ),
    '/-/ready',
    async (metric, host) => {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(`${metric}{host="${host}"}[3h]`)}`);
      const body = (await res.json()) as { data: { result: { values: [number, string][] }[] } };
      return body.data.result[0]?.values ?? [];
    },
  );
}

async function startVictoriaMetrics(): Promise<Store> {
  const root = await tempDir('telemetry-vm-');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  return startStore(
    url,
    () =>
      spawn(
        'victoria-metrics',
        [`-storageDataPath=${join(root, 'data')}`, `-httpListenAddr=127.0.0.1:${port}`, '-search.latencyOffset=0s'],
        { stdio: 'ignore' },
      ),
    '/health',
    async (metric, host) => {
      await fetch(`${url}/internal/force_flush`).catch(() => undefined);
      const res = await fetch(`${url}/api/v1/export?match[]=${encodeURIComponent(`${metric}{host="${host}"}`)}`);
      const lines = (await res.text()).trim().split('\n').filter(Boolean);
      return lines
        .flatMap((l) => {
          const s = JSON.parse(l) as { values: number[]; timestamps: number[] };
          return s.timestamps.map((t, i) => [t / 1000, String(s.values[i])] as [number, string]);
        })
        .sort((a, b) => a[0] - b[0]);
    },
  );
}

/** An hour of rows a second apart, ending now: [timestamp, cpu, ram]. */
function hourOfRows(seed: number): [number, number, number][] {
  const end = Date.now() - 1000;
  return Array.from({ length: 3600 }, (_, i) => [
    end - (3599 - i) * 1000,
    Number((((seed * 7 + i * 13) % 10000) / 100).toFixed(2)),
    Number((((seed * 3 + i * 7) % 10000) / 100).toFixed(2)),
  ]);
}

async function analyticsFor(
  store: Store,
  host: string,
  rows: [number, number, number][],
  listen = '',
): Promise<{ app: Running; dir: string; csv: string; config: string }> {
  const dir = await tempDir();
  mkdirSync(join(dir, 'data'));
  const csv = join(dir, 'data', 'telemetry.csv');
  writeFileSync(
    csv,
    `timestamp,cpu,ram,seq\n${rows.map(([t, c, r], i) => `${t},${c.toFixed(2)},${r.toFixed(2)},${i + 1}`).join('\n')}\n`,
  );
  writeFileSync(join(dir, 'rules.yaml'), 'rules: []\n');
  const config = await writeConfig(
    dir,
    `analytics: { pollMs: 50, http: { listen: "${listen}" } }\nremoteWrite: { url: "${store.url}", labels: { host: ${host} } }\n`,
  );
  const app = runNode('apps/analytics/main.js', [], dir, { TELEMETRY_CONFIG: config });
  return { app, dir, csv, config };
}

function expected(rows: [number, number, number][], column: 1 | 2): [number, string][] {
  return rows.map((r) => [r[0] / 1000, String(percentToRatio(r[column]))]);
}

test('two hosts, an hour each: every sample in Prometheus with its own timestamp and exact value', async (t) => {
  const prom = await startPrometheus();
  t.teardown(() => prom.stop());
  const hosts = { a: hourOfRows(1), b: hourOfRows(2) };
  for (const [host, rows] of Object.entries(hosts)) {
    const { app } = await analyticsFor(prom, host, rows);
    t.teardown(() => app.child.kill('SIGKILL'));
  }
  for (const [host, rows] of Object.entries(hosts)) {
    await waitFor(
      `host ${host}'s hour`,
      async () => (await prom.samples('telemetry_cpu_usage_ratio', host)).length === 3600,
      60_000,
    );
    t.deepEqual(await prom.samples('telemetry_cpu_usage_ratio', host), expected(rows, 1));
    t.deepEqual(await prom.samples('telemetry_memory_usage_ratio', host), expected(rows, 2));
  }
});

test('Prometheus stopped for 60 s in the middle of a live run, and the app killed with -9 while it sends: every sample is there afterwards, none twice', async (t) => {
  t.timeout(300_000);
  const prom = await startPrometheus();
  t.teardown(() => prom.stop());
  const rows = hourOfRows(3).slice(0, 600);
  const { app, csv, dir, config } = await analyticsFor(prom, 'live', rows);
  t.teardown(() => app.child.kill('SIGKILL'));
  await waitFor(
    'the first rows',
    async () => (await prom.samples('telemetry_cpu_usage_ratio', 'live')).length === 600,
    60_000,
  );
  await prom.stop();
  // rows go on while the store is down
  const more: [number, number, number][] = Array.from({ length: 60 }, (_, i) => [Date.now() + i, 40 + (i % 10), 50]);
  appendFileSync(csv, more.map(([ts, c, r], i) => `${ts},${c.toFixed(2)},${r.toFixed(2)},${601 + i}\n`).join(''));
  await waitFor('a failed POST said', () => app.output().includes('remote_write failed; retrying'));
  // the store stays down for a minute, as an outage would: the retries back off meanwhile
  await new Promise((r) => setTimeout(r, 60_000));
  await prom.start();
  // the retry then due is at most 45 s away (30 s backoff, jitter up to 1.5)
  await waitFor(
    'the rows of the outage',
    async () => (await prom.samples('telemetry_cpu_usage_ratio', 'live')).length === 660,
    90_000,
  );
  // a kill -9 while rows arrive, and a restart from what was saved
  app.child.kill('SIGKILL');
  await app.exited;
  const last: [number, number, number][] = Array.from({ length: 30 }, (_, i) => [Date.now() + 1000 + i, 60, 50]);
  appendFileSync(csv, last.map(([ts, c, r], i) => `${ts},${c.toFixed(2)},${r.toFixed(2)},${661 + i}\n`).join(''));
  const again = runNode('apps/analytics/main.js', [], dir, { TELEMETRY_CONFIG: config });
  t.teardown(() => again.child.kill('SIGKILL'));
  await waitFor(
    'every row',
    async () => (await prom.samples('telemetry_cpu_usage_ratio', 'live')).length === 690,
    60_000,
  );
  const got = await prom.samples('telemetry_cpu_usage_ratio', 'live');
  t.deepEqual(got, expected([...rows, ...more, ...last], 1), 'each sample once, in order, exact');
});

test('VictoriaMetrics as a second store: every sample with its own timestamp and exact value', async (t) => {
  const vm = await startVictoriaMetrics();
  t.teardown(() => vm.stop());
  const rows = hourOfRows(4);
  const { app } = await analyticsFor(vm, 'vm', rows, '127.0.0.1:0');
  t.teardown(() => app.child.kill('SIGKILL'));
  await waitFor('the hour', async () => (await vm.samples('telemetry_cpu_usage_ratio', 'vm')).length === 3600, 60_000);
  // the dashboard's state says so too
  const port = await waitFor('the dashboard', () => loggedPort(app.output()));
  const state = (await (await fetch(`http://127.0.0.1:${port}/api/state`)).json()) as {
    stats: { remoteWrite: { sent: number; backlog: number; dropped: number } };
  };
  t.deepEqual(
    [state.stats.remoteWrite.sent, state.stats.remoteWrite.backlog, state.stats.remoteWrite.dropped],
    [7200, 0, 0],
  );
  t.deepEqual(await vm.samples('telemetry_cpu_usage_ratio', 'vm'), expected(rows, 1));
  t.deepEqual(await vm.samples('telemetry_memory_usage_ratio', 'vm'), expected(rows, 2));
});

test('a 1M-row burst is shipped completely', async (t) => {
  t.timeout(180_000);
  const prom = await startPrometheus();
  t.teardown(() => prom.stop());
  const end = Date.now() - 1000;
  const n = 1_000_000;
  // a million rows a millisecond apart, ending now
  const rows: [number, number, number][] = [];
  for (let i = 0; i < n; i++) rows.push([end - (n - 1 - i), (i % 9000) / 100, 50]);
  const { app } = await analyticsFor(prom, 'burst', rows);
  t.teardown(() => app.child.kill('SIGKILL'));
  const count = async (): Promise<number> => {
    const res = await fetch(
      `${prom.url.replace('/api/v1/write', '')}/api/v1/query?query=${encodeURIComponent('count_over_time(telemetry_cpu_usage_ratio{host="burst"}[1h])')}`,
    );
    const body = (await res.json()) as { data: { result: { value: [number, string] }[] } };
    return Number(body.data.result[0]?.value[1] ?? 0);
  };
  const started = Date.now();
  await waitFor('a million samples', async () => (await count()) === n, 150_000, 500);
  t.log(`shipped ${n} rows in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  t.pass();
});
