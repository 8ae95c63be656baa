// telemetry-analytics: builds the real ports (system clock and timers, node:fs, the state file,
// SMTP, Alertmanager over HTTP, the dashboard) around the app core (app.ts), and the HTTP server,
// PM2 metrics and signals around it. Every decision of a run is in app.ts.
import { randomUUID } from 'node:crypto';
import * as nodeFs from 'node:fs';
import { hostname } from 'node:os';
import { systemClock, systemTimers } from '../../common/clock.js';
import { startHttpServer, type Handler, type HttpEndpoint } from '../../common/http-server.js';
import { log } from '../../common/log.js';
import { metricsRoute } from '../../common/metrics.js';
import { onShutdown, publishMetrics, signalReady } from '../../common/pm2.js';
import { redact } from '../../common/redact.js';
import { claimDataDir, fail, loadConfigOrExit } from '../../common/start-app.js';
import { watchFile } from '../../common/watch-file.js';
import { AnalyticsApp, type AppPorts } from './app.js';
import { createDashboard, type Dashboard } from './dashboard/dashboard.js';
import { LiveFeed } from './dashboard/live-feed.js';
import { viewState } from './dashboard/view-state.js';
import type { StateView } from './dashboard/wire.js';
import { analyticsMetrics } from './metrics.js';
import { readAlertmanagerSettings } from './notify/alertmanager.js';
import { consoleChannel } from './notify/console.js';
import { readEmailSettings } from './notify/email-settings.js';
import { readRemoteWriteSettings } from './remote-write/remote-writer.js';
import { createSmtpMailer } from './notify/smtp.js';
import { loadRules } from './rules/load-rules.js';
import { watchRules } from './rules/watch-rules.js';
import { loadState, saveState } from './state-file.js';
import { summaryOf } from './summary.js';

const APP = 'telemetry-analytics';
const { config, file } = await loadConfigOrExit(APP);
const { analytics } = config;
const dataDir = config.data.dir;
const clock = systemClock;

const rules = ((): ReturnType<typeof loadRules> => {
  try {
    return loadRules(analytics.rules);
  } catch (err) {
    fail(APP, err);
  }
})();
claimDataDir(APP, dataDir, 'analytics', import.meta.url);

/** A channel that is off when unset, and off with one error line when set wrongly. */
function optional<T>(what: string, read: () => T | null, offHint: string): T | null {
  try {
    const settings = read();
    if (!settings) log.info(`${what} is off: ${offHint}`);
    return settings;
  } catch (err) {
    log.error(`${what} is off: ${(err as Error).message}`, { code: (err as { code?: string }).code });
    return null;
  }
}
const email = optional(
  'email',
  () => readEmailSettings(config.email),
  'set TELEMETRY_SMTP_URL and TELEMETRY_EMAIL_TO to turn it on',
);
if (email)
  log.info('email alerts are on', {
    smtp: redact(email.url),
    to: email.to.join(','),
    digestMs: email.digestMs,
    minSeverity: email.minSeverity,
  });
const alertmanager = optional(
  'the alertmanager channel',
  () => readAlertmanagerSettings(config.alertmanager),
  'set TELEMETRY_ALERTMANAGER_URL to turn it on',
);
if (alertmanager)
  log.info('alertmanager channel is on', { url: redact(alertmanager.url), resendMs: alertmanager.resendMs });

const remoteWrite = optional(
  'remote_write',
  () => readRemoteWriteSettings(config.remoteWrite),
  'set TELEMETRY_REMOTE_WRITE_URL (e.g. http://127.0.0.1:9090/api/v1/write) to send every sample to a Prometheus-compatible store',
);

// The live dashboard's feed, only when the HTTP server is on: it sees every sample and transition.
const feed = analytics.http.listen ? new LiveFeed(randomUUID().slice(0, 8)) : null;
const dashboardRef: { current: Dashboard | null } = { current: null };
const ports: AppPorts = {
  clock,
  timers: systemTimers,
  random: Math.random,
  fs: nodeFs,
  state: {
    load: () => loadState(dataDir, clock.now()),
    save: (state, durable) => {
      nodeFs.mkdirSync(dataDir, { recursive: true }); // data/ removed under the app: made again
      saveState(dataDir, state, durable);
    },
  },
  watchCsv: watchFile,
  console: consoleChannel,
  email: email && { settings: email, mailer: createSmtpMailer(email) },
  alertmanager: alertmanager && { settings: alertmanager },
  remoteWrite: remoteWrite && { settings: remoteWrite },
  dashboard: feed && { feed, flush: () => dashboardRef.current?.flush() },
};
const app = new AnalyticsApp({ dataDir, analytics, resendMs: config.alertmanager.resendMs }, rules, ports);
const stopWatchingRules = watchRules(analytics.rules, (next) => app.applyRules(next));

const summary = (): ReturnType<typeof summaryOf> => summaryOf(app);
const summaryTimer = setInterval(() => log.info('analytics summary', summary()), analytics.summaryEveryMs);
publishMetrics({
  samples: () => app.ingest.stats.samples,
  'avg cpu': () => Number((app.ingest.stats.cpu.summary().avg ?? 0).toFixed(2)),
  'avg ram': () => Number((app.ingest.stats.ram.summary().avg ?? 0).toFixed(2)),
  rejected: () => app.ingest.stats.rejectedTotal,
  'lag bytes': () => app.tail.lagBytes,
  'alerts firing': () => app.alerting.firingCount,
  'email outbox': () => app.email?.depth ?? 0,
  'emails sent': () => app.email?.sent ?? 0,
  'email failures': () => app.email?.failed ?? 0,
});

const registry = analyticsMetrics({
  ingest: app.ingest,
  lagBytes: () => app.tail.lagBytes,
  rules: () => app.alerting.rules(),
  phase: (rule) => app.alerting.states().get(rule)?.phase,
  flapping: (rule) => app.announcer.isFlapping(rule),
  channels: () => app.channelCounts(),
  remoteWriter: app.remoteWriter,
  now: () => clock.now(),
});
const routes = new Map<string, Handler>([['/metrics', metricsRoute(registry)]]);
if (feed) {
  const state = (): StateView =>
    viewState({
      host: hostname(),
      now: clock.now(),
      lastSampleAt: feed.lastSampleAt,
      lagBytes: app.tail.lagBytes,
      remoteWrite: app.remoteWriter?.view(clock.now()) ?? null,
      stats: app.ingest.stats,
      rules: app.alerting.rules(),
      phase: (rule) => app.alerting.states().get(rule),
      flapping: (rule) => app.announcer.isFlapping(rule),
      recent: feed.view().transitions,
    });
  dashboardRef.current = createDashboard(feed, state);
  for (const [path, handler] of dashboardRef.current.routes) routes.set(path, handler);
}
// Installed before the first turn saves anything: a signal during start-up still saves and exits 0.
const http: { current: HttpEndpoint | null } = { current: null };
onShutdown(async (signal) => {
  clearInterval(summaryTimer);
  stopWatchingRules();
  try {
    dashboardRef.current?.stop();
    await Promise.all([app.stop(), http.current?.close()]);
  } catch (err) {
    fail(APP, err);
  }
  log.info('analytics stopped cleanly', { signal, ...summary() });
  process.exit(0);
});
http.current = await startHttpServer(APP, analytics.http.listen, routes);

app.start();
signalReady();
log.info('analytics started', {
  config: file ?? 'defaults',
  csv: app.csvPath,
  rules: analytics.rules,
  ruleCount: app.alerting.ruleCount,
  resumedAt: app.saved?.position?.offset ?? 0,
  samples: app.ingest.stats.samples,
});
