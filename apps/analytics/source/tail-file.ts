// Follows telemetry.csv exactly once across appends, rotation by rename, truncation, deletion and
// restarts. Only complete lines are consumed, and the position handed out for saving is always at a
// line boundary: after a partial line, the next poll reads again from that line's start, so a torn
// tail the engine cuts off on restart is never glued to the next row.
//
// Files are known by identity (device, inode, first bytes). A file that was renamed away or deleted
// is read to its end through the open handle, remembered as done, and reading goes on with the
// oldest file of the rotation chain (telemetry.csv.N … .1, telemetry.csv) not yet done.
import * as nodeFs from 'node:fs';
import type { Stats as FileStats } from 'node:fs';
import { notRegular } from '../../../common/file-kind.js';
import type { Fields } from '../../../common/log.js';
import { lineChunk, LineReader, type LineSink } from './read-lines.js';

export interface FileIdentity {
  dev: number;
  ino: number;
  /** base64 of the file's first (up to 64) bytes: tells a new file from an old one with a reused inode. */
  head: string;
}

/** Where reading stands: a file and a byte offset at a line boundary, plus the files already read. */
export interface FilePosition extends FileIdentity {
  offset: number;
  /** Rotated files read to their end (newest last). */
  done: FileIdentity[];
}

export interface FollowEvents extends LineSink {
  /** Reading starts on a file from its first byte (new, rotated-in or truncated). */
  fileStarted(): void;
  truncated(): void;
  notice(message: string, fields?: Fields): void;
  /** A file of the chain went before it was read (rotated away by a reader far behind): its bytes, as last seen. */
  unread?(bytes: number): void;
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
/** Bytes one poll reads at most: a long catch-up goes in steps, signals and timers in between. */
export const POLL_BUDGET = 64 << 20;

/** The file calls the follower makes: node:fs, or a test's faulty stand-in. */
export type FollowFs = Pick<typeof nodeFs, 'statSync' | 'openSync' | 'fstatSync' | 'readSync' | 'closeSync'>;

/** What a stat of a path says: the file, an error that leaves it unknown for now (EACCES, EIO, …), or neither: no file there. */
interface Look {
  st?: FileStats;
  error?: NodeJS.ErrnoException;
}

const GONE: ReadonlySet<string | undefined> = new Set(['ENOENT', 'ENOTDIR']);
/** Reading never blocks on a FIFO whose writer is away. */
const READ_FLAGS = nodeFs.constants.O_RDONLY | nodeFs.constants.O_NONBLOCK;

/** The first min(expected, limit) bytes of `actual` are those of `expected`. */
function samePrefix(actual: Buffer, expected: Buffer, limit: number): boolean {
  const n = Math.min(expected.length, limit);
  return actual.subarray(0, n).equals(expected.subarray(0, n));
}

export class TailFile {
  readonly path: string;
  private readonly events: FollowEvents;
  private readonly maxLineBytes: number;
  private readonly chunk: Buffer;
  private current: OpenFile | null = null;
  /** Saved position not yet located (or null: start at the oldest file not done). */
  private resume: FilePosition | null = null;
  /** Rotated files read to their end that still exist: bounded by the chain on disk. */
  private done: FileIdentity[] = [];
  /** Files of the chain newer than the one being read, as last listed: one gone before it was read is lost. */
  private waiting: { id: FileIdentity; path: string; bytes: number }[] = [];
  private readonly fs: FollowFs;
  /** Error codes already reported (each is logged once until it clears). */
  private failing = new Set<string>();
  /** Paths found holding no regular file, by kind: each said once. */
  private readonly refused = new Set<string>();

  constructor(path: string, events: FollowEvents, opts: { maxLineBytes: number; chunkBytes?: number; fs?: FollowFs }) {
    this.path = path;
    this.events = events;
    this.maxLineBytes = opts.maxLineBytes;
    this.chunk = lineChunk(opts.maxLineBytes, opts.chunkBytes);
    this.fs = opts.fs ?? nodeFs;
  }

  /** A FIFO, socket or device at a CSV path is refused by name (once) and counts as no file there. */
  private look(path: string): Look {
    try {
      const st = this.fs.statSync(path);
      return this.regular(path, st) ? { st } : {};
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      return GONE.has(e.code) ? {} : { error: e };
    }
  }

  private regular(path: string, st: FileStats): boolean {
    const kind = notRegular(st);
    if (!kind) return true;
    const key = `${kind}:${path}`;
    if (!this.refused.has(key)) {
      this.refused.add(key);
      this.events.notice(`${path} is ${kind}, not a regular file: not read; waiting for a file there`, { path });
    }
    return false;
  }

