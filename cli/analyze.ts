// `telemetry analyze FILE… [--rules PATH] [--json]`: one pass, exactly as the live app reads.
import { statSync } from 'node:fs';
import { FileUnreadableError } from '../common/errors.js';
import { createAnalysis } from '../apps/analytics/analysis.js';
import { loadRules } from '../apps/analytics/rules/load-rules.js';
import type { Transition } from '../apps/analytics/rules/alerting.js';
import { readFileOnce } from '../apps/analytics/source/read-file.js';
import { formatAlert } from '../apps/analytics/notify/console.js';
import type { Stats } from '../apps/analytics/stats.js';

export interface AnalyzeOptions {
  files: string[];
  rules?: string;
  json: boolean;
  windowMs: number;
  maxLineBytes: number;
}

export function analyze(opts: AnalyzeOptions): string {
  const rules = opts.rules ? loadRules(opts.rules).filter((r) => r.kind === 'threshold') : [];
  const { ingest, alerting } = createAnalysis(rules, opts.windowMs, 0);
  const sizes = opts.files.map((f) => {
    try {
      return statSync(f).size;
    } catch (err) {
      throw new FileUnreadableError(f, err);
    }
  });
  const progress = createProgress(sizes.reduce((a, b) => a + b, 0));
  const chunk = Buffer.allocUnsafe(1 << 20);
  let done = 0;
  opts.files.forEach((file, i) => {
    readFileOnce(file, ingest, opts.maxLineBytes, chunk, progress && ((bytes) => progress(done + bytes)));
    done += sizes[i]!;
  });
  progress?.(-1);
  const alerts = alerting.take().filter((t) => t.kind !== 'repeat');
  const report = ingest.stats.report();
  if (opts.json) {
    return JSON.stringify({ ...report, alerts: alerts.map((t) => ({ rule: t.rule, state: t.kind, timestamp: t.timestamp, value: t.value })) });
  }
  return formatReport(report, alerts, opts.rules !== undefined);
}

function formatReport(report: ReturnType<Stats['report']>, alerts: Transition[], withRules: boolean): string {
  const metric = (m: { avg: number | null; min: number | null; max: number | null }): string =>
    m.avg === null ? 'no samples' : `avg ${m.avg.toFixed(2)}  min ${m.min!.toFixed(2)}  max ${m.max!.toFixed(2)}`;
  const { total, ...reasons } = report.rejected;
  const lines = [
    `samples   ${report.samples}`,
    `rejected  ${total} (${Object.entries(reasons).map(([k, v]) => `${k} ${v}`).join(', ')})`,
    `headers   ${report.headers} repeated header lines skipped`,
    `gaps      ${report.gaps} samples missing by seq`,
    `cpu       ${metric(report.cpu)}`,
    `ram       ${metric(report.ram)}`,
  ];
  if (withRules) {
    lines.push(`alerts    ${alerts.length} transitions`);
    for (const t of alerts) lines.push(`  ${new Date(t.timestamp).toISOString()}  ${formatAlert(t)}`);
  }
  return lines.join('\n');
}

/** A progress bar on stderr for large inputs on a terminal; call with -1 to clear it. */
function createProgress(total: number): ((bytes: number) => void) | undefined {
  if (!process.stderr.isTTY || total < 64 << 20) return undefined;
  let shown = -1;
  return (bytes) => {
    if (bytes < 0) return void process.stderr.write('\r\x1b[K');
    const pct = Math.floor((100 * bytes) / total);
    if (pct === shown) return;
    shown = pct;
    const bar = '#'.repeat(pct / 4).padEnd(25, '.');
    process.stderr.write(`\ranalyze [${bar}] ${pct}% of ${(total / 1048576).toFixed(0)} MiB`);
  };
}
