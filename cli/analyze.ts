// `telemetry analyze FILE… [--rules PATH] [--json]`: one pass, exactly as the live app reads.
// Transitions can number in the millions: both outputs stream them as they happen, so memory
// stays bounded (--json writes "alerts" first and the summary keys after it; JSON has no key order).
// `-` reads standard input; pipes and FIFOs (`<(zcat old.csv.gz)`) read like files. Without
// rules (which judge samples in order), a large regular file is shared among `threads` threads.
import { statSync, writeSync } from 'node:fs';
import { iso } from '../common/clock.js';
import { FileUnreadableError } from '../common/errors.js';
import { sleepSync } from '../common/sleep-sync.js';
import { createAnalysis } from '../apps/analytics/analysis.js';
import { loadRules } from '../apps/analytics/rules/load-rules.js';
import type { Transition } from '../apps/analytics/rules/alerting.js';
import { readFileOnce } from '../apps/analytics/source/read-file.js';
import { lineChunk } from '../apps/analytics/source/read-lines.js';
import { formatAlert } from '../apps/analytics/notify/console.js';
import type { Stats } from '../apps/analytics/stats.js';
import { PIECE_BYTES, readInThreads } from './analyze-split.js';

export interface AnalyzeOptions {
  files: string[];
  rules?: string;
  json: boolean;
  maxLineBytes: number;
  /** Threads a large file is shared among (without rules). */
  threads: number;
  /** --from/--to: only samples stamped within (ms). */
  since?: number;
  until?: number;
}

/** Writes all of `data`; a pipe that is full (EAGAIN) is waited for, not an error. */
function writeAll(fd: number, data: Buffer): void {
  for (let written = 0; written < data.length;) {
    try {
      written += writeSync(fd, data, written);
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

export async function analyze(opts: AnalyzeOptions, fd = 1): Promise<void> {
  const out = createWriter(fd);
  const rules = opts.rules ? loadRules(opts.rules).filter((r) => r.kind === 'threshold') : [];
  let alerts = 0;
  const onTransition = (t: Transition): void => {
    if (t.kind === 'repeat') return;
    if (opts.json)
      out.write(
        `${alerts++ ? ',' : ''}{"rule":${JSON.stringify(t.rule)},"state":"${t.kind}","timestamp":${t.timestamp},"value":${t.value}}`,
      );
    else out.write(`${iso(t.timestamp)}  ${formatAlert(t)}\n`);
  };
  const { ingest } = createAnalysis(rules, null, 0, onTransition);
  ingest.setClock(Date.now());
  ingest.since = opts.since ?? -Infinity;
  ingest.until = opts.until ?? Infinity;
  const sizes = opts.files.map((f) => {
    if (f === '-') return 0;
    try {
      const st = statSync(f);
      return st.isFile() ? st.size : 0;
    } catch (err) {
      throw new FileUnreadableError(f, err);
    }
  });
  const progress = createProgress(sizes.reduce((a, b) => a + b, 0));
  const chunk = lineChunk(opts.maxLineBytes);
  let bytesBefore = 0; // of the files already read, for the progress bar
  if (opts.json) out.write('{"alerts":[');
  for (const [i, file] of opts.files.entries()) {
    const size = sizes[i]!;
    const threads = rules.length === 0 ? Math.min(opts.threads, Math.floor(size / PIECE_BYTES)) : 1;
    const read = progress && ((bytes: number): void => progress(bytesBefore + bytes));
    if (threads > 1) await readInThreads(file, size, threads, ingest, opts.maxLineBytes, read);
    // a regular file is read as it was at the start, as the threads read it: a live file may grow
    else
      readFileOnce(
        file === '-' ? 0 : file,
        ingest,
        opts.maxLineBytes,
        chunk,
        read,
        size > 0 ? { start: 0, end: size } : undefined,
      );
    bytesBefore += size;
  }
  progress?.(-1);
  const report = ingest.stats.report();
  if (opts.json) out.write(`],${JSON.stringify(report).slice(1)}\n`);
  else out.write(formatReport(report, opts.rules !== undefined) + '\n');
  out.flush();
}

function formatReport(report: ReturnType<Stats['report']>, withRules: boolean): string {
  const metric = (m: { avg: number | null; min: number | null; max: number | null }): string =>
    m.avg === null ? 'no samples' : `avg ${m.avg.toFixed(2)}  min ${m.min!.toFixed(2)}  max ${m.max!.toFixed(2)}`;
  const { total, ...reasons } = report.rejected;
  return [
    ...(withRules ? ['(alert transitions above, in order)'] : []),
    `samples   ${report.samples}`,
    `rejected  ${total} (${Object.entries(reasons)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')})`,
    `headers   ${report.headers} repeated header lines skipped`,
    `gaps      ${report.gaps} samples missing by seq`,
    `cpu       ${metric(report.cpu)}`,
    `ram       ${metric(report.ram)}`,
  ].join('\n');
}

/** Inputs at least this large get a progress bar (on a terminal). */
const PROGRESS_FROM_BYTES = 64 << 20;

/** A progress bar on stderr for large inputs on a terminal; call with -1 to clear it. */
function createProgress(total: number): ((bytes: number) => void) | undefined {
  if (!process.stderr.isTTY || total < PROGRESS_FROM_BYTES) return undefined;
  let shown = -1;
  return (bytes) => {
    if (bytes < 0) return void process.stderr.write('\r\x1b[K');
    const pct = Math.min(100, Math.floor((100 * bytes) / total));
    if (pct === shown) return;
    shown = pct;
    const bar = '#'.repeat(pct / 4).padEnd(25, '.');
    process.stderr.write(`\ranalyze [${bar}] ${pct}% of ${(total / 1048576).toFixed(0)} MiB`);
  };
}
