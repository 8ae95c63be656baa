// The analytics summary line's fields (also the stop line's): all-time and window figures,
// rejected rows, the follower's lag, alerts and the outboxes.
import type { AnalyticsApp } from './app.js';

export function summaryOf(app: AnalyticsApp): Record<string, number | string | null> {
  const s = app.ingest.stats;
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
    lagBytes: app.tail.lagBytes,
    firing: app.alerting.firingCount,
    flapping: app.announcer.flappingCount,
    historyHeld: app.notifier.historyHeld,
    outbox: app.email?.depth ?? null,
    emailsSent: app.email?.sent ?? null,
    emailFailures: app.email?.failed ?? null,
    alertmanagerOutbox: app.alertmanager?.channel.depth ?? null,
    ...(app.remoteWriter
      ? {
          remoteWriteSent: app.remoteWriter.counts.sent,
          remoteWriteFailed: app.remoteWriter.counts.failed,
          remoteWriteDropped: app.remoteWriter.counts.dropped,
          remoteWriteBacklog: app.remoteWriter.backlog,
        }
      : {}),
  };
}
