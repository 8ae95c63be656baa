// The analytics app's /metrics: ingestion counters, notifications by channel and outcome, outbox
// depths, and every rule's firing state, read at scrape time.
import { client, counterFrom, createRegistry, gaugeFrom, type Registry } from '../../common/metrics.js';
import type { Ingest } from './ingest.js';
import type { RemoteWriter } from './remote-write/remote-writer.js';
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
  /** remote_write, when it is on. */
  remoteWriter: RemoteWriter | null;
  now(): number;
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
  const rw = r.remoteWriter;
  if (rw) {
    const counters = [
      ['sent', 'Samples the remote_write store took.'],
      ['failed', 'Samples in POSTs that failed and are sent again (5xx, 429, network).'],
      ['dropped', 'Samples in batches the store refused for good (a 4xx other than 429).'],
      ['lost', 'Samples rotated away before they were sent.'],
    ] as const;
    for (const [what, help] of counters)
      counterFrom(registry, `telemetry_remote_write_samples_${what}_total`, help, () => rw.counts[what]);
    gaugeFrom(
      registry,
      'telemetry_remote_write_backlog_samples',
      'Samples read or still to read, not yet taken by the store (estimated from the bytes).',
      () => rw.backlog,
    );
    gaugeFrom(
      registry,
      'telemetry_remote_write_behind_seconds',
      'How far behind the clock the last sample the store took is, while a backlog waits.',
      () => rw.behindMs(r.now()) / 1000,
    );
  }
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
