import test from 'ava';
import { planTick } from '../../apps/engine/schedule.js';

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
