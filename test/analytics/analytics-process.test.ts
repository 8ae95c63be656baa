import test from 'ava';
import { appendFileSync, copyFileSync, mkdirSync, readdirSync, watch, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../common/config.js';
import { chainFiles, readState, savedReport, type SavedState } from '../csv-chain.js';
import { runNode, tempDir, waitFor, writeConfig, type Running } from '../helpers.js';

const ANALYTICS = 'apps/analytics/main.js';
const ENGINE = 'apps/engine/main.js';

const savedStats = (dir: string): SavedState['stats'] | null => readState(join(dir, 'data'))?.stats ?? null;

async function analyzeJson(
  cwd: string,
  files: string[],
  extra: string[] = [],
): Promise<{
  samples: number;
  cpu: { avg: number; min: number; max: number };
  ram: { avg: number };
  rejected: Record<string, number>;
  gaps: number;
}> {
  const p = runNode('cli/telemetry.js', ['analyze', ...files, '--json', ...extra], cwd);
  await p.exited;
  return JSON.parse(p.output()) as Awaited<ReturnType<typeof analyzeJson>>;
}

test('kill -9 of the analytics app mid-stream, again and again: totals equal one uninterrupted pass', async (t) => {
  const dir = await tempDir();
  const config = await writeConfig(
    dir,
    'engine: { intervalMs: 2, rotate: { maxBytes: 4096, keep: 1000 } }\nanalytics: { checkpointMs: 20, pollMs: 50 }\n',
  );
  copyFileSync(join(projectRoot, 'rules.yaml'), join(dir, 'rules.yaml'));
  const env = { TELEMETRY_CONFIG: config };
  const engine = runNode(ENGINE, [], dir, env);
  let analytics: Running = runNode(ANALYTICS, [], dir, env);
  t.teardown(() => {
    engine.child.kill('SIGKILL');
    analytics.child.kill('SIGKILL');
  });
  for (let round = 0; round < 6; round++) {
    const before = savedStats(dir)?.cpu.count ?? 0;
    await waitFor('analytics to make progress', () => (savedStats(dir)?.cpu.count ?? 0) > before + 100);
    analytics.child.kill('SIGKILL');
    await analytics.exited;
    analytics = runNode(ANALYTICS, [], dir, env);
  }
  await waitFor('the last restart', () => analytics.output().includes('analytics started'));
  engine.child.kill('SIGINT');
  t.is(await engine.exited, 0);
  const files = chainFiles(join(dir, 'data'));
  t.true(files.length > 2, 'rotations happened');
  const reference = await analyzeJson(dir, files);
  const caughtUp = await waitFor(
    'analytics to catch up',
    () => savedStats(dir)?.cpu.count === reference.samples,
    60_000,
  ).catch(() => false);
  t.true(
    caughtUp,
    `saved ${savedStats(dir)?.cpu.count} samples, analyze counted ${reference.samples}; analytics said:\n${analytics.output().slice(-2000)}`,
  );
  analytics.child.kill('SIGINT');
  t.is(await analytics.exited, 0, analytics.output());
  const s = savedStats(dir)!;
  t.is(s.cpu.count, reference.samples);
  t.is(savedReport({ stats: s }).cpu.avg, reference.cpu.avg);
  t.is(savedReport({ stats: s }).ram.avg, reference.ram.avg);
  t.is(s.cpu.max, reference.cpu.max);
  t.is(s.gaps, reference.gaps);
  t.is(s.gaps, 0);
  t.deepEqual(
    Object.values(s.rejected).reduce((a, b) => a + b, 0),
    reference.rejected.total,
  );
});

// Rows from the last few minutes: older ones would be history, recorded but not announced.
const BASE = Date.now() - 300_000;
const row = (i: number, cpu: number): string => `${BASE + i * 1000},${cpu.toFixed(2)},50.00,${i + 1}\n`;
const alertLines = (output: string): string[] =>
  output
    .split('\n')
    .filter((l) => l.includes(' ALERT '))
    .map((l) => l.slice(l.indexOf('ALERT')).replace(/ rule=.*$/, ''));

test('rules.yaml edited live: a lower threshold applies, a broken file keeps the running rules', async (t) => {
  const dir = await tempDir();
  mkdirSync(join(dir, 'data'));
  const csv = join(dir, 'data', 'telemetry.csv');
  writeFileSync(csv, 'timestamp,cpu,ram,seq\n');
  const rules = join(dir, 'rules.yaml');
  writeFileSync(rules, 'rules:\n  - name: high_cpu\n    metric: cpu\n    above: 80\n');
  const config = await writeConfig(dir, 'analytics: { pollMs: 50 }\n');
  const app = runNode(ANALYTICS, [], dir, { TELEMETRY_CONFIG: config });
  t.teardown(() => app.child.kill('SIGKILL'));
  await waitFor('start', () => app.output().includes('analytics started'));
  appendFileSync(csv, row(0, 70));
  await waitFor('the row to be read', () => savedStats(dir)?.cpu.count === 1);
  t.deepEqual(alertLines(app.output()), []);

  writeFileSync(rules, 'rules:\n  - name: high_cpu\n    metric: cpu\n    above: 60\n');
  await waitFor('the reload line', () => app.output().includes('rules reloaded'));
  t.regex(app.output(), /rules reloaded .*changed=high_cpu/);
  appendFileSync(csv, row(1, 70));
  await waitFor('the new alert', () => alertLines(app.output()).length === 1);
  t.regex(alertLines(app.output())[0]!, /^ALERT firing high_cpu cpu=70\.00 > 60 \(warning\)/);

  writeFileSync(rules, 'rules:\n  - name: high_cpu\n    metric: cpu\n    above: sixty\n');
  await waitFor('the invalid-file error', () =>
    app.output().includes('rules file is invalid; keeping the running rules'),
  );
  t.regex(app.output(), /rules\.yaml:4:12: rule "high_cpu": above: must be number/);
  appendFileSync(csv, row(2, 50));
  await waitFor('resolution under the running rules', () => alertLines(app.output()).length === 2);
  t.regex(alertLines(app.output())[1]!, /^ALERT resolved high_cpu cpu=50\.00/);

  writeFileSync(rules, 'rules:\n  - name: high_cpu\n    metric: cpu\n    above: 40\n');
  await waitFor('the second reload', () => app.output().split('rules reloaded').length === 3);
  appendFileSync(csv, row(3, 45));
  await waitFor('the alert under the fixed file', () => alertLines(app.output()).length === 3);
  t.regex(alertLines(app.output())[2]!, /^ALERT firing high_cpu cpu=45\.00 > 40/);
  app.child.kill('SIGINT');
  t.is(await app.exited, 0);
});

test('a live run and a backtest over the same rows give the same transitions', async (t) => {
  const dir = await tempDir();
  mkdirSync(join(dir, 'data'));
  const csv = join(dir, 'data', 'telemetry.csv');
  writeFileSync(csv, 'timestamp,cpu,ram,seq\n');
  writeFileSync(
    join(dir, 'rules.yaml'),
    [
      'defaults: { repeat: 5s, flap: off }',
      'rules:',
      '  - { name: high_cpu, metric: cpu, above: 80, for: 2s, clear: 70 }',
      '  - { name: cpu_avg, metric: cpu, above: 60, over: 4s, aggregate: avg }',
      '',
    ].join('\n'),
  );
  const config = await writeConfig(dir, 'analytics: { pollMs: 20 }\n');
  const app = runNode(ANALYTICS, [], dir, { TELEMETRY_CONFIG: config });
  t.teardown(() => app.child.kill('SIGKILL'));
  await waitFor('start', () => app.output().includes('analytics started'));
  let seed = 3;
  let text = '';
  for (let i = 0; i < 400; i++) {
    seed = (seed * 48271) % 2147483647;
    text += row(i, (seed % 10000) / 100);
  }
  // appended in uneven pieces, lines split across writes
  for (let at = 0; at < text.length;) {
    const n = 1 + ((at * 7919) % 2000);
    appendFileSync(csv, text.slice(at, at + n));
    at += n;
    if (at % 3 === 0) await new Promise((r) => setTimeout(r, 5));
  }
  await waitFor('all rows read', () => savedStats(dir)?.cpu.count === 400);
  app.child.kill('SIGINT');
  await app.exited;
  const backtest = runNode('cli/telemetry.js', ['analyze', csv, '--rules', 'rules.yaml'], dir);
  await backtest.exited;
  const live = alertLines(app.output()).filter((l) => !l.startsWith('ALERT still firing'));
  const replay = backtest
    .output()
    .split('\n')
    .filter((l) => l.includes('ALERT'))
    .map((l) => l.slice(l.indexOf('ALERT')));
  t.true(live.length > 10, `enough transitions (${live.length})`);
  t.deepEqual(live, replay);
});

test('a signal the moment the first state is saved still ends the app cleanly, with what it read saved', async (t) => {
  const dir = await tempDir();
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'data', 'telemetry.csv'), `timestamp,cpu,ram,seq\n${row(0, 10)}${row(1, 20)}`);
  writeFileSync(join(dir, 'rules.yaml'), 'rules: []\n');
  const config = await writeConfig(dir, 'analytics: { pollMs: 50 }\n');
  // the first save is the first turn's, at start-up: the signal goes out as soon as it lands
  // (an event, not a poll: the window this test aims at is a few milliseconds wide)
  const w = watch(join(dir, 'data'));
  t.teardown(() => w.close());
  const saved = new Promise<void>((resolve, reject) => {
    w.on('change', (_event, name) => name === 'analytics-state.json' && resolve());
    setTimeout(() => reject(new Error('timed out after 20000 ms waiting for the first state save')), 20_000).unref();
  });
  const app = runNode(ANALYTICS, [], dir, { TELEMETRY_CONFIG: config });
  t.teardown(() => app.child.kill('SIGKILL'));
  await saved;
  app.child.kill('SIGINT');
  t.is(await app.exited, 0, app.output());
  t.regex(app.output(), /analytics stopped cleanly/);
  t.is(savedStats(dir)?.cpu.count, 2);
});

