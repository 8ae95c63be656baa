// Fuzz: 100,000 random mutations of valid CSV, fed through the live follower in random chunk sizes.
// The statistics of the valid rows must equal those of a simple, independent reference.
import test from 'ava';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ingest } from '../../../apps/analytics/ingest.js';
import { TailFile } from '../../../apps/analytics/source/tail-file.js';
import { tempDir } from '../../helpers.js';

const HEADER = 'timestamp,cpu,ram,seq';
const MAX_LINE = 4096;
// Bytes that can never make a number: no digits, signs, dots, exponents, commas, blanks or line ends.
const NEVER_NUMERIC = [...Array(256).keys()].filter(
  (b) => !/[0-9+\-.eE, \t\r\n\v\f]/.test(String.fromCharCode(b)) && b !== 0x85 && b !== 0xa0,
);

/** The reference: a line counts when it is exactly four plain numeric fields within range. */
function referenceJudge(line: Buffer): { cpu: number; ram: number } | null {
  let text = line.toString('latin1');
  if (text.endsWith('\r')) text = text.slice(0, -1);
  const m = /^(\d+),(\d+(?:\.\d+)?),(\d+(?:\.\d+)?),(\d+)$/.exec(text);
  if (!m || line.length > MAX_LINE) return null;
  const [ts, cpu, ram] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return ts > 0 && cpu <= 100 && ram <= 100 ? { cpu, ram } : null;
}

test('100,000 mutations through the live follower: no crash, bounded memory, exact statistics of the valid rows', async (t) => {
  let seed = 12345;
  const rand = (n: number): number => Math.floor(((seed = (seed * 48271) % 2147483647) / 2147483647) * n);
  const lines: Buffer[] = [Buffer.from(HEADER)];
  let seq = 0;
  const validRow = (): Buffer =>
    Buffer.from(
      `${1_700_000_000_000 + seq * 1000},${(rand(10001) / 100).toFixed(2)},${(rand(10001) / 100).toFixed(2)},${++seq}`,
    );
  const mutations: ((row: Buffer) => Buffer)[] = [
    (row) => {
      const b = Buffer.from(row);
      b[rand(b.length)] = NEVER_NUMERIC[rand(NEVER_NUMERIC.length)]!;
      return b;
    },
    (row) => row.subarray(0, rand(row.length)), // cut
    () => Buffer.from(HEADER), // repeated header
    () => Buffer.from(Array.from({ length: 1 + rand(60) }, () => 0x80 + rand(128))), // binary
    () => Buffer.alloc(MAX_LINE + 1 + rand(20_000), 0x39), // huge line of digits
    (row) =>
      Buffer.from(
        row.toString().replace(/,[^,]+,/, `,${['NaN', 'Infinity', '-5', '100.5', '-0.01', '1e999'][rand(6)]},`),
      ),
    (row) => Buffer.concat([row, Buffer.from('\r')]), // CRLF
    () => Buffer.alloc(0), // blank
  ];
  for (let i = 0; i < 100_000; i++) {
    for (let k = rand(3); k > 0; k--) lines.push(validRow());
    lines.push(mutations[rand(mutations.length)]!(validRow()));
  }
  const text = Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')]));

  let count = 0;
  let cpuHundredths = 0; // exact: the values have two decimals
  let ramMax = -Infinity;
  for (const line of lines.slice(1)) {
    const r = referenceJudge(line);
    if (!r) continue;
    count++;
    cpuHundredths += Math.round(r.cpu * 100);
    ramMax = Math.max(ramMax, r.ram);
  }

  const dir = await tempDir();
  const path = join(dir, 'telemetry.csv');
  writeFileSync(path, '');
  const ingest = new Ingest(60_000);
  const tail = new TailFile(path, ingest, { maxLineBytes: MAX_LINE, chunkBytes: 64 * 1024 });
  const rssBefore = process.memoryUsage().rss;
  let peak = 0;
  for (let at = 0; at < text.length;) {
    const n = 1 + rand(rand(2) ? 64 : 200_000);
    appendFileSync(path, text.subarray(at, at + n));
    at += n;
    tail.poll();
    peak = Math.max(peak, process.memoryUsage().rss - rssBefore);
  }
  tail.poll();
  const stats = ingest.stats;
  t.is(stats.samples, count);
  t.is(stats.cpu.sum, cpuHundredths / 100, 'the sum is exact, not a float sum that depends on the order');
  t.is(stats.ram.max, ramMax);
  t.true(
    stats.rejected.too_long > 0 && stats.rejected.columns > 0 && stats.rejected.number > 0 && stats.rejected.range > 0,
    JSON.stringify(stats.rejected),
  );
  t.true(stats.headers > 0);
  t.true(peak < 256 * 1024 * 1024, `memory stayed bounded (grew ${(peak / 1048576).toFixed(0)} MiB)`);
  t.log(
    `${lines.length} lines, ${count} valid, rejected ${JSON.stringify(stats.rejected)}, RSS growth ${(peak / 1048576).toFixed(0)} MiB`,
  );
});
