// A seeded simulation of the whole analytics app (TigerBeetle's VOPR, FoundationDB's simulator):
// the real app core (apps/analytics/app.ts) on a simulated clock and timers, real files in a
// scratch directory (tmpfs when there is one) behind a follower fs that can fail, a state store
// whose disk can fill, and SMTP and Alertmanager stand-ins that can be down or refuse. Each step
// is an event drawn from one seed; crashes drop every object in memory and start again from what
// is on disk. Invariants are checked after every step and at the end; a failure names the seed
// and the events, and `SIM_SEED=<seed> npm run sim` replays it exactly.
import * as nodeFs from 'node:fs';
import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAnalysis } from '../../apps/analytics/analysis.js';
import { AnalyticsApp, type AppPorts } from '../../apps/analytics/app.js';
import { HISTORY_MS } from '../../apps/analytics/notify/announce.js';
import { formatAlert } from '../../apps/analytics/notify/console.js';
import { keyOf, type Transition } from '../../apps/analytics/rules/alerting.js';
import { parseRules } from '../../apps/analytics/rules/load-rules.js';
import type { Rule } from '../../apps/analytics/rules/rule.js';
import type { FollowFs } from '../../apps/analytics/source/tail-file.js';
import { readFileOnce } from '../../apps/analytics/source/read-file.js';
import type { AnalyticsState } from '../../apps/analytics/state-file.js';
import { checkConfig } from '../../common/config.js';
import { log } from '../../common/log.js';
import { settle, SimTimers } from './sim-timers.js';

const T0 = Date.UTC(2026, 0, 1);
const SEC = 1000;
const MIN = 60 * SEC;
const MAX_LINE = 256;
/** analytics.pollMs by default: the longest a turn waits without a file event. */
const POLL_MS = 5 * SEC;
const HEADER = 'timestamp,cpu,ram,seq\n';

/** mulberry32: a small seeded generator, the same sequence on every machine. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Fault = 'EIO' | 'EACCES' | null;

interface World {
  dir: string;
  timers: SimTimers;
  /** The wall clock: the timers' time plus a step set by a clock jump. */
  skew: number;
  random: () => number;
  followFault: Fault;
  diskFull: boolean;
  lastSaveFailed: boolean;
  saved: AnalyticsState | null;
  smtpUp: boolean;
  amUp: boolean;
  /** Every notice told on the console, in order, and the wall time each was told at. */
  told: Transition[];
  toldAt: number[];
  /**
   * Rules fixed and the clock never stepped: the scenarios whose notices are checked against the
   * backtest (d). Rule edits and clock steps change the rules or the time a backtest would judge by.
   */
  fixed: boolean;
  /** Accepted samples counted at the last check, and the wall time of that check. */
  counted: number;
  checkedAt: number;
  /** Sample n (from 1) was last read between these wall times (checks before and after); first read after `first`. */
  reads: { first: number; from: number; to: number }[];
  emailed: string[];
  posted: string[];
  /** What the engine wrote, one entry per file incarnation (a truncation or a new file starts one). */
  generations: string[];
  /** The incarnation each file of the chain holds (index into generations). */
  chain: number[];
  partial: boolean;
  seq: number;
  /** The engine's clock: rows are stamped with it. */
  engineAt: number;
  /** Rules firing on a current sample and not told, since when (sim time). */
  untoldSince: Map<string, number>;
  rules: Rule[];
  app: AnalyticsApp;
  events: string[];
  log: string[];
}

