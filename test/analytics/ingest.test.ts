// Hostile timestamps: rows no Date can hold, and rows far ahead of the reader's clock.
import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ingest, MAX_AHEAD_MS } from '../../apps/analytics/ingest.js';
import { readFileOnce } from '../../apps/analytics/source/read-file.js';
import { tempDir } from '../helpers.js';

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
  t.is(
    ingest.stats.window!.summary().count,
    31,
    'the window follows the rows (row 3 and the 30 after it), not the far-future one',
  );
});

/** Ingest with the fast lane closed: every line one by one through parse(), the general way. */
class OneByOne extends Ingest {
  override lines(_buf: Buffer, start: number): number {
    return start;
  }
}

test('the fast lane through runs of plain lines judges exactly as the line-by-line path, too-long lines included', async (t) => {
  let seed = 5;
  const rand = (n: number): number => (seed = (seed * 48271) % 2147483647) % n;
  const kinds = [
    () => `${1_700_000_000_000 + rand(1e6)},${rand(10001) / 100},${rand(10001) / 100},${rand(100)}`,
    () => `${1_700_000_000_000 + rand(1e6)},${rand(10001) / 100},${rand(10001) / 100}`, // a field short
    () => `${rand(1e6)},${150 + rand(50)},1,1`, // range
    () => '1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33', // plain, longer than 64 bytes
    () => 'seq,ram,cpu,timestamp', // the columns reordered
    () => 'timestamp,cpu,ram,seq',
    () => 'timestamp,cpu,ram', // the seed's three columns from here on
    () => '',
    () => `${1_700_000_000_000 + rand(1e6)},1.,2,3`,
    () => `${1_700_000_000_000 + rand(1e6)},1,2,3\r`,
    () => `${1_700_000_000_000 + rand(1e6)},1,2,3,`,
    () => `${1_700_000_000_000 + rand(1e6)},1,2,3x`, // a number with something after it
    () => `${1_700_000_000_000 + rand(1e6)}.${rand(2) * 5},1,2,3`, // a timestamp with decimals: .0 is whole, .5 is not
    () => `${1_700_000_000_000 + rand(1e6)},1,2,${rand(9)}.${rand(2) * 5}`, // a seq with decimals
    () =>
      `${rand(2) * 1e15 + rand(3) * 1e14 + rand(9)},${100 + rand(2) / 100},${rand(10001) / 1000},${rand(2) ? 1e15 + rand(9) : ''}`, // 16 digits, just over 100, empty
    () => `0,${rand(101)},1,1`, // timestamp zero
  ];
  const text = Buffer.from(
    [
      'timestamp,cpu,ram,seq',
      ...Array.from({ length: 20_000 }, () => kinds[rand(3) === 0 ? rand(kinds.length) : 0]!()),
    ].join('\n') + '\n',
  );
  const file = join(await tempDir(), 'mixed.csv');
  writeFileSync(file, text);
  for (const maxLineBytes of [64, 4096]) {
    const report = (ingest: Ingest): ReturnType<Ingest['stats']['report']> => {
      readFileOnce(file, ingest, maxLineBytes, Buffer.alloc(2 * 4096 + 1013)); // chunks end mid-line
      return ingest.stats.report();
    };
    const fast = report(new Ingest(null));
    const general = report(new OneByOne(null));
    t.deepEqual(fast, general, `maxLineBytes ${maxLineBytes}`);
    t.true(fast.samples > 10_000);
    if (maxLineBytes === 64)
      t.true(fast.rejected.too_long! > 0, 'plain lines longer than the limit are too long, not judged');
  }
});

test("the seed's three-column files read exactly: every row a sample without seq, only the header through csv-parse", async (t) => {
  const rows = Array.from(
    { length: 1000 },
    (_, i) => `${1_700_000_000_000 + i},${(i % 100).toFixed(2)},${(i % 7) + 0.5}`,
  );
  const file = join(await tempDir(), 'seed.csv');
  writeFileSync(file, ['timestamp,cpu,ram', ...rows, `1700000000999,150,1`].join('\n') + '\n');
  const ingest = new Ingest(null);
  readFileOnce(file, ingest, 4096, Buffer.alloc(64 << 10));
  t.is(ingest.stats.samples, 1000);
  t.is(ingest.stats.rejected.range, 1);
  t.is(ingest.parser.slowLines, 1, 'only the header goes through csv-parse');
  t.true(Number.isNaN(ingest.parser.seq), 'no seq column');
});
