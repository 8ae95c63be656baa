// The app core (app.ts) on simulated timers, for what one scenario shows best: which firings are
// re-sent to Alertmanager every resendMs, when it wakes, when it saves, what the dashboard and
// remote_write get. Serial: the tests swap the log.
import test, { type ExecutionContext } from 'ava';
import * as nodeFs from 'node:fs';
import { appendFileSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AnalyticsApp } from '../../apps/analytics/app.js';
import { LiveFeed } from '../../apps/analytics/dashboard/live-feed.js';
import type { AmAlert } from '../../apps/analytics/notify/alertmanager.js';
import { parseRules } from '../../apps/analytics/rules/load-rules.js';
import type { AnalyticsState } from '../../apps/analytics/state-file.js';
import { checkConfig } from '../../common/config.js';
import { log } from '../../common/log.js';
import { roundTrip, tempDir, waitFor } from '../helpers.js';
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
  dir: string;
  csv: string;
  /** Turns taken so far (each aims the CSV watch once). */
  turns: () => number;
  /** What the CSV watch was told to call on a change. */
  watchEvent: () => void;
  saves: { at: number; durable: boolean }[];
  state: () => AnalyticsState | null;
  failSaves: (fail: boolean) => void;
  /** Sets the wall clock this far from the timers' time. */
  skew: (ms: number) => void;
  feed: LiveFeed;
  flushes: number[];
  writes: number[];
  /** Told on the console: `kind rule (reason)`. */
  told: string[];
  mailerClosed: () => boolean;
  /** Log lines: the message and its fields as JSON. */
  lines: string[];
  at: (ms: number) => Promise<void>;
}

/**
 * The app on simulated timers in a temp data dir, with a console, email, a dashboard feed and a
 * remote_write store that record what they get. `after`: a restart on that rig's dir and state.
 */
