// This host's CPU % (from time deltas of /proc/stat's `cpu` line, or os.cpus() elsewhere) and
// RAM % (MemAvailable / MemTotal). One small read each per sample: os.cpus() would also read every
// core's frequency, several files a second for nothing.
import { readFileSync } from 'node:fs';
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
  const [user, nice, system, idle, iowait, irq, softirq, steal] = m.slice(1).map((v) => Number(v ?? 0)) as [number, number, number, number, number, number, number, number];
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

function cpuTimes(): CpuTimes {
  try {
    const times = parseProcStat(readFileSync('/proc/stat', 'latin1'));
    if (times) return times;
  } catch {
    // not Linux: fall through to os.cpus
  }
  let busy = 0;
  let total = 0;
  for (const { times } of cpus()) {
    const all = times.user + times.nice + times.sys + times.irq + times.idle;
    total += all;
    busy += all - times.idle;
  }
  return { busy, total };
}

function ramPercent(): number {
  try {
    const info = readFileSync('/proc/meminfo', 'utf8');
    const total = Number(/^MemTotal:\s+(\d+)/m.exec(info)?.[1]);
    const available = Number(/^MemAvailable:\s+(\d+)/m.exec(info)?.[1]);
    if (total > 0 && Number.isFinite(available)) return (100 * (total - available)) / total;
  } catch {
    // not Linux: fall through to os.freemem
  }
  return (100 * (totalmem() - freemem())) / totalmem();
}

export function createSystemSource(): () => Reading {
  let last = cpuTimes();
  return () => {
    const now = cpuTimes();
    const total = now.total - last.total;
    const cpu = total > 0 ? (100 * (now.busy - last.busy)) / total : 0;
    last = now;
    return { cpu: roundPercent(cpu), ram: roundPercent(ramPercent()) };
  };
}