  /** An error that says nothing about the file (EACCES, EIO, EMFILE): logged once per kind, retried. */
  private trouble(err: NodeJS.ErrnoException): void {
    const code = err.code ?? 'unknown';
    if (this.failing.has(code)) return;
    this.failing.add(code);
    this.events.notice('cannot look at the CSV files; retrying, nothing is skipped', {
      path: this.path,
      error: `${code} ${err.message}`,
    });
  }

  private readHead(fd: number): Buffer {
    const head = Buffer.alloc(HEAD_BYTES);
    return head.subarray(0, this.fs.readSync(fd, head, 0, HEAD_BYTES, 0));
  }

  resumeFrom(saved: FilePosition | null): void {
    this.resume = saved;
    this.done = saved?.done ?? [];
  }

  get position(): FilePosition | null {
    const f = this.current;
    if (!f) return this.resume ?? (this.done.length ? { ...this.done.at(-1)!, offset: -1, done: this.done } : null);
    return { dev: f.dev, ino: f.ino, head: f.head.toString('base64'), offset: f.committed, done: this.done };
  }

  /** Bytes not yet consumed: the rest of the file being read and every newer file of the chain. */
  get lagBytes(): number {
    const f = this.current;
    let lag = 0;
    try {
      if (f) lag = Math.max(0, this.fs.fstatSync(f.fd).size - f.committed);
    } catch {
      // unknown for now: the newer files still count
    }
    // newest first: the files before the one being read are all still to come
    for (let i = 0; ; i++) {
      const { st, error } = this.look(i === 0 ? this.path : `${this.path}.${i}`);
      if (st) {
        if (f && st.ino === f.ino && st.dev === f.dev) return lag;
        if (!this.done.some((d) => d.ino === st.ino && d.dev === st.dev)) lag += st.size;
      } else if (i > 0 || error) {
        return lag;
      }
    }
  }

  /** Reads what has arrived, up to about `budget` bytes, and returns the bytes read (≥ budget: more is waiting). */
  poll(budget = POLL_BUDGET): number {
    try {
      return this.follow(budget);
    } catch (err) {
      // an open or read that failed (EACCES, EIO, EMFILE, …) consumed nothing: the next poll
      // tries again from the same place
      this.trouble(err as NodeJS.ErrnoException);
      return 0;
    }
  }

  private follow(budget: number): number {
    if (!this.current && !this.openNext()) return 0;
    let read = 0;
    for (;;) {
      const f = this.current!;
      // Before a byte is read: the open file shrank, or was truncated and written past the old
      // offset again (its first bytes say so)? Then it is read again from its start.
      const before = f.head;
      f.head = this.readHead(f.fd);
      if (this.fs.fstatSync(f.fd).size < f.committed || !samePrefix(f.head, before, f.committed)) {
        this.events.truncated();
        this.events.notice('telemetry.csv was truncated; reading it again from the start', {
          path: this.path,
          offset: f.committed,
        });
        this.startOver(f);
      }
      read += this.drain(f, budget - read);
      // Is the path still this file? A stat that fails says nothing: ask again next time.
      const { st, error } = this.look(this.path);
      if (error) {
        this.trouble(error);
        return read;
      }
      this.failing.clear();
      if (st && st.ino === f.ino && st.dev === f.dev) return read;
      // Renamed away or deleted: what it holds is final. Finish it through the open handle,
      // within the budget (a long chain is caught up over several polls, signals in between).
      read += this.drain(f, budget - read);
      if (read >= budget) return read;
      f.reader.finish(this.readRest(f));
      // known by its final first bytes (the head read before the last drain may be shorter)
      this.done.push({ dev: f.dev, ino: f.ino, head: this.readHead(f.fd).toString('base64') });
      this.fs.closeSync(f.fd);
      this.current = null;
      if (!this.openNext()) return read;
    }
  }

  close(): void {
    if (this.current) this.fs.closeSync(this.current.fd);
    this.current = null;
  }

