// The app core (app.ts) on simulated timers, for what one scenario shows best: which firings are
// re-sent to Alertmanager every resendMs, when it wakes, when it saves, what the dashboard and
// remote_write get. Serial: the tests swap the log.
import test, { type ExecutionContext } from 'ava';
import * as nodeFs from 'node:fs';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AnalyticsApp } from '../../apps/analytics/app.js';
import { LiveFeed } from '../../apps/analytics/dashboard/live-feed.js';
import type { AmAlert } from '../../apps/analytics/notify/alertmanager.js';
import { parseRules } from '../../apps/analytics/rules/load-rules.js';
import type { AnalyticsState } from '../../apps/analytics/state-file.js';
import { checkConfig } from '../../common/config.js';
import { log } from '../../common/log.js';
import { roundTrip, tempDir } from '../helpers.js';
import { settle, SimTimers } from '../sim/sim-timers.js';

const NOW = Date.UTC(2026, 5, 1);
const MIN = 60_000;

test.serial(
  'only a firing that was told is re-sent to Alertmanager: one held back as history is not, until it is told',
  async (t) => {
    const dir = await tempDir();
    mkdirSync(join(dir, 'data'));
    const csv = join(dir, 'data', 'telemetry.csv');
    // cpu 95 an hour ago: that firing is history
    writeFileSync(csv, `timestamp,cpu,ram,seq\n${NOW - 60 * MIN},95,50,1\n`);
    const timers = new SimTimers(NOW);
    const resent: string[][] = [];
    const posted: string[] = [];
    const saved = { ...log };
    log.info = log.warn = log.error = () => undefined;
    t.teardown(() => Object.assign(log, saved));
    let state: AnalyticsState | null = null;
    const app = new AnalyticsApp(
      { dataDir: join(dir, 'data'), analytics: checkConfig({}, 'defaults').analytics, resendMs: MIN },
      parseRules('rules.yaml', 'rules: [{ name: hot, metric: cpu, above: 80, channels: [alertmanager], flap: off }]'),
      {
        clock: { now: () => timers.now },
        timers,
        random: () => 0.5,
        fs: nodeFs,
        state: { load: () => state, save: (s) => void (state = s) },
        watchCsv: () => ({ retarget: () => undefined, watching: true, close: () => undefined }),
        console: { name: 'console', sent: 0, send: () => undefined },
        email: null,
        alertmanager: {
          settings: {
            url: 'http://127.0.0.1:1',
            authorization: null,
            timeoutMs: 1000,
            resendMs: MIN,
            maxAgeMs: 60 * MIN,
          },
          post: (alerts: AmAlert[], keys: string[]) => {
            if (keys.length === 0) resent.push(alerts.map((a) => a.labels.alertname!));
            else posted.push(...keys);
            return Promise.resolve();
          },
        },
        remoteWrite: null,
        dashboard: null,
      },
    );
    t.teardown(() => app.stop());
    app.start();
    await timers.advance(NOW + 2 * MIN + 1);
    t.is(app.alerting.firingCount, 1, 'it fires (on a sample an hour old)');
    t.deepEqual(posted, [], 'never told: history');
    t.deepEqual(resent, [], 'and never re-sent');
    // a current sample: the firing is told now, and re-sent from then on
    nodeFs.appendFileSync(csv, `${timers.now},96,50,2\n`);
    app.onCsvEvent();
    await timers.advance(timers.now + 2 * MIN + 1);
    await settle();
    t.is(posted.length, 1);
    t.true(resent.length >= 1 && resent.every((names) => names.join() === 'hot'));
  },
);

interface Rig {
  app: AnalyticsApp;
  timers: SimTimers;
  csv: string;
  /** Turns taken so far (each aims the CSV watch once). */
  turns: () => number;
  saves: { at: number; durable: boolean }[];
  state: () => AnalyticsState | null;
  failSaves: (fail: boolean) => void;
  feed: LiveFeed;
  flushes: number[];
  writes: number[];
  lines: string[];
  at: (ms: number) => Promise<void>;
}

