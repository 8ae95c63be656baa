// Hostile timestamps: rows no Date can hold, and rows far ahead of the reader's clock.
import test from 'ava';
import { Ingest, MAX_AHEAD_MS } from '../../apps/analytics/ingest.js';

const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);

function feed(ingest: Ingest, lines: string[]): void {
  for (const line of lines) {
    const buf = Buffer.from(line);
    ingest.line(buf, 0, buf.length);
  }
}

test('a timestamp a Date cannot hold (above 8.64e15 ms) is rejected as range, in both parser paths', (t) => {
  for (const line of ['99999999999999999,50,50,1', '8640000000000001,50,50,1', '9e15,50,50,1']) {
    const ingest = new Ingest(60_000);
    feed(ingest, ['timestamp,cpu,ram,seq', line]);
    t.deepEqual([ingest.stats.samples, ingest.stats.rejected.range], [0, 1], line);
  }
  const ingest = new Ingest(60_000);
  feed(ingest, ['timestamp,cpu,ram,seq', '8640000000000000,50,50,1']);
  t.is(ingest.stats.samples, 1, 'the last time a Date holds is fine');
});

test('a row one day ahead of the clock is rejected as range; the window keeps moving with the rows after it', (t) => {
  const ingest = new Ingest(60_000);
  ingest.setClock(NOW);
  const row = (ts: number, seq: number): string => `${ts},50.00,40.00,${seq}`;
  feed(ingest, ['timestamp,cpu,ram,seq', row(NOW - 2000, 1), row(NOW + 86_400_000, 2), row(NOW + MAX_AHEAD_MS, 3)]);
  t.deepEqual([ingest.stats.samples, ingest.stats.rejected.range], [2, 1]);
  for (let i = 0; i < 30; i++) {
    ingest.setClock(NOW + MAX_AHEAD_MS + i * 1000);
    feed(ingest, [row(NOW + MAX_AHEAD_MS + i * 1000, 4 + i)]);
  }
  t.is(ingest.stats.window!.summary().count, 31, 'the window follows the rows (row 3 and the 30 after it), not the far-future one');
});
