// /metrics of both apps, scraped over HTTP from the real processes and linted by Debian's promtool.
import test from 'ava';
import { execFile } from 'node:child_process';
import { appendFileSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../common/config.js';
import { completeLines, loggedPort, runNode, tempDir, waitFor, writeConfig } from '../helpers.js';

export async function scrape(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  if (res.status !== 200) throw new Error(`GET /metrics: ${res.status}`);
  return res.text();
}

/** The value of one sample line `name{labels} value`, as text (exactly as exposed). */
export function sampleText(exposition: string, series: string): string | undefined {
  return exposition
    .split('\n')
    .find((l) => l.startsWith(`${series} `))
    ?.slice(series.length + 1);
}

/** promtool check metrics on the whole exposition. */
function lint(exposition: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const p = execFile('promtool', ['check', 'metrics'], (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    );
    p.stdin!.end(exposition);
  });
}

test('engine /metrics: the last CSV row as ratios (decimal shifted) and its own timestamp, counters, HELP and TYPE; promtool finds nothing', async (t) => {
  const dir = await tempDir();
  // one sample now, the next an hour later: the gauges must equal the row on disk
  const config = await writeConfig(dir, 'engine: { intervalMs: 3600000, metrics: { listen: "127.0.0.1:0" } }\n');
  const engine = runNode('apps/engine/main.js', [], dir, { TELEMETRY_CONFIG: config });
  t.teardown(() => engine.child.kill('SIGKILL'));
  const port = await waitFor('the metrics port', () => loggedPort(engine.output()));
  const csv = join(dir, 'data', 'telemetry.csv');
  const row = await waitFor('the first row', () => completeLines(csv)[1]);
  const [ts, cpu, ram, seq] = row.split(',');
  const body = await waitFor('the written sample in /metrics', async () => {
    const text = await scrape(port);
    return sampleText(text, 'telemetry_samples_written_total') === '1' && text;
  });
  t.is(sampleText(body, 'telemetry_cpu_usage_ratio'), String(Number(`${cpu}e-2`)));
  t.is(sampleText(body, 'telemetry_memory_usage_ratio'), String(Number(`${ram}e-2`)));
  t.is(sampleText(body, 'telemetry_last_sample_timestamp_seconds'), String(Number(`${ts}e-3`)));
  t.is(seq, '1');
  for (const name of [
    'telemetry_samples_produced_total',
    'telemetry_samples_dropped_total',
    'telemetry_write_errors_total',
    'telemetry_rotations_total',
    'telemetry_queue_depth',
    'process_resident_memory_bytes',
  ]) {
    t.regex(body, new RegExp(`^# HELP ${name} \\S`, 'm'), name);
    t.regex(body, new RegExp(`^# TYPE ${name} (counter|gauge)$`, 'm'), name);
  }
  t.regex(
    body,
    /^telemetry_build_info\{app="telemetry-engine",version="\d+\.\d+\.\d+",host="[^"]+",node="v\d+[^"]*"\} 1$/m,
  );
  const { code, out } = await lint(body);
  t.is(out, '');
  t.is(code, 0);
  engine.child.kill('SIGINT');
  t.is(await engine.exited, 0);
});

test('analytics /metrics: counters by reason, notifications by channel, telemetry_alert_firing per rule; promtool finds nothing', async (t) => {
  const dir = await tempDir();
  mkdirSync(join(dir, 'data'));
  const csv = join(dir, 'data', 'telemetry.csv');
  writeFileSync(csv, 'timestamp,cpu,ram,seq\n');
  copyFileSync(join(projectRoot, 'rules.yaml'), join(dir, 'rules.yaml'));
  const config = await writeConfig(dir, 'analytics: { pollMs: 50, http: { listen: "127.0.0.1:0" } }\n');
  const app = runNode('apps/analytics/main.js', [], dir, { TELEMETRY_CONFIG: config });
  t.teardown(() => app.child.kill('SIGKILL'));
  const port = await waitFor('the HTTP port', () => loggedPort(app.output()));
  const now = Date.now();
  appendFileSync(csv, `${now},95.00,50.00,1\nnot,a,row,at all\n${now + 1000},96.00,50.00,3\n`);
  const body = await waitFor('the spike counted', async () => {
    const text = await scrape(port);
    return sampleText(text, 'telemetry_analytics_samples_total') === '2' && text;
  });
  t.is(sampleText(body, 'telemetry_alert_firing{rule="high_cpu",severity="warning"}'), '1');
  t.is(sampleText(body, 'telemetry_alert_firing{rule="no_data",severity="critical"}'), '0');
  t.is(sampleText(body, 'telemetry_analytics_rejected_rows_total{reason="columns"}'), '0');
  t.is(sampleText(body, 'telemetry_analytics_rejected_rows_total{reason="number"}'), '1');
  t.is(sampleText(body, 'telemetry_analytics_missed_samples_total'), '1');
  t.is(sampleText(body, 'telemetry_notifications_total{channel="console",outcome="sent"}'), '1');
  t.is(sampleText(body, 'telemetry_analytics_lag_bytes'), '0');
  const { code, out } = await lint(body);
  t.is(out, '');
  t.is(code, 0);
  app.child.kill('SIGINT');
  t.is(await app.exited, 0);
});
