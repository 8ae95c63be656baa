// Follows telemetry.csv exactly once across appends, rotation by rename, truncation, deletion and
// restarts. Only complete lines are consumed, and the position handed out for saving is always at a
// line boundary: after a partial line, the next poll reads again from that line's start, so a torn
// tail the engine cuts off on restart is never glued to the next row.
import { closeSync, fstatSync, openSync, readSync, statSync, type Stats as FileStats } from 'node:fs';
import type { Fields } from '../../../common/log.js';
import { LineReader, type LineSink } from './read-lines.js';

/** Identifies a file (device, inode, its first bytes) and a byte offset at a line boundary. */
export interface FilePosition {
  dev: number;
  ino: number;
  head: string;
  offset: number;
}

export interface FollowEvents extends LineSink {
  /** Reading starts on a file from its first byte (new, rotated-in or truncated). */
  fileStarted(): void;
  truncated(): void;
  notice(message: string, fields?: Fields): void;
}

interface OpenFile {
  fd: number;
  dev: number;
  ino: number;
  head: Buffer;
  /** Offset just after the last consumed `\n`. */
  committed: number;
  /** Offset up to which bytes were consumed (beyond `committed` only inside a too-long line). */
  readPos: number;
  reader: LineReader;
}

const HEAD_BYTES = 64;

function statOrNull(path: string): FileStats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

export class TailFile {
  readonly path: string;
  private readonly events: FollowEvents;
  private readonly maxLineBytes: number;
  private readonly chunk: Buffer;
  private current: OpenFile | null = null;
  private pending: FilePosition | null = null;

  constructor(path: string, events: FollowEvents, opts: { maxLineBytes: number; chunkBytes?: number }) {
    this.path = path;
    this.events = events;
    this.maxLineBytes = opts.maxLineBytes;
    this.chunk = Buffer.allocUnsafe(Math.max(opts.chunkBytes ?? 1 << 20, opts.maxLineBytes * 2));
  }

  /** Where to resume: found again by identity, in telemetry.csv or among its rotated files. */
  resumeFrom(saved: FilePosition | null): void {
    this.pending = saved;
  }

  get position(): FilePosition | null {
    const f = this.current;
    return f ? { dev: f.dev, ino: f.ino, head: f.head.toString('base64'), offset: f.committed } : this.pending;
  }

  /** Bytes of the current file not yet consumed. */
  get lagBytes(): number {
    const f = this.current;
    if (!f) return 0;
    try {
      return Math.max(0, fstatSync(f.fd).size - f.committed);
    } catch {
      return 0;
    }
  }

  /** Reads what has arrived, up to about `budget` bytes; true when more is waiting. */
  poll(budget = 64 << 20): boolean {
    if (!this.current && !this.openFirst()) return false;
    let read = 0;
    for (;;) {
      const f = this.current!;
      read += this.drain(f, budget - read);
      if (read >= budget) return true;
      const st = statOrNull(this.path);
      if (st && st.ino === f.ino && st.dev === f.dev) {
        if (st.size < f.committed || !this.consumedHeadUnchanged(f)) {
          this.events.truncated();
          this.events.notice('telemetry.csv was truncated; reading it again from the start', { path: this.path, offset: f.committed });
          this.restart(f);
          continue;
        }
        return false;
      }
      // Renamed away or deleted: what it holds is final. Finish it, then move to its successor.
      read += this.drain(f, Infinity);
      const rest = this.readRest(f);
      f.reader.finish(rest);
      closeSync(f.fd);
      this.current = null;
      const next = this.successorOf(f);
      if (!next || !this.open(next, 0)) return false;
    }
  }

  close(): void {
    if (this.current) closeSync(this.current.fd);
    this.current = null;
  }

  private openFirst(): boolean {
    const saved = this.pending;
    if (saved) {
      for (const path of this.chain()) {
        const st = statOrNull(path);
        if (st && st.ino === saved.ino && st.dev === saved.dev && this.open(path, saved.offset, Buffer.from(saved.head, 'base64'))) {
          this.pending = null;
          return true;
        }
      }
      this.events.notice('saved position not found in telemetry.csv or its rotated files; starting at the current file', { path: this.path });
      this.pending = null;
    }
    return this.open(this.path, 0);
  }

  /** telemetry.csv, then .1, .2, … while they exist. */
  private chain(): string[] {
    const paths = [this.path];
    for (let i = 1; statOrNull(`${this.path}.${i}`); i++) paths.push(`${this.path}.${i}`);
    return paths;
  }

  /** The file rotated in right after `f`: one step newer in the chain (telemetry.csv when f is gone). */
  private successorOf(f: OpenFile): string | null {
    const chain = this.chain();
    const at = chain.findIndex((p) => {
      const st = statOrNull(p);
      return st !== null && st.ino === f.ino && st.dev === f.dev;
    });
    if (at > 0) return chain[at - 1]!;
    return statOrNull(this.path) ? this.path : null;
  }

  private open(path: string, offset: number, expectHead?: Buffer): boolean {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch {
      return false;
    }
    const st = fstatSync(fd);
    const f: OpenFile = { fd, dev: st.dev, ino: st.ino, head: Buffer.alloc(0), committed: 0, readPos: 0, reader: new LineReader(this.maxLineBytes, this.events) };
    this.refreshHead(f);
    if (expectHead && (offset > st.size || !samePrefix(f.head, expectHead, offset))) {
      closeSync(fd);
      return false;
    }
    this.current = f;
    if (offset === 0) this.events.fileStarted();
    f.committed = f.readPos = offset;
    return true;
  }

  private restart(f: OpenFile): void {
    f.committed = f.readPos = 0;
    f.reader = new LineReader(this.maxLineBytes, this.events);
    f.head = Buffer.alloc(0);
    this.refreshHead(f);
    this.events.fileStarted();
  }

  /** Consumes complete lines from readPos; returns bytes read. */
  private drain(f: OpenFile, budget: number): number {
    let total = 0;
    while (total < budget) {
      const n = readSync(f.fd, this.chunk, 0, this.chunk.length, f.readPos);
      if (n === 0) break;
      const used = f.reader.feed(this.chunk.subarray(0, n));
      f.readPos += used;
      if (!f.reader.skipping) f.committed = f.readPos;
      total += n;
      if (f.head.length < HEAD_BYTES) this.refreshHead(f);
      if (used < n && n < this.chunk.length) break; // only a partial line is left: wait for its \n
    }
    return total;
  }

  /** Bytes after the last consumed line (an unterminated tail), read once the file is final. */
  private readRest(f: OpenFile): Buffer {
    const size = fstatSync(f.fd).size;
    const rest = Buffer.alloc(Math.min(Math.max(0, size - f.readPos), this.maxLineBytes + 1));
    readSync(f.fd, rest, 0, rest.length, f.readPos);
    return rest;
  }

  private refreshHead(f: OpenFile): void {
    const head = Buffer.alloc(HEAD_BYTES);
    const n = readSync(f.fd, head, 0, HEAD_BYTES, 0);
    f.head = head.subarray(0, n);
  }

  /** The consumed part of the first bytes is as it was: the file was not rewritten in place. */
  private consumedHeadUnchanged(f: OpenFile): boolean {
    const before = f.head;
    this.refreshHead(f);
    return samePrefix(f.head, before, f.committed);
  }
}

/** a and b agree on their first min(a, b, limit) bytes, and neither is cut short of limit alone. */
function samePrefix(a: Buffer, b: Buffer, limit: number): boolean {
  const n = Math.min(b.length, limit);
  return a.length >= n && a.subarray(0, n).equals(b.subarray(0, n));
}
