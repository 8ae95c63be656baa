// This host's CPU % (from time deltas of /proc/stat's `cpu` line, or os.cpus() elsewhere) and
// RAM % (MemAvailable / MemTotal). One small read each per sample, through descriptors kept open:
// os.cpus() would also read every core's frequency, several files a second for nothing.
import { openSync, readSync } from 'node:fs';
import { cpus, freemem, totalmem } from 'node:os';
import { roundPercent, type Reading } from './reading.js';

interface CpuTimes {
  busy: number;
  total: number;
}

/**
 * The all-cores line of /proc/stat: `cpu  user nice system idle iowait irq softirq steal …` (in
 * ticks). Idle time is idle + iowait; guest time is already inside user and nice.
 */
export function parseProcStat(text: string): CpuTimes | null {
  const m = /^cpu +(\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)(?: (\d+))?/m.exec(text);
  if (!m) return null;
  const [user, nice, system, idle, iowait, irq, softirq, steal] = m
    .slice(1)
    .map((v: string | undefined) => Number(v ?? 0)) as [number, number, number, number, number, number, number, number];
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

/** CPU times from os.cpus(), where there is no /proc. */
function osCpuTimes(): CpuTimes {
  let busy = 0;
  let total = 0;
  for (const { times } of cpus()) {
    const all = times.user + times.nice + times.sys + times.irq + times.idle;
    total += all;
    busy += all - times.idle;
  }
  return { busy, total };
}

/** RAM in use, % (MemTotal - MemAvailable), from /proc/meminfo's text; null when it lacks them. */
function meminfoPercent(text: string): number | null {
  const total = Number(/^MemTotal:\s+(\d+)/m.exec(text)?.[1]);
  const available = Number(/^MemAvailable:\s+(\d+)/m.exec(text)?.[1]);
  return total > 0 && Number.isFinite(available) ? (100 * (total - available)) / total : null;
}

/**
 * The first 4 KiB of a /proc file (where the lines read here are), read anew each time through
 * one descriptor kept open: the kernel writes the text afresh at every read from offset 0. Null
 * where the file cannot be opened (not Linux); "" when a read fails (the caller falls back to os).
 */
function procReader(path: string): (() => string) | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  const buf = Buffer.allocUnsafe(4096);
  return () => {
    try {
      return buf.toString('latin1', 0, readSync(fd, buf, 0, buf.length, 0));
    } catch {
      return '';
    }
  };
}

/** Samples this host; `proc` is where the proc files are (a test passes a directory of its own). */
export function createSystemSource(proc = '/proc'): () => Reading {
  const stat = procReader(`${proc}/stat`);
  const meminfo = procReader(`${proc}/meminfo`);
  const cpuTimes = (): CpuTimes => (stat && parseProcStat(stat())) ?? osCpuTimes();
  const ramPercent = (): number =>
    (meminfo && meminfoPercent(meminfo())) ?? (100 * (totalmem() - freemem())) / totalmem();
  let last = cpuTimes();
  return () => {
    const now = cpuTimes();
    const total = now.total - last.total;
    const cpu = total > 0 ? (100 * (now.busy - last.busy)) / total : 0;
    last = now;
    return { cpu: roundPercent(cpu), ram: roundPercent(ramPercent()) };
  };
}