const RULE_SETS = [
  'defaults: { channels: [console, email, alertmanager] }\nrules: [{ name: high_cpu, metric: cpu, above: 80, clear: 75 }, { name: no_data, absent: 10s }]',
  'defaults: { channels: [console, email, alertmanager] }\nrules: [{ name: high_cpu, metric: cpu, above: 80, clear: 75, repeat: 30s, severity: critical }, { name: no_data, absent: 10s }]',
  'defaults: { channels: [console, email, alertmanager] }\nrules: [{ name: high_cpu, metric: cpu, above: 90, for: 3s }, { name: no_data, absent: 20s }]',
  'defaults: { channels: [console, email, alertmanager] }\nrules: [{ name: high_cpu, metric: cpu, above: 70, over: 5s, aggregate: avg, flap: { changes: 3, window: 1m } }]',
  'defaults: { channels: [console, email, alertmanager] }\nrules: [{ name: high_cpu, metric: cpu, above: 80, flap: off }, { name: high_ram, metric: ram, above: 60 }]',
  'defaults: { channels: [console, email, alertmanager] }\nrules: [{ name: high_ram, metric: ram, above: 60, repeat: 1m }, { name: no_data, absent: 10s }]',
  'defaults: { channels: [console, email, alertmanager] }\nrules: [{ name: high_cpu, metric: cpu, above: 80, clear: 75 } ', // invalid: kept out
];

function ports(w: World): AppPorts {
  const fault = (): void => {
    if (w.followFault) throw Object.assign(new Error(`${w.followFault}: simulated`), { code: w.followFault });
  };
  return {
    clock: { now: () => w.timers.now + w.skew },
    timers: w.timers,
    random: w.random,
    fs: {
      statSync: ((path: string) => {
        fault();
        return nodeFs.statSync(path);
      }) as FollowFs['statSync'],
      openSync: (path: nodeFs.PathLike, flags: nodeFs.OpenMode) => {
        fault();
        return nodeFs.openSync(path, flags);
      },
      fstatSync: ((fd: number) => nodeFs.fstatSync(fd)) as FollowFs['fstatSync'],
      readSync: ((fd: number, buffer: Buffer, offset: number, length: number, position: number) => {
        fault();
        return nodeFs.readSync(fd, buffer, offset, length, position);
      }) as FollowFs['readSync'],
      closeSync: (fd: number) => {
        nodeFs.closeSync(fd);
      },
    },
    state: {
      load: () => (w.saved ? (JSON.parse(JSON.stringify(w.saved)) as AnalyticsState) : null),
      save: (state) => {
        if (w.diskFull) {
          w.lastSaveFailed = true;
          throw Object.assign(new Error('ENOSPC: simulated'), { code: 'ENOSPC' });
        }
        w.saved = JSON.parse(JSON.stringify(state)) as AnalyticsState;
        w.lastSaveFailed = false;
      },
    },
    watchCsv: () => ({ retarget: () => undefined, watching: true, close: () => undefined }),
    console: {
      name: 'console',
      sent: 0,
      send(transitions) {
        for (const t of transitions) {
          formatAlert(t); // every notice renders
          w.told.push(t);
          w.toldAt.push(w.timers.now + w.skew);
          this.sent++;
        }
      },
    },
    email: {
      settings: {
        url: 'smtp://127.0.0.1:1',
        from: 'telemetry@sim',
        to: ['ops@sim'],
        digestMs: 10 * SEC,
        minSeverity: 'info',
        timeoutMs: 10 * SEC,
        maxAgeMs: 24 * 60 * MIN,
      },
      mailer: {
        send: (mail) => {
          if (!w.smtpUp) return Promise.reject(new Error('ECONNREFUSED: simulated'));
          w.emailed.push(...(mail.keys ?? []));
          return Promise.resolve();
        },
        close: () => undefined,
      },
    },
    alertmanager: {
      settings: {
        url: 'http://127.0.0.1:1',
        authorization: null,
        timeoutMs: 10 * SEC,
        resendMs: 60 * SEC,
        maxAgeMs: 24 * 60 * MIN,
      },
      post: (_alerts, keys) => {
        if (!w.amUp) return Promise.reject(new Error('ECONNREFUSED: simulated'));
        w.posted.push(...keys);
        return Promise.resolve();
      },
    },
    remoteWrite: null,
    dashboard: null,
  };
}

function startApp(w: World): AnalyticsApp {
  const config = checkConfig({}, 'defaults');
  const app = new AnalyticsApp(
    { dataDir: w.dir, analytics: { ...config.analytics, maxLineBytes: MAX_LINE }, resendMs: 60 * SEC },
    w.rules,
    ports(w),
  );
  // what it restored is what it counted: rows after that are read again, later
  w.counted = Math.min(w.counted, app.ingest.stats.samples);
  app.start();
  return app;
}

