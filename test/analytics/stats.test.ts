import test from 'ava';
import { RollingWindow, Stats } from '../../apps/analytics/stats.js';

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
  b.restore(JSON.parse(JSON.stringify(a.save())));
  b.addSample(BASE + 9, 30.3, 40.4, 4);
  a.addSample(BASE + 9, 30.3, 40.4, 4);
  t.deepEqual(b.report(), a.report());
  t.is(b.window, null);
});
