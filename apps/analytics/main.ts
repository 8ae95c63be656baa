// telemetry-analytics: follows the CSV, keeps statistics, evaluates the rules and notifies.
//
//   fs.watch / timer ─▶ turn(): tail.poll() ─▶ ingest (parse, stats) ─▶ alerting ─▶ transitions
//   transitions ─▶ notifier: announcer (history, flapping) ─▶ email / alertmanager outboxes
//               ─▶ state saved ─▶ console line
//   HTTP: /metrics (and the dashboard) read the same objects at request time.
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../common/clock.js';
import { DataDirUnusableError, describeCause } from '../../common/errors.js';
import { startHttpServer, type Handler, type HttpEndpoint } from '../../common/http-server.js';
import { log } from '../../common/log.js';
import { metricsRoute } from '../../common/metrics.js';
import { onShutdown, publishMetrics, signalReady } from '../../common/pm2.js';
import { redact } from '../../common/redact.js';
import { claimDataDir, fail, loadConfigOrExit } from '../../common/start-app.js';
import { flushDue } from '../../common/flush-due.js';
import { watchFile } from '../../common/watch-file.js';
import { createAnalysis } from './analysis.js';
import { createDashboard, type Dashboard } from './dashboard/dashboard.js';
import { LiveFeed } from './dashboard/live-feed.js';
import { viewState } from './dashboard/view-state.js';
import type { StateView } from './dashboard/wire.js';
import { analyticsMetrics, type ChannelCounts } from './metrics.js';
import {
  createAlertmanagerChannel,
  readAlertmanagerSettings,
  type AlertmanagerChannel,
} from './notify/alertmanager.js';
import { Announcer, type AnnouncedRule } from './notify/announce.js';
import { consoleChannel } from './notify/console.js';
import { createEmailChannel } from './notify/email.js';
import { readEmailSettings } from './notify/email-settings.js';
import { Notifier } from './notify/notifier.js';
import { Outbox } from './notify/outbox.js';
import type { QueuedChannel } from './notify/queued-channel.js';
import { createSmtpMailer } from './notify/smtp.js';
import { loadRules } from './rules/load-rules.js';
import type { Transition } from './rules/alerting.js';
import type { Rule } from './rules/rule.js';
import { watchRules } from './rules/watch-rules.js';
import { POLL_BUDGET, TailFile } from './source/tail-file.js';
import { loadState, saveState, type AnalyticsState } from './state-file.js';

const APP = 'telemetry-analytics';
/** The dashboard's clients get what arrived within this long (at low rates, from the turn that read it). */
const FLUSH_MS = 100;
/** Without a watch on the CSV (no file yet, or the system refuses one) it is re-read at least this often. */
const UNWATCHED_POLL_MS = 1000;
const { config, file } = await loadConfigOrExit(APP);
const { analytics } = config;
const dataDir = config.data.dir;
const clock = systemClock;

const rules = ((): Rule[] => {
  try {
    return loadRules(analytics.rules);
  } catch (err) {
    fail(APP, err);
  }
})();
// The live dashboard's feed, only when the HTTP server is on: it sees every sample and transition.
let dashboard: Dashboard | null = null;
const feed = analytics.http.listen ? new LiveFeed(randomUUID().slice(0, 8)) : null;
const { ingest, alerting } = createAnalysis(rules, analytics.windowMs, clock.now(), undefined, feed ?? undefined);
const csvPath = join(dataDir, 'telemetry.csv');
const tail = new TailFile(csvPath, ingest, { maxLineBytes: analytics.maxLineBytes });

claimDataDir(APP, dataDir, 'analytics', import.meta.url);
const saved = ((): AnalyticsState | null => {
  try {
    return loadState(dataDir, clock.now());
  } catch (err) {
    fail(APP, new DataDirUnusableError(dataDir, err));
  }
})();
if (saved) {
  ingest.stats.restore(saved.stats);
  ingest.parser.restore(saved.parser);
  tail.resumeFrom(saved.position);
  alerting.restore(saved.alerts);
}
const announced = (list: Rule[]): AnnouncedRule[] =>
  list.map((r) => ({ name: r.name, flap: r.flap, repeatMs: r.repeatMs }));
const announcer = new Announcer(announced(rules), saved?.announce);

