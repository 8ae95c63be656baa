// telemetry-analytics: follows the CSV, keeps statistics, evaluates the rules and notifies.
//
//   fs.watch / poll timer ─▶ tail.poll() ─▶ ingest (parse, stats) ─▶ alerting ─▶ transitions
//   transitions ─▶ email outbox (durable) ─▶ state saved ─▶ console line
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock } from '../../common/clock.js';
import { DataDirUnusableError } from '../../common/errors.js';
import { log } from '../../common/log.js';
import { onShutdown, publishMetrics, signalReady } from '../../common/pm2.js';
import { fail, loadConfigOrExit } from '../../common/start-app.js';
import { watchDir } from '../../common/watch-dir.js';
import { createAnalysis } from './analysis.js';
import { consoleChannel } from './notify/console.js';
import { EmailChannel } from './notify/email.js';
import { readEmailSettings, redact } from './notify/email-settings.js';
import { Outbox } from './notify/outbox.js';
import { createSmtpMailer } from './notify/smtp.js';
import { loadRules } from './rules/load-rules.js';
import { watchRules } from './rules/watch-rules.js';
import type { Rule } from './rules/rule.js';
import type { Transition } from './rules/alerting.js';
import { TailFile } from './source/tail-file.js';
import { loadState, saveState, type AnalyticsState } from './state-file.js';

const APP = 'telemetry-analytics';
// Catching up on a backlog (a first start on a large file, a long stop), transitions on samples
// older than this are recorded in the alert state but not notified: nobody wants a page for last
// week. A poll reading more than CATCH_UP_BYTES is catching up.
const HISTORY_MS = 10 * 60_000;
const CATCH_UP_BYTES = 1 << 20;
const POLL_BUDGET = 64 << 20;
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
const { ingest, alerting } = createAnalysis(rules, analytics.windowMs, clock.now());
const csvPath = join(dataDir, 'telemetry.csv');
const tail = new TailFile(csvPath, ingest, { maxLineBytes: analytics.maxLineBytes });

const saved = ((): AnalyticsState | null => {
  try {
    mkdirSync(dataDir, { recursive: true });
    return loadState(dataDir);
  } catch (err) {
    fail(APP, new DataDirUnusableError(dataDir, err));
  }
})();
if (saved) {
  ingest.stats.restore(saved.stats);
  ingest.parser.restore(saved.parser);
  tail.resumeFrom(saved.position);
  if (saved.alerts) alerting.restore(saved.alerts);
}

const email = ((): EmailChannel | null => {
  try {
    const settings = readEmailSettings(config.email);
    if (!settings) {
      log.info('email alerts are off: set TELEMETRY_SMTP_URL and TELEMETRY_EMAIL_TO to turn them on');
      return null;
    }
    log.info('email alerts are on', { smtp: redact(settings.url), to: settings.to.join(','), digestMs: settings.digestMs, minSeverity: settings.minSeverity });
    return new EmailChannel(settings, new Outbox(join(dataDir, 'outbox.jsonl')), createSmtpMailer(settings), clock);
  } catch (err) {
    log.error(`email alerts are off: ${(err as Error).message}`, { code: (err as { code?: string }).code });
    return null;
  }
})();

let dirty = false;
function checkpoint(): void {
  saveState(dataDir, { version: 1, position: tail.position, parser: ingest.parser.save(), stats: ingest.stats.save(), alerts: alerting.save() });
  dirty = false;
}

function notify(all: Transition[], catchingUp = false): void {
  const cutoff = clock.now() - HISTORY_MS;
  const transitions = catchingUp ? all.filter((t) => t.op === 'absent' || t.timestamp >= cutoff) : all;
  if (transitions.length < all.length) log.info('catching up on history: older transitions recorded without notifying', { transitions: all.length - transitions.length, olderThan: '10m' });
  if (transitions.length === 0) return;
  // Into the durable outbox (deduplicated by key) and the state saved before anything is shown:
  // a crash can lose a console line but never repeat one, and a replay re-adds nothing twice.
  email?.send(transitions.filter((t) => t.channels.includes('email')));
  checkpoint();
  consoleChannel.send(transitions.filter((t) => t.channels.includes('console')));
}

let pollTimer: NodeJS.Timeout | undefined;
function poll(): void {
  clearTimeout(pollTimer);
  const before = ingest.stats.samples;
  const offset = tail.position?.offset;
  const read = tail.poll(POLL_BUDGET);
  if (ingest.stats.samples !== before) alerting.onArrival(clock.now());
  if (tail.position?.offset !== offset) dirty = true;
  notify(alerting.take(), read > CATCH_UP_BYTES);
  pollTimer = setTimeout(poll, read >= POLL_BUDGET ? 0 : analytics.pollMs);
}

// File events come in bursts while the engine writes fast: one poll per turn of the event loop.
let pollSoon: NodeJS.Immediate | undefined;
const onCsvEvent = (): void => {
  pollSoon ??= setImmediate(() => {
    pollSoon = undefined;
    poll();
  });
};
const stopWatching = [watchDir(dataDir, ['telemetry.csv'], onCsvEvent), watchRules(analytics.rules, alerting)];
const absentTimer = setInterval(() => {
  alerting.tick(clock.now());
  notify(alerting.take());
}, 1000);
const checkpointTimer = setInterval(() => dirty && checkpoint(), Math.max(analytics.checkpointMs, 50));

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
    outbox: email?.depth ?? null,
    emailsSent: email?.sent ?? null,
    emailFailures: email?.failed ?? null,
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

poll();
signalReady();
log.info('analytics started', { config: file ?? 'defaults', csv: csvPath, rules: analytics.rules, ruleCount: alerting.ruleCount, resumedAt: saved?.position?.offset ?? 0, samples: ingest.stats.samples });

onShutdown(async (signal) => {
  clearTimeout(pollTimer);
  for (const t of [absentTimer, checkpointTimer, summaryTimer]) clearInterval(t);
  for (const stop of stopWatching) stop();
  try {
    checkpoint();
    await email?.stop();
  } catch (err) {
    fail(APP, err);
  }
  tail.close();
  log.info('analytics stopped cleanly', { signal, ...summary() });
  process.exit(0);
});