// ---- events -----------------------------------------------------------------------------------

function csv(w: World): string {
  return join(w.dir, 'telemetry.csv');
}

/** The engine writes to telemetry.csv (a new file starts with the header and a new incarnation). */
function write(w: World, text: string): void {
  if (w.chain[0] === undefined) {
    w.chain[0] = w.generations.length;
    w.generations.push('');
    text = HEADER + text;
  }
  appendFileSync(csv(w), text);
  w.generations[w.chain[0]] = (w.generations[w.chain[0]] ?? '') + text;
}

function row(w: World, cpu: number, stamp = w.engineAt): string {
  return `${stamp},${cpu.toFixed(2)},${(20 + w.random() * 60).toFixed(2)},${++w.seq}\n`;
}

/** Completes a torn last line (before the file is cut or goes away, as the engine does on restart). */
function completeLine(w: World): void {
  if (!w.partial) return;
  write(w, '\n');
  w.partial = false;
}

/** Lets the app read and save every complete line (a file cut before that loses rows, within checkpointMs, by design). */
async function catchUp(w: World): Promise<boolean> {
  // nothing can be known of what it read, or it cannot save what it read
  if (w.followFault || w.diskFull) return false;
  for (let i = 0; i < 5 && w.app.tail.lagBytes > 0; i++) {
    w.app.onCsvEvent();
    await w.timers.advance(w.timers.now);
  }
  // and saved it (within checkpointMs; a clock set back by less than that can stretch it to twice
  // as long): a file cut before that loses rows by design
  await w.timers.advance(w.timers.now + 2100);
  return w.app.tail.lagBytes === 0 && !w.lastSaveFailed;
}

/** Everything in memory is gone, as with kill -9: timers, unsaved state; the descriptors close. */
function crash(w: World): void {
  w.timers.reset();
  w.app.tail.close();
  for (const c of [w.app.email, w.app.alertmanager?.channel]) void c?.stop(0);
}

type Step = (w: World) => Promise<string> | string;

