// Model test of the follower (Vector's file-source tests): scripted appends, partial writes,
// rotations, truncations, deletions, torn tails and restarts; every complete row seen exactly once.
import test from 'ava';
import { appendFileSync, existsSync, renameSync, rmSync, truncateSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Line, LineParser, type ParserState } from '../../../apps/analytics/source/parse-line.js';
import { TailFile, type FilePosition, type FollowEvents } from '../../../apps/analytics/source/tail-file.js';
import { tempDir } from '../../helpers.js';

class Collector implements FollowEvents {
  parser = new LineParser();
  seqs: number[] = [];
  rejected = 0;
  truncations = 0;
  line(buf: Buffer, start: number, end: number): void {
    const r = this.parser.parse(buf, start, end);
    if (r === Line.Sample) this.seqs.push(this.parser.seq);
    else if (r !== Line.Header && r !== Line.Blank) this.rejected++;
  }
  tooLong(): void {
    this.rejected++;
  }
  fileStarted(): void {
    this.parser.reset();
  }
  truncated(): void {
    this.truncations++;
  }
  notice(): void {}
}

const HEADER = 'timestamp,cpu,ram,seq\n';
const KEEP = 3;

function runModel(seed: number, dir: string, steps: number): { expected: number[]; seen: number[]; rejected: number } {
  let s = seed;
  const rand = (n: number): number => Math.floor(((s = (s * 48271) % 2147483647) / 2147483647) * n);
  const path = join(dir, 'telemetry.csv');
  let seq = 0;
  const expected: number[] = [];
  let partial = '';
  const row = (): string => `${1_700_000_000_000 + seq},${rand(10000) / 100},${rand(10000) / 100},${seq}\n`;
  writeFileSync(path, HEADER);

  let events = new Collector();
  let tail = new TailFile(path, events, { maxLineBytes: 4096, chunkBytes: 256 });
  let checkpoint: { position: FilePosition | null; parser: ParserState; seen: number } = { position: null, parser: { mapping: null }, seen: 0 };
  let seen: number[] = [];
  const poll = (): void => {
    while (tail.poll(1000) >= 1000);
    seen.push(...events.seqs);
    events.seqs = [];
  };
  const save = (): void => {
    checkpoint = { position: tail.position, parser: events.parser.save(), seen: seen.length };
  };
  const finishPartial = (): void => {
    if (partial) appendFileSync(path, partial);
    partial = '';
  };

  for (let step = 0; step < steps; step++) {
    const action = rand(100);
    if (action < 45) {
      finishPartial();
      let text = '';
      for (let k = 1 + rand(20); k > 0; k--) {
        seq++;
        expected.push(seq);
        text += row();
      }
      appendFileSync(path, text);
    } else if (action < 55 && !partial) {
      seq++;
      expected.push(seq);
      const line = row();
      const cut = 1 + rand(line.length - 1);
      appendFileSync(path, line.slice(0, cut));
      partial = line.slice(cut);
    } else if (action < 60 && partial) {
      // the engine died mid-line: on restart it cuts the torn tail back to the last \n
      expected.pop();
      seq--;
      const text = readFileSync(path);
      truncateSync(path, text.lastIndexOf(10) + 1);
      partial = '';
    } else if (action < 66) {
      finishPartial();
      for (let i = KEEP - 1; i >= 1; i--) if (existsSync(`${path}.${i}`)) renameSync(`${path}.${i}`, `${path}.${i + 1}`);
      renameSync(path, `${path}.1`);
      if (rand(2)) writeFileSync(path, HEADER);
      poll(); // the reader never lags more than the retention allows...
      save(); // ...nor does its saved state
      if (!existsSync(path)) writeFileSync(path, HEADER);
    } else if (action < 69) {
      finishPartial();
      poll(); // rows in a file truncated or deleted before they were read are gone for everyone
      save();
      if (rand(2)) truncateSync(path, 0);
      else rmSync(path);
      poll();
      writeFileSync(path, HEADER);
    } else if (action < 75) {
      save();
    } else if (action < 80) {
      // kill -9: everything after the last checkpoint is forgotten, a new reader resumes from it
      tail.close();
      seen = seen.slice(0, checkpoint.seen);
      events = new Collector();
      events.parser.restore(checkpoint.parser);
      tail = new TailFile(path, events, { maxLineBytes: 4096, chunkBytes: 256 });
      tail.resumeFrom(checkpoint.position);
      poll(); // as the app does first thing on start
    } else {
      poll();
    }
  }
  finishPartial();
  poll();
  return { expected, seen, rejected: events.rejected };
}

for (const seed of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]) {
  test(`model run ${seed}: every complete row seen exactly once, in order`, async (t) => {
    const dir = await tempDir();
    const { expected, seen, rejected } = runModel(seed, dir, 400);
    t.true(expected.length > 500);
    t.deepEqual(seen, expected);
    t.is(rejected, 0);
  });
}

test('waits for a file that does not exist yet, and for one that was deleted', async (t) => {
  const dir = await tempDir();
  const path = join(dir, 'telemetry.csv');
  const events = new Collector();
  const tail = new TailFile(path, events, { maxLineBytes: 4096 });
  t.is(tail.poll(), 0);
  writeFileSync(path, `${HEADER}1700000000000,1,2,1\n`);
  tail.poll();
  t.deepEqual(events.seqs, [1]);
  rmSync(path);
  tail.poll();
  t.is(tail.position?.offset, -1);
  writeFileSync(path, `${HEADER}1700000000000,1,2,2\n`);
  tail.poll();
  t.deepEqual(events.seqs, [1, 2]);
});

test('a partial line is not consumed and the position stays at a line boundary', async (t) => {
  const dir = await tempDir();
  const path = join(dir, 'telemetry.csv');
  writeFileSync(path, `${HEADER}1700000000000,1,2,1\n1700000000001,5`);
  const events = new Collector();
  const tail = new TailFile(path, events, { maxLineBytes: 4096 });
  tail.poll();
  t.deepEqual(events.seqs, [1]);
  t.is(tail.position?.offset, HEADER.length + '1700000000000,1,2,1\n'.length);
  appendFileSync(path, '.5,6,2\n');
  tail.poll();
  t.deepEqual(events.seqs, [1, 2]);
});

test('a too-long line growing across polls is skipped once, with bounded memory', async (t) => {
  const dir = await tempDir();
  const path = join(dir, 'telemetry.csv');
  writeFileSync(path, HEADER);
  const events = new Collector();
  const tail = new TailFile(path, events, { maxLineBytes: 100, chunkBytes: 256 });
  for (let i = 0; i < 50; i++) {
    appendFileSync(path, 'x'.repeat(1000));
    tail.poll();
  }
  appendFileSync(path, '\n1700000000000,1,2,1\n');
  tail.poll();
  t.is(events.rejected, 1);
  t.deepEqual(events.seqs, [1]);
});
