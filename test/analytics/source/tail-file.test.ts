// The follower's single cases: missing and deleted files, partial and too-long lines, long
// rotation chains, file identity, saved positions, poll budgets, FIFOs, races between listing and
// open, and stat, open, fstat and read faults. The random scripts live in tail-file-model.test.ts.
import test, { type ExecutionContext } from 'ava';
import { execFileSync } from 'node:child_process';
import { appendFileSync, readFileSync, renameSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TailFile, type FilePosition } from '../../../apps/analytics/source/tail-file.js';
import { roundTrip, tempDir } from '../../helpers.js';
import { Collector, faultyFs, HEADER } from './follow-fixtures.js';

test('waits for a file that does not exist yet, and for one that was deleted', async (t) => {
  const dir = await tempDir();
  const path = join(dir, 'telemetry.csv');
  const events = new Collector();
  const tail = new TailFile(path, events, { maxLineBytes: 4096 });
  t.is(tail.position, null);
  tail.resumeFrom(null);
  t.is(tail.position, null);
  t.is(tail.lagBytes, 0);
  t.is(tail.poll(), 0);
  tail.close(); // nothing open: nothing to close
  writeFileSync(path, `${HEADER}1700000000000,1,2,1\n`);
  tail.poll();
  t.deepEqual(events.seqs, [1]);
  rmSync(path);
  tail.poll();
  t.is(tail.position, null, 'nothing read is left on disk: nothing to remember');
  writeFileSync(path, `${HEADER}1700000000000,1,2,2\n`);
  tail.poll();
  t.deepEqual(events.seqs, [1, 2]);
  t.is(events.started, 2);
  t.deepEqual(events.notices, [], 'a deleted file that was read is no loss');
});

test('a partial line is not consumed and the position stays at a line boundary', async (t) => {
  const path = await csvFile(`${HEADER}1700000000000,1,2,1\n1700000000001,5`);
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
  const path = await csvFile(HEADER);
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
  const path = await csvFile(`${HEADER}1700000000000,1,2,1\n`);
  const fs = faultyFs();
  fs.fstatFails = 'EIO';
  const events = new Collector();
  const tail = new TailFile(path, events, { maxLineBytes: 4096, fs });
  for (let i = 0; i < 10; i++) tail.poll();
  t.is(fs.open.size, 0);
  fs.fstatFails = null;
  tail.poll();
  t.deepEqual(events.seqs, [1]);
  tail.close();
  t.is(fs.open.size, 0);
});

