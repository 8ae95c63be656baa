import test from 'ava';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Outbox } from '../../../apps/analytics/notify/outbox.js';
import { notice } from '../notice-fixture.js';
import { tempDir } from '../../helpers.js';

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
