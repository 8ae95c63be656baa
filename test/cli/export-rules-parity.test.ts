// Tick-exact parity between this app and a real Prometheus (Debian's promtool) on the exported
// rules: two hosts' CSVs on a 1 s grid (values exactly on thresholds, hysteresis, `for`, windows,
// an engine down and an engine stalled for `absent`). The expected firing alerts at every tick
// come from the product itself: `telemetry analyze --rules --json` for threshold rules, and the
// live app's Alerting ticked once a second for the absent rule (analyze skips absent rules).
import test from 'ava';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Alerting } from '../../apps/analytics/rules/alerting.js';
import { parseRules } from '../../apps/analytics/rules/load-rules.js';
import type { Rule } from '../../apps/analytics/rules/rule.js';
import { percentToRatio } from '../../common/ratio.js';
import { staticLabels } from '../../cli/export-rules.js';
import { runNode, tempDir } from '../helpers.js';

const run = promisify(execFile);
const TICKS = 3600;
const RULES = `rules:
  - { name: cpu_hot, metric: cpu, above: 80, clear: 75, severity: warning }
  - { name: cpu_for, metric: cpu, above: 70, for: 5s, severity: info, channels: [console] }
  - { name: ram_avg, metric: ram, above: 60.5005, over: 10s, aggregate: avg, severity: critical }
  - { name: ram_low, metric: ram, below: 19.7, clear: 25, repeat: 1m }
  - { name: no_data, absent: 5s, severity: critical }
`;

/** One host's timeline: per tick (1 s) a sample, a stall (engine up, no new sample) or down. */
interface Tick {
  sample: { cpu: number; ram: number } | null;
  up: boolean;
}

function host(seed: number, outages: { at: number; length: number; up: boolean }[]): Tick[] {
  let s = seed;
  const rand = (n: number): number => ((s = (s * 48271) % 2147483647), s % n);
  // values that land exactly on and right beside the thresholds, and ordinary ones
  const cpuPoints = [80, 80.01, 79.99, 75, 75.01, 74.99, 70, 70.01, 69.99, 95, 40];
  const ramPoints = [19.7, 19.69, 19.71, 25, 25.01, 24.99, 60.5, 60.51, 60.49, 61, 60, 10];
  const ticks: Tick[] = [];
  for (let t = 0; t <= TICKS; t++) {
    const out = outages.find((o) => t >= o.at && t < o.at + o.length);
    // calm for 15 s before an outage (no rule pending or firing when samples stop) and 10 s after
    // (a stalled engine is scraped with its last value; the app's windows hold only real samples)
    const calm = outages.some((o) => t >= o.at - 15 && t < o.at + o.length + 10);
    const pick = (points: number[]): number => (rand(3) === 0 ? points[rand(points.length)]! : rand(10001) / 100);
    if (t === 0 || out) ticks.push({ sample: null, up: out ? out.up : false });
    else ticks.push({ sample: calm ? { cpu: 50, ram: 40 } : { cpu: pick(cpuPoints), ram: pick(ramPoints) }, up: true });
  }
  return ticks;
}

const HOSTS: Record<string, Tick[]> = {
  a: host(7, [
    { at: 400, length: 12, up: true },
    { at: 1200, length: 4, up: true },
    { at: 3000, length: 60, up: false },
  ]), // stalled, then down
  b: host(11, [
    { at: 300, length: 20, up: false },
    { at: 1500, length: 8, up: false },
    { at: 2500, length: 7, up: true },
  ]), // down, then stalled
};

/** The series Prometheus would have scraped from one engine, in promtool's notation. */
function inputSeries(instance: string, ticks: Tick[]): { series: string; values: string }[] {
  const labels = `{instance="${instance}", job="telemetry"}`;
  const cpu: string[] = [];
  const ram: string[] = [];
  const last: string[] = [];
  let latest: { t: number; cpu: number; ram: number } | null = null;
  ticks.forEach((tick, t) => {
    if (tick.sample) latest = { t, ...tick.sample };
    const shown = tick.up && latest;
    cpu.push(shown ? String(percentToRatio(latest!.cpu)) : ticks[t - 1]?.up ? 'stale' : '_');
    ram.push(shown ? String(percentToRatio(latest!.ram)) : ticks[t - 1]?.up ? 'stale' : '_');
    last.push(shown ? String(latest!.t) : ticks[t - 1]?.up ? 'stale' : '_');
  });
  return [
    { series: `telemetry_cpu_usage_ratio${labels}`, values: cpu.join(' ') },
    { series: `telemetry_memory_usage_ratio${labels}`, values: ram.join(' ') },
    { series: `telemetry_last_sample_timestamp_seconds${labels}`, values: last.join(' ') },
    { series: `up${labels}`, values: ticks.map((k) => (k.up ? '1' : '0')).join(' ') },
  ];
}

