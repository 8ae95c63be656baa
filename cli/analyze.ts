// `telemetry analyze FILE… [--rules PATH] [--json]`: one pass, exactly as the live app reads.
// Transitions can number in the hundreds of thousands: the human output streams them as they
// happen (summary last); --json keeps them in flat typed arrays until the object is printed.
import { statSync, writeSync } from 'node:fs';
import { FileUnreadableError } from '../common/errors.js';
import { sleepSync } from '../common/sleep-sync.js';
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
  maxLineBytes: number;
}

/** Writes all of `data`; a pipe that is full (EAGAIN) is waited for, not an error. */
function writeAll(fd: number, data: Buffer): void {
  for (let done = 0; done < data.length; ) {
    try {
      done += writeSync(fd, data, done);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      sleepSync(0.1);
    }
  }
}

/** Buffered writes to a file descriptor, in 64 KiB pieces. */
function createWriter(fd: number): { write(s: string): void; flush(): void } {
  let buffered = '';
  const flush = (): void => {
    if (buffered) writeAll(fd, Buffer.from(buffered));
    buffered = '';
  };
  return {
    write(s) {
      buffered += s;
      if (buffered.length > 65536) flush();
    },
    flush,
  };
}

/** Transitions as columns: rule index, state (0 firing, 1 resolved), timestamp, value. */
class AlertColumns {
  readonly rules: string[] = [];
  private readonly ruleIndex = new Map<string, number>();
  length = 0;
  rule = new Uint16Array(1024);
  resolved = new Uint8Array(1024);
  timestamp = new Float64Array(1024);
  value = new Float64Array(1024);

  add(t: Transition): void {
    if (this.length === this.timestamp.length) this.grow();
    let r = this.ruleIndex.get(t.rule);
    if (r === undefined) this.ruleIndex.set(t.rule, (r = this.rules.push(t.rule) - 1));
    const i = this.length++;
    this.rule[i] = r;
    this.resolved[i] = t.kind === 'resolved' ? 1 : 0;
    this.timestamp[i] = t.timestamp;
    this.value[i] = t.value;
  }

  private grow(): void {
    const size = this.timestamp.length * 2;
    const grown = <T extends Uint16Array | Uint8Array | Float64Array>(a: T, make: new (n: number) => T): T => {
      const b = new make(size);
      b.set(a);
      return b;
    };
    this.rule = grown(this.rule, Uint16Array);
    this.resolved = grown(this.resolved, Uint8Array);
    this.timestamp = grown(this.timestamp, Float64Array);
    this.value = grown(this.value, Float64Array);
  }
}

export function analyze(opts: AnalyzeOptions, fd = 1): void {
  const out = createWriter(fd);
  const rules = opts.rules ? loadRules(opts.rules).filter((r) => r.kind === 'threshold') : [];
  const columns = new AlertColumns();
  const onTransition = (t: Transition): void => {
    if (t.kind === 'repeat') return;
    if (opts.json) columns.add(t);
    else out.write(`${new Date(t.timestamp).toISOString()}  ${formatAlert(t)}\n`);
  };
  const { ingest } = createAnalysis(rules, null, 0, onTransition);
  ingest.setClock(Date.now());
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
  const report = ingest.stats.report();
  if (opts.json) {
    const { alerts: _none, ...head } = { ...report, alerts: null };
    out.write(JSON.stringify(head).slice(0, -1) + ',"alerts":[');
    const names = columns.rules.map((r) => JSON.stringify(r));
    for (let i = 0; i < columns.length; i++) {
      const state = columns.resolved[i] ? 'resolved' : 'firing';
      out.write(`${i ? ',' : ''}{"rule":${names[columns.rule[i]!]},"state":"${state}","timestamp":${columns.timestamp[i]},"value":${columns.value[i]}}`);
    }
    out.write(']}\n');
  } else {
    out.write(formatReport(report, opts.rules !== undefined) + '\n');
  }
  out.flush();
}

function formatReport(report: ReturnType<Stats['report']>, withRules: boolean): string {
  const metric = (m: { avg: number | null; min: number | null; max: number | null }): string =>
    m.avg === null ? 'no samples' : `avg ${m.avg.toFixed(2)}  min ${m.min!.toFixed(2)}  max ${m.max!.toFixed(2)}`;
  const { total, ...reasons } = report.rejected;
  return [
    ...(withRules ? ['(alert transitions above, in order)'] : []),
    `samples   ${report.samples}`,
    `rejected  ${total} (${Object.entries(reasons).map(([k, v]) => `${k} ${v}`).join(', ')})`,
    `headers   ${report.headers} repeated header lines skipped`,
    `gaps      ${report.gaps} samples missing by seq`,
    `cpu       ${metric(report.cpu)}`,
    `ram       ${metric(report.ram)}`,
  ].join('\n');
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