  /** Opens the saved position if it still exists, else the oldest file of the chain not done. */
  private openNext(): boolean {
    const saved = this.resume;
    const chain = this.chain();
    if (chain === null) return false;
    // What has been read is known by identity (device, inode, first bytes). An identity no file of
    // the chain has any more can never come back: forgetting it bounds memory by the files on disk.
    const ids = chain.map((c) => this.identityOf(c.path));
    const same = (a: FileIdentity | null, b: FileIdentity): boolean =>
      a !== null && a.ino === b.ino && a.dev === b.dev && a.head === b.head;
    this.done = this.done.filter((d) => ids.some((id) => same(id, d)));
    for (const w of this.waiting) {
      if (ids.some((id) => same(id, w.id))) continue;
      this.events.notice('a CSV file was rotated away before it was read; its rows are lost', {
        path: w.path,
        bytes: w.bytes,
      });
      this.events.unread?.(w.bytes);
    }
    this.waiting = [];
    if (saved && saved.offset >= 0) {
      const at = chain.find((c) => c.st.ino === saved.ino && c.st.dev === saved.dev);
      if (at && this.open(at.path, saved.offset, Buffer.from(saved.head, 'base64'))) {
        this.resume = null;
        return true;
      }
      this.events.notice(
        'saved position is gone (file truncated, deleted or rotated away); reading the oldest file not yet read',
        { path: this.path },
      );
    }
    this.resume = null;
    for (let i = chain.length - 1; i >= 0; i--) {
      const id = ids[i];
      if (id && !this.done.some((d) => same(id, d)) && this.open(chain[i]!.path, 0)) {
        // the newer files wait their turn: remembered, so one rotated away unread is said
        this.waiting = chain.slice(0, i).flatMap((c, k) => {
          const waitingId = ids[k];
          return waitingId ? [{ id: waitingId, path: c.path, bytes: c.st.size }] : [];
        });
        return true;
      }
    }
    return false;
  }

  /** telemetry.csv.N … .1, telemetry.csv as they exist now, newest first; null when it cannot be known now. */
  private chain(): { path: string; st: FileStats }[] | null {
    const out: { path: string; st: FileStats }[] = [];
    for (let i = 0; ; i++) {
      const path = i === 0 ? this.path : `${this.path}.${i}`;
      const { st, error } = this.look(path);
      if (error) {
        this.trouble(error);
        return null;
      }
      if (st) out.push({ path, st });
      else if (i > 0) return out;
    }
  }

  /**
   * The regular file at `path` opened, or null when there is none now (gone since it was listed,
   * or a FIFO put there). Any other error (EACCES, EIO, EMFILE) says nothing about the file: it is
   * thrown, so poll() logs it and the next poll tries again, skipping nothing.
   */
  private openRegular(path: string): { fd: number; st: FileStats; head: Buffer } | null {
    let fd: number;
    try {
      fd = this.fs.openSync(path, READ_FLAGS);
    } catch (err) {
      if (GONE.has((err as NodeJS.ErrnoException).code)) return null;
      throw err;
    }
    try {
      const st = this.fs.fstatSync(fd);
      if (this.regular(path, st)) return { fd, st, head: this.readHead(fd) };
    } catch (err) {
      this.fs.closeSync(fd);
      throw err;
    }
    this.fs.closeSync(fd);
    return null;
  }

  /** The identity of the file at `path` now, or null when there is none. */
  private identityOf(path: string): FileIdentity | null {
    const file = this.openRegular(path);
    if (!file) return null;
    this.fs.closeSync(file.fd);
    return { dev: file.st.dev, ino: file.st.ino, head: file.head.toString('base64') };
  }

  private open(path: string, offset: number, expectHead?: Buffer): boolean {
    const file = this.openRegular(path);
    if (!file) return false;
    const { fd, st, head } = file;
    if (expectHead && (offset > st.size || !samePrefix(head, expectHead, offset))) {
      this.fs.closeSync(fd);
      return false;
    }
    this.current = {
      fd,
      dev: st.dev,
      ino: st.ino,
      head,
      committed: offset,
      readPos: offset,
      reader: new LineReader(this.maxLineBytes, this.events),
    };
    if (offset === 0) this.events.fileStarted();
    return true;
  }

  private startOver(f: OpenFile): void {
    f.committed = f.readPos = 0;
    f.reader = new LineReader(this.maxLineBytes, this.events);
    this.events.fileStarted();
  }

  /** Consumes complete lines from readPos; returns bytes read. */
  private drain(f: OpenFile, budget: number): number {
    let total = 0;
    while (total < budget) {
      const n = this.fs.readSync(f.fd, this.chunk, 0, this.chunk.length, f.readPos);
      const used = f.reader.feed(this.chunk.subarray(0, n));
      f.readPos += used;
      // lines before a too-long one were counted: the position moves past them, not past its start
      f.committed = f.readPos - f.reader.skipped;
      total += n;
      if (n < this.chunk.length) break; // the end of what is there (a partial line waits for its \n)
    }
    return total;
  }

  /** Bytes after the last consumed line (an unterminated tail), read once the file is final. */
  private readRest(f: OpenFile): Buffer {
    const size = this.fs.fstatSync(f.fd).size;
    const rest = Buffer.alloc(Math.min(Math.max(0, size - f.readPos), this.maxLineBytes + 1));
    this.fs.readSync(f.fd, rest, 0, rest.length, f.readPos);
    return rest;
  }
}
