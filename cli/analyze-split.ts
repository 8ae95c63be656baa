// `analyze` on several threads: a large file is cut at line boundaries into pieces, the threads
// claim them one at a time and read each like a file, and the results are appended in file order.
//
// A piece cannot know the column mapping in force where it starts (a repeated header may reorder
// the columns mid-file). Each one is read assuming the file's first mapping; when the piece before
// it ends under another mapping, it is read again with that one. So the result never rests on a
// guess, and a file whose header never changes is read exactly once.
import { closeSync, openSync, readSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { FileUnreadableError } from '../common/errors.js';
import { Ingest } from '../apps/analytics/ingest.js';
import { LineParser, type Mapping } from '../apps/analytics/source/parse-line.js';
import { readFileOnce, type ByteRange } from '../apps/analytics/source/read-file.js';
import { lineChunk } from '../apps/analytics/source/read-lines.js';
import type { StatsPart } from '../apps/analytics/stats.js';

/** What reading one stretch gives: its statistics and the mapping in force at its end. */
export interface StretchResult {
  stats: StatsPart;
  mapping: Mapping | null;
}

/** What an analyze-worker thread tells the main thread. */
export type StretchMessage =
  | { type: 'progress'; bytes: number }
  | { type: 'done'; k: number; result: StretchResult }
  | { type: 'failed'; cause: string };

/** One file cut into pieces for threads to claim one at a time: a thread that starts late or runs slow takes fewer. */
export interface PiecesJob {
  file: string;
  pieces: ByteRange[];
  /** The mapping every piece is first read with: the file's first. */
  assumed: Mapping | null;
  /** Samples stamped after this are out of range (the reader's clock, as Ingest.setClock). */
  horizon: number;
  /** --from/--to (see Ingest.since and until). */
  since: number;
  until: number;
  maxLineBytes: number;
  /** How many pieces have been claimed, shared by all threads (one Int32). */
  claimed: SharedArrayBuffer;
}

/** Reads one stretch exactly as a single pass over the whole file would read those lines, if `mapping` is the one in force where it starts. */
export function readStretch(
  job: PiecesJob,
  range: ByteRange,
  mapping: Mapping | null,
  chunk = lineChunk(job.maxLineBytes),
  progress?: (bytes: number) => void,
): StretchResult {
  const ingest = new Ingest(null);
  ingest.horizon = job.horizon;
  ingest.since = job.since;
  ingest.until = job.until;
  ingest.parser.restore({ mapping });
  readFileOnce(job.file, ingest, job.maxLineBytes, chunk, progress, range);
  return { stats: ingest.stats.part(), mapping: ingest.parser.save().mapping };
}

/** Claims pieces and reads them until none is left; `progress` gets the bytes this thread has read. */
export function readPieces(
  job: PiecesJob,
  done: (k: number, result: StretchResult) => void,
  progress?: (bytes: number) => void,
): void {
  const claimed = new Int32Array(job.claimed);
  const chunk = lineChunk(job.maxLineBytes);
  let before = 0;
  const read = progress && ((bytes: number): void => progress(before + bytes));
  for (let k = Atomics.add(claimed, 0, 1); k < job.pieces.length; k = Atomics.add(claimed, 0, 1)) {
    const piece = job.pieces[k]!;
    done(k, readStretch(job, piece, job.assumed, chunk, read));
    before += piece.end - piece.start;
  }
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
    for (let k = 0; k + 1 < starts.length; k++)
      if (starts[k + 1]! > starts[k]!) ranges.push({ start: starts[k]!, end: starts[k + 1]! });
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
    for (
      let start = 0, nl = data.indexOf(10);
      nl >= 0 && parser.mapping === null;
      start = nl + 1, nl = data.indexOf(10, start)
    )
      parser.parse(data, start, nl);
    return parser.mapping;
  } catch (err) {
    throw new FileUnreadableError(file, err);
  } finally {
    closeSync(fd);
  }
}

function sameMapping(a: Mapping | null, b: Mapping | null): boolean {
  return (
    a === b ||
    (a !== null &&
      b !== null &&
      a.timestamp === b.timestamp &&
      a.cpu === b.cpu &&
      a.ram === b.ram &&
      a.seq === b.seq &&
      a.fields === b.fields)
  );
}

/**
 * The pieces' results in file order, each read with `assumed` (`first`); a piece after one that
 * ended under another mapping is read again with that one.
 */
export function inFileOrder(
  pieces: ByteRange[],
  assumed: Mapping | null,
  first: StretchResult[],
  readAgain: (range: ByteRange, mapping: Mapping | null) => StretchResult,
): StretchResult[] {
  const results: StretchResult[] = [];
  let mapping: Mapping | null = null;
  for (let k = 0; k < pieces.length; k++) {
    const result: StretchResult = k === 0 || sameMapping(mapping, assumed) ? first[k]! : readAgain(pieces[k]!, mapping);
    results.push(result);
    mapping = result.mapping;
  }
  return results;
}

/** A file is cut into pieces of about this size for its threads (each costs a few ms to set up). */
export const PIECE_BYTES = 16 << 20;

/**
 * Reads one regular file on `threads` threads (this one and workers), which claim its pieces one
 * at a time, and appends what they counted to `ingest`. Returns how many pieces each thread read
 * (this thread's first).
 */
export async function readInThreads(
  file: string,
  size: number,
  threads: number,
  ingest: Ingest,
  maxLineBytes: number,
  progress?: (bytes: number) => void,
  pieceBytes = PIECE_BYTES,
): Promise<number[]> {
  const pieces = splitAtLines(file, size, Math.ceil(size / pieceBytes));
  const job: PiecesJob = {
    file,
    pieces,
    assumed: firstMapping(file),
    horizon: ingest.horizon,
    since: ingest.since,
    until: ingest.until,
    maxLineBytes,
    claimed: new SharedArrayBuffer(4),
  };
  const byThread = new Array<number>(threads).fill(0);
  const first = new Array<StretchResult>(pieces.length);
  let got = 0;
  let read = 0;
  const workers: Worker[] = [];
  await new Promise<void>((resolve, reject) => {
    const fail = (err: Error): void => {
      for (const w of workers) void w.terminate();
      reject(err);
    };
    const done = (thread: number, k: number, result: StretchResult): void => {
      first[k] = result;
      byThread[thread]!++;
      if (++got === pieces.length) resolve();
    };
    for (let thread = 1; thread < threads; thread++) {
      const worker = new Worker(new URL('./analyze-worker.js', import.meta.url), { workerData: job });
      workers.push(worker);
      worker.on('message', (m: StretchMessage) => {
        if (m.type === 'progress') progress?.((read += m.bytes));
        else if (m.type === 'done') done(thread, m.k, m.result);
        else fail(new FileUnreadableError(file, m.cause));
      });
      worker.on('error', fail);
      worker.on(
        'exit',
        (code) => code !== 0 && fail(new FileUnreadableError(file, `its reading thread ended with code ${code}`)),
      );
    }
    // this thread takes pieces too, from the next turn of the event loop: the workers are starting by then
    setImmediate(() => {
      let last = 0;
      try {
        readPieces(
          job,
          (k, result) => done(0, k, result),
          (bytes) => {
            progress?.((read += bytes - last));
            last = bytes;
          },
        );
      } catch (err) {
        fail(err as Error);
      }
    });
  });
  const results = inFileOrder(pieces, job.assumed, first, (range, mapping) => readStretch(job, range, mapping));
  for (const r of results) ingest.stats.absorb(r.stats);
  ingest.parser.restore({ mapping: results.at(-1)?.mapping ?? null });
  return byThread;
}