/** A channel that is off when unset, and off with one error line when set wrongly. */
function optional<T>(what: string, make: () => T | null, offHint: string): T | null {
  try {
    const channel = make();
    if (!channel) log.info(`${what} is off: ${offHint}`);
    return channel;
  } catch (err) {
    log.error(`${what} is off: ${(err as Error).message}`, { code: (err as { code?: string }).code });
    return null;
  }
}
const email = optional<QueuedChannel>(
  'email',
  () => {
    const settings = readEmailSettings(config.email);
    if (!settings) return null;
    log.info('email alerts are on', {
      smtp: redact(settings.url),
      to: settings.to.join(','),
      digestMs: settings.digestMs,
      minSeverity: settings.minSeverity,
    });
    return createEmailChannel(
      settings,
      new Outbox(join(dataDir, 'outbox.jsonl'), clock.now()),
      createSmtpMailer(settings),
      clock,
    );
  },
  'set TELEMETRY_SMTP_URL and TELEMETRY_EMAIL_TO to turn it on',
);
const alertmanager = optional<AlertmanagerChannel>(
  'the alertmanager channel',
  () => {
    const settings = readAlertmanagerSettings(config.alertmanager);
    if (!settings) return null;
    log.info('alertmanager channel is on', { url: redact(settings.url), resendMs: settings.resendMs });
    return createAlertmanagerChannel(
      settings,
      new Outbox(join(dataDir, 'outbox.alertmanager.jsonl'), clock.now()),
      clock,
    );
  },
  'set TELEMETRY_ALERTMANAGER_URL to turn it on',
);
const queued = [email, alertmanager?.channel].filter((c): c is QueuedChannel => c !== null && c !== undefined);

let dirty = false;
let checkpointFailing = false;
let savedAt = 0;
/** Saves the state; a failure (a full disk, a deleted data/) is logged once and retried, never fatal. */
function checkpoint(durable = true): void {
  try {
    mkdirSync(dataDir, { recursive: true });
    saveState(
      dataDir,
      {
        version: 1,
        position: tail.position,
        parser: ingest.parser.save(),
        stats: ingest.stats.save(),
        alerts: alerting.save(),
        announce: announcer.save(),
      },
      durable,
    );
    if (checkpointFailing) log.info('analytics state saved again', { dir: dataDir });
    checkpointFailing = dirty = false;
  } catch (err) {
    if (!checkpointFailing)
      log.error('cannot save the analytics state; evaluating on and retrying', {
        dir: dataDir,
        error: describeCause(err),
      });
    checkpointFailing = dirty = true;
  }
  savedAt = clock.now();
}
const notifier = new Notifier({ announcer, queued, console: consoleChannel, checkpoint });
// rules removed while the app was down: what was told of them ends now
notifier.replace(announced(rules), clock.now());
/** Transitions from the rules: shown on the dashboard (all of them), announced (see Notifier). */
function judged(transitions: Transition[], now: number): void {
  if (feed) for (const t of transitions) feed.onTransition(t);
  notifier.offer(transitions, now);
}

let turnTimer: NodeJS.Timeout | undefined;
let stopping = false;
let flushedAt = 0;
/**
 * One turn of the app: read what the file has (up to a budget), judge the clock-driven rules,
 * announce, save the state and push the dashboard when due. A file event starts a turn at once;
 * the timer when something is due by the clock (an `absent` rule, a reminder, a flapping rule
 * settling, a save, a dashboard flush) or after pollMs without an event. At 1 Hz the app wakes
 * once a sample.
 */
function turn(): void {
  clearTimeout(turnTimer);
  if (stopping) return;
  const before = ingest.stats.samples;
  const offset = tail.position?.offset;
  ingest.setClock(clock.now());
  const read = tail.poll(POLL_BUDGET);
  csvWatch.retarget();
  const now = clock.now();
  if (ingest.stats.samples !== before) alerting.onArrival(now);
  const moved = tail.position?.offset !== offset;
  if (moved) dirty = true;
  alerting.tick(now);
  judged(alerting.take(), now);
  notifier.tick(now, alerting.currentFirings());
  // a periodic save need not survive a power loss (an older state is read on from exactly): no directory fsync
  if (dirty && flushDue(now, savedAt, analytics.checkpointMs, moved)) checkpoint(false);
  // points coalesce for a full FLUSH_MS (a fast writer brings many turns in that time)
  if (feed?.unsent && flushDue(now, flushedAt, FLUSH_MS, false)) {
    dashboard?.flush();
    flushedAt = now;
  }
  if (read >= POLL_BUDGET) return void (turnTimer = setTimeout(turn, 0)); // more to read
  const poll = csvWatch.watching ? analytics.pollMs : Math.min(analytics.pollMs, UNWATCHED_POLL_MS);
  const next = Math.min(
    alerting.nextDue(),
    announcer.nextDue(),
    dirty ? savedAt + analytics.checkpointMs : Infinity,
    feed?.unsent ? flushedAt + FLUSH_MS : Infinity,
    now + poll,
  );
  turnTimer = setTimeout(turn, Math.max(0, next - clock.now()));
}

