// `analyze` on several threads must give exactly what one pass gives: random files (headers that
// reorder the columns mid-file, headerless starts, garbage, too-long lines, seq gaps and restarts,
// CRLF, an unterminated last line) cut at random line boundaries, read piece by piece and
// appended in order.
import test from 'ava';
import fc from 'fast-check';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ingest } from '../../apps/analytics/ingest.js';
import { readFileOnce, type ByteRange } from '../../apps/analytics/source/read-file.js';
import { Stats } from '../../apps/analytics/stats.js';
import {
  firstMapping,
  inFileOrder,
  readInThreads,
  readStretch,
  splitAtLines,
  type PiecesJob,
} from '../../cli/analyze-split.js';
import { runNode, tempDir } from '../helpers.js';

const MAX_LINE = 200;
const HORIZON = 1_800_000_000_000;

const line = fc.oneof(
  {
    weight: 12,
    arbitrary: fc
      .tuple(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 40 }))
      .map(([c, r, s]) => `TS,${c / 100},${r / 100},SEQ${s}`),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'timestamp,cpu,ram,seq',
      'seq,ram,cpu,timestamp',
      'cpu,timestamp,ram',
      'TIMESTAMP,CPU,RAM,SEQ,extra',
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '',
      '\r',
      'garbage',
      '1,2',
      '"5",1,2,3',
      'NaN,1,2,3',
      '9999999999999999,1,2,3',
      '1,2,3,4\r',
      'x'.repeat(MAX_LINE + 5),
    ),
  },
);

/** A file's text: lines as above, seq increasing with occasional jumps and restarts. */
const fileText = fc
  .tuple(fc.boolean(), fc.array(line, { minLength: 1, maxLength: 120 }), fc.boolean())
  .map(([header, lines, terminated]) => {
    let seq = 1;
    let ts = 1_700_000_000_000;
    const body = lines.map((l) =>
      l
        .replace('TS', String((ts += 1000)))
        .replace(/SEQ(\d+)/, (_, jump: string) =>
          String((seq = Number(jump) === 0 ? 1 : seq + (Number(jump) > 35 ? 5 : 1))),
        ),
    );
    const text = [...(header ? ['timestamp,cpu,ram,seq'] : []), ...body].join('\n');
    return terminated ? `${text}\n` : text;
  });

function onePass(file: string): ReturnType<Stats['report']> {
  const ingest = new Ingest(null);
  ingest.horizon = HORIZON;
  readFileOnce(file, ingest, MAX_LINE, Buffer.alloc(4096));
  return ingest.stats.report();
}

/** Line starts of `text` (0 and just after each `\n`), as cut points. */
function lineStarts(text: Buffer): number[] {
  const starts = [0];
  for (let i = text.indexOf(10); i >= 0; i = text.indexOf(10, i + 1)) if (i + 1 < text.length) starts.push(i + 1);
  return starts;
}

/** Reads `pieces` one by one, as the threads would, and appends them in file order; `reads` records every read. */
function inPieces(file: string, pieces: ByteRange[], reads?: ByteRange[]): ReturnType<Stats['report']> {
  const job: PiecesJob = {
    file,
    pieces,
    assumed: firstMapping(file),
    horizon: HORIZON,
    since: -Infinity,
    until: Infinity,
    maxLineBytes: MAX_LINE,
    claimed: new SharedArrayBuffer(4),
  };
  const read = (range: ByteRange, mapping: PiecesJob['assumed']): ReturnType<typeof readStretch> => {
    reads?.push(range);
    return readStretch(job, range, mapping);
  };
  const stats = new Stats(null);
  for (const r of inFileOrder(
    pieces,
    job.assumed,
    pieces.map((p) => read(p, job.assumed)),
    read,
  ))
    stats.absorb(r.stats);
  return stats.report();
}

test('random files cut at random line boundaries: the pieces appended give exactly the one-pass result', async (t) => {
  const dir = await tempDir();
  const file = join(dir, 'input.csv');
  let runs = 0;
  fc.assert(
    fc.property(fileText, fc.array(fc.nat(), { maxLength: 6 }), (text, picks) => {
      writeFileSync(file, text);
      const bytes = readFileSync(file);
      const starts = lineStarts(bytes);
      const cuts = [...new Set(picks.map((p) => starts[p % starts.length]!))]
        .sort((a, b) => a - b)
        .filter((c) => c > 0);
      const bounds = [0, ...cuts, bytes.length];
      const ranges = bounds.slice(0, -1).map((start, k) => ({ start, end: bounds[k + 1]! }));
      runs++;
      t.deepEqual(inPieces(file, ranges), onePass(file));
    }),
    { numRuns: 400, seed: 20261128 },
  );
  t.log(`${runs} files`);
});

