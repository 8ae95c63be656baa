// The follower's single cases: missing and deleted files, partial and too-long lines, long
// rotation chains, stat and fstat faults. The random scripts live in tail-file-model.test.ts.
import test from 'ava';
import { appendFileSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TailFile } from '../../../apps/analytics/source/tail-file.js';
import { roundTrip, tempDir } from '../../helpers.js';
import { Collector, faultyFs, HEADER } from './follow-fixtures.js';

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
  const file = (): string =>
    HEADER + Array.from({ length: 10 }, () => `${1_700_000_000_000 + ++seq},1,2,${seq}\n`).join('');
  for (let i = 250; i >= 1; i--) writeFileSync(`${path}.${i}`, file());
  writeFileSync(path, file());
  const events = new Collector();
  let tail = new TailFile(path, events, { maxLineBytes: 4096 });
  let polls = 0;
  while (tail.poll(2000) >= 2000) {
    polls++;
    if (polls === 50) {
      // a restart half-way: resume from the saved position
      const saved = roundTrip(tail.position);
      tail.close();
      tail = new TailFile(path, events, { maxLineBytes: 4096 });
      tail.resumeFrom(saved);
    }
  }
  t.true(polls > 20, `the budget splits the catch-up (${polls} polls)`);
  t.deepEqual(
    events.seqs,
    Array.from({ length: 2510 }, (_, i) => i + 1),
  );
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

test('lagBytes counts the rest of the file being read and every newer file of the chain', async (t) => {
  const dir = await tempDir();
  const path = join(dir, 'telemetry.csv');
  const rows = (from: number, n: number): string =>
    Array.from({ length: n }, (_, i) => `${1_700_000_000_000 + from + i},1,2,${from + i}\n`).join('');
  writeFileSync(`${path}.2`, HEADER + rows(1, 10));
  writeFileSync(`${path}.1`, HEADER + rows(11, 10));
  writeFileSync(path, HEADER + rows(21, 10));
  const size = (p: string): number => readFileSync(p).length;
  const events = new Collector();
  // a small budget: the first poll stops inside the oldest file
  const tail = new TailFile(path, events, { maxLineBytes: 64, chunkBytes: 64 });
  t.is(tail.lagBytes, size(`${path}.2`) + size(`${path}.1`) + size(path), 'nothing opened yet: the whole chain');
  tail.poll(64);
  const read = tail.position!.offset;
  t.true(read > 0 && read < size(`${path}.2`));
  t.is(tail.lagBytes, size(`${path}.2`) - read + size(`${path}.1`) + size(path));
  tail.poll();
  t.is(tail.lagBytes, 0);
  t.is(events.seqs.length, 30);
});

const rowsFrom = (from: number, n: number, ts = 1_700_000_000_000): string =>
  Array.from({ length: n }, (_, i) => `${ts + from + i},1,2,${from + i}\n`).join('');

test('a file truncated and written past the old offset between two polls (cp other.csv) is read from its start, once', async (t) => {
  const dir = await tempDir();
  const path = join(dir, 'telemetry.csv');
  writeFileSync(path, HEADER + rowsFrom(1, 5));
  const events = new Collector();
  const tail = new TailFile(path, events, { maxLineBytes: 4096 });
  tail.poll();
  // the same inode, other rows, longer than what was read
  writeFileSync(path, HEADER + rowsFrom(100, 20, 1_800_000_000_000));
  tail.poll();
  t.deepEqual(events.seqs, [1, 2, 3, 4, 5, ...Array.from({ length: 20 }, (_, i) => 100 + i)]);
  t.is(events.truncations, 1);
  t.is(events.rejected, 0, 'no bogus row from the old offset');
});

test('a saved position in a file rewritten in place while the app was down (same inode, other first bytes) is not resumed', async (t) => {
  const dir = await tempDir();
  const path = join(dir, 'telemetry.csv');
  writeFileSync(path, HEADER + rowsFrom(1, 5));
  const first = new TailFile(path, new Collector(), { maxLineBytes: 4096 });
  first.poll();
  const saved = roundTrip(first.position);
  first.close();
  writeFileSync(path, HEADER + rowsFrom(100, 20, 1_800_000_000_000));
  const events = new Collector();
  const second = new TailFile(path, events, { maxLineBytes: 4096 });
  second.resumeFrom(saved);
  second.poll();
  t.deepEqual(
    events.seqs,
    Array.from({ length: 20 }, (_, i) => 100 + i),
  );
  t.is(events.rejected, 0);
  t.true(events.notices.some((n) => n.startsWith('saved position is gone')));
});

test('the position saved while a too-long line is being skipped is past the lines already counted: a restart counts none twice', async (t) => {
  const dir = await tempDir();
  const path = join(dir, 'telemetry.csv');
  const counted = HEADER + rowsFrom(1, 3);
  writeFileSync(path, `${counted}${'9'.repeat(200)}`); // a line longer than 64 bytes, its \n not yet written
  const first = new Collector();
  const a = new TailFile(path, first, { maxLineBytes: 64 });
  a.poll();
  t.deepEqual(first.seqs, [1, 2, 3]);
  t.is(a.position?.offset, counted.length, 'at the start of the long line');
  const saved = roundTrip(a.position);
  a.close();
  appendFileSync(path, `\n${rowsFrom(4, 1)}`);
  const second = new Collector();
  const b = new TailFile(path, second, { maxLineBytes: 64 });
  b.resumeFrom(saved);
  b.poll();
  t.deepEqual(second.seqs, [4]);
  t.is(second.rejected, 1, 'the long line, once');
});

test('a file of the chain rotated away before it was read is said once, with its size: its rows are lost', async (t) => {
  const dir = await tempDir();
  const path = join(dir, 'telemetry.csv');
  writeFileSync(`${path}.2`, HEADER + rowsFrom(1, 10));
  writeFileSync(`${path}.1`, HEADER + rowsFrom(11, 10));
  writeFileSync(path, HEADER + rowsFrom(21, 10));
  const events = new Collector();
  const lost: number[] = [];
  const unread = (bytes: number): void => void lost.push(bytes);
  const tail = new TailFile(path, Object.assign(events, { unread }), { maxLineBytes: 64, chunkBytes: 64 });
  tail.poll(64); // inside the oldest file; .1 and telemetry.csv wait their turn
  const size1 = readFileSync(`${path}.1`).length;
  // the engine rotates twice while this reader is far behind: .1 is deleted unread
  rmSync(`${path}.1`);
  renameSync(path, `${path}.1`);
  writeFileSync(path, HEADER + rowsFrom(31, 5));
  tail.poll();
  t.deepEqual(lost, [size1]);
  t.is(events.notices.filter((n) => n.startsWith('a CSV file was rotated away before it was read')).length, 1);
  t.deepEqual(events.seqs, [
    ...Array.from({ length: 10 }, (_, i) => i + 1),
    ...Array.from({ length: 15 }, (_, i) => 21 + i),
  ]);
});
