// A real Prometheus (Debian's, 2.x) scraping three engines every second with the exported rules:
// every target up, the gauges equal each engine's CSV rows, and an exported alert fires in
// Prometheus within 3 s of this app's analytics firing it on the same host's data.
import test from 'ava';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runNode, tempDir, waitFor, writeConfig, type Running } from '../helpers.js';
import { freePort } from '../smtp-fixture.js';

const RULES = 'rules:\n  - { name: cpu_busy, metric: cpu, above: 60, clear: 55, severity: warning, flap: off }\n';

interface Vector {
  metric: Record<string, string>;
  value: [number, string];
}

async function query(prometheus: string, expr: string): Promise<Vector[]> {
  const res = await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await res.json()) as { status: string; data: { result: Vector[] } };
  if (body.status !== 'success') throw new Error(`query ${expr}: ${JSON.stringify(body)}`);
  return body.data.result;
}

/** CSV rows of a data dir's telemetry.csv by timestamp: `cpu,ram` text. */
function rows(dir: string): Map<number, string[]> {
  const lines = readFileSync(join(dir, 'data', 'telemetry.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1);
  return new Map(lines.map((l) => l.split(',')).map(([ts, cpu, ram]) => [Number(ts), [cpu!, ram!]]));
}

test('Prometheus scrapes three engines: up, gauges equal the CSV rows, the exported alert fires within 3 s of ours', async (t) => {
  const root = await tempDir();
  const ports = [await freePort(), await freePort(), await freePort()];
  const engines: { dir: string; run: Running }[] = [];
  for (const [i, port] of ports.entries()) {
    const dir = join(root, `host${i}`);
    await import('node:fs').then((fs) => fs.mkdirSync(dir));
    writeFileSync(join(dir, 'rules.yaml'), RULES);
    // host0 samples at 1 Hz (its alerts are compared), host1 and host2 took one sample each
    const config = await writeConfig(
      dir,
      `engine: { seed: ${i + 3}, intervalMs: ${i === 0 ? 1000 : 3600000}, metrics: { listen: "127.0.0.1:${port}" } }\nanalytics: { pollMs: 50, http: { listen: "" } }\n`,
    );
    engines.push({ dir, run: runNode('apps/engine/main.js', [], dir, { TELEMETRY_CONFIG: config }) });
  }
  const analytics = runNode('apps/analytics/main.js', [], engines[0]!.dir, {
    TELEMETRY_CONFIG: join(engines[0]!.dir, 'telemetry.test.yaml'),
  });
  t.teardown(() => [...engines.map((e) => e.run), analytics].forEach((p) => p.child.kill('SIGKILL')));

  const exported = runNode(
    'cli/telemetry.js',
    ['export-rules', join(engines[0]!.dir, 'rules.yaml'), '--prometheus-version', '2'],
    root,
  );
  t.is(await exported.exited, 0);
  writeFileSync(join(root, 'rules.yml'), exported.output());
  const targets = ports.map((p) => `'127.0.0.1:${p}'`).join(', ');
  writeFileSync(
    join(root, 'prometheus.yml'),
    `global: { scrape_interval: 1s, evaluation_interval: 1s }\nrule_files: [rules.yml]\nscrape_configs:\n  - job_name: telemetry\n    static_configs: [{ targets: [${targets}] }]\n`,
  );
  const promPort = await freePort();
  const prometheus = spawn(
    'prometheus',
    [
      `--config.file=${join(root, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(root, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
    ],
    { stdio: 'ignore' },
  );
  const promExited = new Promise<void>((r) => prometheus.on('exit', () => r()));
  t.teardown(async () => {
    prometheus.kill('SIGTERM');
    await promExited;
  });
  const url = `http://127.0.0.1:${promPort}`;
  await waitFor(
    'Prometheus to be ready',
    () =>
      fetch(`${url}/-/ready`).then(
        (r) => r.ok,
        () => false,
      ),
    30_000,
  );

  const up = await waitFor(
    'every target up',
    async () => {
      const v = await query(url, 'up{job="telemetry"} == 1');
      return v.length === 3 && v;
    },
    30_000,
  );
  t.deepEqual(up.map((v) => v.metric.instance).sort(), ports.map((p) => `127.0.0.1:${p}`).sort());

  for (const [i, port] of ports.entries()) {
    const instance = `instance="127.0.0.1:${port}"`;
    const [sample] = await waitFor(`host${i}'s gauges`, async () => {
      // one query, so the three values come from the same scrape
      const v = await query(
        url,
        `{__name__=~"telemetry_(cpu_usage_ratio|memory_usage_ratio|last_sample_timestamp_seconds)", ${instance}}`,
      );
      return v.length === 3 && [v];
    });
    const value = (name: string): string => sample.find((s) => s.metric.__name__ === name)!.value[1];
    const ts = Math.round(Number(value('telemetry_last_sample_timestamp_seconds')) * 1000);
    const row = rows(engines[i]!.dir).get(ts);
    t.truthy(row, `host${i}: a CSV row at ${ts}`);
    t.is(value('telemetry_cpu_usage_ratio'), String(Number(`${row![0]}e-2`)), `host${i} cpu`);
    t.is(value('telemetry_memory_usage_ratio'), String(Number(`${row![1]}e-2`)), `host${i} ram`);
  }

  // ours: the time of an ALERT line from after Prometheus was watching; Prometheus': the first poll
  // (every 100 ms) that shows that episode firing (ALERTS_FOR_STATE holds when it became active)
  const watchingSince = Date.now() + 1500;
  const firedAt = (): number | null => {
    const times = [...analytics.output().matchAll(/^(\S+) info ALERT firing cpu_busy/gm)].map((m) => Date.parse(m[1]!));
    return times.find((at) => at >= watchingSince) ?? null;
  };
  const oursAt = await waitFor('our analytics to fire cpu_busy', firedAt, 120_000, 20);
  const instance = `instance="127.0.0.1:${ports[0]}"`;
  const episode = `ALERTS{alertname="cpu_busy", alertstate="firing", ${instance}} and on(instance) (ALERTS_FOR_STATE{alertname="cpu_busy", ${instance}} >= ${Math.floor(oursAt / 1000) - 2})`;
  await waitFor(
    'Prometheus to fire the same episode',
    async () => (await query(url, episode)).length === 1,
    20_000,
    100,
  );
  const theirsAt = Date.now();
  t.log(`Prometheus fired ${theirsAt - oursAt} ms after the analytics app`);
  t.true(theirsAt - oursAt <= 3000, `${theirsAt - oursAt} ms`);
});