test('a header that reorders the columns mid-file: the pieces after it are read again with the new mapping', async (t) => {
  const dir = await tempDir();
  const file = join(dir, 'reordered.csv');
  const rows = (n: number, from: number, f: (ts: number, i: number) => string): string[] =>
    Array.from({ length: n }, (_, i) => f(1_700_000_000_000 + (from + i) * 1000, from + i));
  const text =
    [
      'timestamp,cpu,ram,seq',
      ...rows(50, 1, (ts, i) => `${ts},${i % 90},50,${i}`),
      'seq,ram,cpu,timestamp',
      ...rows(50, 51, (ts, i) => `${i},20,${i % 70},${ts}`),
    ].join('\n') + '\n';
  writeFileSync(file, text);
  const size = statSync(file).size;
  const reads: ByteRange[] = [];
  const ranges = splitAtLines(file, size, 4);
  t.deepEqual(inPieces(file, ranges, reads), onePass(file));
  // the pieces after the one holding the reordering header are read twice, the others once
  const header = text.indexOf('seq,ram');
  const after = ranges.filter((r) => r.start > header).length;
  t.true(after >= 1);
  t.is(reads.length, ranges.length + after);
  // a file whose header never changes is read exactly once
  const stable = join(dir, 'stable.csv');
  writeFileSync(
    stable,
    ['timestamp,cpu,ram,seq', ...rows(100, 1, (ts, i) => `${ts},${i % 90},50,${i}`)].join('\n') + '\n',
  );
  const once: ByteRange[] = [];
  inPieces(stable, splitAtLines(stable, statSync(stable).size, 4), once);
  t.is(once.length, 4);
});

test('splitAtLines: ranges cover the file, each starts at a line start, for any number of parts', async (t) => {
  const dir = await tempDir();
  const file = join(dir, 'lines.csv');
  fc.assert(
    fc.property(
      fc.array(fc.string({ maxLength: 70_000, unit: fc.constantFrom('a', '1', ',') }), { minLength: 1, maxLength: 8 }),
      fc.integer({ min: 1, max: 9 }),
      (lines, parts) => {
        writeFileSync(file, lines.join('\n'));
        const bytes = readFileSync(file);
        const ranges = splitAtLines(file, bytes.length, parts);
        t.true(ranges.length <= parts);
        let at = 0;
        for (const r of ranges) {
          t.is(r.start, at);
          t.true(r.end > r.start);
          t.true(r.start === 0 || bytes[r.start - 1] === 10);
          at = r.end;
        }
        t.is(at, bytes.length);
      },
    ),
    { numRuns: 60, seed: 7 },
  );
});

/** A 40 MB file of 1.2M rows whose columns are reordered by a header 60% of the way in, with a seq gap. */
function largeFile(file: string): void {
  const parts: string[] = ['timestamp,cpu,ram,seq\n'];
  for (let i = 1; i <= 1_200_000; i++) {
    const ts = 1_700_000_000_000 + i * 1000;
    const cpu = ((i * 7919) % 10001) / 100;
    if (i === 720_000) parts.push('seq,ram,timestamp,cpu\n');
    if (i === 900_000) continue; // a gap
    parts.push(i < 720_000 ? `${ts},${cpu},${(i % 5000) / 100},${i}\n` : `${i},${(i % 5000) / 100},${ts},${cpu}\n`);
  }
  writeFileSync(file, parts.join(''));
}

test('worker threads: a large file in 1 MiB pieces claimed by 3 threads gives the one-pass result; the CLI prints the same with --threads 1 and 3', async (t) => {
  const dir = await tempDir();
  const file = join(dir, 'large.csv');
  largeFile(file);
  const ingest = new Ingest(null);
  ingest.horizon = HORIZON;
  const size = statSync(file).size;
  const byThread = await readInThreads(file, size, 3, ingest, MAX_LINE, undefined, 1 << 20);
  t.log(`pieces read by each thread: ${byThread.join(', ')}`);
  t.is(byThread.length, 3);
  t.is(
    byThread.reduce((a, b) => a + b),
    Math.ceil(size / (1 << 20)),
  );
  const expected = onePass(file);
  t.deepEqual(ingest.stats.report(), expected);
  t.is(expected.gaps, 1);
  t.is(expected.headers, 1);
  const outputs = await Promise.all(
    ['1', '3'].map(async (threads) => {
      const cli = runNode('cli/telemetry.js', ['analyze', file, '--json', '--threads', threads], dir);
      t.is(await cli.exited, 0, cli.output());
      return cli.output();
    }),
  );
  t.is(outputs[1], outputs[0]);
  t.deepEqual(JSON.parse(outputs[0]!), { alerts: [], ...expected });
});
