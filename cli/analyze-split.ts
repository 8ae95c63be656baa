// `analyze` on several threads: a large file is cut at line boundaries into one stretch per
// thread, each stretch is read like a file, and the results are appended in file order.
//
// A stretch cannot know the column mapping in force where it starts (a repeated header may
// reorder the columns mid-file). Each one is read assuming the file's first mapping; when the
// stretch before it ends under another mapping, it is read again with that one. So the result
// never rests on a guess, and a file whose header never changes is read exactly once.
import { closeSync, openSync, readSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { FileUnreadableError } from '../common/errors.js';
import { Ingest } from '../apps/analytics/ingest.js';
import { LineParser, type Mapping } from '../apps/analytics/source/parse-line.js';
import { readFileOnce, type ByteRange } from '../apps/analytics/source/read-file.js';
import { lineChunk } from '../apps/analytics/source/read-lines.js';
import type { StretchMessage } from './analyze-worker.js';
import type { StatsPart } from '../apps/analytics/stats.js';

/** What reading one stretch gives: its statistics and the mapping in force at its end. */
export interface StretchResult {
  stats: StatsPart;
  mapping: Mapping | null;
}

/** Reads `range` with the parser's mapping set to `mapping` (null: as at the start of a file). */
export type ReadStretch = (range: ByteRange, mapping: Mapping | null) => Promise<StretchResult>;

export interface StretchJob {
  file: string;
  range: ByteRange;
  mapping: Mapping | null;
  /** Samples stamped after this are out of range (the reader's clock, as Ingest.setClock). */
  horizon: number;
  maxLineBytes: number;
}

/** Reads one stretch exactly as a single pass over the whole file would read those lines. */
export function readStretch(job: StretchJob, progress?: (bytes: number) => void): StretchResult {
  const ingest = new Ingest(null);
  ingest.horizon = job.horizon;
  ingest.parser.restore({ mapping: job.mapping });
  readFileOnce(job.file, ingest, job.maxLineBytes, lineChunk(job.maxLineBytes), progress, job.range);
  return { stats: ingest.stats.part(), mapping: ingest.parser.save().mapping };
}

const PROBE_BYTES = 64 * 1024;

/**
 * `parts` ranges covering [0, size) of `file`, each starting at 0 or just after a `\n` (empty
 * ones dropped): the cut near k·size/parts moves forward to the next line start.
 */
export function splitAtLines(file: string, size: number, parts: number): ByteRange[] {
  const fd = openSync(file, 'r');
  try {
    const probe = Buffer.allocUnsafe(PROBE_BYTES);
    const starts = [0];
    for (let k = 1; k < parts; k++) {
      let at = Math.max(starts.at(-1)!, Math.floor((k * size) / parts) - 1);
      let start = size;
      while (at < size) {
        const n = readSync(fd, probe, 0, PROBE_BYTES, at);
        if (n === 0) break;
        const nl = probe.subarray(0, n).indexOf(10);
        if (nl >= 0) {
          start = at + nl + 1;
          break;
        }
        at += n;
      }
      starts.push(start);
    }
    starts.push(size);
    const ranges: ByteRange[] = [];
    for (let k = 0; k + 1 < starts.length; k++) if (starts[k + 1]! > starts[k]!) ranges.push({ start: starts[k]!, end: starts[k + 1]! });
    return ranges;
  } catch (err) {
    throw new FileUnreadableError(file, err);
  } finally {
    closeSync(fd);
  }
}

/** The mapping the file's first lines set (what every later stretch assumes), or null. */
export function firstMapping(file: string): Mapping | null {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.allocUnsafe(PROBE_BYTES);
    const data = head.subarray(0, readSync(fd, head, 0, PROBE_BYTES, 0));
    const parser = new LineParser();
    for (let start = 0, nl = data.indexOf(10); nl >= 0 && parser.mapping === null; start = nl + 1, nl = data.indexOf(10, start)) parser.parse(data, start, nl);
    return parser.mapping;
  } catch (err) {
    throw new FileUnreadableError(file, err);
  } finally {
    closeSync(fd);
  }
}

function sameMapping(a: Mapping | null, b: Mapping | null): boolean {
  return a === b || (a !== null && b !== null && a.timestamp === b.timestamp && a.cpu === b.cpu && a.ram === b.ram && a.seq === b.seq && a.fields === b.fields);
}

/** Reads all stretches at once, then appends them in order, re-reading any whose assumed start mapping was wrong. */
export async function readStretches(ranges: ByteRange[], assumed: Mapping | null, read: ReadStretch): Promise<StretchResult[]> {
  const first = await Promise.all(ranges.map((range, k) => read(range, k === 0 ? null : assumed)));
  const results: StretchResult[] = [];
  let mapping: Mapping | null = null;
  for (let k = 0; k < ranges.length; k++) {
    const result: StretchResult = k === 0 || sameMapping(mapping, assumed) ? first[k]! : await read(ranges[k]!, mapping);
    results.push(result);
    mapping = result.mapping;
  }
  return results;
}

/**
 * Reads one regular file in up to `threads` stretches at once, each on a worker thread, and
 * appends what they counted to `ingest`. Returns the number of stretches.
 */
export async function readInThreads(file: string, size: number, threads: number, ingest: Ingest, maxLineBytes: number, progress?: (bytes: number) => void): Promise<number> {
  let read = 0;
  const readInWorker: ReadStretch = (range, mapping) =>
    new Promise((resolve, reject) => {
      const job: StretchJob = { file, range, mapping, horizon: ingest.horizon, maxLineBytes };
      const worker = new Worker(new URL('./analyze-worker.js', import.meta.url), { workerData: job });
      worker.on('message', (m: StretchMessage) => {
        if (m.type === 'progress') progress?.((read += m.bytes));
        else if (m.type === 'done') resolve(m.result);
        else reject(new FileUnreadableError(file, m.cause));
      });
      worker.on('error', reject);
      worker.on('exit', (code) => reject(new FileUnreadableError(file, `its reading thread ended with code ${code} and no result`)));
    });
  const results = await readStretches(splitAtLines(file, size, threads), firstMapping(file), readInWorker);
  for (const r of results) ingest.stats.absorb(r.stats);
  ingest.parser.restore({ mapping: results.at(-1)?.mapping ?? null });
  return results.length;
}
