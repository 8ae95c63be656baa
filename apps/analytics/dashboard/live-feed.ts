// What the dashboard's browsers are told, decided without a clock or a socket (the shell flushes
// it every FLUSH_MS and writes the events out):
//
//   samples ─▶ 100 ms buckets by sample time (avg and max each, so no spike disappears)
//   transitions ─▶ coalesced per rule per flush (a flapping rule cannot flood a connection)
//   flush() ─▶ numbered events in a bounded ring: a reconnect with Last-Event-ID replays what it
//              missed, or gets a full snapshot when it is too far behind or from an earlier boot
import type { Transition } from '../rules/alerting.js';
import type { Point, ShownTransition } from './wire.js';

/** Sample time per bucket: at most 10 points per second of samples, whatever the rate. */
export const BUCKET_MS = 100;
/** Points per flush at most: a backlog read at once is merged into this many wider buckets. */
export const MAX_POINTS_PER_FLUSH = 3600;
/** Points kept for a snapshot: an hour at 10 per second. */
export const HISTORY_POINTS = 36_000;
const RECENT_TRANSITIONS = 50;
const RING_EVENTS = 2_000;

/** [time of the bucket's newest sample (ms), cpu avg, cpu max, ram avg, ram max] */

/** Two points of one bucket: the later one (the bucket grown) replaces the earlier. */
const sameBucket = (a: number, b: number): boolean => Math.floor(a / BUCKET_MS) === Math.floor(b / BUCKET_MS);

export interface FeedEvent {
  id: number;
  type: 'points' | 'transitions';
  data: Point[] | ShownTransition[];
}

/** An open bucket's running sums. */
interface Bucket {
  slot: number;
  last: number;
  n: number;
  cpuSum: number;
  cpuMax: number;
  ramSum: number;
  ramMax: number;
}

const round2 = (v: number): number => Math.round(v * 100) / 100;

function pointOf(b: Bucket): Point {
  return [b.last, round2(b.cpuSum / b.n), b.cpuMax, round2(b.ramSum / b.n), b.ramMax];
}

/** Merges consecutive points into at most `max` (avg weighted equally, max kept). */
export function mergePoints(points: Point[], max: number): Point[] {
  if (points.length <= max) return points;
  const per = Math.ceil(points.length / max);
  const out: Point[] = [];
  for (let i = 0; i < points.length; i += per) {
    const end = Math.min(points.length, i + per);
    let cpuSum = 0;
    let ramSum = 0;
    let cpuMax = -Infinity;
    let ramMax = -Infinity;
    for (let k = i; k < end; k++) {
      const p = points[k]!;
      cpuSum += p[1];
      ramSum += p[3];
      if (p[2] > cpuMax) cpuMax = p[2];
      if (p[4] > ramMax) ramMax = p[4];
    }
    out.push([points[end - 1]![0], round2(cpuSum / (end - i)), cpuMax, round2(ramSum / (end - i)), ramMax]);
  }
  return out;
}

export class LiveFeed {
  /** Names this run of the app: an id from another boot means "start over with a snapshot". */
  readonly boot: string;
  private bucket: Bucket | null = null;
  /** Sample time per bucket: BUCKET_MS, doubled while a backlog read in one poll piles up points. */
  private width = BUCKET_MS;
  private pending: Point[] = [];
  private transitions = new Map<string, ShownTransition>();
  private readonly history: Point[] = [];
  private readonly recent: ShownTransition[] = [];
  private readonly ring: FeedEvent[] = [];
  private nextId = 1;
  private dirty = false;
  /** The newest sample's own timestamp (ms), 0 before the first. */
  lastSampleAt = 0;
  /** The first sample's timestamp since start (ms), 0 before the first: history loads up to it. */
  firstSampleAt = 0;

  constructor(boot: string) {
    this.boot = boot;
  }

  /** Something arrived since the last flush. */
  get unsent(): boolean {
    return this.dirty;
  }