const STEPS: [weight: number, step: Step][] = [
  [
    30,
    (w) => {
      const n = 1 + Math.floor(w.random() * 8);
      const level = w.random() < 0.5 ? 20 + w.random() * 50 : 70 + w.random() * 30;
      let text = '';
      for (let i = 0; i < n; i++) {
        w.engineAt += SEC;
        text += row(w, Math.min(100, Math.max(0, level + (w.random() - 0.5) * 20)));
      }
      write(w, text);
      w.partial = false;
      w.app.onCsvEvent();
      return `append ${n} rows`;
    },
  ],
  [
    4,
    (w) => {
      const bad = [
        '1,2\n',
        'x,y,z,w\n',
        `${w.engineAt},150,20,${++w.seq}\n`,
        '\n',
        HEADER,
        `${'9'.repeat(MAX_LINE + 10)}\n`,
      ];
      const text = bad[Math.floor(w.random() * bad.length)]!;
      write(w, text);
      w.app.onCsvEvent();
      return `append a malformed line ${JSON.stringify(text.slice(0, 20))}`;
    },
  ],
  [
    3,
    (w) => {
      // rows, then the start of a line whose end is not written yet: a short one, or one too long to keep
      const long = w.random() < 0.5;
      w.engineAt += SEC;
      write(w, row(w, 50) + (long ? '7'.repeat(MAX_LINE + 20) : row(w, 50).slice(0, 8)));
      w.partial = true;
      w.app.onCsvEvent();
      return `append a row and a partial ${long ? 'too-long ' : ''}line`;
    },
  ],
  [
    3,
    (w) => {
      const old = w.random() < 0.5;
      const stamp = old ? w.engineAt - 60 * MIN : w.random() < 0.5 ? w.engineAt + 30 * SEC : w.engineAt + 24 * 60 * MIN;
      completeLine(w);
      write(w, row(w, 95, stamp));
      w.app.onCsvEvent();
      return `append a stray row stamped ${(stamp - w.engineAt) / SEC} s away`;
    },
  ],
  [
    2,
    (w) => {
      w.seq += w.random() < 0.5 ? 10 : 2 ** 40;
      return 'seq jump';
    },
  ],
  [
    3,
    (w) => {
      // rename telemetry.csv → .1 → .2 …; nothing is deleted, so every row can still be read
      completeLine(w);
      if (w.chain[0] === undefined) return 'rotate (nothing to rotate)';
      for (let i = w.chain.length - 1; i >= 0; i--)
        renameSync(i === 0 ? csv(w) : `${csv(w)}.${i}`, `${csv(w)}.${i + 1}`);
      w.chain.unshift(undefined as unknown as number);
      w.app.onCsvEvent();
      return 'rotate';
    },
  ],
  [
    1,
    async (w) => {
      if (w.chain[0] === undefined) return 'truncate (no file)';
      completeLine(w);
      if (!(await catchUp(w))) return 'truncate (not caught up: skipped)';
      writeFileSync(csv(w), '');
      w.chain[0] = w.generations.length;
      w.generations.push('');
      write(w, HEADER + row(w, 40));
      w.app.onCsvEvent();
      return 'truncate and rewrite in place';
    },
  ],
  [
    1,
    async (w) => {
      if (w.chain[0] === undefined) return 'delete (no file)';
      completeLine(w);
      if (!(await catchUp(w))) return 'delete (not caught up: skipped)';
      rmSync(csv(w));
      w.chain[0] = undefined as unknown as number;
      w.app.onCsvEvent();
      return 'delete telemetry.csv';
    },
  ],
  [
    4,
    (w) => {
      if (w.fixed) return 'edit rules.yaml (none: the rules are fixed)';
      const text = RULE_SETS[Math.floor(w.random() * RULE_SETS.length)]!;
      let rules: Rule[];
      try {
        rules = parseRules('rules.yaml', text);
      } catch {
        return 'edit rules.yaml (invalid: the running rules stay)';
      }
      w.rules = rules;
      w.app.applyRules(rules);
      return `edit rules.yaml: ${text}`;
    },
  ],
  [
    4,
    async (w) => {
      if (w.lastSaveFailed) return 'crash (skipped: the last save failed, the console would repeat)';
      crash(w);
      w.app = startApp(w);
      await settle();
      return 'crash and restart';
    },
  ],
  [
    2,
    async (w) => {
      // analytics stopped for 11 to 16 minutes while the engine wrote on: what it reads then is history
      if (w.lastSaveFailed) return 'outage (skipped: the last save failed, the console would repeat)';
      crash(w);
      const minutes = 11 + Math.floor(w.random() * 6);
      const level = w.random() < 0.5 ? 30 : 95;
      // in fixed scenarios the level changes once, at any point: transitions of any age for (d)
      // (drawn there only, so that the seeds sim.test.ts replays keep their events)
      const then = w.fixed ? { at: Math.floor(w.random() * minutes * 6), level: 125 - level } : null;
      let text = '';
      for (let i = 0; i < minutes * 6; i++) {
        w.engineAt += 10 * SEC;
        text += row(w, (then && i >= then.at ? then.level : level) + (w.random() - 0.5) * 8);
      }
      completeLine(w);
      write(w, text);
      await w.timers.advance(w.timers.now + minutes * MIN);
      w.app = startApp(w);
      await settle();
      return `analytics down for ${minutes} min while the engine wrote cpu ~${level}${then ? `, ~${then.level} from row ${then.at}` : ''}`;
    },
  ],
  [
    3,
    (w) => {
      if (w.fixed) return 'clock steps (none: the clock is fixed)';
      const step = w.random() < 0.5 ? -(1 + Math.floor(w.random() * 120)) * SEC : Math.floor(w.random() * 20) * MIN;
      // rows more than 10 min ahead of the reader's clock are rejected by design: the clock stays
      // within 3 min behind the engine's, so that the one pass the totals are checked against agrees
      w.skew = Math.max(-3 * MIN, w.skew + step);
      return `clock steps ${step / SEC} s`;
    },
  ],
  [
    4,
    (w) => {
      const which = w.random();
      if (which < 0.35) w.smtpUp = !w.smtpUp;
      else if (which < 0.7) w.amUp = !w.amUp;
      else if (which < 0.85) w.followFault = w.followFault ? null : w.random() < 0.5 ? 'EIO' : 'EACCES';
      else w.diskFull = !w.diskFull;
      return `faults: smtp ${w.smtpUp ? 'up' : 'down'}, alertmanager ${w.amUp ? 'up' : 'down'}, follower ${w.followFault ?? 'ok'}, disk ${w.diskFull ? 'full' : 'ok'}`;
    },
  ],
  [
    20,
    async (w) => {
      const ms = Math.floor(w.random() * 30 * SEC);
      w.engineAt += ms;
      await w.timers.advance(w.timers.now + ms);
      return `wait ${ms} ms`;
    },
  ],
];
const TOTAL_WEIGHT = STEPS.reduce((s, [weight]) => s + weight, 0);

