import test from 'ava';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Outbox } from '../../../apps/analytics/notify/outbox.js';
import { transitionKey, type Transition } from '../../../apps/analytics/rules/alerting.js';
import { tempDir } from '../../helpers.js';

const t1 = { rule: 'r', kind: 'firing', timestamp: 1, value: 90, metric: 'cpu', op: 'above', threshold: 80, severity: 'warning', channels: ['email'], since: 1, firedAt: 1 } as Transition;
const t2 = { ...t1, kind: 'resolved', timestamp: 2 } as Transition;

test('pending items survive a reopen; sent ones never come back, even when replayed', async (t) => {
  const path = join(await tempDir(), 'outbox.jsonl');
  const a = new Outbox(path);
  t.is(a.add([t1, t2], 100), 2);
  t.is(a.add([t1], 101), 0, 'deduplicated by key');
  a.markSent([transitionKey(t1)]);
  a.close();
  const b = new Outbox(path);
  t.deepEqual(b.items().map((i) => i.key), [transitionKey(t2)]);
  t.is(b.add([t1, t2], 102), 0, 'a replayed transition is not queued again');
  b.close();
});

test('a torn last record (crash mid-append) is ignored and the file is repaired', async (t) => {
  const path = join(await tempDir(), 'outbox.jsonl');
  const a = new Outbox(path);
  a.add([t1], 100);
  a.close();
  appendFileSync(path, '{"op":"add","key":"r:1:reso');
  const b = new Outbox(path);
  t.deepEqual(b.items().map((i) => i.key), [transitionKey(t1)]);
  b.add([t2], 101);
  b.close();
  t.deepEqual(new Outbox(path).items().map((i) => i.key), [transitionKey(t1), transitionKey(t2)]);
  t.notThrows(() => readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l)));
});

test('dead letters go to outbox.dead.jsonl', async (t) => {
  const dir = await tempDir();
  const a = new Outbox(join(dir, 'outbox.jsonl'));
  a.add([t1], 100);
  a.markDead([transitionKey(t1)]);
  t.is(a.depth, 0);
  t.is(JSON.parse(readFileSync(join(dir, 'outbox.dead.jsonl'), 'utf8')).key, transitionKey(t1));
  a.close();
});
