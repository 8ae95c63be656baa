// A channel's durable outbox: an append-only JSONL file in data/. Every notification is appended
// (and fsynced) before any attempt to send it, under its idempotency key; delivery appends a
// `sent` record. On start the file is replayed: what is pending is sent once, what was sent never
// again. It is compacted (atomically) when it grows, keeping recent keys so replays stay
// deduplicated. Bounded: past `maxPending` the oldest undelivered move to the dead-letter file.
import {
  appendFileSync,
  closeSync,
  copyFileSync,
  existsSync,
  fdatasyncSync,
  openSync,
  readFileSync,
  statSync,
  writeSync,
} from 'node:fs';
import { writeFileAtomic } from '../../../common/atomic-file.js';
import { describeCause } from '../../../common/errors.js';
import { log } from '../../../common/log.js';
import { keyOf, type Transition } from '../rules/alerting.js';
import { checkOutboxRecord } from '../saved-checks.js';

export interface OutboxItem {
  key: string;
  /** When it entered the outbox (wall clock). */
  at: number;
  transition: Transition;
}

type OutboxRecord = ({ op: 'add' } & OutboxItem) | { op: 'sent' | 'dead' | 'seen'; keys: string[] };

const KEYS_KEPT = 5_000;
const COMPACT_BYTES = 512 << 10;
const MAX_PENDING = 5_000;

export class Outbox {
  readonly path: string;
  readonly deadPath: string;
  /** Dead-lettered since start (too old, unrenderable, or over the bound). */
  dead = 0;
  private pending = new Map<string, OutboxItem>();
  private finished = new Set<string>();
  private fd = -1;
  private bytes = 0;
  /** A write failed (a full disk): the file lags memory until a rewrite succeeds. */
  private stale = false;
  private readonly maxPending: number;

  constructor(path: string, now: number, maxPending = MAX_PENDING) {
    this.path = path;
    this.deadPath = path.replace(/\.jsonl$/, '') + '.dead.jsonl';
    this.maxPending = maxPending;
    this.load(now);
    this.compact();
  }

  get depth(): number {
    return this.pending.size;
  }

  /** Pending items, oldest first. */
  items(): OutboxItem[] {
    return [...this.pending.values()];
  }

  /** Durably adds the notifications not seen before; returns how many were new. */
  add(transitions: Transition[], now: number): number {
    const fresh = transitions
      .map((t) => ({ key: keyOf(t), at: now, transition: t }))
      .filter((i) => !this.pending.has(i.key) && !this.finished.has(i.key));
    if (fresh.length === 0) return 0;
    for (const item of fresh) this.pending.set(item.key, item);
    this.append(fresh.map((i) => ({ op: 'add', ...i })));
    const over = this.pending.size - this.maxPending;
    if (over > 0) {
      this.markDead(
        this.items()
          .slice(0, over)
          .map((i) => i.key),
      );
      log.error('OUTBOX FULL: the oldest undelivered notifications were moved to the dead-letter file', {
        count: over,
        maxPending: this.maxPending,
        file: this.deadPath,
      });
    }
    return fresh.length;
  }

  markSent(keys: string[]): void {
    this.finish('sent', keys);
  }

  /** Gives up on items: they go to the dead-letter file. */
  markDead(keys: string[]): void {
    const items = keys.map((k) => this.pending.get(k)).filter((i): i is OutboxItem => i !== undefined);
    try {
      appendFileSync(this.deadPath, items.map((i) => JSON.stringify(i) + '\n').join(''));
    } catch (err) {
      log.error('DEAD LETTERS LOST: cannot write the dead-letter file', {
        file: this.deadPath,
        count: items.length,
        error: describeCause(err),
      });
    }
    this.dead += items.length;
    this.finish('dead', keys);
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  private finish(op: 'sent' | 'dead', keys: string[]): void {
    for (const k of keys) {
      this.pending.delete(k);
      this.finished.add(k);
    }
    this.append([{ op, keys }]);
    if (this.bytes > COMPACT_BYTES) this.compact();
  }

  /** Replays the file. A torn last line is a record that never happened; any other bad line is skipped, counted and kept in a copy. */
  private load(now: number): void {
    if (!existsSync(this.path)) return;
    const lines = readFileSync(this.path, 'utf8').split('\n');
    const torn = lines.pop(); // '' when the file ends with a newline
    let bad = 0;
    let firstProblem = '';
    for (const [i, line] of lines.entries()) {
      if (!line) continue;
      let r: unknown;
      let wrong: string | null;
      try {
        r = JSON.parse(line);
        wrong = checkOutboxRecord(r);
      } catch (err) {
        wrong = describeCause(err);
      }
      if (wrong !== null) {
        bad++;
        firstProblem ||= `line ${i + 1}: ${wrong}`;
        continue;
      }
      this.replay(r as OutboxRecord);
    }
    if (bad > 0) {
      const copy = `${this.path}.corrupt-${now}`;
      copyFileSync(this.path, copy);
      log.error('outbox has unusable lines; skipped them (a copy of the file is kept) and delivering the rest', {
        file: this.path,
        copy,
        skipped: bad,
        first: firstProblem,
      });
    }
    if (torn) log.warn('outbox ends in a torn line (a crash mid-append); that record is ignored', { file: this.path });
  }

  private replay(r: OutboxRecord): void {
    if (r.op === 'add') {
      if (!this.finished.has(r.key))
        this.pending.set(r.key, { key: r.key, at: r.at, transition: { ...r.transition, key: r.key } });
      return;
    }
    for (const k of r.keys) {
      this.pending.delete(k);
      this.finished.add(k);
    }
  }

  /** Rewrites the file as the pending items plus the most recent finished keys. */
  private compact(): void {
    const keep = [...this.finished].slice(-KEYS_KEPT);
    this.finished = new Set(keep);
    const records: OutboxRecord[] = [
      { op: 'seen', keys: keep },
      ...this.items().map((i) => ({ op: 'add' as const, ...i })),
    ];
    this.close();
    try {
      writeFileAtomic(this.path, records.map((r) => JSON.stringify(r) + '\n').join(''));
      this.fd = openSync(this.path, 'a');
      this.bytes = statSync(this.path).size;
      if (this.stale) log.info('outbox writes work again', { file: this.path });
      this.stale = false;
    } catch (err) {
      if (!this.stale)
        log.error('cannot write the outbox; notifications stay in memory and are written once the disk takes them', {
          file: this.path,
          error: describeCause(err),
        });
      this.stale = true;
    }
  }

  /** Appends records; after a failed write (a half record may be on disk) the whole file is rewritten instead. */
  private append(records: OutboxRecord[]): void {
    if (this.stale) {
      this.compact();
      return;
    }
    const text = records.map((r) => JSON.stringify(r) + '\n').join('');
    try {
      writeSync(this.fd, text);
      fdatasyncSync(this.fd);
      this.bytes += Buffer.byteLength(text);
    } catch (err) {
      log.error('cannot write the outbox; notifications stay in memory and are written once the disk takes them', {
        file: this.path,
        error: describeCause(err),
      });
      this.stale = true;
    }
  }
}
