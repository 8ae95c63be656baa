// Producer thread: samples on a drift-free schedule (or as fast as the queue allows) and pushes
// into the ring. Stops on `stop`, when the ring is closed, or after `engine.limit` samples.
import { parentPort, workerData } from 'node:worker_threads';
import { Push, Ring } from './ring.js';
import { planTick } from './schedule.js';
import { SeqMark } from './seq-mark.js';
import { createSource } from './sources.js';
import { reportFailures, Counter, type MainMessage, type WorkerData, type WorkerMessage } from './worker-protocol.js';

reportFailures('producer');
const data = workerData as WorkerData;
const { intervalMs, limit, queue } = data.config.engine;
const ring = Ring.attach(data.ring);
const counters = new Float64Array(data.counters);
const sample = createSource(data.config.engine);
const block = queue.whenFull === 'block';
let seq = data.startSeq;
let timer: NodeJS.Timeout | undefined;
const mark = new SeqMark(data.config.data.dir);
// In a burst the mark is written, and the counts published to the shared counters, every
// MARK_EVERY samples: a syscall per sample would halve the rate, and a shared write per sample
// bounces a cache line between the threads.
const MARK_EVERY = intervalMs === 0 ? 256 : 1;
let produced = 0;
let dropped = 0;

const post = (m: WorkerMessage): void => parentPort!.postMessage(m);

function publish(): void {
  counters[Counter.produced] = produced;
  counters[Counter.dropped] = dropped;
  counters[Counter.blockedMs] = ring.blockedMs;
}

/** Takes one sample and queues it; false when production is over. */
function produceOne(): boolean {
  const { cpu, ram } = sample();
  const result = ring.push(Date.now(), cpu, ram, seq, block);
  if (result === Push.Closed) return false;
  if (result === Push.Full) dropped++;
  return advance(1);
}

/**
 * Counts `n` samples just taken from `seq` on; each time the seq passes a multiple of MARK_EVERY,
 * writes the mark and publishes the counts. False when production is over.
 */
function advance(n: number): boolean {
  const last = seq + n - 1;
  produced += n;
  if (Math.floor(last / MARK_EVERY) !== Math.floor((seq - 1) / MARK_EVERY)) {
    mark.write(last);
    publish();
  }
  seq += n;
  return limit === 0 || produced < limit;
}

/** Samples per batch in a burst: queued with one atomic step and stamped with one clock reading (a batch takes microseconds). */
const BURST_BATCH = 64;

/** A burst: a batch of samples as fast as the queue takes them; false when production is over. */
function produceBatch(): boolean {
  const room = ring.room(BURST_BATCH, block);
  if (room < 0) return false;
  if (room === 0) return produceOne(); // full under whenFull: drop: a sample taken and dropped, counted
  const n = limit === 0 ? room : Math.min(room, limit - produced);
  const now = Date.now();
  for (let k = 0; k < n; k++) {
    const { cpu, ram } = sample();
    ring.put(k, now, cpu, ram, seq + k);
  }
  ring.commit(n);
  return advance(n);
}

function finish(): void {
  if (timer) clearTimeout(timer);
  publish();
  mark.write(seq - 1);
  mark.close();
  // The last batch is committed: the writer drains the rest and reports done.
  ring.end();
  post({ type: 'done', worker: 'producer' });
  parentPort!.close();
}

function runBurst(): void {
  while (produceBatch());
  finish();
}

function runScheduled(): void {
  const start = Date.now();
  let k = 0;
  const tick = (): void => {
    const plan = planTick(start, intervalMs, k, Date.now());
    counters[Counter.skippedTicks]! += plan.skipped;
    k = plan.k + 1;
    if (!produceOne()) {
      finish();
      return;
    }
    timer = setTimeout(tick, plan.delay);
  };
  tick();
}

// The only message from the main thread is `stop`.
parentPort!.on('message', (_: MainMessage) => finish());
post({ type: 'ready', worker: 'producer', lastSeq: seq - 1 });
if (intervalMs === 0) setImmediate(runBurst);
else runScheduled();