async function rig(
  t: ExecutionContext,
  over: { watching?: boolean; rules?: string; after?: Rig; noCsv?: boolean; remoteWrite?: false } = {},
): Promise<Rig> {
  const dir = over.after?.dir ?? join(await tempDir(), 'data');
  mkdirSync(dir, { recursive: true });
  const csv = join(dir, 'telemetry.csv');
  if (!over.after && !over.noCsv) writeFileSync(csv, 'timestamp,cpu,ram,seq\n');
  const timers = new SimTimers(over.after?.timers.now ?? NOW);
  let turns = 0;
  let skew = 0;
  let watchEvent = (): void => undefined;
  let state: AnalyticsState | null = over.after?.state() ?? null;
  let failing = false;
  let mailerClosed = false;
  const saves: Rig['saves'] = [];
  const flushes: number[] = [];
  const writes: number[] = [];
  const told: string[] = [];
  const lines: string[] = [];
  const saved = { ...log };
  log.info =
    log.warn =
    log.error =
      (message: string, fields?: Record<string, unknown>) => void lines.push(`${message} ${JSON.stringify(fields)}`);
  t.teardown(() => Object.assign(log, saved));
  const feed = new LiveFeed('boot');
  const app = new AnalyticsApp(
    { dataDir: dir, analytics: checkConfig({}, 'defaults').analytics, resendMs: MIN },
    parseRules('rules.yaml', over.rules ?? 'rules: [{ name: hot, metric: cpu, above: 80, flap: off }]'),
    {
      clock: { now: () => timers.now + skew },
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
      watchCsv: (_path, onEvent) => {
        watchEvent = onEvent;
        return {
          retarget: () => {
            turns++;
          },
          watching: over.watching ?? true,
          close: () => undefined,
        };
      },
      console: {
        name: 'console',
        sent: 0,
        send(transitions) {
          for (const x of transitions) told.push(`${x.kind} ${x.rule}${x.reason ? ` (${x.reason})` : ''}`);
          this.sent += transitions.length;
        },
      },
      email: {
        settings: {
          url: 'smtp://127.0.0.1:1',
          from: 'telemetry@test',
          to: ['ops@test'],
          digestMs: 1000,
          minSeverity: 'info',
          timeoutMs: 1000,
          maxAgeMs: 60 * MIN,
        },
        mailer: {
          send: () => Promise.resolve(),
          close: () => {
            mailerClosed = true;
          },
        },
      },
      alertmanager: null,
      remoteWrite:
        over.remoteWrite === false
          ? null
          : {
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
    dir,
    csv,
    turns: () => turns,
    watchEvent: () => {
      watchEvent();
    },
    saves,
    state: () => state,
    failSaves: (fail) => (failing = fail),
    skew: (ms) => (skew = ms),
    feed,
    flushes,
    writes,
    told,
    mailerClosed: () => mailerClosed,
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
    t.is(watched.timers.waiting, 1, 'idle: one timer armed, the next turn');
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
    t.false(
      r.saves.some((x) => x.durable),
      'periodic saves need not survive a power loss',
    );
    r.failSaves(true);
    appendFileSync(r.csv, row(30_000, 50, 2));
    r.app.onCsvEvent();
    await r.at(40_000);
    t.deepEqual(
      r.lines.filter((l) => l.startsWith('cannot save')),
      [`cannot save the analytics state; evaluating on and retrying {"dir":"${r.dir}","error":"ENOSPC: simulated"}`],
    );
    t.deepEqual(
      r.lines.filter((l) => l.includes('saved again')),
      [],
    );
    r.failSaves(false);
    await r.at(41_000);
    t.is(r.saves.at(-1)?.at, 41_000, 'retried every checkpointMs');
    appendFileSync(r.csv, row(41_000, 50, 3));
    r.app.onCsvEvent();
    await r.at(43_000);
    t.deepEqual(
      r.lines.filter((l) => l.includes('saved again')),
      [`analytics state saved again {"dir":"${r.dir}"}`],
    );
    t.is(r.state()?.stats.cpu.count, 3);
    await r.app.stop();
    t.deepEqual(r.saves.at(-1), { at: 43_000, durable: true });
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

test.serial(
  'a start with nothing to read saves nothing; a change the watch reports starts a turn at once',
  async (t) => {
    const r = await rig(t, { noCsv: true });
    r.app.start();
    await r.at(10_000);
    t.deepEqual(r.saves, []);
    writeFileSync(r.csv, `timestamp,cpu,ram,seq\n${row(10_000, 50, 1)}`);
    const turns = r.turns();
    r.watchEvent();
    await r.at(10_000);
    t.is(r.turns(), turns + 1);
    t.is(r.app.ingest.stats.samples, 1);
  },
);

test.serial('a clock set back an hour does not stall the save of what was read', async (t) => {
  const r = await rig(t);
  r.app.start();
  await r.at(5000);
  r.skew(-3_600_000);
  appendFileSync(r.csv, row(5000 - 3_600_000, 50, 1));
  r.app.onCsvEvent();
  await r.at(6000);
  t.is(r.state()?.stats.cpu.count, 1);
});

test.serial('an absent rule fires after its time without samples and resolves on the next one', async (t) => {
  const r = await rig(t, { rules: 'rules: [{ name: quiet, absent: 10s }]' });
  r.app.start();
  for (let s = 0; s < 5; s++) {
    await r.at(s * 1000);
    appendFileSync(r.csv, row(s * 1000, 50, s + 1));
    r.app.onCsvEvent();
    await r.at(s * 1000);
  }
  await r.at(13_999);
  t.deepEqual(r.told, []);
  await r.at(14_000);
  t.deepEqual(r.told, ['firing quiet']);
  appendFileSync(r.csv, row(20_000, 50, 6));
  r.app.onCsvEvent();
  await r.at(20_000);
  t.deepEqual(r.told, ['firing quiet', 'resolved quiet']);
});

test.serial('rules applied live: a removed firing rule is resolved at once (rule removed)', async (t) => {
  const r = await rig(t);
  r.app.start();
  appendFileSync(r.csv, row(0, 95, 1));
  r.app.onCsvEvent();
  await r.at(1000);
  const change = r.app.applyRules(parseRules('rules.yaml', 'rules: []'));
  t.deepEqual(change.removed, ['hot']);
  t.deepEqual(r.told, ['firing hot', 'resolved hot (rule removed)']);
});

test.serial(
  'counts per channel; stop() stops the channels, clears every timer, and may come before start()',
  async (t) => {
    const r = await rig(t);
    r.app.start();
    appendFileSync(r.csv, row(0, 95, 1));
    r.app.onCsvEvent();
    await r.at(2000);
    t.deepEqual(r.app.channelCounts(), [
      { name: 'console', sent: 1, failed: 0, dead: 0, depth: null },
      { name: 'email', sent: 1, failed: 0, dead: 0, depth: 0 },
    ]);
    await r.app.stop();
    t.true(r.mailerClosed());
    t.is(r.timers.waiting, 0);
    const early = await rig(t);
    await t.notThrowsAsync(() => early.app.stop());
  },
);

test.serial('after a restart the dashboard shows the last hour again, from the file', async (t) => {
  const first = await rig(t);
  first.app.start();
  for (let s = 0; s < 5; s++) appendFileSync(first.csv, row(s * 1000, 40 + s, s + 1));
  first.app.onCsvEvent();
  await first.at(5000);
  await first.app.stop();
  const second = await rig(t, { after: first });
  second.app.start();
  await waitFor('the history loaded', () => second.feed.view().points.length > 0, 5000);
  t.is(second.app.ingest.stats.samples, 5, 'nothing read twice');
});

test.serial('a backlog larger than one poll is read on at once, not a poll later', async (t) => {
  const r = await rig(t, { rules: 'rules: []' });
  const line = row(0, 50, 1);
  const rows = Math.ceil((64 << 20) / line.length) + 1000;
  appendFileSync(r.csv, line.repeat(rows));
  r.app.start();
  await r.at(0);
  t.is(r.app.ingest.stats.samples + r.app.ingest.stats.rejectedTotal, rows);
});

test.serial('a file replaced by another of the very same size is read, and what it counted saved', async (t) => {
  // (without remote_write, whose checkpoints would save it anyway)
  const r = await rig(t, { rules: 'rules: []', remoteWrite: false });
  const header = 'timestamp,cpu,ram,seq\n';
  writeFileSync(r.csv, header + row(0, 50, 1));
  r.app.start();
  await r.at(2000);
  t.is(r.state()?.stats.cpu.count, 1);
  const replace = async (text: string, ms: number): Promise<void> => {
    writeFileSync(`${r.csv}.new`, text);
    renameSync(`${r.csv}.new`, r.csv);
    r.app.onCsvEvent();
    await r.at(ms);
  };
  // a row and a repeated header: the offset ends where it was
  await replace(row(0, 50, 2) + header, 4000);
  t.like(r.state()?.stats, { cpu: { count: 2 }, headers: 1 });
  // a row and a rejected line of the header's length
  await replace(row(0, 50, 3) + 'x'.repeat(header.length - 1) + '\n', 6000);
  t.is(r.state()?.stats.cpu.count, 3);
});
