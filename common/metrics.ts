// Prometheus metrics shared by both apps: one registry each, process metrics, build info, and the
// `/metrics` route. Values are read at scrape time (`collect`), so the hot paths pay nothing.
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import client, { type Registry } from 'prom-client';
import type { Handler } from './http-server.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

/** A registry with process metrics and `telemetry_build_info{app, version, host}`. */
export function createRegistry(app: string): Registry {
  const registry = new client.Registry();
  // The event-loop delay histogram samples on a timer of its own, which wakes the app: every 10 s
  // (prom-client's default is 10 ms). A wake-up a second was a third of an idle app's CPU.
  client.collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10_000 });
  const info = new client.Gauge({ name: 'telemetry_build_info', help: 'Build and host of this app; always 1.', labelNames: ['app', 'version', 'host', 'node'], registers: [registry] });
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