// ---- invariants -------------------------------------------------------------------------------

/** (b) per rule: firing, then exactly one resolve; flapping, then one settled; never told twice. */
function checkTold(w: World): void {
  const state = new Map<string, 'ok' | 'firing' | 'flapping'>();
  const keys = new Set<string>();
  for (const t of w.told) {
    const key = keyOf(t);
    if (keys.has(key)) throw new Error(`(c) notification ${key} told twice on the console`);
    keys.add(key);
    const s = state.get(t.rule) ?? 'ok';
    if (t.kind === 'firing' && s !== 'ok') throw new Error(`(b) ${t.rule} told firing while ${s}`);
    if (t.kind === 'resolved' && s === 'ok') throw new Error(`(b) ${t.rule} resolved but not told firing`);
    if (t.kind === 'repeat' && s !== 'firing') throw new Error(`(b) ${t.rule} reminded while ${s}`);
    if (t.kind === 'flapping' && s === 'flapping') throw new Error(`(b) ${t.rule} told flapping twice`);
    if ((t.kind === 'settled' || t.kind === 'flapping-summary') && s !== 'flapping')
      throw new Error(`(b) ${t.rule} ${t.kind} while ${s}`);
    if (t.kind === 'firing') state.set(t.rule, 'firing');
    else if (t.kind === 'resolved') state.set(t.rule, 'ok');
    else if (t.kind === 'flapping') state.set(t.rule, 'flapping');
    else if (t.kind === 'settled') state.set(t.rule, t.flap?.firing ? 'firing' : 'ok');
  }
}

/** (c) a channel never gets one notification twice. */
function checkDelivered(name: string, keys: string[]): void {
  const seen = new Set<string>();
  for (const k of keys) {
    if (seen.has(k)) throw new Error(`(c) ${name} got ${k} twice`);
    seen.add(k);
  }
}

/**
 * (b) a rule firing on a current sample (within 10 min of the clock) is told firing, unless it
 * flaps, within one poll of becoming so (a clock set back can make an old firing current between
 * two turns).
 */
function checkCurrentTold(w: World): void {
  const told = new Map<string, string>();
  for (const t of w.told) told.set(t.rule, t.kind === 'settled' ? (t.flap?.firing ? 'firing' : 'resolved') : t.kind);
  const now = w.timers.now + w.skew;
  const untold = new Set<string>();
  for (const f of w.app.alerting.currentFirings()) {
    if (w.app.announcer.isFlapping(f.rule) || f.timestamp < now - 10 * MIN) continue;
    if (['firing', 'repeat', 'flapping-summary'].includes(told.get(f.rule) ?? '')) continue;
    untold.add(f.rule);
    const since = w.untoldSince.get(f.rule) ?? w.timers.now;
    w.untoldSince.set(f.rule, since);
    if (w.timers.now - since > POLL_MS + SEC)
      throw new Error(`(b) ${f.rule} fires on a current sample and was never told`);
  }
  for (const rule of w.untoldSince.keys()) if (!untold.has(rule)) w.untoldSince.delete(rule);
}

