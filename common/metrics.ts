// Prometheus metrics shared by both apps: one registry each, process metrics, build info, and the
// `/metrics` route. Values are read at scrape time (`collect`), so the hot paths pay nothing.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import type * as PromClient from 'prom-client';
import type { Handler } from './http-server.js';

const require = createRequire(import.meta.url);
const { version } = require('../../package.json') as { version: string };
// prom-client's index also loads its Pushgateway (https, zlib), cluster aggregation, summaries and
// default metrics (with @opentelemetry/api): ~5 MiB of an idle app's 60. The three classes used
// here come from their own files: private paths of the pinned version (no `exports` map), so an
// upgrade that moves or hides them fails here, at start and in the suite, with a message saying so.
function fromPromClient(path: string): unknown {
  try {
    return require(`prom-client/${path}`);
  } catch (err) {
    throw new Error(
      `prom-client no longer has ${path} (common/metrics.ts loads its private files; load them from its index instead)`,
      { cause: err },
    );
  }
}
export const client = {
  Registry: fromPromClient('lib/registry') as typeof PromClient.Registry,
  Counter: fromPromClient('lib/counter') as typeof PromClient.Counter,
  Gauge: fromPromClient('lib/gauge') as typeof PromClient.Gauge,
};
export type Registry = PromClient.Registry;

/** Open descriptors and their soft limit, from /proc (null elsewhere). */
function openFds(): number | null {
  try {
    return readdirSync('/proc/self/fd').length - 1; // the directory being read is one of them
  } catch {
    return null;
  }
}
function maxFds(): number | null {
  try {
    const limit = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'latin1'))?.[1];
    return limit === undefined ? null : Number(limit);
  } catch {
    return null;
  }
}

/** The process metrics of Prometheus' client libraries that a dashboard of an app looks for. */
function processMetrics(registry: Registry): void {
  const seconds = (micros: number): number => Number(`${micros}e-6`);
  counterFrom(registry, 'process_cpu_user_seconds_total', 'User CPU time spent in seconds.', () =>
    seconds(process.cpuUsage().user),
  );
  counterFrom(registry, 'process_cpu_system_seconds_total', 'System CPU time spent in seconds.', () =>
    seconds(process.cpuUsage().system),
  );
  counterFrom(registry, 'process_cpu_seconds_total', 'Total user and system CPU time spent in seconds.', () => {
    const { user, system } = process.cpuUsage();
    return seconds(user + system);
  });
  const startedAt = Math.round(Date.now() / 1000 - process.uptime());
  gaugeFrom(
    registry,
    'process_start_time_seconds',
    'Start time of the process since unix epoch in seconds.',
    () => startedAt,
  );
  gaugeFrom(registry, 'process_resident_memory_bytes', 'Resident memory size in bytes.', () =>
    process.memoryUsage.rss(),
  );
  gaugeFrom(registry, 'process_open_fds', 'Number of open file descriptors.', openFds);
  gaugeFrom(registry, 'process_max_fds', 'Maximum number of open file descriptors.', maxFds);
  gaugeFrom(
    registry,
    'nodejs_heap_size_total_bytes',
    'Process heap size from Node.js in bytes.',
    () => process.memoryUsage().heapTotal,
  );
  gaugeFrom(
    registry,
    'nodejs_heap_size_used_bytes',
    'Process heap size used from Node.js in bytes.',
    () => process.memoryUsage().heapUsed,
  );
  gaugeFrom(
    registry,
    'nodejs_external_memory_bytes',
    'Node.js external memory size in bytes.',
    () => process.memoryUsage().external,
  );
}

/** A registry with process metrics and `telemetry_build_info{app, version, host, node}`. */
export function createRegistry(app: string): Registry {
  const registry = new client.Registry();
  processMetrics(registry);
  const info = new client.Gauge({
    name: 'telemetry_build_info',
    help: 'Build and host of this app; always 1.',
    labelNames: ['app', 'version', 'host', 'node'],
    registers: [registry],
  });
  info.set({ app, version, host: hostname(), node: process.version }, 1);
  return registry;
}

/** A counter whose value is read from `read()` at scrape time. */
export function counterFrom(registry: Registry, name: string, help: string, read: () => number): void {
  new client.Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

/** A gauge whose value is read from `read()` at scrape time (null: no value yet, no sample shown). */
export function gaugeFrom(registry: Registry, name: string, help: string, read: () => number | null): void {
  new client.Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      const v = read();
      if (v !== null) this.set(v);
    },
  });
}

export function metricsRoute(registry: Registry): Handler {
  return async (req, res) => {
    const body = await registry.metrics();
    res.writeHead(200, { 'Content-Type': registry.contentType, 'Cache-Control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}
