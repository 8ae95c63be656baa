// Model test of the follower (Vector's file-source tests): scripted appends, partial writes,
// rotations, truncations, deletions, torn tails and restarts; every complete row seen exactly once.
import test from 'ava';
import { appendFileSync, closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Line, LineParser, type ParserState } from '../../../apps/analytics/source/parse-line.js';
import { TailFile, type FilePosition, type FollowEvents, type FollowFs } from '../../../apps/analytics/source/tail-file.js';
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
  notices: string[] = [];
  notice(message: string): void {
    this.notices.push(message);
  }
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
  t.is(tail.position, null, 'nothing read is left on disk: nothing to remember');
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

test('a rotation chain of 250 files is read once, in order, over bounded polls; what it remembers is bounded by the files on disk', async (t) => {
  const dir = await tempDir();
  const path = join(dir, 'telemetry.csv');
  let seq = 0;
  const file = (): string => HEADER + Array.from({ length: 10 }, () => `${1_700_000_000_000 + ++seq},1,2,${seq}\n`).join('');
  for (let i = 250; i >= 1; i--) writeFileSync(`${path}.${i}`, file());
  writeFileSync(path, file());
  const events = new Collector();
  let tail = new TailFile(path, events, { maxLineBytes: 4096 });
  let polls = 0;
  while (tail.poll(2000) >= 2000) {
    polls++;
    if (polls === 50) {
      // a restart half-way: resume from the saved position
      const saved = JSON.parse(JSON.stringify(tail.position)) as FilePosition;
      tail.close();
      tail = new TailFile(path, events, { maxLineBytes: 4096 });
      tail.resumeFrom(saved);
    }
  }
  t.true(polls > 20, `the budget splits the catch-up (${polls} polls)`);
  t.deepEqual(events.seqs, Array.from({ length: 2510 }, (_, i) => i + 1));
  t.true(tail.position!.done.length <= 250);
  // the oldest files leave the chain (keep shrinks): the reader forgets them, re-reads nothing
  for (let i = 250; i > 10; i--) rmSync(`${path}.${i}`);
  appendFileSync(path, `${1_700_000_000_000 + ++seq},1,2,${seq}\n`);
  tail.poll();
  t.is(events.seqs.length, 2511);
  renameSync(path, `${path}.11`);
  writeFileSync(path, HEADER);
  tail.poll();
  t.is(events.seqs.length, 2511, 'nothing read twice after the chain shrank');
  t.true(tail.position!.done.length <= 11, `remembers ${tail.position!.done.length}`);
});

/** node:fs with faults: `statFails` makes stat throw that code; counts descriptors left open. */
function faultyFs(): FollowFs & { statFails: string | null; fstatFails: boolean; open: Set<number> } {
  const f = {
    statFails: null as string | null,
    fstatFails: false,
    open: new Set<number>(),
    statSync: ((p: string) => {
      if (f.statFails) throw Object.assign(new Error(`${f.statFails}: injected`), { code: f.statFails });
      return statSync(p);
    }) as FollowFs['statSync'],
    openSync: ((p: string, flags: string) => {
      const fd = openSync(p, flags);
      f.open.add(fd);
      return fd;
    }) as FollowFs['openSync'],
    fstatSync: ((fd: number) => {
      if (f.fstatFails) throw Object.assign(new Error('EIO: injected'), { code: 'EIO' });
      return fstatSync(fd);
    }) as FollowFs['fstatSync'],
    readSync,
    closeSync: (fd: number) => {
      f.open.delete(fd);
      closeSync(fd);
    },
  };
  return f;
}

for (const code of ['EACCES', 'EIO', 'EMFILE']) {
  test(`${code} on stat is not "gone": nothing skipped, a partial line never judged, reading resumes`, async (t) => {
    const dir = await tempDir();
    const path = join(dir, 'telemetry.csv');
    writeFileSync(path, `${HEADER}1700000000000,1,2,1\n`);
    const fs = faultyFs();
    const events = new Collector();
    const tail = new TailFile(path, events, { maxLineBytes: 4096, fs });
    tail.poll();
    fs.statFails = code;
    appendFileSync(path, '1700000000001,1,2,2\n1700000000002,1,');
    for (let i = 0; i < 5; i++) tail.poll();
    t.deepEqual(events.seqs, [1, 2], 'complete rows are read through the open file');
    t.is(events.rejected, 0, 'the partial line was not judged');
    t.is(events.notices.filter((n) => n.startsWith('cannot look at the CSV files')).length, 1, 'logged once');
    appendFileSync(path, '2,3\n');
    fs.statFails = null;
    tail.poll();
    t.deepEqual(events.seqs, [1, 2, 3]);
    tail.close();
    t.is(fs.open.size, 0);
  });
}

test('a failing fstat right after open leaks no descriptor', async (t) => {
  const dir = await tempDir();
  const path = join(dir, 'telemetry.csv');
  writeFileSync(path, `${HEADER}1700000000000,1,2,1\n`);
  const fs = faultyFs();
  fs.fstatFails = true;
  const events = new Collector();
  const tail = new TailFile(path, events, { maxLineBytes: 4096, fs });
  for (let i = 0; i < 10; i++) tail.poll();
  t.is(fs.open.size, 0);
  fs.fstatFails = false;
  tail.poll();
  t.deepEqual(events.seqs, [1]);
  tail.close();
  t.is(fs.open.size, 0);
});
