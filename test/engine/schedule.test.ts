import test from 'ava';
import fc from 'fast-check';
import { planTick } from '../../apps/engine/schedule.js';
import { flushDue } from '../../common/flush-due.js';

test('slots are due at start + k·interval; late ticks are skipped, never burst', (t) => {
  const start = 1_000;
  const table: [k: number, now: number, expected: { k: number; skipped: number; delay: number }][] = [
    [0, 1_000, { k: 0, skipped: 0, delay: 100 }],
    [1, 1_103, { k: 1, skipped: 0, delay: 97 }], // a little late: next stays on the grid
    [2, 1_199, { k: 2, skipped: 0, delay: 101 }], // early wake-up: no skip
    [3, 1_550, { k: 5, skipped: 2, delay: 50 }], // 250 ms late: slots 3 and 4 skipped
    [6, 1_600, { k: 6, skipped: 0, delay: 100 }],
  ];
  for (const [k, now, expected] of table) t.deepEqual(planTick(start, 100, k, now), expected, `k=${k} now=${now}`);
});

/** The writer's loop over rows written at `times` (sorted): when it syncs, and how many times it wakes. */
function simulateWriter(times: number[], fsyncMs: number): { syncs: number[]; wakeups: number } {
  const syncs: number[] = [];
  let lastSync = -Infinity;
  let dirty = false;
  let wakeups = 0;
  for (const t of times) {
    // waiting for the next row, it wakes at lastSync + fsyncMs when something is unsynced
    if (dirty && lastSync + fsyncMs < t) {
      wakeups++;
      if (flushDue(lastSync + fsyncMs, lastSync, fsyncMs, false)) syncs.push((lastSync += fsyncMs));
    }
    wakeups++;
    dirty = true;
    if (flushDue(t, lastSync, fsyncMs, true)) {
      syncs.push((lastSync = t));
      dirty = false;
    }
  }
  if (dirty) syncs.push(lastSync + fsyncMs);
  return { syncs, wakeups };
}

test('the writer syncs every row within fsyncMs; at 1 Hz it syncs each row in the wake-up that writes it', (t) => {
  t.true(flushDue(1_500, 1_000, 1_000, true), 'a write half a period after the last sync syncs');
  t.false(flushDue(1_499, 1_000, 1_000, true));
  t.true(flushDue(900, 1_000, 1_000, false), 'a clock set back before the last sync: due at once, not after the step');
  t.false(flushDue(1_999, 1_000, 1_000, false), 'a timed wake-up syncs a full period after');
  t.true(flushDue(2_000, 1_000, 1_000, false));
  t.true(flushDue(5, 5, 0, true), 'fsyncMs 0: every write');
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 100_000 }), { minLength: 1, maxLength: 200 }),
      fc.constantFrom(0, 250, 1000, 5000),
      (raw, fsyncMs) => {
        const times = [...raw].sort((a, b) => a - b);
        const { syncs } = simulateWriter(times, fsyncMs);
        for (const row of times)
          t.true(
            syncs.some((s) => s >= row && s - row <= fsyncMs),
            `row at ${row} synced within ${fsyncMs} ms`,
          );
      },
    ),
    { numRuns: 300, seed: 14 },
  );
  const hertz = Array.from({ length: 60 }, (_, i) => i * 1000 + (i % 3)); // 1 Hz, a little jitter
  t.is(simulateWriter(hertz, 1000).wakeups, 60, 'one wake-up a row');
});