/** When the samples counted since the last check were read (a crash makes the app read some again). */
function noteReads(w: World): void {
  const now = w.timers.now + w.skew;
  const counted = w.app.ingest.stats.samples;
  for (let n = w.counted + 1; n <= counted; n++)
    w.reads[n] = { first: w.reads[n]?.first ?? w.checkedAt, from: w.checkedAt, to: now };
  w.counted = counted;
  w.checkedAt = now;
}

/**
 * (d) per threshold rule, the notices told are what `analyze --rules` gives on the rows as written,
 * in its order (a firing told late, once current, by when it fired), never a firing whose sample
 * was history whenever it was read; and each transition it gives is told unless the history rule
 * or flap damping may have held it back: its sample was more than 10 min old when last read, the
 * rule was flapping while it was read, or it resolves a firing that was never told.
 */
function checkBacktest(w: World, given: { t: Transition; n: number }[]): void {
  const sig = (t: Transition, kind = t.kind): string =>
    kind === 'firing' ? `firing since ${t.firedAt}` : `resolved at ${t.timestamp} (${t.value})`;
  for (const rule of w.rules) {
    if (rule.kind !== 'threshold') continue;
    const mine = given.filter((g) => g.t.rule === rule.name);
    const flapping: [from: number, to: number][] = [];
    w.told.forEach((t, i) => {
      if (t.rule !== rule.name) return;
      if (t.kind === 'flapping') flapping.push([w.toldAt[i]!, Infinity]);
      else if (t.kind === 'settled') flapping[flapping.length - 1]![1] = w.toldAt[i]!;
    });
    let next = 0;
    let firing = false;
    const heldBack = ({ t, n }: { t: Transition; n: number }): boolean => {
      const read = w.reads[n];
      if (!read) throw new Error(`(d) sample ${n} was never read`);
      return (
        (t.kind === 'resolved' && !firing) ||
        t.timestamp < read.to - HISTORY_MS ||
        flapping.some(([from, to]) => read.from <= to && read.to >= from)
      );
    };
    const passOver = (to: number): void => {
      for (; next < to; next++)
        if (!heldBack(mine[next]!))
          throw new Error(`(d) analyze --rules gives ${rule.name} ${sig(mine[next]!.t)}: never told`);
    };
    for (const t of w.told) {
      if (t.rule !== rule.name) continue;
      if (t.kind === 'settled') firing = t.flap!.firing;
      if (t.kind !== 'firing' && t.kind !== 'resolved' && t.kind !== 'flapping') continue;
      const kind = t.kind === 'flapping' ? (t.flap!.firing ? 'firing' : 'resolved') : t.kind;
      const at = mine.findIndex((g, i) => i >= next && g.t.kind === kind && sig(g.t) === sig(t, kind));
      if (at < 0)
        throw new Error(
          `(d) told ${rule.name} ${sig(t, kind)}, which analyze --rules does not give after its ${next} first`,
        );
      const read = w.reads[mine[at]!.n]!;
      if (t.kind === 'firing' && t.timestamp === mine[at]!.t.timestamp && t.timestamp < read.first - HISTORY_MS)
        throw new Error(`(d) told ${rule.name} ${sig(t)}: its sample was history whenever it was read`);
      passOver(at);
      next = at + 1;
      firing = kind === 'firing';
    }
    passOver(mine.length);
  }
}

async function checkStep(w: World): Promise<void> {
  await w.timers.advance(w.timers.now); // what is due now runs first, as the event loop would
  noteReads(w);
  checkCurrentTold(w);
  checkTold(w);
  checkDelivered('email', w.emailed);
  checkDelivered('alertmanager', w.posted);
  // (e) bounds
  for (const c of w.app.channelCounts()) {
    if ((c.depth ?? 0) > 5000) throw new Error(`(e) ${c.name} outbox holds ${c.depth}`);
  }
}

