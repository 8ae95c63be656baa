// Test doubles for the follower: a collector of what it reads, and node:fs with injected faults.
import { closeSync, fstatSync, openSync, readSync, statSync, Stats } from 'node:fs';
import type { Fields } from '../../../common/log.js';
import { Line, LineParser } from '../../../apps/analytics/source/parse-line.js';
import type { FollowEvents, FollowFs } from '../../../apps/analytics/source/tail-file.js';

export const HEADER = 'timestamp,cpu,ram,seq\n';

export class Collector implements FollowEvents {
  parser = new LineParser();
  seqs: number[] = [];
  rejected = 0;
  truncations = 0;
  started = 0;
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
    this.started++;
    this.parser.reset();
  }
  truncated(): void {
    this.truncations++;
  }
  /** Each notice with its fields. */
  said: { message: string; fields?: Fields }[] = [];
  notice(message: string, fields?: Fields): void {
    this.said.push({ message, fields });
  }
  get notices(): string[] {
    return this.said.map((s) => s.message);
  }
}

type Code = string | null;

/**
 * node:fs with faults: each `…Fails` makes that call throw the code, on every path or only on
 * `faultPath` (a descriptor call: the path it was opened from). `beforeStat`/`beforeOpen` stage a
 * race just before the call; `alias` reports a file (by its inode) as another device and inode.
 * Counts the descriptors left open.
 */
export function faultyFs(): FollowFs & {
  statFails: Code;
  openFails: Code;
  fstatFails: Code;
  readFails: Code;
  faultPath: string | null;
  beforeStat: ((path: string) => void) | null;
  beforeOpen: ((path: string) => void) | null;
  alias: Map<number, { dev: number; ino: number }>;
  open: Map<number, string>;
} {
  const fail = (code: Code, path: string | undefined): void => {
    if (code && (f.faultPath === null || f.faultPath === path))
      throw Object.assign(new Error(`${code}: injected`), { code });
  };
  const seen = (st: Stats): Stats => {
    const as = f.alias.get(st.ino);
    return as ? Object.assign(Object.create(Stats.prototype) as Stats, st, as) : st;
  };
  const f = {
    statFails: null as Code,
    openFails: null as Code,
    fstatFails: null as Code,
    readFails: null as Code,
    faultPath: null as string | null,
    beforeStat: null as ((path: string) => void) | null,
    beforeOpen: null as ((path: string) => void) | null,
    alias: new Map<number, { dev: number; ino: number }>(),
    open: new Map<number, string>(),
    statSync: ((p: string) => {
      f.beforeStat?.(p);
      fail(f.statFails, p);
      return seen(statSync(p));
    }) as FollowFs['statSync'],
    openSync: ((p: string, flags: number) => {
      f.beforeOpen?.(p);
      fail(f.openFails, p);
      const fd = openSync(p, flags);
      f.open.set(fd, p);
      return fd;
    }) as FollowFs['openSync'],
    fstatSync: ((fd: number) => {
      fail(f.fstatFails, f.open.get(fd));
      return seen(fstatSync(fd));
    }) as FollowFs['fstatSync'],
    readSync: ((fd: number, buffer: Buffer, offset: number, length: number, position: number) => {
      fail(f.readFails, f.open.get(fd));
      return readSync(fd, buffer, offset, length, position);
    }) as FollowFs['readSync'],
    closeSync: (fd: number) => {
      f.open.delete(fd);
      closeSync(fd);
    },
  };
  return f;
}