// File events come in bursts while the engine writes fast: one turn per turn of the event loop.
let turnSoon: NodeJS.Immediate | undefined;
const onCsvEvent = (): void => {
  turnSoon ??= setImmediate(() => {
    turnSoon = undefined;
    turn();
  });
};
const applyRules = (next: Rule[]): ReturnType<typeof alerting.replace> => {
  const change = alerting.replace(next);
  notifier.replace(announced(next), clock.now());
  return change;
};
const csvWatch = watchFile(csvPath, onCsvEvent);
const stopWatchingRules = watchRules(analytics.rules, applyRules);
// only what was announced: a firing recorded as history is not sent to Alertmanager either
const resendTimer =
  alertmanager &&
  setInterval(
    () => void alertmanager.resend(alerting.firing().filter((f) => announcer.isAnnouncedFiring(f.rule.name))),
    config.alertmanager.resendMs,
  );

const channelCounts = (): ChannelCounts[] => [
  { name: 'console', sent: consoleChannel.sent, failed: 0, dead: 0, depth: null },
  ...queued.map((c) => ({ name: c.name, sent: c.sent, failed: c.failed, dead: c.dead, depth: c.depth })),
];

function summary(): Record<string, number | string | null> {
  const s = ingest.stats;
  const w = s.window!.summary(); // the live app always has one: analytics.windowMs
  const fmt = (v: number | null): string | null => (v === null ? null : v.toFixed(2));
  return {
    samples: s.samples,
    avgCpu: fmt(s.cpu.summary().avg),
    avgRam: fmt(s.ram.summary().avg),
    windowSamples: w.count,
    windowCpuAvg: fmt(w.cpu.avg),
    windowCpuMin: fmt(w.cpu.min),
    windowCpuMax: fmt(w.cpu.max),
    windowRamAvg: fmt(w.ram.avg),
    windowRamMin: fmt(w.ram.min),
    windowRamMax: fmt(w.ram.max),
    rejected: s.rejectedTotal,
    headers: s.headers,
    gaps: s.gaps,
    seqRestarts: s.seqRestarts,
    truncations: s.truncations,
    lagBytes: tail.lagBytes,
    firing: alerting.firingCount,
    flapping: announcer.flappingCount,
    historyHeld: notifier.historyHeld,
    outbox: email?.depth ?? null,
    emailsSent: email?.sent ?? null,
    emailFailures: email?.failed ?? null,
    alertmanagerOutbox: alertmanager?.channel.depth ?? null,
  };
}
const summaryTimer = setInterval(() => log.info('analytics summary', summary()), analytics.summaryEveryMs);
publishMetrics({
  samples: () => ingest.stats.samples,
  'avg cpu': () => Number((ingest.stats.cpu.summary().avg ?? 0).toFixed(2)),
  'avg ram': () => Number((ingest.stats.ram.summary().avg ?? 0).toFixed(2)),
  rejected: () => ingest.stats.rejectedTotal,
  'lag bytes': () => tail.lagBytes,
  'alerts firing': () => alerting.firingCount,
  'email outbox': () => email?.depth ?? 0,
  'emails sent': () => email?.sent ?? 0,
  'email failures': () => email?.failed ?? 0,
});

const registry = analyticsMetrics({
  ingest,
  lagBytes: () => tail.lagBytes,
  rules: () => alerting.rules(),
  phase: (rule) => alerting.states().get(rule)?.phase,
  flapping: (rule) => announcer.isFlapping(rule),
  channels: channelCounts,
});
const routes = new Map<string, Handler>([['/metrics', metricsRoute(registry)]]);
if (feed) {
  const state = (): StateView =>
    viewState({
      host: hostname(),
      now: clock.now(),
      lastSampleAt: feed.lastSampleAt,
      lagBytes: tail.lagBytes,
      stats: ingest.stats,
      rules: alerting.rules(),
      phase: (rule) => alerting.states().get(rule),
      flapping: (rule) => announcer.isFlapping(rule),
      recent: feed.view().transitions,
    });
  dashboard = createDashboard(feed, state);
  for (const [path, handler] of dashboard.routes) routes.set(path, handler);
}
// Installed before the first turn saves anything: a signal during start-up still saves and exits 0.
let http: HttpEndpoint | null = null;
onShutdown(async (signal) => {
  stopping = true;
  clearTimeout(turnTimer);
  for (const t of [summaryTimer, resendTimer]) if (t) clearInterval(t);
  csvWatch.close();
  stopWatchingRules();
  try {
    checkpoint();
    dashboard?.stop();
    await Promise.all([...queued.map((c) => c.stop()), http?.close()]);
  } catch (err) {
    fail(APP, err);
  }
  tail.close();
  log.info('analytics stopped cleanly', { signal, ...summary() });
  process.exit(0);
});
http = await startHttpServer(APP, analytics.http.listen, routes);

turn();
signalReady();
log.info('analytics started', {
  config: file ?? 'defaults',
  csv: csvPath,
  rules: analytics.rules,
  ruleCount: alerting.ruleCount,
  resumedAt: saved?.position?.offset ?? 0,
  samples: ingest.stats.samples,
});
