// `telemetry export-rules`: the mapping of every rule feature, invalid rules, and the shipped
// example files under config/prometheus/ (kept equal to an export of rules.yaml, and valid).
import test from 'ava';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { parseRules } from '../../apps/analytics/rules/load-rules.js';
import { exportRules } from '../../cli/export-rules.js';
import { projectRoot } from '../../common/config.js';
import { runNode, tempDir } from '../helpers.js';

const run = promisify(execFile);

const YAML = `defaults: { repeat: 30m, channels: [console, email] }
rules:
  - { name: hot, metric: cpu, above: 80.3 }
  - { name: hyst, metric: ram, above: 80, clear: 75, for: 2s, severity: critical }
  - { name: low, metric: ram, below: 10, clear: 12.5, repeat: 0s, channels: [alertmanager] }
  - { name: avg, metric: cpu, above: 70, over: 1m, aggregate: avg, severity: info }
  - { name: peak, metric: ram, below: 5, over: 10s, aggregate: max }
  - { name: gone, absent: 10s }
  - { name: smooth, metric: cpu, above: 70, clear: 65, over: 1m, aggregate: avg }
`;

type Exported = {
  groups: {
    name: string;
    interval: string;
    rules: { alert: string; expr: string; for?: string; labels: Record<string, string> }[];
  }[];
};

test('every rule feature maps as SPEC says, for Prometheus 3 and 2', (t) => {
  const rules = parseRules('r.yaml', YAML);
  const v3 = exportRules(rules, 3) as Exported;
  const v2 = exportRules(rules, 2) as Exported;
  t.deepEqual([v3.groups.length, v3.groups[0]!.interval], [1, '1s']);
  const by = (e: Exported): Record<string, Exported['groups'][0]['rules'][0]> =>
    Object.fromEntries(e.groups[0]!.rules.map((r) => [r.alert, r]));
  const r3 = by(v3);
  const r2 = by(v2);
  t.is(r3.hot!.expr, 'telemetry_cpu_usage_ratio > 80.3e-2');
  t.deepEqual(r3.hot!.labels, { severity: 'warning', channels: 'console,email', repeat: '30m' });
  t.is(r3.hot!.for, undefined);
  t.is(
    r3.hyst!.expr,
    'telemetry_memory_usage_ratio > 80e-2 or (telemetry_memory_usage_ratio > 75e-2 and ignoring(alertname, alertstate, severity, channels, repeat) ALERTS{alertname="hyst", alertstate="firing"})',
  );
  t.is(r3.hyst!.for, '2000ms');
  t.is(
    r3.low!.expr,
    'telemetry_memory_usage_ratio < 10e-2 or (telemetry_memory_usage_ratio < 12.5e-2 and ignoring(alertname, alertstate, severity, channels) ALERTS{alertname="low", alertstate="firing"})',
  );
  t.deepEqual(r3.low!.labels, { severity: 'warning', channels: 'alertmanager' }, 'no empty repeat label');
  t.is(r3.avg!.expr, 'avg_over_time(telemetry_cpu_usage_ratio[60000ms]) > 70e-2');
  t.is(r2.avg!.expr, 'avg_over_time(telemetry_cpu_usage_ratio[59999ms]) > 70e-2', '2.x ranges include their left end');
  t.is(r3.peak!.expr, 'max_over_time(telemetry_memory_usage_ratio[10000ms]) < 5e-2');
  t.is(
    r3.smooth!.expr,
    'avg_over_time(telemetry_cpu_usage_ratio[60000ms]) > 70e-2 or (avg_over_time(telemetry_cpu_usage_ratio[60000ms]) > 65e-2 and ignoring(alertname, alertstate, severity, channels, repeat) ALERTS{alertname="smooth", alertstate="firing"})',
    'the clear clause judges the window too, not the raw metric',
  );
  t.is(r3.gone!.expr, 'time() - telemetry_last_sample_timestamp_seconds >= 10 or max_over_time(up[10000ms]) == 0');
  t.is(r2.gone!.expr, 'time() - telemetry_last_sample_timestamp_seconds >= 10 or max_over_time(up[9999ms]) == 0');
  for (const r of v3.groups[0]!.rules) t.notRegex(r.expr, /instance|host/, 'no rule filters by host or instance');
});

test('the exported file passes promtool check rules; invalid rules give the validate messages and exit 1', async (t) => {
  const dir = await tempDir();
  writeFileSync(join(dir, 'rules.yaml'), YAML);
  for (const version of ['2', '3']) {
    const p = runNode('cli/telemetry.js', ['export-rules', 'rules.yaml', `--prometheus-version=${version}`], dir);
    t.is(await p.exited, 0);
    writeFileSync(join(dir, `v${version}.yml`), p.output());
    const { stdout } = await run('promtool', ['check', 'rules', `v${version}.yml`], { cwd: dir });
    t.regex(stdout, /SUCCESS: 7 rules found/);
  }
  writeFileSync(join(dir, 'bad.yaml'), 'rules:\n  - name: x\n    metric: cpu\n    above: lots\n');
  const bad = runNode('cli/telemetry.js', ['export-rules', 'bad.yaml'], dir);
  t.is(await bad.exited, 1);
  t.is(bad.output().trim(), 'bad.yaml:4:12: rule "x": above: must be number');
  const usage = runNode('cli/telemetry.js', ['export-rules', 'rules.yaml', '--prometheus-version', '4'], dir);
  t.is(await usage.exited, 2);
});

test('config/prometheus/: rules.yml is the export of the shipped rules.yaml; the example configs are valid', async (t) => {
  const dir = join(projectRoot, 'config', 'prometheus');
  const p = runNode('cli/telemetry.js', ['export-rules', 'rules.yaml'], projectRoot);
  t.is(await p.exited, 0);
  t.is(
    readFileSync(join(dir, 'rules.yml'), 'utf8'),
    p.output(),
    'refresh with: npx telemetry export-rules rules.yaml > config/prometheus/rules.yml',
  );
  const { stdout } = await run('promtool', ['check', 'config', 'prometheus.yml'], { cwd: dir });
  t.regex(stdout, /SUCCESS: config\/?.*prometheus\.yml is valid|is valid prometheus config/);
  const am = await run('amtool', ['check-config', 'alertmanager.yml'], { cwd: dir });
  t.regex(am.stdout, /SUCCESS/);
  const route = (
    parse(readFileSync(join(dir, 'alertmanager.yml'), 'utf8')) as { route: { routes: { matchers: string[] }[] } }
  ).route;
  t.true(
    route.routes.some((r) => r.matchers.some((m) => m.startsWith('severity='))) &&
      route.routes.some((r) => r.matchers.some((m) => m.startsWith('channels'))),
    'routes by severity and channels',
  );
});
