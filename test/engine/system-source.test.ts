import test from 'ava';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers.js';
import { createSystemSource, parseProcStat } from '../../apps/engine/system-source.js';

test('/proc/stat: busy is user+nice+system+irq+softirq+steal; idle and iowait are not busy', (t) => {
  t.deepEqual(parseProcStat('cpu  100 20 30 1000 50 6 7 8 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n'), {
    busy: 171,
    total: 1221,
  });
  t.deepEqual(parseProcStat('cpu  100 20 30 1000 50 6 7\n'), { busy: 163, total: 1213 }, 'old kernels without steal');
  t.is(parseProcStat('intr 1 2 3\n'), null);
  t.is(parseProcStat(''), null);
});

test('this host: readings are percentages with at most two decimals', (t) => {
  const read = createSystemSource();
  for (let i = 0; i < 3; i++) {
    const { cpu, ram } = read();
    for (const v of [cpu, ram]) {
      t.true(v >= 0 && v <= 100, String(v));
      t.is(Math.round(v * 100) / 100, v);
    }
    t.true(ram > 0, 'a running host uses some memory');
  }
});

test('proc files are read anew at every sample: CPU from the time deltas, RAM from MemTotal and MemAvailable', async (t) => {
  const proc = await tempDir();
  const stat = (busy: number, idle: number): void =>
    writeFileSync(join(proc, 'stat'), `cpu  ${busy} 0 0 ${idle} 0 0 0 0 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\nintr 1 2 3\n`);
  const meminfo = (availableKiB: number): void =>
    writeFileSync(
      join(proc, 'meminfo'),
      `MemTotal:       8000000 kB\nMemFree:         100000 kB\nMemAvailable:   ${availableKiB} kB\n`,
    );
  stat(1000, 9000);
  meminfo(6000000);
  const read = createSystemSource(proc);
  stat(1250, 9750); // 250 busy of 1000
  meminfo(2000000);
  t.deepEqual(read(), { cpu: 25, ram: 75 });
  stat(1250 + 333, 9750 + 667);
  meminfo(7990000);
  t.deepEqual(read(), { cpu: 33.3, ram: 0.13 });
});

test('a proc file that opens but cannot be read (EISDIR here, EIO on a real host) falls back to os figures, never throws', async (t) => {
  const proc = await tempDir();
  mkdirSync(join(proc, 'stat'));
  mkdirSync(join(proc, 'meminfo'));
  const read = createSystemSource(proc);
  const { cpu, ram } = read();
  t.true(cpu >= 0 && cpu <= 100);
  t.true(ram > 0 && ram <= 100, 'os.totalmem/freemem');
});
