// The analytics app's /metrics: ingestion counters, notifications by channel and outcome, outbox
// depths, and every rule's firing state, read at scrape time.
import { client, counterFrom, createRegistry, gaugeFrom, type Registry } from '../../common/metrics.js';
import type { Ingest } from './ingest.js';
import type { Rule } from './rules/rule.js';
import { REASONS } from './source/parse-line.js';

export interface ChannelCounts {
  name: string;
  sent: number;
  failed: number;
  dead: number;
  /** Undelivered notifications queued (null for channels without an outbox). */
  depth: number | null;
}

export interface AnalyticsReadings {
  ingest: Ingest;
  lagBytes(): number;
  rules(): Rule[];
  phase(rule: string): 'inactive' | 'pending' | 'firing' | undefined;
  flapping(rule: string): boolean;
  channels(): ChannelCounts[];
}

export function analyticsMetrics(r: AnalyticsReadings): Registry {
  const registry = createRegistry('telemetry-analytics');
  const stats = (): Ingest['stats'] => r.ingest.stats;
  counterFrom(
    registry,
    'telemetry_analytics_samples_total',
    'Samples accepted from the CSV files (all time, saved across restarts).',
    () => stats().samples,
  );
  new client.Counter({
    name: 'telemetry_analytics_rejected_rows_total',
    help: 'Rows rejected, by reason (columns, number, range, too_long).',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const reason of REASONS) this.inc({ reason }, stats().rejected[reason]);
    },
  });
  counterFrom(
    registry,
    'telemetry_analytics_repeated_headers_total',
    'Header lines found again inside a file (skipped).',
    () => stats().headers,
  );
  counterFrom(
    registry,
    'telemetry_analytics_missed_samples_total',
    'Samples missing by seq (gaps between consecutive rows).',
    () => stats().gaps,
  );
  gaugeFrom(registry, 'telemetry_analytics_lag_bytes', 'Bytes of the CSV files not yet read.', () => r.lagBytes());
  new client.Counter({
    name: 'telemetry_notifications_total',
    help: 'Notifications by channel and outcome (sent; failed: attempts that failed; dead: given up).',
    labelNames: ['channel', 'outcome'],
    registers: [registry],
    collect() {
      this.reset();
      for (const c of r.channels())
        for (const outcome of ['sent', 'failed', 'dead'] as const) this.inc({ channel: c.name, outcome }, c[outcome]);
    },
  });
  new client.Gauge({
    name: 'telemetry_outbox_depth',
    help: 'Undelivered notifications waiting in a channel outbox.',
    labelNames: ['channel'],
    registers: [registry],
    collect() {
      this.reset();
      for (const c of r.channels()) if (c.depth !== null) this.set({ channel: c.name }, c.depth);
    },
  });
  for (const [name, help, read] of [
    [
      'telemetry_alert_firing',
      'Whether the rule is firing (1) or not (0).',
      (rule: string) => r.phase(rule) === 'firing',
    ],
    [
      'telemetry_alert_flapping',
      'Whether the rule is flapping (1: its notifications are held back) or not (0).',
      (rule: string) => r.flapping(rule),
    ],
  ] as const) {
    new client.Gauge({
      name,
      help,
      labelNames: ['rule', 'severity'],
      registers: [registry],
      collect() {
        this.reset();
        for (const rule of r.rules()) this.set({ rule: rule.name, severity: rule.severity }, read(rule.name) ? 1 : 0);
      },
    });
  }
  return registry;
}
