import test from 'ava';
import { Worker } from 'node:worker_threads';
import { FIELDS, Push, Ring } from '../../apps/engine/ring.js';
import { waitFor } from '../helpers.js';

test('pops in order, in batches, across the wrap-around', (t) => {
  const ring = Ring.create(5);
  const out = new Float64Array(3 * FIELDS);
  let next = 0;
  let expected = 0;
  for (let round = 0; round < 20; round++) {
    while (ring.push(next, next % 100, 50, next, false) === Push.Ok) next++;
    t.is(ring.depth, 5);
    const n = ring.popBatch(out, 3, 0);
    t.is(n, 3);
    for (let i = 0; i < n; i++) {
      t.is(out[i * FIELDS + 3], expected);
      t.is(out[i * FIELDS], expected++);
    }
  }
});

test('batches: room is the free slots up to max, put + commit hand a batch over at once, across the wrap-around', (t) => {
  const ring = Ring.create(7);
  const out = new Float64Array(7 * FIELDS);
  let next = 0;
  let expected = 0;
  for (let round = 0; round < 30; round++) {
    const room = ring.room(1 + (round % 5), false);
    t.is(room, Math.min(1 + (round % 5), 7 - ring.depth));
    const before = ring.depth;
    for (let k = 0; k < room; k++) ring.put(k, next + k, 1, 2, next + k);
    t.is(ring.depth, before, 'nothing visible before commit');
    ring.commit(room);
    next += room;
    t.is(ring.depth, before + room);
    const n = ring.popBatch(out, round % 3, 0);
    for (let i = 0; i < n; i++) t.is(out[i * FIELDS + 3], expected++);
  }
  while (ring.room(7, false) > 0) {
    ring.put(0, next, 1, 2, next);
    ring.commit(1);
    next++;
  }
  t.is(ring.room(7, false), 0, 'full: no room without block');
  ring.close();
  t.is(ring.room(7, false), -1);
  for (let n = ring.popBatch(out, 7, 0); n > 0; n = ring.popBatch(out, 7, 0))
    for (let i = 0; i < n; i++) t.is(out[i * FIELDS + 3], expected++);
  t.is(expected, next, 'every record once, in order');
});

test('full without block returns Full and keeps contents; empty returns 0 after the timeout', (t) => {
  const ring = Ring.create(2);
  const out = new Float64Array(2 * FIELDS);
  t.is(ring.popBatch(out, 2, 0), 0);
  t.is(ring.popBatch(out, 2, 5), 0);
  t.is(ring.push(1, 1, 1, 1, false), Push.Ok);
  t.is(ring.push(2, 2, 2, 2, false), Push.Ok);
  t.is(ring.push(3, 3, 3, 3, false), Push.Full);
  t.is(ring.popBatch(out, 2, 0), 2);
  t.deepEqual([out[0], out[4]], [1, 2]);
});

test('close refuses pushes; the batch being put when it came is still handed over; -1 only once the producer ended', (t) => {
  const ring = Ring.create(4);
  const out = new Float64Array(4 * FIELDS);
  ring.push(1, 1, 1, 1, true);
  const room = ring.room(2, true); // the producer has room for a batch…
  ring.close(); // …when another thread asks it to stop
  t.true(ring.closed);
  t.is(ring.push(2, 2, 2, 2, true), Push.Closed);
  t.is(ring.room(1, true), -1);
  t.is(ring.popBatch(out, 4, 0), 1);
  t.is(ring.popBatch(out, 4, 5), 0, 'closed but not ended: more may come');
  ring.put(0, 3, 3, 3, 3);
  ring.put(1, 4, 4, 4, 4);
  ring.commit(room);
  ring.end();
  t.is(ring.popBatch(out, 4, 0), 2);
  t.deepEqual([out[3], out[7]], [3, 4]);
  t.is(ring.popBatch(out, 4, 1000), -1);
});

function spawnRingWorker(role: string, ring: Ring, extra: Record<string, unknown>): Worker {
  return new Worker(new URL('../fixtures/ring-worker.js', import.meta.url), {
    workerData: { role, ring: ring.buffer, ...extra },
  });
}

const message = <T>(w: Worker): Promise<T> =>
  new Promise((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });

test('end wakes a consumer waiting on empty, and close a producer blocked on full', async (t) => {
  const empty = Ring.create(4);
  const consumer = spawnRingWorker('wait-pop', empty, {});
  t.is(await message<string>(consumer), 'waiting');
  const popped = message<number>(consumer);
  await waitFor('the consumer asleep', () => empty.sleeping.consumer);
  empty.end();
  t.is(await popped, -1);

  const full = Ring.create(2);
  full.push(1, 1, 1, 1, false);
  full.push(2, 2, 2, 2, false);
  const producer = spawnRingWorker('wait-push', full, {});
  t.is(await message<string>(producer), 'waiting');
  const pushed = message<number>(producer);
  await waitFor('the producer asleep', () => full.sleeping.producer);
  full.close();
  t.is(await pushed, Push.Closed);
});

test('10M records across threads arrive once, in order, with a matching checksum', async (t) => {
  const count = 10_000_000;
  const ring = Ring.create(1024);
  const producer = spawnRingWorker('produce', ring, { count });
  const consumer = spawnRingWorker('consume', ring, {});
  const [sent, got] = await Promise.all([
    message<{ sum: number }>(producer),
    message<{ sum: number; count: number; ordered: boolean; maxBatch: number }>(consumer),
  ]);
  t.is(got.count, count);
  t.true(got.ordered);
  t.is(got.sum, sent.sum);
  t.true(got.maxBatch > 1, 'batch pops happened');
});
