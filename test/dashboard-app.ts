// An analytics app serving the dashboard from a temp dir, with rows the test writes itself.
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loggedPort, runNode, tempDir, waitFor, writeConfig, type Running } from './helpers.js';

export const DASHBOARD_RULES = `defaults: { flap: off }
rules:
  - { name: high_cpu, metric: cpu, above: 80, clear: 75, severity: warning }
  - { name: high_ram, metric: ram, above: 90, severity: critical }
  - { name: cpu_minute, metric: cpu, above: 70, over: 1m, aggregate: avg, severity: info }
  - { name: no_data, absent: 30s, severity: critical }
`;

export interface DashboardApp {
  dir: string;
  csv: string;
  url: string;
  port: number;
  app: Running;
  /** Appends rows `timestamp,cpu,ram,seq` (seq continues). */
  append(rows: [number, number, number][]): void;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startDashboardApp(extraConfig = ''): Promise<DashboardApp> {
  const dir = await tempDir();
  mkdirSync(join(dir, 'data'));
  const csv = join(dir, 'data', 'telemetry.csv');
  writeFileSync(csv, 'timestamp,cpu,ram,seq\n');
  writeFileSync(join(dir, 'rules.yaml'), DASHBOARD_RULES);
  let seq = 0;
  // The first start takes a port the system picks (no race with other tests for a "free" one);
  // a restart takes that same port again, so an open page reconnects to it.
  const start = async (port: number): Promise<{ app: Running; port: number }> => {
    const config = await writeConfig(
      dir,
      `analytics: { pollMs: 50, checkpointMs: 100, http: { listen: "127.0.0.1:${port}" } }\n${extraConfig}`,
    );
    const app = runNode('apps/analytics/main.js', [], dir, { TELEMETRY_CONFIG: config });
    try {
      return { app, port: await waitFor('the dashboard to listen', () => loggedPort(app.output())) };
    } catch (err) {
      app.child.kill('SIGKILL');
      throw err;
    }
  };
  const first = await start(0);
  const d: DashboardApp = {
    dir,
    csv,
    port: first.port,
    url: `http://127.0.0.1:${first.port}/`,
    app: first.app,
    append(rows) {
      appendFileSync(
        csv,
        rows.map(([ts, cpu, ram]) => `${ts},${cpu.toFixed(2)},${ram.toFixed(2)},${++seq}\n`).join(''),
      );
    },
    async restart() {
      await d.stop();
      d.app = (await start(d.port)).app;
    },
    async stop() {
      d.app.child.kill('SIGINT');
      await d.app.exited;
    },
  };
  return d;
}
