// One pass over a complete file (for `analyze`): the same line reader as the live follower, and a
// final unterminated line judged like any other.
import { closeSync, openSync, readSync } from 'node:fs';
import { FileUnreadableError } from '../../../common/errors.js';
import { LineReader } from './read-lines.js';
import type { FollowEvents } from './tail-file.js';

export function readFileOnce(path: string, events: FollowEvents, maxLineBytes: number, chunk: Buffer, progress?: (bytes: number) => void): void {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new FileUnreadableError(path, err);
  }
  const read = (pos: number): number => {
    try {
      return readSync(fd, chunk, 0, chunk.length, pos);
    } catch (err) {
      throw new FileUnreadableError(path, err);
    }
  };
  try {
    const reader = new LineReader(maxLineBytes, events);
    events.fileStarted();
    let pos = 0;
    for (;;) {
      const n = read(pos);
      if (n === 0) break;
      const used = reader.feed(chunk.subarray(0, n));
      pos += used;
      progress?.(pos);
      if (n < chunk.length && used < n) {
        reader.finish(chunk.subarray(used, n));
        break;
      }
    }
    reader.finish(Buffer.alloc(0));
  } finally {
    closeSync(fd);
  }
}