test('lagBytes counts the rest of the file being read and every newer file of the chain', async (t) => {
  const path = await chainOfThree();
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

/** A telemetry.csv holding `content`, in a directory of its own. */
async function csvFile(content: string): Promise<string> {
  const path = join(await tempDir(), 'telemetry.csv');
  writeFileSync(path, content);
  return path;
}

/** telemetry.csv.2, .1 and telemetry.csv of 10 rows each: seqs 1 to 30, oldest first. */
async function chainOfThree(): Promise<string> {
  const path = await csvFile(HEADER + rowsFrom(21, 10));
  writeFileSync(`${path}.2`, HEADER + rowsFrom(1, 10));
  writeFileSync(`${path}.1`, HEADER + rowsFrom(11, 10));
  return path;
}

/** The position a first follower saves after reading what is at `path`. */
function savedAfterReading(path: string): FilePosition | null {
  const first = new TailFile(path, new Collector(), { maxLineBytes: 4096 });
  first.poll();
  const saved = roundTrip(first.position);
  first.close();
  return saved;
}

/** A follower restarted from `saved`, after its first poll. */
function resumed(path: string, saved: FilePosition | null, events: Collector): TailFile {
  const tail = new TailFile(path, events, { maxLineBytes: 4096 });
  tail.resumeFrom(saved);
  tail.poll();
  return tail;
}

test('a file truncated and written past the old offset between two polls (cp other.csv) is read from its start, once', async (t) => {
  const path = await csvFile(HEADER + rowsFrom(1, 5));
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
  const path = await csvFile(HEADER + rowsFrom(1, 5));
  const saved = savedAfterReading(path);
  writeFileSync(path, HEADER + rowsFrom(100, 20, 1_800_000_000_000));
  const events = new Collector();
  resumed(path, saved, events);
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

for (const listening of [true, false]) {
  test(`a file of the chain rotated away before it was read is said once, with its size: its rows are lost${listening ? '' : ' (no unread listener)'}`, async (t) => {
    const path = await chainOfThree();
    const events = new Collector();
    const lost: number[] = [];
    const unread = (bytes: number): void => void lost.push(bytes);
    const tail = new TailFile(path, listening ? Object.assign(events, { unread }) : events, {
      maxLineBytes: 64,
      chunkBytes: 64,
    });
    tail.poll(64); // inside the oldest file; .1 and telemetry.csv wait their turn
    const size1 = readFileSync(`${path}.1`).length;
    // the engine rotates twice while this reader is far behind: .1 is deleted unread
    rmSync(`${path}.1`);
    renameSync(path, `${path}.1`);
    writeFileSync(path, HEADER + rowsFrom(31, 5));
    tail.poll();
    t.deepEqual(lost, listening ? [size1] : []);
    t.deepEqual(events.said, [
      {
        message: 'a CSV file was rotated away before it was read; its rows are lost',
        fields: { path: `${path}.1`, bytes: size1 },
      },
    ]);
    t.deepEqual(events.seqs, [
      ...Array.from({ length: 10 }, (_, i) => i + 1),
      ...Array.from({ length: 15 }, (_, i) => 21 + i),
    ]);
  });
}

const size = (p: string): number => statSync(p).size;
const seqRange = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

test('only rotated files on disk: read oldest first; once all is read the position says so, and a restart reads only what is new', async (t) => {
  const dir = await tempDir();
  const path = join(dir, 'telemetry.csv');
  writeFileSync(`${path}.1`, HEADER + rowsFrom(1, 3)); // the live file not yet recreated
  const events = new Collector();
  const tail = new TailFile(path, events, { maxLineBytes: 4096 });
  t.is(tail.lagBytes, size(`${path}.1`));
  tail.poll();
  t.deepEqual(events.seqs, [1, 2, 3]);
  const rotated = statSync(`${path}.1`);
  const id = { dev: rotated.dev, ino: rotated.ino, head: readFileSync(`${path}.1`).subarray(0, 64).toString('base64') };
  t.deepEqual(tail.position, { ...id, offset: -1, done: [id] });
  t.is(tail.lagBytes, 0);
  writeFileSync(path, HEADER + rowsFrom(4, 2));
  t.is(tail.lagBytes, size(path));
  const saved = roundTrip(tail.position);
  tail.close();
  const again = new Collector();
  const restarted = new TailFile(path, again, { maxLineBytes: 4096 });
  restarted.resumeFrom(saved);
  t.deepEqual(restarted.position, saved);
  restarted.poll();
  t.deepEqual(again.seqs, [4, 5]);
  t.deepEqual(again.notices, []);
});

test('a saved position at the end of its file resumes there, also once the file was rotated while the app was down', async (t) => {
  const path = await csvFile(HEADER + rowsFrom(1, 5));
  const saved = savedAfterReading(path);
  t.is(saved?.offset, size(path));
  const events = new Collector();
  const second = resumed(path, saved, events);
  t.deepEqual(events.seqs, [], 'nothing read twice');
  t.is(events.started, 0, 'a resumed file is not started again');
  const savedAgain = roundTrip(second.position);
  second.close();
  appendFileSync(path, rowsFrom(6, 2));
  renameSync(path, `${path}.1`);
  writeFileSync(path, HEADER + rowsFrom(8, 3));
  resumed(path, savedAgain, events);
  t.deepEqual(events.seqs, [6, 7, 8, 9, 10]);
  t.is(events.started, 1, 'the new file, from its first byte');
  t.deepEqual(events.notices, []);
});

test('a saved position past the end of a file truncated while the app was down (same first bytes) is not resumed: read from the start', async (t) => {
  const path = await csvFile(HEADER + rowsFrom(1, 10));
  const saved = savedAfterReading(path);
  truncateSync(path, (HEADER + rowsFrom(1, 4)).length);
  const events = new Collector();
  resumed(path, saved, events);
  t.deepEqual(events.seqs, [1, 2, 3, 4]);
  t.deepEqual(events.said, [
    {
      message: 'saved position is gone (file truncated, deleted or rotated away); reading the oldest file not yet read',
      fields: { path },
    },
  ]);
});

test('a saved position at the start of a file deleted while the app was down is said to be gone', async (t) => {
  const dir = await tempDir();
  const path = join(dir, 'telemetry.csv');
  writeFileSync(path, 'timestamp,cpu'); // no complete line: the position stays at 0
  const saved = savedAfterReading(path);
  t.is(saved?.offset, 0);
  renameSync(path, join(dir, 'elsewhere')); // gone from the chain, its inode not free for the next file
  writeFileSync(path, HEADER + rowsFrom(1, 2));
  const events = new Collector();
  resumed(path, saved, events);
  t.deepEqual(events.seqs, [1, 2]);
  t.is(events.notices.filter((n) => n.startsWith('saved position is gone')).length, 1);
});

test('a file truncated to fewer bytes than were read, keeping its first bytes, is read again from its start', async (t) => {
  const path = await csvFile(HEADER + rowsFrom(1, 10));
  const events = new Collector();
  const tail = new TailFile(path, events, { maxLineBytes: 4096 });
  tail.poll();
  const read = size(path);
  truncateSync(path, (HEADER + rowsFrom(1, 4)).length);
  tail.poll();
  t.deepEqual(events.seqs, [...seqRange(1, 10), 1, 2, 3, 4]);
  t.is(events.truncations, 1);
  t.is(events.started, 2);
  t.deepEqual(events.said, [
    { message: 'telemetry.csv was truncated; reading it again from the start', fields: { path, offset: read } },
  ]);
});

test('a copy of a file already read (another inode, the same first bytes) is another file: read whole', async (t) => {
  const dir = await tempDir();
  const path = join(dir, 'telemetry.csv');
  const rows = HEADER + rowsFrom(1, 3);
  writeFileSync(path, rows);
  const events = new Collector();
  const tail = new TailFile(path, events, { maxLineBytes: 4096 });
  tail.poll();
  renameSync(path, `${path}.1`);
  writeFileSync(path, rows + rowsFrom(4, 2));
  tail.poll();
  t.deepEqual(events.seqs, [1, 2, 3, 1, 2, 3, 4, 5]);
  t.is(events.rejected, 0);
});

test('a file of another device with the same inode number is another file', async (t) => {
  const path = await csvFile(HEADER + rowsFrom(1, 3));
  const fs = faultyFs();
  const first = new TailFile(path, new Collector(), { maxLineBytes: 4096, fs });
  first.poll();
  const saved = roundTrip(first.position)!;
  appendFileSync(path, rowsFrom(4, 2));
  renameSync(path, `${path}.1`);
  // the same first bytes, the same inode number, another device
  writeFileSync(path, HEADER + rowsFrom(1, 5) + rowsFrom(6, 3));
  const a = statSync(`${path}.1`);
  fs.alias.set(statSync(path).ino, { dev: a.dev + 1, ino: a.ino });
  t.is(first.lagBytes, a.size - saved.offset + size(path));
  first.close();
  const events = new Collector();
  const second = new TailFile(path, events, { maxLineBytes: 4096, fs });
  second.resumeFrom(saved);
  second.poll();
  t.deepEqual(events.seqs, [4, 5, ...seqRange(1, 8)], 'the rest of the first file, then the whole second');
  t.deepEqual(events.notices, []);
  renameSync(`${path}.1`, `${path}.2`);
  renameSync(path, `${path}.1`);
  second.poll();
  writeFileSync(path, HEADER + rowsFrom(9, 2));
  fs.alias.set(statSync(path).ino, { dev: a.dev + 2, ino: a.ino });
  t.is(second.lagBytes, size(path));
  second.poll();
  t.deepEqual(events.seqs, [4, 5, ...seqRange(1, 10)]);
});

/** Polls until all is read, each poll at most one chunk (64 bytes) past `budget`. */
function pollWithin(t: ExecutionContext, tail: TailFile, budget: number): void {
  for (;;) {
    const n = tail.poll(budget);
    if (n < budget) return;
    t.true(n < budget + 64, `read ${n}`);
  }
}

test('polls stay within their budget across a rotation chain: at most one chunk past it', async (t) => {
  const path = await chainOfThree();
  const events = new Collector();
  const tail = new TailFile(path, events, { maxLineBytes: 32, chunkBytes: 64 });
  pollWithin(t, tail, 128);
  t.deepEqual(events.seqs, seqRange(1, 30));
  t.is(events.rejected, 0);
});

test('a file of many chunks is read whole in one poll', async (t) => {
  const path = await csvFile(HEADER + rowsFrom(1, 50));
  const events = new Collector();
  const tail = new TailFile(path, events, { maxLineBytes: 32, chunkBytes: 64 });
  t.true(tail.poll() >= size(path));
  t.deepEqual(events.seqs, seqRange(1, 50));
});

test('rows written just before a rotation are read from the old file within the budget, once; the old file is then known by its final first bytes', async (t) => {
  const path = await csvFile(HEADER);
  const fs = faultyFs();
  const events = new Collector();
  const tail = new TailFile(path, events, { maxLineBytes: 32, chunkBytes: 64, fs });
  tail.poll(); // the header alone: the first bytes known are fewer than 64
  appendFileSync(path, rowsFrom(1, 2));
  const last = HEADER + rowsFrom(23, 2);
  fs.beforeStat = (p) => {
    if (p !== path) return;
    fs.beforeStat = null;
    // the engine writes, then rotates, between the reader's last read and its look at the path
    appendFileSync(path, rowsFrom(3, 20));
    renameSync(path, `${path}.1`);
    writeFileSync(path, last);
  };
  pollWithin(t, tail, 168);
  t.deepEqual(events.seqs, seqRange(1, 24));
  t.is(events.rejected, 0);
  tail.poll();
  t.deepEqual(events.seqs, seqRange(1, 24), 'the rotated file is not read again');
});

test('a rotated file whose last line has no newline: that line is judged once the file is final, whatever its length up to the limit', async (t) => {
  const dir = await tempDir();
  const path = join(dir, 'telemetry.csv');
  const last = '1700000000005,11.125,22.25,12345';
  t.is(last.length, 32);
  writeFileSync(path, HEADER + rowsFrom(1, 2) + last);
  const events = new Collector();
  const tail = new TailFile(path, events, { maxLineBytes: 32 });
  tail.poll();
  t.deepEqual(events.seqs, [1, 2]);
  renameSync(path, `${path}.1`);
  writeFileSync(path, HEADER + rowsFrom(3, 1));
  tail.poll();
  t.deepEqual(events.seqs, [1, 2, 12345, 3]);
  t.is(events.rejected, 0);
});

test('a FIFO, or another file that is no regular file, at a CSV path is refused by name once per path, never opened for reading, and counts as no file', async (t) => {
  const dir = await tempDir();
  const path = join(dir, 'telemetry.csv');
  execFileSync('mkfifo', [path]);
  execFileSync('mkfifo', [`${path}.1`]);
  const fs = faultyFs();
  const events = new Collector();
  const tail = new TailFile(path, events, { maxLineBytes: 4096, fs });
  for (let i = 0; i < 3; i++) t.is(tail.poll(), 0);
  const refusal = (p: string): { message: string; fields: { path: string } } => ({
    message: `${p} is a FIFO, not a regular file: not read; waiting for a file there`,
    fields: { path: p },
  });
  t.deepEqual(events.said, [refusal(path), refusal(`${path}.1`)]);
  rmSync(path);
  rmSync(`${path}.1`);
  writeFileSync(path, HEADER + rowsFrom(1, 2));
  tail.poll();
  t.deepEqual(events.seqs, [1, 2]);
  t.is(fs.open.size, 1, 'the CSV file alone');
});

for (const [nth, which] of [
  [1, 'its identity is taken'],
  [2, 'it is opened for reading'],
] as const) {
  test(`a FIFO put at the path between its listing and its open (when ${which}) is refused and closed`, async (t) => {
    const dir = await tempDir();
    const path = join(dir, 'telemetry.csv');
    writeFileSync(path, HEADER + rowsFrom(1, 2));
    const fs = faultyFs();
    let opens = 0;
    fs.beforeOpen = (p) => {
      if (++opens < nth) return;
      fs.beforeOpen = null;
      rmSync(p);
      execFileSync('mkfifo', [p]);
    };
    const events = new Collector();
    const tail = new TailFile(path, events, { maxLineBytes: 4096, fs });
    for (let i = 0; i < 3; i++) t.is(tail.poll(), 0);
    t.deepEqual(events.notices, [`${path} is a FIFO, not a regular file: not read; waiting for a file there`]);
    t.is(fs.open.size, 0);
  });
}

test('a newer file gone between its listing and its open is no file: no error, and the older one is read', async (t) => {
  const dir = await tempDir();
  const path = join(dir, 'telemetry.csv');
  writeFileSync(`${path}.1`, HEADER + rowsFrom(1, 2));
  writeFileSync(path, HEADER + rowsFrom(100, 2));
  const fs = faultyFs();
  fs.beforeOpen = (p) => {
    if (p !== path) return;
    fs.beforeOpen = null;
    rmSync(p);
  };
  const events = new Collector();
  const tail = new TailFile(path, events, { maxLineBytes: 4096, fs });
  tail.poll();
  t.deepEqual(events.seqs, [1, 2]);
  // again, with the first file read and remembered
  writeFileSync(path, HEADER + rowsFrom(100, 2));
  fs.beforeOpen = (p) => {
    if (p !== path) return;
    fs.beforeOpen = null;
    rmSync(p);
  };
  tail.poll();
  writeFileSync(path, HEADER + rowsFrom(3, 2));
  tail.poll();
  t.deepEqual(events.seqs, [1, 2, 3, 4]);
  t.deepEqual(events.notices, []);
});

for (const [call, code] of [
  ['open', 'EACCES'],
  ['fstat', 'EIO'],
  ['read', 'EMFILE'],
] as const) {
  test(`${code} on ${call} of the oldest file of the chain: said once, nothing skipped or read out of order, retried`, async (t) => {
    const dir = await tempDir();
    const path = join(dir, 'telemetry.csv');
    writeFileSync(`${path}.1`, HEADER + rowsFrom(1, 2));
    writeFileSync(path, HEADER + rowsFrom(3, 2));
    const fs = faultyFs();
    fs[`${call}Fails`] = code;
    fs.faultPath = `${path}.1`;
    const events = new Collector();
    const tail = new TailFile(path, events, { maxLineBytes: 4096, fs });
    for (let i = 0; i < 3; i++) t.is(tail.poll(), 0);
    t.deepEqual(events.seqs, []);
    t.deepEqual(events.said, [
      {
        message: 'cannot look at the CSV files; retrying, nothing is skipped',
        fields: { path, error: `${code} ${code}: injected` },
      },
    ]);
    fs[`${call}Fails`] = null;
    tail.poll();
    t.deepEqual(events.seqs, [1, 2, 3, 4]);
    tail.close();
    t.is(fs.open.size, 0);
  });
}

test('an error with no code is logged as unknown, once', async (t) => {
  const path = await csvFile(HEADER + rowsFrom(1, 2));
  const fs = faultyFs();
  fs.beforeOpen = () => {
    throw new Error('boom');
  };
  const events = new Collector();
  const tail = new TailFile(path, events, { maxLineBytes: 4096, fs });
  tail.poll();
  tail.poll();
  t.deepEqual(events.said, [
    { message: 'cannot look at the CSV files; retrying, nothing is skipped', fields: { path, error: 'unknown boom' } },
  ]);
});

test('a stat error before any file is open is said once; a stat error on the live path stops the count of bytes behind', async (t) => {
  const dir = await tempDir();
  const path = join(dir, 'telemetry.csv');
  writeFileSync(`${path}.1`, HEADER + rowsFrom(1, 2));
  const fs = faultyFs();
  fs.statFails = 'EIO';
  fs.faultPath = path;
  const events = new Collector();
  const tail = new TailFile(path, events, { maxLineBytes: 4096, fs });
  t.is(tail.lagBytes, 0, 'what is behind a path that cannot be looked at is not known');
  tail.poll();
  tail.poll();
  t.deepEqual(events.seqs, [], 'the order of the chain is not known either');
  t.deepEqual(events.notices, ['cannot look at the CSV files; retrying, nothing is skipped']);
  fs.statFails = null;
  tail.poll();
  t.deepEqual(events.seqs, [1, 2]);
});

test('a CSV path under a regular file (ENOTDIR) is no file there, as a missing one', async (t) => {
  const dir = await tempDir();
  writeFileSync(join(dir, 'data'), '');
  const path = join(dir, 'data', 'telemetry.csv');
  const events = new Collector();
  const tail = new TailFile(path, events, { maxLineBytes: 4096 });
  t.is(tail.poll(), 0);
  t.is(tail.lagBytes, 0);
  t.deepEqual(events.notices, []);
});

test('an error while all is read (EMFILE on open) does not make the follower forget the rotated files it read', async (t) => {
  const dir = await tempDir();
  const path = join(dir, 'telemetry.csv');
  writeFileSync(`${path}.1`, HEADER + rowsFrom(1, 2));
  const fs = faultyFs();
  const events = new Collector();
  const tail = new TailFile(path, events, { maxLineBytes: 4096, fs });
  tail.poll(); // .1 read to its end; telemetry.csv not there yet
  fs.openFails = 'EMFILE';
  tail.poll();
  fs.openFails = null;
  writeFileSync(path, HEADER + rowsFrom(3, 2));
  tail.poll();
  t.deepEqual(events.seqs, [1, 2, 3, 4]);
});
