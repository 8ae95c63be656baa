import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../common/config.js';
import { runNode, tempDir } from '../helpers.js';

const CLI = 'cli/telemetry.js';
const run = async (args: string[], cwd: string): Promise<{ code: number | null; out: string }> => {
  const p = runNode(CLI, args, cwd);
  const code = await p.exited;
  return { code, out: p.output() };
};

test('analyze --json prints the SPEC object for files in order', async (t) => {
  const dir = await tempDir();
  writeFileSync(join(dir, 'a.csv'), 'timestamp,cpu,ram,seq\n1700000000000,10,20,1\n1700000000001,30,40,2\nbad,row\n');
  writeFileSync(join(dir, 'b.csv'), 'timestamp,cpu,ram,seq\n1700000000002,50,60,5\ntimestamp,cpu,ram,seq\n1700000000003,150,60,6\n');
  const { code, out } = await run(['analyze', 'a.csv', 'b.csv', '--json'], dir);
  t.is(code, 0, out);
  t.deepEqual(JSON.parse(out), {
    samples: 3,
    rejected: { total: 2, columns: 1, number: 0, range: 1, too_long: 0 },
    headers: 1,
    gaps: 2,
    cpu: { avg: 30, min: 10, max: 50 },
    ram: { avg: 40, min: 20, max: 60 },
    alerts: [],
  });
});

test('analyze with no samples gives nulls; a human summary without --json', async (t) => {
  const dir = await tempDir();
  writeFileSync(join(dir, 'empty.csv'), 'timestamp,cpu,ram,seq\n');
  const json = JSON.parse((await run(['analyze', 'empty.csv', '--json'], dir)).out);
  t.deepEqual(json.cpu, { avg: null, min: null, max: null });
  const human = await run(['analyze', 'empty.csv'], dir);
  t.is(human.code, 0);
  t.regex(human.out, /samples\s+0/);
});

test('analyze --rules lists every transition (a backtest); absent rules are skipped', async (t) => {
  const dir = await tempDir();
  const rows = [10, 85, 90, 70, 95, 20].map((cpu, i) => `${1_700_000_000_000 + i * 1000},${cpu},50,${i + 1}`);
  writeFileSync(join(dir, 'x.csv'), `timestamp,cpu,ram,seq\n${rows.join('\n')}\n`);
  const { code, out } = await run(['analyze', 'x.csv', '--rules', join(projectRoot, 'rules.yaml'), '--json'], dir);
  t.is(code, 0, out);
  t.deepEqual(JSON.parse(out).alerts, [
    { rule: 'high_cpu', state: 'firing', timestamp: 1_700_000_001_000, value: 85 },
    { rule: 'high_cpu', state: 'resolved', timestamp: 1_700_000_003_000, value: 70 },
    { rule: 'high_cpu', state: 'firing', timestamp: 1_700_000_004_000, value: 95 },
    { rule: 'high_cpu', state: 'resolved', timestamp: 1_700_000_005_000, value: 20 },
  ]);
  const human = await run(['analyze', 'x.csv', '--rules', join(projectRoot, 'rules.yaml')], dir);
  t.regex(human.out, /ALERT firing high_cpu cpu=85\.00 > 80 \(warning\)/);
});

test('analyze: unreadable file, bad usage and invalid rules exit 2 with a clear message', async (t) => {
  const dir = await tempDir();
  const missing = await run(['analyze', 'nope.csv'], dir);
  t.is(missing.code, 2);
  t.regex(missing.out, /^telemetry: nope\.csv: cannot read: ENOENT/);
  t.notRegex(missing.out, /\n\s+at /);
  t.is((await run(['analyze'], dir)).code, 2);
  t.is((await run(['analyze', 'x.csv', '--bogus'], dir)).code, 2);
  writeFileSync(join(dir, 'x.csv'), 'timestamp,cpu,ram\n');
  writeFileSync(join(dir, 'r.yaml'), 'rules: [{ name: a, metric: cpu }]\n');
  const rules = await run(['analyze', 'x.csv', '--rules', 'r.yaml'], dir);
  t.is(rules.code, 2);
  t.regex(rules.out, /r\.yaml:1:9: rule "a": needs one of above, below or absent/);
});

test('validate: 0 for valid files, 1 with every error as file:line:col', async (t) => {
  const dir = await tempDir();
  const good = await run(['validate', join(projectRoot, 'rules.yaml'), join(projectRoot, 'config', 'telemetry.yaml')], dir);
  t.is(good.code, 0, good.out);
  writeFileSync(join(dir, 'bad.yaml'), 'engine:\n  source: moon\n');
  writeFileSync(join(dir, 'rules.yaml'), 'rules:\n  - name: x\n    metric: cpu\n    above: high\n');
  const bad = await run(['validate', 'bad.yaml', 'rules.yaml'], dir);
  t.is(bad.code, 1);
  t.deepEqual(bad.out.trim().split('\n'), ['bad.yaml:2:11: engine.source: must be one of synthetic, system', 'rules.yaml:4:12: rule "x": above: must be number']);
});

test('validate without paths checks the configuration in effect and its rules file', async (t) => {
  const dir = await tempDir();
  writeFileSync(join(dir, 'telemetry.config.yaml'), 'analytics: { rules: my-rules.yaml }\n');
  writeFileSync(join(dir, 'my-rules.yaml'), 'rules: [{ name: a, metric: cpu, above: 1, below: 2 }]\n');
  const out = await run(['validate'], dir);
  t.is(out.code, 1);
  t.regex(out.out, /my-rules\.yaml:1:50: rule "a": has both above and below/);
});

test('--help for the command and each subcommand exits 0', async (t) => {
  const dir = await tempDir();
  for (const args of [['--help'], ['analyze', '--help'], ['validate', '--help'], ['test-email', '--help']]) {
    const r = await run(args, dir);
    t.is(r.code, 0, args.join(' '));
    t.regex(r.out, /^Usage: telemetry/);
  }
});
