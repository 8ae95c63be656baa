import test from 'ava';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../common/config.js';
import { spawn } from 'node:child_process';
import { distRoot, runNode, tempDir } from '../helpers.js';

const CLI = 'cli/telemetry.js';
const run = async (args: string[], cwd: string): Promise<{ code: number | null; out: string }> => {
  const p = runNode(CLI, args, cwd);
  const code = await p.exited;
  return { code, out: p.output() };
};

test('analyze --json prints the SPEC object for files in order', async (t) => {
  const dir = await tempDir();
  writeFileSync(join(dir, 'a.csv'), 'timestamp,cpu,ram,seq\n1700000000000,10,20,1\n1700000000001,30,40,2\nbad,row\n');
  writeFileSync(
    join(dir, 'b.csv'),
    'timestamp,cpu,ram,seq\n1700000000002,50,60,5\ntimestamp,cpu,ram,seq\n1700000000003,150,60,6\n',
  );
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
  const json = JSON.parse((await run(['analyze', 'empty.csv', '--json'], dir)).out) as { cpu: unknown };
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
  t.deepEqual((JSON.parse(out) as { alerts: unknown }).alerts, [
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
  for (const threads of ['0', '1.5', 'many']) {
    const bad = await run(['analyze', 'x.csv', '--threads', threads], dir);
    t.is(bad.code, 2);
    t.regex(bad.out, new RegExp(`--threads must be a whole number >= 1, not ${threads}`));
  }
  writeFileSync(join(dir, 'r.yaml'), 'rules: [{ name: a, metric: cpu }]\n');
  const rules = await run(['analyze', 'x.csv', '--rules', 'r.yaml'], dir);
  t.is(rules.code, 2);
  t.regex(rules.out, /r\.yaml:1:9: rule "a": needs one of above, below or absent/);
});

test('validate: 0 for valid files, 1 with every error as file:line:col', async (t) => {
  const dir = await tempDir();
  const good = await run(
    ['validate', join(projectRoot, 'rules.yaml'), join(projectRoot, 'config', 'telemetry.yaml')],
    dir,
  );
  t.is(good.code, 0, good.out);
  writeFileSync(join(dir, 'bad.yaml'), 'engine:\n  source: moon\n');
  writeFileSync(join(dir, 'rules.yaml'), 'rules:\n  - name: x\n    metric: cpu\n    above: high\n');
  const bad = await run(['validate', 'bad.yaml', 'rules.yaml'], dir);
  t.is(bad.code, 1);
  t.deepEqual(bad.out.trim().split('\n'), [
    'bad.yaml:2:11: engine.source: must be one of synthetic, system',
    'rules.yaml:4:12: rule "x": above: must be number',
  ]);
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

test('analyze reads standard input (-), pipes and FIFOs exactly like the file; --rules=PATH and -- work', async (t) => {
  const dir = await tempDir();
  let text = 'timestamp,cpu,ram,seq\n';
  for (let i = 1; i <= 30_000; i++)
    text += `${1_700_000_000_000 + i * 1000},${i % 97 === 0 ? 95 : 40}.${i % 100},50.00,${i}\n`;
  writeFileSync(join(dir, 'h.csv'), text + '1700000000000,1,2'); // an unterminated last line
  writeFileSync(join(dir, 'rules.yaml'), 'rules: [{ name: hot, metric: cpu, above: 80 }]\n');
  const reference = await run(['analyze', 'h.csv', '--json', '--rules', 'rules.yaml'], dir);
  t.is(reference.code, 0, reference.out);
  const parsed = JSON.parse(reference.out) as { samples: number; alerts: unknown[] };
  t.is(parsed.samples, 30_000);
  t.true(parsed.alerts.length > 500);
  const sh = (cmd: string): Promise<{ code: number | null; out: string }> =>
    new Promise((resolve) => {
      const child = spawn('sh', ['-c', cmd], { cwd: dir });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      child.on('close', (code) => resolve({ code, out }));
    });
  const cli = `"${process.execPath}" "${join(distRoot, CLI)}"`;
  for (const cmd of [
    `cat h.csv | ${cli} analyze --json --rules=rules.yaml -`,
    `mkfifo f.csv && (cat h.csv > f.csv &) && ${cli} analyze --rules=rules.yaml --json -- f.csv`,
  ]) {
    const piped = await sh(cmd);
    t.is(piped.code, 0, piped.out);
    t.deepEqual(JSON.parse(piped.out), JSON.parse(reference.out), cmd);
  }
  const dashed = await run(['analyze', '--json', '--', '--odd-name.csv'], dir);
  t.is(dashed.code, 2);
  t.regex(dashed.out, /--odd-name\.csv: cannot read: ENOENT/);
});

test('validate refuses what the app refuses: an empty or comment-only rules file', async (t) => {
  const dir = await tempDir();
  writeFileSync(join(dir, 'rules.yaml'), '# nothing here yet\n');
  const { code, out } = await run(['validate', 'rules.yaml'], dir);
  t.is(code, 1);
  t.is(out.trim(), 'rules.yaml:1:1: the file is empty: it needs a top-level `rules:` list');
});

test('a rules file over 1 MiB is refused with a clear message, quickly', async (t) => {
  const dir = await tempDir();
  writeFileSync(
    join(dir, 'rules.yaml'),
    `rules: []\n${'# padding padding padding padding padding padding padding padding\n'.repeat(50_000)}`,
  );
  const { code, out } = await run(['validate', 'rules.yaml'], dir);
  t.is(code, 1);
  t.regex(out, /rules\.yaml: the file is 3\d{6} bytes; rules files are limited to 1048576 bytes/);
});

test('a file of 32 MiB or more: every thread applies the future-row horizon, and --rules reads it in order on one thread', async (t) => {
  const dir = await tempDir();
  const file = join(dir, 'big.csv');
  const base = Date.now() - 3 * 3600_000;
  const rows: string[] = ['timestamp,cpu,ram,seq'];
  for (let i = 1; i <= 1_200_000; i++) rows.push(`${base + i * 5},${i === 600_000 ? '95.00' : '20.00'},50.00,${i}`);
  rows.push(`${Date.now() + 86_400_000},10.00,50.00,1200001`); // a day ahead: out of range on every path
  writeFileSync(file, `${rows.join('\n')}\n`);
  t.true(statSync(file).size >= 32 << 20);
  for (const threads of ['1', '2']) {
    const { code, out } = await run(['analyze', 'big.csv', '--json', '--threads', threads], dir);
    t.is(code, 0, out);
    const json = JSON.parse(out) as { samples: number; rejected: { range: number } };
    t.deepEqual([json.samples, json.rejected.range], [1_200_000, 1], `--threads ${threads}`);
  }
  writeFileSync(join(dir, 'r.yaml'), 'rules: [{ name: spike, metric: cpu, above: 90, flap: off }]\n');
  const { code, out } = await run(['analyze', 'big.csv', '--json', '--threads', '2', '--rules', 'r.yaml'], dir);
  t.is(code, 0, out);
  t.deepEqual(
    (JSON.parse(out) as { alerts: { state: string; timestamp: number }[] }).alerts.map((a) => a.state),
    ['firing', 'resolved'],
    'the rules saw every row',
  );
});

test('analyze DIR reads the rotated chain oldest first; --from and --to keep the samples stamped within them', async (t) => {
  const dir = await tempDir();
  const data = join(dir, 'data');
  mkdirSync(data);
  const now = Date.now();
  // telemetry.csv.2 (oldest) … telemetry.csv (newest), 10 rows each, a minute apart, ending now
  const files = ['telemetry.csv.2', 'telemetry.csv.1', 'telemetry.csv'];
  files.forEach((name, f) => {
    const rows = Array.from({ length: 10 }, (_, i) => {
      const k = f * 10 + i;
      return `${now - (29 - k) * 60_000},${k},50,${k + 1}`;
    });
    writeFileSync(join(data, name), `timestamp,cpu,ram,seq\n${rows.join('\n')}\n`);
  });
  writeFileSync(join(data, 'analytics-state.json'), '{}'); // not part of the chain
  const all = await run(['analyze', 'data', '--json'], dir);
  t.is(all.code, 0, all.out);
  const json = JSON.parse(all.out) as { samples: number; gaps: number; cpu: { min: number; max: number } };
  t.deepEqual(
    [json.samples, json.gaps, json.cpu.min, json.cpu.max],
    [30, 0, 0, 29],
    'in order: no seq gap, no restart',
  );
  const last = JSON.parse((await run(['analyze', 'data', '--json', '--from', '570s'], dir)).out) as typeof json;
  t.deepEqual([last.samples, last.cpu.min], [10, 20], 'the last ten minutes: the newest file');
  const iso = (ms: number): string => new Date(ms).toISOString();
  const middle = await run(
    ['analyze', 'data', '--json', '--from', iso(now - 19 * 60_000), '--to', iso(now - 10 * 60_000)],
    dir,
  );
  t.deepEqual((JSON.parse(middle.out) as typeof json).samples, 10);
  const bad = await run(['analyze', 'data', '--from', 'yesterday'], dir);
  t.is(bad.code, 2);
  t.regex(bad.out, /--from must be an ISO time .* or a duration back from now/);
});
