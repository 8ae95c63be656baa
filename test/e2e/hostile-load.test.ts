// Hostile load on the analytics HTTP server (SECURITY: every input has a bound): 300 connections
// pipelining 20 GET /api/state each and never reading, with an hour of history loaded. The app
// stays within 250 MiB, answers other clients within 2 s, and alerts on a row appended meanwhile
// within 2 s.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { startDashboardApp } from '../dashboard-app.js';
import { waitFor } from '../helpers.js';

const MiB = 1 << 20;

function rssOf(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) * 1024;
}

async function timed<T>(what: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = Date.now();
  const value = await what();
  return { ms: Date.now() - start, value };
}

test('300 never-reading connections pipelining /api/state with an hour of history: RSS ≤ 250 MiB, others served within 2 s, an alert within 2 s', async (t) => {
  t.timeout(120_000);
  const d = await startDashboardApp();
  t.teardown(() => d.stop());
  const start = Date.now() - 3600_000;
  // an hour at 10 samples a second: 36,000 points of history
  for (let chunk = 0; chunk < 36; chunk++) {
    d.append(
      Array.from(
        { length: 1000 },
        (_, i) => [start + (chunk * 1000 + i) * 100, 20 + (i % 50), 40] as [number, number, number],
      ),
    );
  }
  await waitFor(
    'the hour read',
    async () => {
      const text = await (await fetch(`${d.url}metrics`)).text();
      return /telemetry_analytics_samples_total 36000/.test(text);
    },
    60_000,
  );
  const pid = d.app.child.pid!;
  let peak = rssOf(pid);
  const attackers: Socket[] = [];
  const request = `GET /api/state HTTP/1.1\r\nHost: 127.0.0.1:${d.port}\r\n\r\n`.repeat(20);
  for (let i = 0; i < 300; i++) {
    const s = connect({ host: '127.0.0.1', port: d.port });
    s.on('error', () => undefined);
    s.pause(); // never reads
    s.write(request);
    attackers.push(s);
  }
  t.teardown(() => attackers.forEach((s) => s.destroy()));
  const sampling = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 100);
  t.teardown(() => clearInterval(sampling));
  const slowest = { metrics: 0, state: 0 };
  const until = Date.now() + 8000;
  let appendedAt = 0;
  while (Date.now() < until) {
    const m = await timed(() => fetch(`${d.url}metrics`).then((r) => r.text()));
    const s = await timed(() => fetch(`${d.url}api/state`).then((r) => r.arrayBuffer()));
    slowest.metrics = Math.max(slowest.metrics, m.ms);
    slowest.state = Math.max(slowest.state, s.ms);
    if (!appendedAt) {
      appendedAt = Date.now();
      d.append([[appendedAt, 97, 40]]);
    }
  }
  // the console line's own time says when the alert went out
  const line = await waitFor(
    'the alert',
    () => /^(\S+) info ALERT firing high_cpu cpu=97\.00/m.exec(d.app.output()),
    10_000,
  );
  const alertMs = Date.parse(line[1]!) - appendedAt;
  clearInterval(sampling);
  t.log(
    `peak RSS ${(peak / MiB).toFixed(0)} MiB; slowest /metrics ${slowest.metrics} ms, /api/state ${slowest.state} ms`,
  );
  t.true(peak <= 250 * MiB, `peak RSS ${(peak / MiB).toFixed(0)} MiB`);
  t.true(slowest.metrics <= 2000, `/metrics took ${slowest.metrics} ms`);
  t.true(slowest.state <= 2000, `/api/state took ${slowest.state} ms`);
  t.true(alertMs <= 2000, `alerted ${alertMs} ms after the append`);
});
