// The dashboard feed without a browser: buckets, coalescing, replay and its limits.
import test from 'ava';
import {
  BUCKET_MS,
  HISTORY_POINTS,
  LiveFeed,
  MAX_POINTS_PER_FLUSH,
  mergePoints,
} from '../../../apps/analytics/dashboard/live-feed.js';
import type { Point } from '../../../apps/analytics/dashboard/wire.js';
import { notice } from '../notice-fixture.js';

const T = 1_800_000_000_000;

test('samples become 100 ms buckets of avg and max by sample time: no spike disappears', (t) => {
  const feed = new LiveFeed('b1');
  for (let i = 0; i < 1000; i++) feed.onSample(T + i * 0.1, i === 500 ? 99.5 : 10, 20); // 1000 samples in one bucket
  feed.onSample(T + BUCKET_MS, 30, 40);
  const [e] = feed.flush();
  t.is(e!.type, 'points');
  const points = e!.data as Point[];
  t.deepEqual(points, [
    [T + 99.9, 10.09, 99.5, 20, 20],
    [T + BUCKET_MS, 30, 30, 40, 40],
  ]);
  t.deepEqual(feed.flush(), [], 'nothing new, nothing sent');
  t.is(feed.lastSampleAt, T + BUCKET_MS);
});

test('a backlog read at once is merged into at most MAX_POINTS_PER_FLUSH points, keeping the max', (t) => {
  const feed = new LiveFeed('b1');
  for (let i = 0; i < 3 * MAX_POINTS_PER_FLUSH; i++) feed.onSample(T + i * BUCKET_MS, i === 1234 ? 100 : 5, 5);
  const points = feed.flush()[0]!.data as Point[];
  t.true(points.length <= MAX_POINTS_PER_FLUSH && points.length >= MAX_POINTS_PER_FLUSH / 2, String(points.length));
  t.is(Math.max(...points.map((p) => p[2])), 100);
  t.deepEqual(mergePoints(points.slice(0, 3), 10), points.slice(0, 3), 'few points pass unchanged');
});

test('a backlog of a million buckets in one poll is merged as it arrives: bounded memory, the max kept', (t) => {
  const feed = new LiveFeed('b1');
  for (let i = 0; i < 1_000_000; i++) feed.onSample(T + i * 1000, i === 777_777 ? 100 : 5, 5);
  t.true(feed.waiting < 2 * MAX_POINTS_PER_FLUSH, 'bounded before any flush');
  const points = feed.flush()[0]!.data as Point[];
  t.true(points.length <= MAX_POINTS_PER_FLUSH);
  t.is(Math.max(...points.map((p) => p[2])), 100);
  // the widened buckets end with the flush: the next rows are 100 ms buckets again, none shown twice
  for (let i = 1_000_000; i < 1_000_005; i++) feed.onSample(T + i * 1000, 7, 7);
  const next = feed.flush()[0]!.data as Point[];
  t.deepEqual(
    next.map((p) => p[0]),
    [0, 1, 2, 3, 4].map((k) => T + (1_000_000 + k) * 1000),
  );
  const times = feed.view().points.map((p) => p[0]);
  t.true(
    times.every((x, i) => i === 0 || x > times[i - 1]!),
    'history strictly in time order',
  );
  t.is(times.at(-6), points.at(-1)![0]);
});

test('transitions are coalesced per rule per flush', (t) => {
  const feed = new LiveFeed('b1');
  for (let i = 0; i < 100; i++)
    feed.onTransition(notice({ rule: 'r', kind: i % 2 ? 'resolved' : 'firing', timestamp: T + i }));
  feed.onTransition(notice({ rule: 'q', kind: 'firing', timestamp: T }));
  feed.onTransition(notice({ rule: 'q', kind: 'repeat', timestamp: T + 5 }));
  const [e] = feed.flush();
  t.deepEqual(e!.data, [
    { rule: 'r', state: 'resolved', timestamp: T + 99, value: 90, coalesced: 99 },
    { rule: 'q', state: 'firing', timestamp: T, value: 90, coalesced: 0 },
  ]);
});

test('replay: the events after Last-Event-ID of this boot; a snapshot for another boot, an unknown or a too old id', (t) => {
  const feed = new LiveFeed('boot');
  for (let i = 0; i < 3000; i++) {
    feed.onSample(T + i * BUCKET_MS, 1, 1);
    feed.flush();
  }
  t.is(feed.lastId, 'boot-3000');
  t.deepEqual(
    feed.since('boot-2998')!.map((e) => e.id),
    [2999, 3000],
  );
  t.deepEqual(feed.since('boot-3000'), []);
  t.is(feed.since('other-2998'), null, 'an earlier run of the app');
  t.is(feed.since('boot-3001'), null, 'from the future');
  t.is(feed.since('boot-10'), null, 'older than the ring');
  t.is(feed.since(undefined), null);
  t.is(feed.since('garbage'), null);
  t.true(feed.view().points.length <= HISTORY_POINTS);
});