test('an unreadable state file is moved aside and logged; the app starts over from the first row', async (t) => {
  const dir = await tempDir();
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'data', 'telemetry.csv'), `timestamp,cpu,ram,seq\n${row(0, 10)}${row(1, 20)}`);
  writeFileSync(join(dir, 'data', 'analytics-state.json'), '{"version":1,"position":{"dev":1,'); // torn by a failing disk
  writeFileSync(join(dir, 'rules.yaml'), 'rules: []\n');
  const config = await writeConfig(dir, 'analytics: { pollMs: 50, checkpointMs: 20 }\n');
  const app = runNode(ANALYTICS, [], dir, { TELEMETRY_CONFIG: config });
  t.teardown(() => app.child.kill('SIGKILL'));
  await waitFor('both rows counted', () => savedStats(dir)?.cpu.count === 2);
  t.regex(app.output(), /analytics state file is unusable; moved aside/);
  t.true(readdirSync(join(dir, 'data')).some((f) => f.startsWith('analytics-state.json.corrupt-')));
  app.child.kill('SIGINT');
  t.is(await app.exited, 0);
});

test('one analytics app per data directory: a second one is refused with one line naming the holder; a kill -9 lock does not block a restart', async (t) => {
  const dir = await tempDir();
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'rules.yaml'), 'rules: []\n');
  const config = await writeConfig(dir, 'analytics: { http: { listen: "" } }\n');
  const env = { TELEMETRY_CONFIG: config };
  const first = runNode(ANALYTICS, [], dir, env);
  t.teardown(() => first.child.kill('SIGKILL'));
  await waitFor('the first app started', () => first.output().includes('analytics started'));
  const second = runNode(ANALYTICS, [], dir, env);
  t.is(await second.exited, 1);
  const refusals = second
    .output()
    .split('\n')
    .filter((l) => l.includes('TELEMETRY_ANALYTICS_LOCKED'));
  t.is(refusals.length, 1, second.output());
  t.regex(refusals[0]!, new RegExp(`another analytics app \\(pid ${first.child.pid}\\) follows \\S+/data`));
  first.child.kill('SIGKILL');
  await first.exited;
  const third = runNode(ANALYTICS, [], dir, env);
  t.teardown(() => third.child.kill('SIGKILL'));
  await waitFor('the restarted app', () => third.output().includes('analytics started'));
  third.child.kill('SIGINT');
  t.is(await third.exited, 0, third.output());
});