/** The app on simulated timers in a temp data dir, with a dashboard feed and a remote_write store that count what they get. */
async function rig(t: ExecutionContext, over: { watching?: boolean; rules?: string } = {}): Promise<Rig> {
  const dir = join(await tempDir(), 'data');
  mkdirSync(dir);
  const csv = join(dir, 'telemetry.csv');
  writeFileSync(csv, 'timestamp,cpu,ram,seq\n');
  const timers = new SimTimers(NOW);
  let turns = 0;
  let state: AnalyticsState | null = null;
  let failing = false;
  const saves: Rig['saves'] = [];
  const flushes: number[] = [];
  const writes: number[] = [];
  const lines: string[] = [];
  const saved = { ...log };
  log.info = log.warn = log.error = (message: string) => void lines.push(message);
  t.teardown(() => Object.assign(log, saved));
  const feed = new LiveFeed('boot');
  const app = new AnalyticsApp(
    { dataDir: dir, analytics: checkConfig({}, 'defaults').analytics, resendMs: MIN },
    parseRules('rules.yaml', over.rules ?? 'rules: [{ name: hot, metric: cpu, above: 80, flap: off }]'),
    {
      clock: { now: () => timers.now },
      timers,
      random: () => 0.5,
      fs: nodeFs,
      state: {
        load: () => state,
        save: (s, durable) => {
          if (failing) throw new Error('ENOSPC: simulated');
          state = roundTrip(s);
          saves.push({ at: timers.now - NOW, durable });
        },
      },
      watchCsv: () => ({
        retarget: () => {
          turns++;
        },
        watching: over.watching ?? true,
        close: () => undefined,
      }),
      console: { name: 'console', sent: 0, send: () => undefined },
      email: null,
      alertmanager: null,
      remoteWrite: {
        settings: { url: 'http://127.0.0.1:1/api/v1/write', authorization: null, labels: {}, timeoutMs: 1000 },
        post: () => {
          writes.push(timers.now - NOW);
          return Promise.resolve({ status: 204, text: '' });
        },
      },
      dashboard: {
        feed,
        flush: () => {
          feed.flush();
          flushes.push(timers.now - NOW);
        },
      },
    },
  );
  t.teardown(() => app.stop());
  return {
    app,
    timers,
    csv,
    turns: () => turns,
    saves,
    state: () => state,
    failSaves: (fail) => (failing = fail),
    feed,
    flushes,
    writes,
    lines,
    at: (ms) => timers.advance(NOW + ms),
  };
}

const row = (ms: number, cpu: number, seq: number): string => `${NOW + ms},${cpu},50,${seq}\n`;

test.serial(
  'idle, it wakes once per pollMs (5 s) with a watch on the CSV, once a second without; a burst of file events is one turn',
  async (t) => {
    const watched = await rig(t);
    watched.app.start();
    await watched.at(1000); // the header read is saved within checkpointMs
    const after = watched.turns();
    await watched.at(61_000);
    t.is(watched.turns() - after, 12);
    for (let i = 0; i < 5; i++) watched.app.onCsvEvent();
    await watched.at(61_000);
    t.is(watched.turns() - after, 13);
    const unwatched = await rig(t, { watching: false });
    unwatched.app.start();
    await unwatched.at(1000);
    const before = unwatched.turns();
    await unwatched.at(61_000);
    t.is(unwatched.turns() - before, 60);
  },
);

test.serial(
  'state: saved (not durable) within checkpointMs of what was read; durable at stop; a failing save is one error line, retried, then one line when it works again',
  async (t) => {
    const r = await rig(t);
    r.app.start();
    t.deepEqual(r.saves, [{ at: 0, durable: false }], 'the first read: saved at once');
    appendFileSync(r.csv, row(0, 50, 1));
    r.app.onCsvEvent();
    await r.at(999);
    t.is(r.saves.length, 1);
    await r.at(1000);
    t.deepEqual(r.saves.at(-1), { at: 1000, durable: false });
    t.is(r.state()?.stats.cpu.count, 1);
    await r.at(30_000);
    t.deepEqual(
      r.saves.map((x) => x.at),
      [0, 1000, 5000],
      'and when remote_write had sent the row (its batch waits 5 s): nothing new, nothing saved',
    );
    r.failSaves(true);
    appendFileSync(r.csv, row(30_000, 50, 2));
    r.app.onCsvEvent();
    await r.at(40_000);
    t.deepEqual(
      r.lines.filter((l) => l.startsWith('cannot save')),
      ['cannot save the analytics state; evaluating on and retrying'],
    );
    r.failSaves(false);
    await r.at(41_000);
    t.is(r.saves.at(-1)?.at, 41_000, 'retried every checkpointMs');
    t.true(r.lines.includes('analytics state saved again'));
    t.is(r.state()?.stats.cpu.count, 2);
    await r.app.stop();
    t.deepEqual(r.saves.at(-1), { at: 41_000, durable: true });
  },
);

test.serial(
  'the dashboard gets the samples and every transition, flushed at most every 100 ms; the state keeps what it shows',
  async (t) => {
    const r = await rig(t);
    r.app.start();
    for (let i = 0; i < 10; i++) {
      appendFileSync(r.csv, row(i * 20, i % 2 ? 50 : 95, i + 1));
      r.app.onCsvEvent();
      await r.at(i * 20);
    }
    await r.at(1000);
    t.deepEqual(r.flushes, [0, 100, 200], 'samples 20 ms apart until 180 ms');
    const shown = r.feed.view().transitions;
    t.is(
      shown.reduce((n, s) => n + 1 + s.coalesced, 0),
      10,
      'every transition, some coalesced',
    );
    t.deepEqual(r.state()?.shown?.[0], shown[0]);
  },
);

test.serial('remote_write is pumped by the turns: what was read is sent, and its cursor saved', async (t) => {
  const r = await rig(t);
  r.app.start();
  appendFileSync(r.csv, row(0, 50, 1));
  r.app.onCsvEvent();
  await r.at(6000);
  t.true(r.writes.length >= 1);
  t.truthy(r.state()?.remoteWrite);
});

test.serial('after stop(), no turn runs', async (t) => {
  const r = await rig(t);
  r.app.start();
  await r.at(1000);
  await r.app.stop();
  const turns = r.turns();
  r.app.onCsvEvent();
  await r.at(60_000);
  t.is(r.turns(), turns);
});
