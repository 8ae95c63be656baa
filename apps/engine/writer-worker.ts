// Writer thread: drains the ring in batches into the CSV sink. A failed write (EACCES, ENOSPC, …)
// is logged, retried with backoff, and never leaves a half line; meanwhile the ring fills and the
// producer applies the queue's full policy.
import { parentPort, workerData } from 'node:worker_threads';
import { describeCause } from '../../common/errors.js';
import { flushDue } from '../../common/flush-due.js';
import { MAX_ROW_BYTES, RowEncoder } from '../../common/csv-format.js';
import { sleepSync } from '../../common/sleep-sync.js';
import { CsvFileSink } from './csv-file-sink.js';
import { FIELDS, Ring } from './ring.js';
import { reportFailures, Counter, type WorkerData, type WorkerMessage } from './worker-protocol.js';

reportFailures('writer');
const data = workerData as WorkerData;
const { engine } = data.config;
const ring = Ring.attach(data.ring);
const counters = new Float64Array(data.counters);
const post = (m: WorkerMessage): void => parentPort!.postMessage(m);
const sink = new CsvFileSink({
  dir: data.config.data.dir,
  maxBytes: engine.rotate.maxBytes,
  keep: engine.rotate.keep,
  onLinkMovedAside: (aside) =>
    post({
      type: 'log',
      level: 'warn',
      message: 'telemetry.csv was a symbolic link; moved it aside and writing to a regular file (never through a link)',
      fields: { path: sink.path, movedTo: aside },
    }),
});

/** The main thread closed the ring: SIGINT/SIGTERM (read afresh each time: the other thread sets it). */
const stopping = (): boolean => ring.closed;

/** Runs `step` until it succeeds, logging the first failure and the recovery, backing off up to 10 s. */
function retry<T>(what: string, step: () => T): T {
  let delay = 100;
  let failedAt = 0;
  for (;;) {
    try {
      const result = step();
      if (failedAt)
        post({
          type: 'log',
          level: 'info',
          message: `${what} works again`,
          fields: { path: sink.path, afterMs: Date.now() - failedAt },
        });
      return result;
    } catch (err) {
      counters[Counter.writeErrors]! += 1;
      if (!failedAt) {
        failedAt = Date.now();
        post({
          type: 'log',
          level: 'error',
          message: `${what} failed, retrying with backoff; samples wait in the queue`,
          fields: { path: sink.path, error: describeCause(err) },
        });
      }
      // stopping (SIGTERM) while the file cannot be written: the queue's rows cannot go out
      if (stopping()) throw err;
      for (let slept = 0; slept < delay && !stopping(); slept += 100) sleepSync(100);
      delay = Math.min(delay * 2, 10_000);
    }
  }
}

const opened = retry('opening the CSV file', () => sink.open());
if (opened.cutBytes > 0)
  post({
    type: 'log',
    level: 'warn',
    message: 'cut a torn last line left by an interrupted write',
    fields: { path: sink.path, bytes: opened.cutBytes },
  });
if (opened.rotatedForeign)
  post({
    type: 'log',
    level: 'warn',
    message: 'existing CSV had another header; rotated it away',
    fields: { path: sink.path },
  });
counters[Counter.lastSeq] = opened.lastSeq;
post({ type: 'ready', worker: 'writer', lastSeq: opened.lastSeq });

// How often the writer checks that telemetry.csv is still the file it writes to.
const IDENTITY_CHECK_MS = 1000;
let checkedAt = Date.now();
let sinceCheck = 0;

/** A deleted or replaced telemetry.csv: log it, count what went to the lost file, start a new one. */
function checkIdentity(): void {
  checkedAt = Date.now();
  if (sink.isDetached()) {
    counters[Counter.orphaned]! += sinceCheck;
    post({
      type: 'log',
      level: 'warn',
      message: 'telemetry.csv was deleted or replaced under the engine; starting a new file',
      fields: { path: sink.path, orphanedRows: sinceCheck },
    });
    retry('opening the CSV file', () => sink.open());
  }
  sinceCheck = 0;
}

/** Drains the ring into the sink until it is closed and empty (a function, not module code: the JIT keeps its locals in registers). */
function drain(): void {
  const batchRecords = Math.min(engine.queue.capacity, 8192);
  const batch = new Float64Array(batchRecords * FIELDS);
  const bytes = Buffer.allocUnsafe(batchRecords * MAX_ROW_BYTES);
  const encoder = new RowEncoder();
  let lastSync = Date.now();
  for (;;) {
    const wait = sink.needsSync ? Math.max(0, lastSync + engine.fsyncMs - Date.now()) : Infinity;
    const n = ring.popBatch(batch, batchRecords, wait);
    if (n < 0) break;
    if (n > 0) {
      let end = 0;
      encoder.reset();
      for (let i = 0; i < n * FIELDS; i += FIELDS)
        end = encoder.encode(bytes, end, batch[i]!, batch[i + 1]!, batch[i + 2]!, batch[i + 3]!);
      const lines = bytes.subarray(0, end);
      retry('writing the CSV file', () => sink.append(lines));
      counters[Counter.written]! += n;
      sinceCheck += n;
      counters[Counter.bytes]! += end;
      counters[Counter.rotations] = sink.rotations;
      const last = (n - 1) * FIELDS;
      counters[Counter.lastTimestamp] = batch[last]!;
      counters[Counter.lastCpu] = batch[last + 1]!;
      counters[Counter.lastRam] = batch[last + 2]!;
      counters[Counter.lastSeq] = batch[last + 3]!;
    }
    if (Date.now() - checkedAt >= IDENTITY_CHECK_MS) checkIdentity();
    if (sink.needsSync && flushDue(Date.now(), lastSync, engine.fsyncMs, n > 0)) {
      retry('syncing the CSV file', () => sink.sync());
      lastSync = Date.now();
    }
  }
}

drain();
retry('closing the CSV file', () => sink.close());
post({ type: 'done', worker: 'writer' });
