// The `over` window against a brute-force aggregate, at rates with many samples per millisecond:
// one entry per millisecond, and nothing lost.
import test from 'ava';
import { WindowAggregate } from '../../../apps/analytics/rules/window-aggregate.js';
import { roundTrip } from '../../helpers.js';

/** The aggregate of the samples in (t − span, t], the slow and obvious way (sums in millionths, as the window). */
function brute(kind: 'avg' | 'min' | 'max', samples: [number, number][], t: number, span: number): number {
  const inside = samples.filter(([at]) => at > t - span && at <= t).map(([, v]) => v);
  if (kind === 'min') return Math.min(...inside);
  if (kind === 'max') return Math.max(...inside);
  return inside.reduce((s, v) => s + Math.round(v * 1e6), 0) / (inside.length * 1e6);
}

for (const kind of ['avg', 'min', 'max'] as const) {
  test(`${kind}: equals the brute-force aggregate with up to 50 samples per millisecond, and keeps one entry per millisecond at most`, (t) => {
    let seed = 11;
    const rand = (n: number): number => (seed = (seed * 48271) % 2147483647) % n;
    const span = 200;
    const w = new WindowAggregate(kind, span);
    const samples: [number, number][] = [];
    let at = 1_700_000_000_000;
    for (let i = 0; i < 5000; i++) {
      if (rand(50) === 0) at += 1 + rand(30); // a burst shares a millisecond, then time moves on
      const value = rand(10001) / 100;
      samples.push([at, value]);
      t.is(w.push(at, value), brute(kind, samples, at, span), `sample ${i}`);
    }
    const saved = roundTrip(w.save());
    const distinct = new Set(samples.filter(([s]) => s > at - span).map(([s]) => s)).size;
    t.true(saved.length <= distinct, `${saved.length} entries for ${distinct} milliseconds`);
    // a restart rebuilds the same window: the next sample gives the same answer
    const again = new WindowAggregate(kind, span);
    again.restore(saved);
    t.is(again.push(at + 1, 50), w.push(at + 1, 50));
  });
}

for (const kind of ['avg', 'min', 'max'] as const) {
  test(`${kind}: a burst of a million samples in 100 ms keeps 100 entries at most, not a million`, (t) => {
    const w = new WindowAggregate(kind, 60_000);
    // values falling within each millisecond: every one a better min candidate than the last
    for (let i = 0; i < 1_000_000; i++) w.push(1_700_000_000_000 + Math.floor(i / 10_000), 100 - (i % 10_000) / 100);
    t.true(w.save().length <= 100, `${w.save().length} entries`);
  });

  test(`${kind}: a sample stamped before the newest starts the window again (what it held would never leave)`, (t) => {
    const w = new WindowAggregate(kind, 60_000);
    w.push(1_000_000, 10);
    w.push(1_000_500, 30);
    t.is(w.push(999_000, 70), 70);
    t.is(w.push(999_100, 90), kind === 'min' ? 70 : kind === 'max' ? 90 : 80);
    t.is(w.save().length, kind === 'max' ? 1 : 2, 'the entries since');
  });
}

test('within one millisecond a worse candidate is never kept: min and max hold one entry', (t) => {
  const max = new WindowAggregate('max', 60_000);
  const min = new WindowAggregate('min', 60_000);
  for (let i = 0; i < 1000; i++) {
    max.push(1_700_000_000_000, 100 - i / 100); // falling: each one worse for max
    min.push(1_700_000_000_000, i / 100); // rising: each one worse for min
  }
  t.deepEqual(max.save(), [[1_700_000_000_000, 100]]);
  t.deepEqual(min.save(), [[1_700_000_000_000, 0]]);
});
