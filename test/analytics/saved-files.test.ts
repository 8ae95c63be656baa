// Files the app wrote itself are untrusted input: every malformed shape is moved aside with one
// error line, and the app starts from what it can trust.
import test from 'ava';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Outbox } from '../../apps/analytics/notify/outbox.js';
import { loadState, saveState, statePath, type AnalyticsState } from '../../apps/analytics/state-file.js';
import { tempDir } from '../helpers.js';
import { notice } from './notice-fixture.js';

const good: AnalyticsState = {
  version: 1,
  position: { dev: 1, ino: 2, head: 'dGltZXN0YW1w', offset: 120, done: [{ dev: 1, ino: 3, head: '' }] },
  parser: { mapping: { timestamp: 0, cpu: 1, ram: 2, seq: 3, fields: 4 } },
  stats: {
    cpu: { count: 2, sum: 100, min: 40, max: 60 },
    ram: { count: 2, sum: 100, min: 50, max: 50 },
    rejected: { columns: 0, number: 1, range: 0, too_long: 0 },
    headers: 0,
    gaps: 0,
    seqRestarts: 0,
    truncations: 0,
    lastSeq: 2,
  },
  alerts: {
    lastArrival: 1_700_000_000_000,
    rules: {
      r: {
        definition: '{}',
        state: { phase: 'firing', since: 1, firedAt: 1, notifiedAt: 1 },
        episodes: 3,
        window: [[1, 50]],
      },
    },
  },
  announce: { r: { firing: true, changes: [5], flapping: null } },
};

const variants: [string, string][] = [
  ['not JSON', '{"version":1,'],
  ['empty', ''],
  ['an array', '[]'],
  ['null', 'null'],
  ['a number', '42'],
  ['version only', '{"version":1}'],
  ['position null, rest missing', '{"version":1,"position":null}'],
  ['wrong version', JSON.stringify({ ...good, version: 2 })],
  ['negative offset', JSON.stringify({ ...good, position: { ...good.position, offset: -5 } })],
  ['huge offset', JSON.stringify({ ...good, position: { ...good.position, offset: 1e300 } })],
  ['offset as a string', JSON.stringify({ ...good, position: { ...good.position, offset: '120' } })],
  ['done not an array', JSON.stringify({ ...good, position: { ...good.position, done: {} } })],
  [
    'mapping column out of range',
    JSON.stringify({ ...good, parser: { mapping: { ...good.parser.mapping, cpu: 1000 } } }),
  ],
  [
    'stats count negative',
    JSON.stringify({ ...good, stats: { ...good.stats, cpu: { ...good.stats.cpu, count: -1 } } }),
  ],
  ['rejected reasons missing', JSON.stringify({ ...good, stats: { ...good.stats, rejected: {} } })],
  ['rules an array', JSON.stringify({ ...good, alerts: { ...good.alerts, rules: [] } })],
  [
    'phase unknown',
    JSON.stringify({
      ...good,
      alerts: {
        ...good.alerts,
        rules: { r: { ...good.alerts.rules.r, state: { ...good.alerts.rules.r!.state, phase: 'exploded' } } },
      },
    }),
  ],
  ['a time no Date holds', JSON.stringify({ ...good, alerts: { ...good.alerts, lastArrival: 1e17 } })],
  [
    'nested garbage in a window',
    JSON.stringify({
      ...good,
      alerts: { ...good.alerts, rules: { r: { ...good.alerts.rules.r, window: [[1, { a: [] }]] } } },
    }),
  ],
  [
    'flapping without its last notice',
    JSON.stringify({ ...good, announce: { r: { firing: true, changes: [], flapping: { trigger: 'k', held: 1 } } } }),
  ],
];

for (const [name, text] of variants) {
  test(`state file: ${name} → moved aside, fresh start`, async (t) => {
    const dir = await tempDir();
    writeFileSync(statePath(dir), text);
    t.is(loadState(dir, 1234), null);
    t.false(existsSync(statePath(dir)));
    t.is(readFileSync(join(dir, 'analytics-state.json.corrupt-1234'), 'utf8'), text, 'kept for inspection');
  });
}

test('state file: a good state loads; one from before this version gets defaults (episodes, announce)', async (t) => {
  const dir = await tempDir();
  saveState(dir, good, true);
  t.deepEqual(loadState(dir, 0), good);
  const { announce: _a, ...older } = good;
  const rules = { r: { ...good.alerts.rules.r, episodes: undefined } };
  writeFileSync(statePath(dir), JSON.stringify({ ...older, alerts: { ...good.alerts, rules } }));
  const loaded = loadState(dir, 0);
  t.deepEqual(loaded?.announce, {});
  t.is(loaded?.alerts.rules.r?.episodes, 0);
  t.deepEqual(readdirSync(dir), ['analytics-state.json']);
});

test('outbox: unusable lines are skipped and counted, a copy is kept, the rest is delivered', async (t) => {
  const dir = await tempDir();
  const path = join(dir, 'outbox.jsonl');
  const a = notice({ rule: 'a' });
  const b = notice({ rule: 'b' });
  const lines = [
    JSON.stringify({ op: 'add', key: a.key, at: 1, transition: a }),
    '{not json',
    '[]',
    JSON.stringify({ op: 'add', key: 'x', at: 1 }),
    JSON.stringify({ op: 'add', key: 'y', at: 1, transition: { ...b, timestamp: 1e17 } }),
    JSON.stringify({ op: 'add', key: 'z', at: 1, transition: { ...b, kind: 'exploded' } }),
    JSON.stringify({ op: 'sent', keys: 'all' }),
    JSON.stringify({ op: 'add', key: b.key, at: 2, transition: b }),
  ];
  writeFileSync(path, lines.join('\n') + '\n');
  const outbox = new Outbox(path, 77);
  t.deepEqual(
    outbox.items().map((i) => i.key),
    [a.key, b.key],
  );
  t.is(readFileSync(join(dir, 'outbox.jsonl.corrupt-77'), 'utf8'), lines.join('\n') + '\n');
  outbox.close();
  t.deepEqual(
    new Outbox(path, 78).items().map((i) => i.key),
    [a.key, b.key],
    'the rewritten file holds only what was usable',
  );
  t.false(existsSync(join(dir, 'outbox.jsonl.corrupt-78')));
});

test('outbox: bounded; past maxPending the oldest undelivered go to the dead-letter file', async (t) => {
  const dir = await tempDir();
  const outbox = new Outbox(join(dir, 'outbox.jsonl'), 0, 3);
  outbox.add(
    [1, 2, 3, 4, 5].map((i) => notice({ timestamp: i })),
    0,
  );
  t.deepEqual(
    outbox.items().map((i) => i.transition.timestamp),
    [3, 4, 5],
  );
  const dead = readFileSync(join(dir, 'outbox.dead.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { transition: { timestamp: number } }).transition.timestamp);
  t.deepEqual(dead, [1, 2]);
  outbox.close();
});