  /** One accepted sample (the ingest path: a few additions, no allocation within a bucket). */
  onSample(timestamp: number, cpu: number, ram: number): void {
    this.dirty = true;
    if (timestamp > this.lastSampleAt) this.lastSampleAt = timestamp;
    if (this.firstSampleAt === 0) this.firstSampleAt = timestamp;
    let slot = Math.floor(timestamp / this.width);
    const b = this.bucket;
    if (b !== null && b.slot === slot) {
      b.n++;
      if (timestamp > b.last) b.last = timestamp;
      b.cpuSum += cpu;
      b.ramSum += ram;
      if (cpu > b.cpuMax) b.cpuMax = cpu;
      if (ram > b.ramMax) b.ramMax = ram;
      return;
    }
    if (b === null) {
      this.bucket = { slot, last: timestamp, n: 1, cpuSum: cpu, cpuMax: cpu, ramSum: ram, ramMax: ram };
      return;
    }
    this.pending.push(pointOf(b));
    // A backlog read in one poll (millions of buckets) is merged as it grows, and its buckets
    // widen: memory stays bounded and most rows cost a few additions, not a point each.
    if (this.pending.length >= 2 * MAX_POINTS_PER_FLUSH) {
      this.pending = mergePoints(this.pending, MAX_POINTS_PER_FLUSH);
      this.width *= 2;
      slot = Math.floor(timestamp / this.width);
    }
    b.slot = slot;
    b.last = timestamp;
    b.n = 1;
    b.cpuSum = b.cpuMax = cpu;
    b.ramSum = b.ramMax = ram;
  }

  onTransition(t: Transition): void {
    if (t.kind !== 'firing' && t.kind !== 'resolved') return;
    const before = this.transitions.get(t.rule);
    this.transitions.set(t.rule, {
      rule: t.rule,
      state: t.kind,
      timestamp: t.timestamp,
      value: t.value,
      coalesced: before ? before.coalesced + 1 : 0,
    });
    this.dirty = true;
  }

  /** Closes what arrived since the last flush into events (the open bucket goes out as it stands). */
  flush(): FeedEvent[] {
    const events: FeedEvent[] = [];
    const points = this.pending;
    if (this.dirty && this.bucket) points.push(pointOf(this.bucket));
    if (this.width !== BUCKET_MS) {
      // a widened bucket is closed: grown later, it would no longer fall in its 100 ms slot
      this.bucket = null;
      this.width = BUCKET_MS;
    }
    this.pending = [];
    this.dirty = false;
    if (points.length > 0) {
      const shown = mergePoints(points, MAX_POINTS_PER_FLUSH);
      this.remember(shown);
      events.push(this.event('points', shown));
    }
    if (this.transitions.size > 0) {
      const shown = [...this.transitions.values()];
      this.transitions.clear();
      this.recent.push(...shown);
      this.recent.splice(0, Math.max(0, this.recent.length - RECENT_TRANSITIONS));
      events.push(this.event('transitions', shown));
    }
    return events;
  }

  /** The events after `lastId` of this boot, or null when a snapshot is needed instead. */
  since(lastEventId: string | undefined): FeedEvent[] | null {
    const m = /^(.+)-(\d+)$/.exec(lastEventId ?? '');
    if (!m || m[1] !== this.boot) return null;
    const last = Number(m[2]);
    if (last >= this.nextId) return null;
    const first = this.ring[0]?.id ?? this.nextId;
    if (last < first - 1) return null;
    return this.ring.filter((e) => e.id > last);
  }

  /** Points waiting for the next flush: bounded, however many buckets a poll brings. */
  get waiting(): number {
    return this.pending.length;
  }

  /** The id a snapshot stands for: every event up to it is included. */
  get lastId(): string {
    return `${this.boot}-${this.nextId - 1}`;
  }

  /**
   * What came before this start (read from the CSV files, and the transitions saved): put before
   * what arrived since, within the same bound.
   */
  preload(points: Point[], transitions: ShownTransition[]): void {
    const first = this.history[0]?.[0] ?? Infinity;
    const older = mergePoints(
      points.filter((p) => p[0] < first),
      HISTORY_POINTS,
    );
    this.history.unshift(...older.slice(Math.max(0, older.length + this.history.length - HISTORY_POINTS)));
    this.recent.unshift(...transitions.slice(-RECENT_TRANSITIONS));
    this.recent.splice(0, Math.max(0, this.recent.length - RECENT_TRANSITIONS));
  }

  /** Points for a snapshot (the open bucket included) and recent transitions. */
  view(): { bucketMs: number; points: Point[]; transitions: ShownTransition[] } {
    return { bucketMs: BUCKET_MS, points: this.history, transitions: this.recent };
  }

  private remember(points: Point[]): void {
    const h = this.history;
    // a bucket flushed while open comes again, grown: replace it
    if (h.length > 0 && points.length > 0 && sameBucket(h.at(-1)![0], points[0]![0])) h.pop();
    h.push(...points);
    if (h.length > HISTORY_POINTS) h.splice(0, h.length - HISTORY_POINTS);
  }

  private event(type: FeedEvent['type'], data: FeedEvent['data']): FeedEvent {
    const e: FeedEvent = { id: this.nextId++, type, data };
    this.ring.push(e);
    if (this.ring.length > RING_EVENTS) this.ring.shift();
    return e;
  }
}
