import test from 'ava';
import { stringify } from 'csv-stringify/sync';
import { encodeRow, formatRow, HEADER_LINE, MAX_ROW_BYTES, stringifyRow } from '../../common/csv-format.js';

// An independent reference: ICU's decimal formatting (not toFixed) and csv-stringify's own output.
const twoDecimals = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2, useGrouping: false });
const reference = (ts: number, cpu: number, ram: number, seq: number): string => stringify([[ts, twoDecimals.format(cpu), twoDecimals.format(ram), seq]], { record_delimiter: 'unix' });

test('header is written by csv-stringify exactly as the contract says', (t) => {
  t.is(HEADER_LINE, 'timestamp,cpu,ram,seq\n');
});

test('formatRow and encodeRow are byte-identical to csv-stringify on random records', (t) => {
  const buf = Buffer.alloc(MAX_ROW_BYTES * 2);
  let seed = 42;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const edge = [0, 0.01, 0.1, 9.99, 10, 99.99, 100, 45.12, 0.05, 50.5];
  for (let i = 0; i < 100_000; i++) {
    const ts = i < 10 ? i : Math.floor(rand() * 2e12);
    const cpu = i < edge.length ? edge[i]! : Math.round(rand() * 10000) / 100;
    const ram = Math.round(rand() * 10000) / 100;
    const seq = Math.floor(rand() * 2 ** 40);
    const expected = reference(ts, cpu, ram, seq);
    if (stringifyRow(ts, cpu, ram, seq) !== expected) t.fail(`stringifyRow differs for ${expected}`);
    t.is(formatRow(ts, cpu, ram, seq), expected);
    const end = encodeRow(buf, 3, ts, cpu, ram, seq);
    if (buf.toString('latin1', 3, end) !== expected) t.fail(`encodeRow differs for ${expected}`);
  }
  // values the writer never produces fall back to formatRow and still match
  for (const [cpu, ram] of [[12.345, 1], [-1, 5], [100.5, 3]] as const) {
    const end = encodeRow(buf, 0, 7, cpu, ram, 1);
    t.is(buf.toString('latin1', 0, end), stringifyRow(7, cpu, ram, 1));
  }
});
