// The email outbox: an append-only JSONL file in data/. Every notification is appended (and
// fsynced) before any attempt to send it, with an idempotency key; delivery appends a `sent`
// record. On start the file is replayed: what is pending is sent once, what was sent never again.
// It is compacted (atomically) when it grows, keeping recent keys so replays stay deduplicated.
import { appendFileSync, closeSync, existsSync, fdatasyncSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { writeFileAtomic } from '../../../common/atomic-file.js';
import { transitionKey, type Transition } from '../rules/alerting.js';

export interface OutboxItem {
  key: string;
  /** When it entered the outbox (wall clock). */
  at: number;
  transition: Transition;
}

type Record =
  | { op: 'add'; key: string; at: number; transition: Transition }
  | { op: 'sent' | 'dead' | 'seen'; keys: string[] };

const KEYS_KEPT = 10_000;
const COMPACT_BYTES = 1 << 20;

export class Outbox {
  readonly path: string;
  readonly deadPath: string;
  private pending = new Map<string, OutboxItem>();
  private finished = new Set<string>();
  private fd = -1;
  private bytes = 0;

  constructor(path: string) {
    this.path = path;
    this.deadPath = path.replace(/\.jsonl$/, '') + '.dead.jsonl';
    this.load();
    this.compact();
  }

  get depth(): number {
    return this.pending.size;
  }

  /** Pending items, oldest first. */
  items(): OutboxItem[] {
    return [...this.pending.values()];
  }

  /** Durably adds the transitions not seen before; returns how many were new. */
  add(transitions: Transition[], now: number): number {
    const fresh = transitions.map((t) => ({ key: transitionKey(t), at: now, transition: t })).filter((i) => !this.pending.has(i.key) && !this.finished.has(i.key));
    if (fresh.length === 0) return 0;
    for (const item of fresh) this.pending.set(item.key, item);
    this.append(fresh.map((i) => ({ op: 'add', ...i })));
    return fresh.length;
  }

  markSent(keys: string[]): void {
    this.finish('sent', keys);
  }

  /** Gives up on items: they go to the dead-letter file. */
  markDead(keys: string[]): void {
    const items = keys.map((k) => this.pending.get(k)).filter((i): i is OutboxItem => i !== undefined);
    appendFileSync(this.deadPath, items.map((i) => JSON.stringify(i) + '\n').join(''));
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

  private load(): void {
    if (!existsSync(this.path)) return;
    for (const line of readFileSync(this.path, 'utf8').split('\n')) {
      if (!line) continue;
      let r: Record;
      try {
        r = JSON.parse(line) as Record;
      } catch {
        continue; // a torn last line from a crash mid-append: that record never happened
      }
      if (r.op === 'add') {
        if (!this.finished.has(r.key)) this.pending.set(r.key, { key: r.key, at: r.at, transition: r.transition });
      } else {
        for (const k of r.keys) {
          this.pending.delete(k);
          this.finished.add(k);
        }
      }
    }
  }

  /** Rewrites the file as the pending items plus the most recent finished keys. */
  private compact(): void {
    this.close();
    const keep = [...this.finished].slice(-KEYS_KEPT);
    this.finished = new Set(keep);
    const records: Record[] = [{ op: 'seen', keys: keep }, ...this.items().map((i) => ({ op: 'add' as const, key: i.key, at: i.at, transition: i.transition }))];
    writeFileAtomic(this.path, records.map((r) => JSON.stringify(r) + '\n').join(''));
    this.fd = openSync(this.path, 'a');
    this.bytes = statSync(this.path).size;
  }

  private append(records: Record[]): void {
    const text = records.map((r) => JSON.stringify(r) + '\n').join('');
    writeSync(this.fd, text);
    fdatasyncSync(this.fd);
    this.bytes += Buffer.byteLength(text);
  }
}
