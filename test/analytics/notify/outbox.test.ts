import test from 'ava';
import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { Outbox } from '../../../apps/analytics/notify/outbox.js';
import { notice } from '../notice-fixture.js';
import { logged, tempDir } from '../../helpers.js';

const t1 = notice();
const t2 = notice({ kind: 'resolved', timestamp: 2 });

test('pending items survive a reopen; sent ones never come back, even when replayed', async (t) => {
  const path = join(await tempDir(), 'outbox.jsonl');
  const a = new Outbox(path, 0);
  t.is(a.add([t1, t2], 100), 2);
  t.is(a.add([t1], 101), 0, 'deduplicated by key');
  a.markSent([t1.key]);
  a.close();
  const b = new Outbox(path, 0);
  t.deepEqual(
    b.items().map((i) => i.key),
    [t2.key],
  );
  t.is(b.add([t1, t2], 102), 0, 'a replayed transition is not queued again');
  b.close();
});

test('a torn last record (crash mid-append) is ignored and the file is repaired', async (t) => {
  const path = join(await tempDir(), 'outbox.jsonl');
  const a = new Outbox(path, 0);
  a.add([t1], 100);
  a.close();
  appendFileSync(path, '{"op":"add","key":"r:1:reso');
  const b = new Outbox(path, 0);
  t.deepEqual(
    b.items().map((i) => i.key),
    [t1.key],
  );
  b.add([t2], 101);
  b.close();
  t.deepEqual(
    new Outbox(path, 0).items().map((i) => i.key),
    [t1.key, t2.key],
  );
  t.notThrows(() =>
    readFileSync(path, 'utf8')
      .trim()
      .split('\n')
      .map((l): unknown => JSON.parse(l)),
  );
});

test('dead letters go to outbox.dead.jsonl', async (t) => {
  const dir = await tempDir();
  const a = new Outbox(join(dir, 'outbox.jsonl'), 0);
  a.add([t1], 100);
  a.markDead([t1.key]);
  t.is(a.depth, 0);
  t.is((JSON.parse(readFileSync(join(dir, 'outbox.dead.jsonl'), 'utf8')) as { key: string }).key, t1.key);
  a.close();
});

const many = (n: number, from = 0) => Array.from({ length: n }, (_, i) => notice({ timestamp: from + i }));
const records = (path: string): { op: string; keys?: string[] }[] =>
  readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { op: string; keys?: string[] });

test.serial('past maxPending the oldest undelivered go to the dead-letter file, with one error line', async (t) => {
  const path = join(await tempDir(), 'outbox.jsonl');
  const outbox = new Outbox(path, 0, 3);
  const four = many(4);
  const { value: added, lines: within } = await logged(() => outbox.add(four.slice(0, 3), 100));
  t.is(added, 3);
  t.deepEqual(within, [], 'exactly maxPending: nothing said');
  const { lines } = await logged(() => outbox.add(four.slice(3), 101));
  t.deepEqual(
    outbox.items().map((i) => i.key),
    four.slice(1).map((n) => n.key),
  );
  t.is(outbox.dead, 1);
  t.deepEqual(lines, [
    `error OUTBOX FULL: the oldest undelivered notifications were moved to the dead-letter file count=1 maxPending=3 file=${outbox.deadPath}\n`,
  ]);
  t.is(outbox.add(four.slice(0, 1), 102), 0, 'a dead letter is not queued again');
  outbox.close();
});

test.serial(
  'dead letters: only pending keys count; a dead-letter file that cannot be written is one error line, and they never come back',
  async (t) => {
    const dir = join(await tempDir(), 'data.jsonl'); // a directory whose name ends like the file's
    mkdirSync(dir);
    const outbox = new Outbox(join(dir, 'outbox.jsonl'), 0);
    t.is(outbox.deadPath, join(dir, 'outbox.dead.jsonl'));
    const [a, b] = many(2);
    outbox.add([a!, b!], 100);
    outbox.markDead([a!.key, 'not-pending']);
    t.is(outbox.dead, 1);
    t.is(readFileSync(outbox.deadPath, 'utf8').trim().split('\n').length, 1);
    rmSync(outbox.deadPath);
    mkdirSync(outbox.deadPath); // cannot be appended to
    const { lines } = await logged(() => {
      outbox.markDead([b!.key]);
    });
    t.is(outbox.dead, 2);
    t.is(lines.length, 1);
    t.regex(lines[0]!, /^error DEAD LETTERS LOST: cannot write the dead-letter file file=\S+ count=1 error=.*EISDIR/);
    outbox.close();
    const { value: again, lines: reopened } = await logged(() =>
      Promise.resolve(new Outbox(join(dir, 'outbox.jsonl'), 0)),
    );
    t.deepEqual(again.items(), []);
    t.deepEqual(reopened, []);
    again.close();
  },
);

