import test from 'ava';
import { RollingWindow, Stats } from '../../apps/analytics/stats.js';
import { roundTrip } from '../helpers.js';

const BASE = 1_700_000_000_000;

test('the rolling window covers the last windowMs of sample time, at a resolution of windowMs/60', (t) => {
  const w = new RollingWindow(60_000);
  for (let i = 0; i < 120; i++) w.add(BASE + i * 1000, i / 2, 100 - i / 2);
  const s = w.summary();
  t.is(s.count, 60);
  t.deepEqual(s.cpu, { avg: (30 + 59.5) / 2, min: 30, max: 59.5 });
  t.deepEqual(s.ram, { avg: 100 - (30 + 59.5) / 2, min: 40.5, max: 70 });
  w.add(BASE, 5, 5); // older than the window: ignored
  t.is(w.summary().count, 60);
});

test('seq gaps and restarts; save and restore continue the totals exactly', (t) => {
  const a = new Stats(60_000);
  for (const seq of [1, 2, 5, 6, 1, 2]) a.addSample(BASE + seq, 10.1, 20.2, seq);
  t.is(a.gaps, 2);
  t.is(a.seqRestarts, 1);
  const b = new Stats(null);
  b.restore(roundTrip(a.save()));
  b.addSample(BASE + 9, 30.3, 40.4, 4);
  a.addSample(BASE + 9, 30.3, 40.4, 4);
  t.deepEqual(b.report(), a.report());
  t.is(b.window, null);
});

test('sums are exact: the same values in any order, or counted in parts and appended, give one total and mean', (t) => {
  let seed = 99;
  const rand = (): number => (seed = (seed * 48271) % 2147483647) % 10001;
  const values = Array.from({ length: 20_000 }, () => rand() / 100);
  const forward = new Stats(null);
  const backward = new Stats(null);
  values.forEach((v, i) => forward.addSample(BASE + i, v, 100 - v, NaN));
  [...values].reverse().forEach((v, i) => backward.addSample(BASE + i, v, 100 - v, NaN));
  const hundredths = values.reduce((s, v) => s + Math.round(v * 100), 0);
  t.is(forward.cpu.sum, hundredths / 100);
  t.is(backward.cpu.sum, forward.cpu.sum);
  t.deepEqual(backward.report(), forward.report());
  t.is(forward.report().cpu.avg, hundredths / (100 * values.length));
  const halves = [new Stats(null), new Stats(null)];
  values.forEach((v, i) => halves[i < 7_777 ? 0 : 1]!.addSample(BASE + i, v, 100 - v, NaN));
  halves[0]!.absorb(halves[1]!.part());
  t.deepEqual(halves[0]!.report(), forward.report());
  const small = new Stats(null); // 2.01 * 1e6 is 2009999.9999999998 in floating point
  small.addSample(BASE, 2.01, 0, NaN);
  small.addSample(BASE, 2.03, 0, NaN);
  t.is(small.cpu.sum, 4.04);
  t.is(small.report().cpu.avg, 2.02);
});

test('absorb: seq gaps and restarts at the seam count as in one pass; sums carry past 2^52 millionths', (t) => {
  const whole = new Stats(null);
  const first = new Stats(null);
  const second = new Stats(null);
  const third = new Stats(null); // no seq column at all: the seam is judged against the next part with one
  for (const seq of [1, 2, 3]) [whole, first].forEach((s) => s.addSample(BASE + seq, 1, 1, seq));
  for (const seq of [7, 8, 2]) [whole, second].forEach((s) => s.addSample(BASE + seq, 1, 1, seq));
  third.addSample(BASE, 1, 1, NaN);
  whole.addSample(BASE, 1, 1, NaN);
  first.absorb(second.part());
  first.absorb(third.part());
  t.deepEqual(first.report(), whole.report());
  t.is(first.gaps, 3);
  t.is(first.seqRestarts, 1);
  const big = new Stats(null);
  const near = { count: 1, micros: 2 ** 52 - 1, carries: 0, min: 1, max: 1 };
  const part = { ...new Stats(null).part(), cpu: near, ram: near };
  big.absorb(part);
  big.absorb(part);
  t.is(big.cpu.carries, 1);
  t.is(big.cpu.micros, 2 ** 52 - 2);
  t.is(big.cpu.sum, (2 ** 53 - 2) / 1e6);
});

test('an implausible seq (a jump over 2^32, or beyond 2^53) is a restart, not billions of missed samples', (t) => {
  const a = new Stats(null);
  for (const seq of [1, 2, 18446744073709551616, 3, 4]) a.addSample(BASE + 1, 10, 20, seq);
  t.is(a.gaps, 0);
  t.is(a.seqRestarts, 1, 'the row beyond 2^53 only');
  a.addSample(BASE + 2, 10, 20, 4 + 2 ** 32 + 1);
  t.is(a.gaps, 0);
  t.is(a.seqRestarts, 2);
  a.addSample(BASE + 3, 10, 20, 4 + 2 ** 32 + 1 + 2 ** 32);
  t.is(a.gaps, 2 ** 32 - 1, 'a jump of exactly 2^32 is still samples missed');
  const saved = roundTrip(a.save());
  t.true(Number.isSafeInteger(saved.gaps) && Number.isSafeInteger(saved.lastSeq ?? 0));
});
