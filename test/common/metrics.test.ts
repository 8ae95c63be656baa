import test from 'ava';
import { execFileSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { createRegistry } from '../../common/metrics.js';
import { distRoot } from '../helpers.js';

const value = (text: string, name: string): number => {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (line === undefined) throw new Error(`${name} is not in the exposition`);
  return Number(line.slice(name.length + 1));
};

test('process metrics are this process: CPU time, start time, resident memory, descriptors and their limit', async (t) => {
  const registry = createRegistry('test-app');
  const before = await registry.metrics();
  const fds = Array.from({ length: 5 }, () => openSync(process.execPath, 'r'));
  const after = await registry.metrics();
  fds.forEach((fd) => closeSync(fd));
  const { user, system } = process.cpuUsage();
  // read in this order within one scrape: the total, read last, holds at least the two parts
  const [u, s, total] = ['user_', 'system_', ''].map((part) => value(after, `process_cpu_${part}seconds_total`)) as [
    number,
    number,
    number,
  ];
  t.true(u > 0 && s > 0, `${u} ${s}`);
  t.true(total + 1e-9 >= u + s && total <= (user + system) / 1e6, `${u} + ${s} <= ${total}`);
  t.true(Math.abs(value(after, 'process_start_time_seconds') - (Date.now() / 1000 - process.uptime())) <= 1);
  t.true(Math.abs(value(after, 'process_resident_memory_bytes') / process.memoryUsage.rss() - 1) < 0.1);
  t.true(
    value(after, 'nodejs_heap_size_used_bytes') > 0 &&
      value(after, 'nodejs_heap_size_used_bytes') <= value(after, 'nodejs_heap_size_total_bytes'),
  );
  t.is(value(after, 'process_open_fds') - value(before, 'process_open_fds'), 5);
  t.is(value(after, 'process_max_fds'), Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' })));
  t.regex(after, /^# TYPE process_cpu_seconds_total counter$/m);
  t.regex(after, /^telemetry_build_info\{app="test-app",/m);
});

test("the metrics module loads only prom-client's registry and metric classes, not its index (Pushgateway, cluster, default metrics: ~5 MiB)", (t) => {
  const script = `await import(${JSON.stringify(join(distRoot, 'common', 'metrics.js'))});
    const { createRequire } = await import('node:module');
    console.log(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)));`;
  const loaded = JSON.parse(
    execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 }),
  ) as string[];
  t.true(
    loaded.some((f) => f.endsWith(join('prom-client', 'lib', 'registry.js'))),
    'the registry is loaded from its own file',
  );
  t.deepEqual(
    loaded.filter(
      (f) => f.endsWith(join('prom-client', 'index.js')) || f.includes('@opentelemetry') || f.includes('pushgateway'),
    ),
    [],
  );
});
