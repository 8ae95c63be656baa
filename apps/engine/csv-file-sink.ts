// The CSV file the engine appends to: whole lines only, a header on every new file, rotation by
// rename (telemetry.csv -> .1 -> ... -> .keep), and on open a torn tail cut back to the last \n.
import {
  constants,
  closeSync,
  existsSync,
  fdatasyncSync,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { HEADER_LINE } from '../../common/csv-format.js';
import { notRegular } from '../../common/file-kind.js';

export interface SinkOptions {
  dir: string;
  maxBytes: number;
  keep: number;
  file?: string;
  /** Told once a symlink at the path was moved aside. */
  onLinkMovedAside?: (aside: string) => void;
}

/** Append, create, never through a symlink (ELOOP), never blocking on a FIFO. */
const APPEND_FLAGS =
  constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK;

export interface OpenResult {
  /** seq of the last sample on disk, 0 when there is none. */
  lastSeq: number;
  /** Bytes of a torn last line that were cut off. */
  cutBytes: number;
  /** An existing file in another format was rotated away rather than appended to. */
  rotatedForeign: boolean;
}

const TAIL_BYTES = 64 * 1024;

function readTail(fd: number, size: number, bytes: number): Buffer {
  const start = Math.max(0, size - bytes);
  const buf = Buffer.alloc(size - start);
  readSync(fd, buf, 0, buf.length, start);
  return buf;
}

/** seq of the last data line of a file written in the current format, or 0. */
function lastSeqIn(path: string): number {
  if (!existsSync(path)) return 0;
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    if (notRegular(fstatSync(fd))) return 0;
    const lines = readTail(fd, fstatSync(fd).size, TAIL_BYTES).toString('utf8').split('\n');
    for (let i = lines.length - 1; i >= 0; i--) {
      const seq = Number(lines[i]!.split(',')[3]);
      if (lines[i] !== HEADER_LINE.trimEnd() && Number.isInteger(seq) && seq > 0) return seq;
    }
    return 0;
  } finally {
    closeSync(fd);
  }
}

export class CsvFileSink {
  readonly path: string;
  private readonly opts: SinkOptions;
  /** Rotations done so far by this sink. */
  rotations = 0;
  private fd = -1;
  private size = 0;
  private dirty = false;

  constructor(opts: SinkOptions) {
    this.opts = opts;
    this.path = join(opts.dir, opts.file ?? 'telemetry.csv');
  }

  /** Creates the directory, repairs a torn tail, and finds where seq stands. */
  open(): OpenResult {
    this.close();
    mkdirSync(this.opts.dir, { recursive: true });
    this.reopen();
    let cutBytes = 0;
    let rotatedForeign = false;
    if (this.size > 0) {
      const tail = readTail(this.fd, this.size, TAIL_BYTES);
      const lastNewline = tail.lastIndexOf(0x0a);
      const keep =
        lastNewline < 0
          ? tail.length === this.size
            ? 0
            : this.size - tail.length
          : this.size - tail.length + lastNewline + 1;
      cutBytes = this.size - keep;
      if (cutBytes > 0) {
        ftruncateSync(this.fd, keep);
        this.size = keep;
      }
      const head = Buffer.alloc(HEADER_LINE.length);
      readSync(this.fd, head, 0, head.length, 0);
      if (this.size > 0 && head.toString('utf8') !== HEADER_LINE) {
        this.rotate();
        rotatedForeign = true;
      }
    }
    if (this.size === 0) this.writeAll(HEADER_LINE);
    const lastSeq = lastSeqIn(this.path) || lastSeqIn(`${this.path}.1`);
    return { lastSeq, cutBytes, rotatedForeign };
  }

  /** Appends whole lines; on a failed write the partial bytes are cut off again and it throws. */
  append(lines: Uint8Array): void {
    if (this.size > HEADER_LINE.length && this.size + lines.length > this.opts.maxBytes) this.rotate();
    // a header that failed to go out with a new file (a full disk mid-rotation) goes first now
    if (this.size === 0) this.writeAll(HEADER_LINE);
    this.writeAll(lines);
  }

  /**
   * Whether the open file is still the one at the path. A deleted or replaced telemetry.csv (or a
   * removed data directory) would otherwise be written into forever, unseen by any reader. Errors
   * other than "not there" (EACCES, EIO) say nothing, so they count as still there.
   */
  isDetached(): boolean {
    if (this.fd < 0) return false;
    let st;
    try {
      st = statSync(this.path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      return code === 'ENOENT' || code === 'ENOTDIR';
    }
    const own = fstatSync(this.fd);
    return st.ino !== own.ino || st.dev !== own.dev;
  }

  /** fsync when something was written since the last one. */
  sync(): void {
    if (this.dirty && this.fd >= 0) {
      fdatasyncSync(this.fd);
      this.dirty = false;
    }
  }

  get needsSync(): boolean {
    return this.dirty;
  }

  close(): void {
    if (this.fd < 0) return;
    this.sync();
    closeSync(this.fd);
    this.fd = -1;
  }

  private writeAll(data: Uint8Array | string): void {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    let done = 0;
    try {
      while (done < buf.length) done += writeSync(this.fd, buf, done, buf.length - done);
    } catch (err) {
      if (done > 0) ftruncateSync(this.fd, this.size);
      throw err;
    }
    this.size += buf.length;
    this.dirty = true;
  }

  // Safe to call again after a failure part-way: it only shifts files while telemetry.csv exists.
  private rotate(): void {
    this.close();
    if (existsSync(this.path)) {
      for (let i = this.opts.keep - 1; i >= 1; i--) {
        const from = `${this.path}.${i}`;
        if (existsSync(from)) renameSync(from, `${this.path}.${i + 1}`);
      }
      renameSync(this.path, `${this.path}.1`);
      this.rotations++;
    }
    this.reopen();
    if (this.size === 0) this.writeAll(HEADER_LINE);
  }

  /**
   * Opens telemetry.csv for appending. A symlink there is moved aside (`telemetry.csv.link-<time>`)
   * and a regular file made in its place: the engine, often root, never writes through a link to a
   * file outside data/. A FIFO, socket or device there is refused by name (retried like a disk
   * that refuses writes).
   */
  private reopen(): void {
    let fd: number;
    try {
      fd = openSync(this.path, APPEND_FLAGS, 0o644);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ELOOP') throw err;
      const aside = `${this.path}.link-${Date.now()}`;
      renameSync(this.path, aside);
      this.opts.onLinkMovedAside?.(aside);
      fd = openSync(this.path, APPEND_FLAGS, 0o644);
    }
    const kind = notRegular(fstatSync(fd));
    if (kind) {
      closeSync(fd);
      throw new Error(`${this.path} is ${kind}, not a regular file: the engine does not write to it`);
    }
    this.fd = fd;
    this.size = fstatSync(this.fd).size;
  }
}
