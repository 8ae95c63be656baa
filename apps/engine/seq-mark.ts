// The producer's last assigned seq, kept in data/engine.seq so that samples lost in the queue
// when the engine is killed show up as a seq gap after the restart, instead of their numbers
// being handed out again. Written in place without fsync: the page cache outlives a kill -9, and
// a value that is behind only under-reports losses, it never invents one.
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const WIDTH = 20;

export function seqMarkPath(dataDir: string): string {
  return join(dataDir, 'engine.seq');
}

/** The last seq the producer assigned before it stopped, or 0. */
export function readSeqMark(dataDir: string): number {
  try {
    const value = Number(readFileSync(seqMarkPath(dataDir), 'utf8').trim());
    return Number.isSafeInteger(value) && value > 0 ? value : 0;
  } catch {
    return 0;
  }
}

export class SeqMark {
  private fd: number;
  private readonly buf = Buffer.alloc(WIDTH);

  constructor(dataDir: string) {
    this.fd = openSync(seqMarkPath(dataDir), 'w');
  }

  /** Best effort: a full or broken disk must not stop sampling (the CSV writer reports it). */
  write(seq: number): void {
    if (this.fd < 0) return;
    this.buf.write(String(seq).padEnd(WIDTH - 1) + '\n', 0, 'latin1');
    try {
      writeSync(this.fd, this.buf, 0, WIDTH, 0);
    } catch {
      // ignored: see above
    }
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}
