import test from 'ava';
import { Line, LineParser } from '../../../apps/analytics/source/parse-line.js';
import { tempDir } from '../../helpers.js';
import { ingestText } from '../ingest-text.js';

const HEADER = 'timestamp,cpu,ram,seq';

function judge(line: string, header = HEADER): { result: Line; sample?: number[] } {
  const p = new LineParser();
  if (header) {
    const h = Buffer.from(header);
    p.parse(h, 0, h.length);
  }
  const b = Buffer.from(line, 'latin1');
  const result = p.parse(b, 0, b.length);
  return result === Line.Sample ? { result, sample: [p.timestamp, p.cpu, p.ram, p.seq] } : { result };
}

const table: [line: string, expected: Line, why: string][] = [
  ['1700000000000,45.12,60.5,7', Line.Sample, 'plain row'],
  ['1700000000000,45.12,60.5,7\r', Line.Sample, 'CRLF line end'],
  ['1700000000000,0,100,0', Line.Sample, 'range edges'],
  [' 1700000000000 , 45.12 ,60.5,7', Line.Sample, 'spaces around fields'],
  ['', Line.Blank, 'blank'],
  ['   ', Line.Blank, 'only spaces'],
  ['1700000000000,45.12,60.5', Line.Columns, 'a field short'],
  ['1700000000000,45.12,60.5,7,9', Line.Columns, 'a field too many'],
  ['1700000000000,45.12,60.5,7,', Line.Columns, 'trailing comma'],
  ['1700000000000,45.1', Line.Columns, 'torn row'],
  ['1700000000000,abc,60.5,7', Line.Number, 'not a number'],
  ['1700000000000,,60.5,7', Line.Number, 'empty field'],
  ['1700000000000,NaN,60.5,7', Line.Number, 'NaN'],
  ['1700000000000,Infinity,60.5,7', Line.Number, 'Infinity'],
  ['1700000000000,0x10,60.5,7', Line.Number, 'hex'],
  ['1700000000000.5,45,60.5,7', Line.Number, 'fractional timestamp'],
  ['1700000000000,45,60.5,-1', Line.Number, 'negative seq'],
  ['1700000000000,"45",60.5,7', Line.Number, 'a quoted field is not a number (quote: false)'],
  ['1700000000000,45.12,1e400,7', Line.Number, 'overflows to Infinity'],
  ['1700000000000,-0.01,60.5,7', Line.Range, 'negative cpu'],
  ['1700000000000,45,100.01,7', Line.Range, 'ram over 100'],
  ['0,45,60,7', Line.Range, 'timestamp not positive'],
  ['-1700000000000,45,60,7', Line.Range, 'negative timestamp'],
  ['\x00\x01\x02\xff\xfe', Line.Columns, 'binary garbage'],
  ['17000\x0000000,45,60,7', Line.Number, 'NUL inside a field'],
  ['timestamp,cpu,ram,seq', Line.RepeatedHeader, 'repeated header'],
];

for (const [line, expected, why] of table) {
  test(`line judged: ${why}`, (t) => {
    t.is(judge(line).result, expected, JSON.stringify(line));
  });
}

test('values equal Number() of the text exactly', (t) => {
  t.deepEqual(judge('1700000000123,45.12,0.07,42').sample, [1700000000123, 45.12, 0.07, 42]);
  t.deepEqual(judge('1700000000123,99.999,33.333333,42').sample, [1700000000123, 99.999, 33.333333, 42]);
});

test('columns are mapped by header name, in any order, with unknown columns ignored', (t) => {
  t.deepEqual(judge('60.5,host-a,1700000000000,45.12', 'ram,host,timestamp,cpu').sample, [
    1700000000000,
    45.12,
    60.5,
    NaN,
  ]);
  t.is(judge('60.5,1700000000000,45.12', 'ram,host,timestamp,cpu').result, Line.Columns);
});

test('a file without a header is read as timestamp,cpu,ram[,seq]', async (t) => {
  const dir = await tempDir();
  const ingest = ingestText(dir, '1700000000000,10,20\n1700000000001,30,40,5\n1700000000002,50\n');
  const r = ingest.stats.report();
  t.is(r.samples, 2);
  t.is(r.rejected.columns, 1);
  t.deepEqual(r.cpu, { avg: 20, min: 10, max: 30 });
});

test('the old three-column format reads like the new one', async (t) => {
  const dir = await tempDir();
  const r = ingestText(dir, 'timestamp,cpu,ram\n1700000000000,10,20\n1700000000001,30,40\n').stats.report();
  t.is(r.samples, 2);
  t.is(r.gaps, 0);
});