test.serial(
  'replay: unusable lines are skipped, counted, named by line and kept in a copy; blank lines are nothing; keys seen stay finished',
  async (t) => {
    const dir = await tempDir();
    const path = join(dir, 'outbox.jsonl');
    const [a, b, c] = many(3);
    const add = (n: typeof a) => JSON.stringify({ op: 'add', key: n!.key, at: 1, transition: n });
    writeFileSync(
      path,
      [
        JSON.stringify({ op: 'seen', keys: [a!.key] }),
        add(a),
        '',
        add(b),
        'not json',
        '{"op":"sent"}',
        add(c),
        '',
      ].join('\n'),
    );
    const { value: outbox, lines } = await logged(() => new Outbox(path, 77));
    t.deepEqual(
      outbox.items().map((i) => i.key),
      [b!.key, c!.key],
    );
    t.is(lines.length, 1);
    t.regex(
      lines[0]!,
      /^error outbox has unusable lines; skipped them \(a copy of the file is kept\) and delivering the rest file=\S+ copy=\S+outbox\.jsonl\.corrupt-77 skipped=2 first="line 5: .*not valid JSON/,
    );
    t.true(existsSync(`${path}.corrupt-77`));
    outbox.close();
    const { lines: clean } = await logged(() => {
      new Outbox(path, 78).close();
    });
    t.deepEqual(clean, [], 'a file that ends with a newline is whole: nothing to say');
    appendFileSync(path, '{"op":"se');
    const { lines: torn } = await logged(() => {
      new Outbox(path, 79).close();
    });
    t.deepEqual(torn, [`warn outbox ends in a torn line (a crash mid-append); that record is ignored file=${path}\n`]);
  },
);

test('the file is appended to, and compacted past 512 KiB to the pending items and the 5,000 newest keys finished', async (t) => {
  const path = join(await tempDir(), 'outbox.jsonl');
  const outbox = new Outbox(path, 0);
  const [first] = many(1);
  outbox.add([first!], 100);
  outbox.markSent([first!.key]);
  t.deepEqual(
    records(path).map((r) => r.op),
    ['seen', 'add', 'sent'],
    'appended',
  );
  let largest = 0;
  for (let i = 1; i <= 6000; i++) {
    const n = notice({ timestamp: 1000 + i });
    outbox.add([n], 100 + i);
    outbox.markSent([n.key]);
    largest = Math.max(largest, statSync(path).size);
  }
  t.true(largest < 600 << 10, `${largest} bytes at most`);
  outbox.close();
  const reopened = new Outbox(path, 0);
  reopened.close();
  const [seen] = records(path);
  t.is(seen!.keys!.length, 5000);
  t.is(seen!.keys!.at(-1), notice({ timestamp: 7000 }).key, 'the newest kept');
  t.is(new Outbox(path, 0).add([notice({ timestamp: 7000 })], 1), 0, 'a finished key kept is not queued again');
});

test('close() gives its descriptor back', async (t) => {
  const dir = await tempDir();
  const open = (): number => readdirSync('/proc/self/fd').length;
  const before = open();
  for (let i = 0; i < 20; i++) new Outbox(join(dir, `outbox-${i}.jsonl`), 0).close();
  t.is(open(), before);
});

/** A 64 KiB tmpfs at `dir` (root's mount) and a file filling it: an open descriptor's writes fail. */
function tinyDisk(dir: string): { fill(): void; free(): void; release(): void } {
  mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { stdio: 'ignore' });
  const filler = join(dir, 'filler');
  return {
    fill: () => {
      try {
        writeFileSync(filler, Buffer.alloc(1 << 20));
      } catch {
        // ENOSPC: full
      }
    },
    free: () => rmSync(filler, { force: true }),
    release: () => execFileSync('umount', ['-l', dir]),
  };
}

test.serial(
  'a full disk: notifications stay in memory (one error line) and reach the file once it takes them (one info line)',
  async (t) => {
    const dir = join(await tempDir(), 'data');
    let disk: ReturnType<typeof tinyDisk>;
    try {
      disk = tinyDisk(dir);
    } catch (err) {
      return t.fail(`this test needs root's mount (a tmpfs whose writes fail on an open file): ${String(err)}`);
    }
    t.teardown(() => disk.release());
    const path = join(dir, 'outbox.jsonl');
    const outbox = new Outbox(path, 0);
    const [a, d] = many(2);
    const stuck = many(20, 10); // more than the page the file has on the tmpfs
    outbox.add([a!], 100);
    disk.fill();
    const { lines: full } = await logged(() => {
      for (const n of stuck) outbox.add([n], 101);
      outbox.markSent([a!.key]);
      return Promise.resolve();
    });
    t.is(full.length, 1, full.join(''));
    t.regex(
      full[0]!,
      /^error cannot write the outbox; notifications stay in memory and are written once the disk takes them file=\S+ error=.*ENOSPC/,
    );
    t.deepEqual(
      outbox.items().map((i) => i.key),
      stuck.map((n) => n.key),
    );
    disk.free();
    const { lines: back } = await logged(() => outbox.add([d!], 103));
    t.deepEqual(back, [`info outbox writes work again file=${path}\n`]);
    const last = notice({ timestamp: 99 });
    outbox.add([last], 104);
    outbox.close();
    t.deepEqual(
      new Outbox(path, 0).items().map((i) => i.key),
      [...stuck, d!, last].map((n) => n.key),
    );
    // a disk full at start: what the file held stays in memory, said once
    disk.fill();
    const { value: atStart, lines: once } = await logged(() => new Outbox(path, 0));
    t.is(atStart.depth, 22);
    t.is(once.length, 1, once.join(''));
    t.regex(once[0]!, /^error cannot write the outbox; /);
  },
);
