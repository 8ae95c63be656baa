// Two `over: 1h` rules while the engine writes as fast as it can, with the dashboard open: the
// analytics app stays within 250 MiB (its windows keep one entry per millisecond, and what it
// saves each second is as small) and catches up.
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loggedPort, runNode, tempDir, waitFor, writeConfig } from '../helpers.js';

const MiB = 1 << 20;
const rssOf = (pid: number): number =>
  Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;

test('two over: 1h rules under a burst at intervalMs 0 with the dashboard open: RSS ≤ 250 MiB, every row counted', async (t) => {
  t.timeout(120_000);
  const dir = await tempDir();
  writeFileSync(
    join(dir, 'rules.yaml'),
    'rules:\n  - { name: hour_avg, metric: cpu, above: 70, over: 1h, aggregate: avg }\n  - { name: hour_max, metric: ram, above: 99, over: 1h, aggregate: max }\n',
  );
  const config = await writeConfig(
    dir,
    'data: { dir: data }\nengine: { intervalMs: 0, metrics: { listen: "" }, rotate: { maxBytes: 67108864, keep: 20 } }\nanalytics: { http: { listen: "127.0.0.1:0" } }\n',
  );
  const env = { TELEMETRY_CONFIG: config };
  const analytics = runNode('apps/analytics/main.js', [], dir, env);
  t.teardown(() => analytics.child.kill('SIGKILL'));
  const port = await waitFor('the dashboard', () => loggedPort(analytics.output()));
  const events = await fetch(`http://127.0.0.1:${port}/events`); // the dashboard open
  const reader = events.body!.getReader();
  void (async () => {
    while (!(await reader.read()).done);
  })().catch(() => undefined);
  let peak = 0;
  const sampling = setInterval(() => (peak = Math.max(peak, rssOf(analytics.child.pid!))), 100);
  t.teardown(() => clearInterval(sampling));
  const engine = runNode('apps/engine/main.js', [], dir, env);
  t.teardown(() => engine.child.kill('SIGKILL'));
  await new Promise((r) => setTimeout(r, 10_000)); // the burst: ten seconds as fast as the engine goes
  engine.child.kill('SIGINT');
  await engine.exited;
  const written = Number(/written=(\d+)/.exec(engine.output().split('engine stopped cleanly')[1] ?? '')?.[1]);
  t.true(written > 1_000_000, `${written} rows written`);
  await waitFor(
    'the analytics app caught up',
    async () => {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      return Number(/telemetry_analytics_samples_total (\d+)/.exec(text)?.[1]) === written;
    },
    90_000,
    200,
  );
  clearInterval(sampling);
  void reader.cancel();
  t.log(`${written} rows; peak RSS ${(peak / MiB).toFixed(0)} MiB`);
  t.true(peak <= 250 * MiB, `peak RSS ${(peak / MiB).toFixed(0)} MiB`);
});