test('duplicate headers mid-file are skipped and counted; seq gaps counted', async (t) => {
  const dir = await tempDir();
  const text = `${HEADER}\n1700000000000,10,20,1\n${HEADER}\n1700000000001,30,40,2\n\n1700000000002,30,40,5\r\n`;
  const r = ingestText(dir, text).stats.report();
  t.is(r.samples, 3);
  t.is(r.headers, 1);
  t.is(r.gaps, 2);
  t.is(r.rejected.total, 0);
});

test('a torn row is rejected, never glued to the next; the final unterminated line is judged', async (t) => {
  const dir = await tempDir();
  const r = ingestText(
    dir,
    `${HEADER}\n1700000000000,10,20,1\n1700000000001,3\n1700000000002,30,40,3\n1700000000003,50,60,4`,
  ).stats.report();
  t.is(r.samples, 3);
  t.is(r.rejected.columns, 1);
});

test('a 10 MB line is skipped as too_long with the rows around it kept', async (t) => {
  const dir = await tempDir();
  const huge = Buffer.alloc(10 * 1024 * 1024, 0x37);
  const text = Buffer.concat([
    Buffer.from(`${HEADER}\n1700000000000,10,20,1\n`),
    huge,
    Buffer.from('\n1700000000001,30,40,2\n'),
    huge,
  ]);
  const r = ingestText(dir, text).stats.report();
  t.is(r.samples, 2);
  t.is(r.rejected.too_long, 2);
  t.is(r.rejected.total, 2);
});

test('one stray quote swallows nothing after its own line', async (t) => {
  const dir = await tempDir();
  const r = ingestText(
    dir,
    `${HEADER}\n1700000000000,"10,20,1\n1700000000001,30,40,2\n1700000000002,30,40,3\n`,
  ).stats.report();
  t.is(r.samples, 2);
  t.is(r.rejected.total, 1);
});

test('fast path and csv-parse give the same result on random valid and invalid lines', (t) => {
  let seed = 7;
  const rand = (n: number): number => Math.floor(((seed = (seed * 16807) % 2147483647) / 2147483647) * n);
  const pieces = [
    '1700000000000',
    '45',
    '45.1',
    '45.12',
    '045.5',
    '100',
    '100.0',
    '100.01',
    '0',
    '0.00',
    '-3',
    '1e2',
    '',
    ' 7',
    '7 ',
    'x',
    '.5',
    '5.',
    '12345678901234567',
    '999999999999999',
    '3.14159265358979',
    '"4"',
    'NaN',
    '\t9',
  ];
  const fast = new LineParser();
  const slow = new LineParser({ fast: false });
  const header = Buffer.from(HEADER);
  fast.parse(header, 0, header.length);
  slow.parse(header, 0, header.length);
  let samples = 0;
  let plain = 0;
  let blank = 0;
  for (let i = 0; i < 50_000; i++) {
    const n = 1 + rand(6);
    const fields = Array.from({ length: n }, () =>
      rand(3) === 0 ? pieces[rand(pieces.length)]! : String(rand(2) ? rand(101) : (rand(10001) / 100).toFixed(rand(3))),
    );
    if (rand(2)) fields[0] = String(1_600_000_000_000 + rand(1e9));
    const line = Buffer.from(fields.join(',') + (rand(10) === 0 ? '\r' : ''));
    // digits[.digits] fields of at most 15 digits: the lines the fast path must take itself
    if (fields.every((f) => /^\d+(\.\d+)?$/.test(f) && f.replace('.', '').length <= 15)) plain++;
    if (fields.join(',') === '') blank++; // an empty line is judged before either path
    const a = fast.parse(line, 0, line.length);
    const b = slow.parse(line, 0, line.length);
    if (a !== b) return t.fail(`result differs for ${JSON.stringify(line.toString())}: fast ${a}, csv-parse ${b}`);
    if (a === Line.Sample) {
      samples++;
      if (
        fast.timestamp !== slow.timestamp ||
        fast.cpu !== slow.cpu ||
        fast.ram !== slow.ram ||
        !Object.is(fast.seq, slow.seq)
      )
        return t.fail(`values differ for ${line.toString()}`);
    }
  }
  t.true(samples > 1000, `enough valid lines (${samples})`);
  t.true(plain > 10_000, `enough plain lines (${plain})`);
  t.is(
    fast.slowLines,
    1 + 50_000 - plain - blank,
    'the fast path took every plain line; only the others went to csv-parse',
  );
  t.is(slow.slowLines, 1 + 50_000 - blank);
});
