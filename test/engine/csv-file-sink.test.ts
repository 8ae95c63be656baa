import test from 'ava';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CsvFileSink } from '../../apps/engine/csv-file-sink.js';
import { formatRow } from '../../common/csv-format.js';
import { tempDir } from '../helpers.js';

const rows = (from: number, to: number): string => {
  let s = '';
  for (let seq = from; seq <= to; seq++) s += formatRow(1_700_000_000_000 + seq, 10 + (seq % 50), 20.5, seq);
  return s;
};
const append = (sink: CsvFileSink, text: string): void => sink.append(Buffer.from(text));

test('a new file gets exactly one header and whole lines, in a directory it creates', async (t) => {
  const dir = join(await tempDir(), 'nested', 'data');
  const sink = new CsvFileSink({ dir, maxBytes: 1 << 20, keep: 2 });
  t.deepEqual(sink.open(), { lastSeq: 0, cutBytes: 0, rotatedForeign: false });
  append(sink, rows(1, 3));
  sink.close();
  t.is(readFileSync(join(dir, 'telemetry.csv'), 'utf8'), `timestamp,cpu,ram,seq\n${rows(1, 3)}`);
  const again = new CsvFileSink({ dir, maxBytes: 1 << 20, keep: 2 });
  t.is(again.open().lastSeq, 3);
  append(again, rows(4, 4));
  again.close();
  t.is(readFileSync(join(dir, 'telemetry.csv'), 'utf8'), `timestamp,cpu,ram,seq\n${rows(1, 4)}`);
});

test('rotation renames .csv -> .1 -> .2, keeps `keep` files, each with a header and whole lines', async (t) => {
  const dir = await tempDir();
  const sink = new CsvFileSink({ dir, maxBytes: 1024, keep: 2 });
  sink.open();
  for (let seq = 1; seq <= 200; seq += 10) append(sink, rows(seq, seq + 9));
  sink.close();
  t.true(existsSync(join(dir, 'telemetry.csv.2')));
  t.false(existsSync(join(dir, 'telemetry.csv.3')));
  let previous = 0;
  for (const name of ['telemetry.csv.2', 'telemetry.csv.1', 'telemetry.csv']) {
    const text = readFileSync(join(dir, name), 'utf8');
    t.true(text.length <= 1024, `${name} is ${text.length} bytes`);
    const lines = text.split('\n');
    t.is(lines[0], 'timestamp,cpu,ram,seq');
    t.is(lines.at(-1), '');
    const seqs = lines.slice(1, -1).map((l) => Number(l.split(',')[3]));
    if (previous) t.is(seqs[0], previous + 1, `${name} continues the sequence`);
    previous = seqs.at(-1)!;
  }
  t.is(previous, 200);
});

test('seq resumes from the rotated file when the current one holds only a header', async (t) => {
  const dir = await tempDir();
  writeFileSync(join(dir, 'telemetry.csv.1'), `timestamp,cpu,ram,seq\n${rows(1, 41)}`);
  writeFileSync(join(dir, 'telemetry.csv'), 'timestamp,cpu,ram,seq\n');
  t.is(new CsvFileSink({ dir, maxBytes: 1 << 20, keep: 2 }).open().lastSeq, 41);
});

test('a torn last line is cut back to the last newline before appending', async (t) => {
  const dir = await tempDir();
  const file = join(dir, 'telemetry.csv');
  writeFileSync(file, `timestamp,cpu,ram,seq\n${rows(1, 5)}`);
  appendFileSync(file, '1700000000006,45.1');
  const sink = new CsvFileSink({ dir, maxBytes: 1 << 20, keep: 2 });
  t.deepEqual(sink.open(), { lastSeq: 5, cutBytes: 18, rotatedForeign: false });
  append(sink, rows(6, 6));
  sink.close();
  t.is(readFileSync(file, 'utf8'), `timestamp,cpu,ram,seq\n${rows(1, 6)}`);
});

test('a file in the old three-column format is rotated away, not appended to', async (t) => {
  const dir = await tempDir();
  const file = join(dir, 'telemetry.csv');
  writeFileSync(file, 'timestamp,cpu,ram\n1700000000000,1.00,2.00\n');
  const sink = new CsvFileSink({ dir, maxBytes: 1 << 20, keep: 2 });
  t.true(sink.open().rotatedForeign);
  sink.close();
  t.is(readFileSync(file, 'utf8'), 'timestamp,cpu,ram,seq\n');
  t.is(readFileSync(`${file}.1`, 'utf8'), 'timestamp,cpu,ram\n1700000000000,1.00,2.00\n');
});
