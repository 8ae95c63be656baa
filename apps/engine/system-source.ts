// This host's CPU % (from os.cpus() time deltas) and RAM % (MemAvailable / MemTotal).
import { readFileSync } from 'node:fs';
import { cpus, freemem, totalmem } from 'node:os';
import { roundPercent, type Reading } from './reading.js';

function cpuTimes(): { busy: number; total: number } {
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
