import test from 'ava';
import { stringify } from 'csv-stringify/sync';
import { formatRow, HEADER_LINE, MAX_ROW_BYTES, RowEncoder, stringifyRow } from '../../common/csv-format.js';

// An independent reference: ICU's decimal formatting (not toFixed) and csv-stringify's own output.
const twoDecimals = new Intl.NumberFormat('en-US', {
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
  useGrouping: false,
});
const reference = (ts: number, cpu: number, ram: number, seq: number): string =>
  stringify([[ts, twoDecimals.format(cpu), twoDecimals.format(ram), seq]], { record_delimiter: 'unix' });

test('header is written by csv-stringify exactly as the contract says', (t) => {
  t.is(HEADER_LINE, 'timestamp,cpu,ram,seq\n');
});

test('formatRow and RowEncoder are byte-identical to csv-stringify on random records', (t) => {
  const buf = Buffer.alloc(MAX_ROW_BYTES * 2);
  const encoder = new RowEncoder();
  let seed = 42;
  const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const edge = [0, 0.01, 0.1, 9.99, 10, 99.99, 100, 45.12, 0.05, 50.5];
  for (let i = 0; i < 100_000; i++) {
    const ts = i < 10 ? i : Math.floor(rand() * 2e12);
    const cpu = i < edge.length ? edge[i]! : Math.round(rand() * 10000) / 100;
    const ram = Math.round(rand() * 10000) / 100;
    const seq = Math.floor(rand() * 2 ** 40);
    const expected = reference(ts, cpu, ram, seq);
    if (stringifyRow(ts, cpu, ram, seq) !== expected) t.fail(`stringifyRow differs for ${expected}`);
    t.is(formatRow(ts, cpu, ram, seq), expected);
    encoder.reset();
    const end = encoder.encode(buf, 3, ts, cpu, ram, seq);
    if (buf.toString('latin1', 3, end) !== expected) t.fail(`RowEncoder differs for ${expected}`);
  }
  // values the writer never produces fall back to formatRow and still match
  for (const [cpu, ram] of [
    [12.345, 1],
    [-1, 5],
    [100.5, 3],
  ] as const) {
    const end = encoder.encode(buf, 0, 7, cpu, ram, 1);
    t.is(buf.toString('latin1', 0, end), stringifyRow(7, cpu, ram, 1));
  }
});

test('RowEncoder on batches: shared milliseconds copied, seqs counted up across carries (9 → 10, 999 → 1000), any break in the run formatted afresh', (t) => {
  const encoder = new RowEncoder();
  const buf = Buffer.alloc(MAX_ROW_BYTES * 4096);
  let seed = 7;
  const rand = (n: number): number => (seed = (seed * 48271) % 2147483647) % n;
  for (let batch = 0; batch < 200; batch++) {
    let ts = 1_700_000_000_000 + rand(1e6);
    let seq = [0, 8, 98, 998, 99_998, 2 ** 40, rand(1e9)][batch % 7]!;
    let expected = '';
    let end = 0;
    encoder.reset();
    for (let i = 0; i < 1 + rand(500); i++) {
      ts += [0, 0, 0, 1, 1000][rand(5)]!;
      seq += [1, 1, 1, 1, 2, 0][rand(6)]!;
      const cpu = [12.345, -1][rand(200)] ?? rand(10001) / 100; // now and then a row formatRow writes
      const ram = rand(10001) / 100;
      end = encoder.encode(buf, end, ts, cpu, ram, seq);
      expected += formatRow(ts, cpu, ram, seq); // held to csv-stringify by the test above
    }
    t.is(buf.toString('latin1', 0, end), expected);
  }
});