/** The end: faults healed, everything read and delivered; then the totals and the deliveries are complete. */
async function checkEnd(w: World, scratch: string): Promise<void> {
  w.smtpUp = w.amUp = true;
  w.followFault = null;
  w.diskFull = false;
  completeLine(w);
  for (let i = 0; i < 10; i++) {
    w.app.onCsvEvent();
    await w.timers.advance(w.timers.now + 6 * MIN);
  }
  await checkStep(w);
  // one pass over what was written, as `analyze --rules` makes it (absent rules are skipped)
  const given: { t: Transition; n: number }[] = [];
  const thresholds = w.rules.filter((r) => r.kind === 'threshold');
  const expected = createAnalysis(thresholds, 60_000, 0, (t) => {
    if (t.kind !== 'repeat') given.push({ t, n: expected.ingest.stats.samples });
  });
  expected.ingest.setClock(w.timers.now + w.skew);
  w.generations.forEach((text, i) => {
    const file = join(scratch, `generation-${i}.csv`);
    writeFileSync(file, text);
    readFileOnce(file, expected.ingest, MAX_LINE, Buffer.alloc(64 << 10));
  });
  // (a) exactly once: the totals equal that pass
  const got = JSON.stringify(w.app.ingest.stats.report());
  const want = JSON.stringify(expected.ingest.stats.report());
  if (got !== want)
    throw new Error(`(a) totals differ from one pass over the rows written:\n  app     ${got}\n  analyze ${want}`);
  // (c) every notification told is delivered once on each queued channel
  for (const [name, keys] of [
    ['email', w.emailed],
    ['alertmanager', w.posted],
  ] as const) {
    const missing = w.told.filter((t) => t.channels.includes(name) && !keys.includes(keyOf(t))).map(keyOf);
    if (missing.length > 0) throw new Error(`(c) ${name} never got ${missing.slice(0, 3).join(', ')}`);
  }
  if (w.fixed) checkBacktest(w, given);
}

export interface Outcome {
  seed: number;
  steps: number;
  events: string[];
  /** What the app logged (its log lines, for a failure's report). */
  log: string[];
  error: Error | null;
}

/** One scenario: `steps` events drawn from `seed`, invariants after each; the app stopped at the end. */
export async function runScenario(seed: number, steps = 60): Promise<Outcome> {
  const base = nodeFs.existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const dir = mkdtempSync(join(base, 'telemetry-sim-'));
  const data = join(dir, 'data');
  mkdirSync(data);
  const saved = { ...log };
  const lines: string[] = [];
  log.info =
    log.warn =
    log.error =
      (message: string, fields?: Record<string, unknown>) =>
        void lines.push(`${message} ${JSON.stringify(fields ?? {})}`);
  const random = seeded(seed);
  // one scenario in four keeps its rules and clock (d), starting from any valid rule set
  const fixed = seed % 4 === 1;
  const rules = fixed ? RULE_SETS[Math.floor(random() * (RULE_SETS.length - 1))]! : RULE_SETS[0]!;
  const w = {
    dir: data,
    timers: new SimTimers(T0),
    skew: 0,
    random,
    followFault: null,
    diskFull: false,
    lastSaveFailed: false,
    saved: null,
    smtpUp: true,
    amUp: true,
    told: [],
    emailed: [],
    posted: [],
    generations: [],
    chain: [],
    partial: false,
    seq: 0,
    engineAt: T0,
    untoldSince: new Map(),
    rules: parseRules('rules.yaml', rules),
    fixed,
    toldAt: [],
    counted: 0,
    checkedAt: T0,
    reads: [],
    events: [],
    log: lines,
  } as unknown as World;
  let error: Error | null = null;
  try {
    w.app = startApp(w);
    for (let i = 0; i < steps; i++) {
      let pick = random() * TOTAL_WEIGHT;
      const step = STEPS.find(([weight]) => (pick -= weight) < 0)![1];
      w.events.push(await step(w));
      await checkStep(w);
    }
    await checkEnd(w, dir);
  } catch (err) {
    error = err as Error;
  } finally {
    if (w.app as AnalyticsApp | undefined) crash(w);
    await settle();
    Object.assign(log, saved);
    rmSync(dir, { recursive: true, force: true });
  }
  return { seed, steps, events: w.events, log: lines, error };
}