/** Firing rules per tick for one host, from the product: analyze --rules (thresholds), Alerting (absent). */
async function expectedFiring(dir: string, name: string, ticks: Tick[], rules: Rule[]): Promise<Set<string>[]> {
  const csv = join(dir, `${name}.csv`);
  writeFileSync(
    csv,
    'timestamp,cpu,ram,seq\n' +
      ticks
        .flatMap((k, t) =>
          k.sample ? [`${t * 1000},${k.sample.cpu.toFixed(2)},${k.sample.ram.toFixed(2)},${t}\n`] : [],
        )
        .join(''),
  );
  const p = runNode('cli/telemetry.js', ['analyze', csv, '--rules', join(dir, 'rules.yaml'), '--json'], dir);
  if ((await p.exited) !== 0) throw new Error(p.output());
  const { alerts } = JSON.parse(p.output()) as { alerts: { rule: string; state: string; timestamp: number }[] };
  const firing: Set<string>[] = ticks.map(() => new Set());
  const open = new Map<string, number>();
  for (const a of [
    ...alerts,
    ...[...new Set(alerts.map((x) => x.rule))].map((rule) => ({ rule, state: 'end', timestamp: (TICKS + 1) * 1000 })),
  ]) {
    const since = open.get(a.rule);
    if (a.state === 'firing') open.set(a.rule, a.timestamp / 1000);
    else if (since !== undefined) {
      for (let t = since; t < a.timestamp / 1000; t++) firing[t]!.add(a.rule);
      open.delete(a.rule);
    }
  }
  const absent = new Alerting(
    rules.filter((r) => r.kind === 'absent'),
    0,
  );
  ticks.forEach((k, t) => {
    if (t === 0) return;
    if (k.sample) absent.onArrival(t * 1000);
    absent.tick(t * 1000);
    for (const f of absent.firing()) firing[t]!.add(f.rule.name);
  });
  return firing;
}

test('export-rules: Prometheus 2.x (promtool) fires the same alerts as this app at every one of 3600 ticks on two hosts', async (t) => {
  const dir = await tempDir();
  writeFileSync(join(dir, 'rules.yaml'), RULES);
  const rules = parseRules('rules.yaml', RULES);
  const exported = runNode('cli/telemetry.js', ['export-rules', 'rules.yaml', '--prometheus-version', '2'], dir);
  t.is(await exported.exited, 0, exported.output());
  writeFileSync(join(dir, 'rules.prom.yml'), exported.output());
  const byName = new Map(rules.map((r) => [r.name, r]));
  const expected = new Map<string, Set<string>[]>();
  for (const [name, ticks] of Object.entries(HOSTS)) expected.set(name, await expectedFiring(dir, name, ticks, rules));
  let firingTicks = 0;
  const seen = new Set<string>();
  const exprTests = [];
  for (let tick = 1; tick <= TICKS; tick++) {
    const samples = [];
    for (const [instance, firing] of expected) {
      for (const rule of [...firing[tick]!].sort()) {
        seen.add(rule);
        const labels = {
          alertname: rule,
          alertstate: 'firing',
          instance,
          job: 'telemetry',
          ...staticLabels(byName.get(rule)!),
        };
        samples.push({
          labels: `ALERTS{${Object.entries(labels)
            .map(([k, v]) => `${k}="${v}"`)
            .join(', ')}}`,
          value: 1,
        });
      }
    }
    firingTicks += samples.length > 0 ? 1 : 0;
    exprTests.push({ expr: 'ALERTS{alertstate="firing"}', eval_time: `${tick}s`, exp_samples: samples });
  }
  t.deepEqual([...seen].sort(), ['cpu_for', 'cpu_hot', 'no_data', 'ram_avg', 'ram_low'], 'every rule fires somewhere');
  t.true(firingTicks > TICKS / 4 && firingTicks < TICKS, `firing at ${firingTicks} of ${TICKS} ticks`);
  const input = Object.entries(HOSTS).flatMap(([name, ticks]) => inputSeries(name, ticks));
  const spec = {
    rule_files: ['rules.prom.yml'],
    evaluation_interval: '1s',
    tests: [{ interval: '1s', input_series: input, promql_expr_test: exprTests }],
  };
  writeFileSync(join(dir, 'parity.test.json'), JSON.stringify(spec));
  const result = await run('promtool', ['test', 'rules', 'parity.test.json'], { cwd: dir, maxBuffer: 64 << 20 }).then(
    (r) => ({ ok: true, out: r.stdout + r.stderr }),
    (err: unknown) => {
      const e = err as { stdout?: string; stderr?: string };
      return { ok: false, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
    },
  );
  t.true(result.ok, result.out.slice(0, 4000));
  t.regex(result.out, /SUCCESS/);
});
