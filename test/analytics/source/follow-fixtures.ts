// Test doubles for the follower: a collector of what it reads, and node:fs with injected faults.
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { Line, LineParser } from '../../../apps/analytics/source/parse-line.js';
import type { FollowEvents, FollowFs } from '../../../apps/analytics/source/tail-file.js';

export const HEADER = 'timestamp,cpu,ram,seq\n';

export class Collector implements FollowEvents {
  parser = new LineParser();
  seqs: number[] = [];
  rejected = 0;
  truncations = 0;
  line(buf: Buffer, start: number, end: number): void {
    const r = this.parser.parse(buf, start, end);
    if (r === Line.Sample) this.seqs.push(this.parser.seq);
    else if (r !== Line.Header && r !== Line.Blank) this.rejected++;
  }
  lines(_buf: Buffer, start: number): number {
    return start; // every line through line()
  }
  tooLong(): void {
    this.rejected++;
  }
  fileStarted(): void {
    this.parser.reset();
  }
  truncated(): void {
    this.truncations++;
  }
  notices: string[] = [];
  notice(message: string): void {
    this.notices.push(message);
  }
}

/** node:fs with faults: `statFails` makes stat throw that code; counts descriptors left open. */
export function faultyFs(): FollowFs & { statFails: string | null; fstatFails: boolean; open: Set<number> } {
  const f = {
    statFails: null as string | null,
    fstatFails: false,
    open: new Set<number>(),
    statSync: ((p: string) => {
      if (f.statFails) throw Object.assign(new Error(`${f.statFails}: injected`), { code: f.statFails });
      return statSync(p);
    }) as FollowFs['statSync'],
    openSync: ((p: string, flags: string) => {
      const fd = openSync(p, flags);
      f.open.add(fd);
      return fd;
    }) as FollowFs['openSync'],
    fstatSync: ((fd: number) => {
      if (f.fstatFails) throw Object.assign(new Error('EIO: injected'), { code: 'EIO' });
      return fstatSync(fd);
    }) as FollowFs['fstatSync'],
    readSync,
    closeSync: (fd: number) => {
      f.open.delete(fd);
      closeSync(fd);
    },
  };
  return f;
}
