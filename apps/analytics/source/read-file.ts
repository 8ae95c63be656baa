// One pass over a complete file (for `analyze`): the same line reader as the live follower, and a
// final unterminated line judged like any other. Reads sequentially (no positions), so a pipe, a
// FIFO or standard input (fd 0) reads like a file; or one byte range of a regular file, for
// threads that share a large file.
import { closeSync, openSync, readSync } from 'node:fs';
import { FileUnreadableError } from '../../../common/errors.js';
import { sleepSync } from '../../../common/sleep-sync.js';
import { LineReader } from './read-lines.js';
import type { FollowEvents } from './tail-file.js';

/** Bytes [start, end) of a file; `start` is 0 or just after a `\n`. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * `source` is a path, or an open descriptor (0: standard input) that is read but not closed.
 * A `range` that starts inside the file continues with the parser state the caller set.
 */
export function readFileOnce(
  source: string | number,
  events: FollowEvents,
  maxLineBytes: number,
  chunk: Buffer,
  progress?: (bytes: number) => void,
  range?: ByteRange,
): void {
  const name = typeof source === 'number' ? '(standard input)' : source;
  let fd: number;
  try {
    fd = typeof source === 'number' ? source : openSync(source, 'r');
  } catch (err) {
    throw new FileUnreadableError(name, err);
  }
  const first = range?.start ?? 0;
  let pos = first;
  const read = (at: number): number => {
    for (;;) {
      try {
        if (range) return readSync(fd, chunk, at, Math.min(chunk.length - at, range.end - pos), pos);
        return readSync(fd, chunk, at, chunk.length - at, null);
      } catch (err) {
        // a non-blocking pipe with nothing yet: wait for the writer
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') sleepSync(1);
        else throw new FileUnreadableError(name, err);
      }
    }
  };
  try {
    const reader = new LineReader(maxLineBytes, events);
    if (first === 0) events.fileStarted();
    // the bytes after the last complete line are carried to the front of the next chunk
    let carry = 0;
    for (;;) {
      const n = read(carry);
      if (n === 0) break;
      const total = carry + n;
      const used = reader.feed(chunk.subarray(0, total));
      chunk.copy(chunk, 0, used, total);
      carry = total - used;
      pos += n;
      progress?.(pos - first);
    }
    reader.finish(chunk.subarray(0, carry));
  } finally {
    if (typeof source !== 'number') closeSync(fd);
  }
}
