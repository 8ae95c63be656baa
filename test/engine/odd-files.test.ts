// What a hostile or careless local user can put at the CSV path: a symlink (the engine, often
// root, must never write through it) or a FIFO (neither app may block on it). Real processes.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { completeLines, loggedPort, runNode, tempDir, waitFor, writeConfig } from '../helpers.js';

test('a dangling symlink at data/telemetry.csv is moved aside with one warning; rows go to a regular file, nothing is made outside data/', async (t) => {
  const dir = await tempDir();
  const outside = join(dir, 'outside', 'stolen.csv');
  mkdirSync(join(dir, 'outside'));
  mkdirSync(join(dir, 'data'));
  symlinkSync(outside, join(dir, 'data', 'telemetry.csv'));
  const config = await writeConfig(dir, 'data: { dir: data }\nengine: { intervalMs: 20, metrics: { listen: "" } }\n');
  const engine = runNode('apps/engine/main.js', [], dir, { TELEMETRY_CONFIG: config });
  t.teardown(() => engine.child.kill('SIGKILL'));
  const csv = join(dir, 'data', 'telemetry.csv');
  await waitFor('rows in a regular telemetry.csv', () => completeLines(csv).length > 3);
  engine.child.kill('SIGINT');
  t.is(await engine.exited, 0, engine.output());
  t.true(lstatSync(csv).isFile());
  t.false(existsSync(outside), 'no file outside data/');
  const asides = readdirSync(join(dir, 'data')).filter((f) => f.startsWith('telemetry.csv.link-'));
  t.is(asides.length, 1);
  t.true(lstatSync(join(dir, 'data', asides[0]!)).isSymbolicLink());
  t.is(engine.output().match(/was a symbolic link; moved it aside/g)?.length, 1);
});

test('a FIFO at data/telemetry.csv: the engine refuses it by name and still stops on SIGTERM within 5 s', async (t) => {
  const dir = await tempDir();
  mkdirSync(join(dir, 'data'));
  const csv = join(dir, 'data', 'telemetry.csv');
  execFileSync('mkfifo', [csv]);
  const config = await writeConfig(dir, 'data: { dir: data }\nengine: { intervalMs: 20, metrics: { listen: "" } }\n');
  const engine = runNode('apps/engine/main.js', [], dir, { TELEMETRY_CONFIG: config });
  t.teardown(() => engine.child.kill('SIGKILL'));
  await waitFor('the refusal', () => engine.output().includes('is a FIFO, not a regular file'));
  t.is(engine.output().match(/is a FIFO, not a regular file/g)?.length, 1, 'said once while retrying');
  const stoppedAt = Date.now();
  engine.child.kill('SIGTERM');
  await engine.exited;
  t.true(Date.now() - stoppedAt < 5000, `${Date.now() - stoppedAt} ms`);
  t.true(lstatSync(csv).isFIFO(), 'left as it was');
});

test('a FIFO at data/telemetry.csv: analytics never blocks on it (metrics answer, SIGTERM within 5 s), says so once, and reads the file that replaces it', async (t) => {
  const dir = await tempDir();
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'rules.yaml'), 'rules: []\n');
  const csv = join(dir, 'data', 'telemetry.csv');
  execFileSync('mkfifo', [csv]);
  const config = await writeConfig(dir, 'analytics: { pollMs: 50, http: { listen: "127.0.0.1:0" } }\n');
  const app = runNode('apps/analytics/main.js', [], dir, { TELEMETRY_CONFIG: config });
  t.teardown(() => app.child.kill('SIGKILL'));
  const port = await waitFor('the app listening', () => loggedPort(app.output()));
  t.is((await fetch(`http://127.0.0.1:${port}/metrics`)).status, 200);
  await waitFor('the refusal', () => app.output().includes('is a FIFO, not a regular file'));
  rmSync(csv);
  writeFileSync(csv, `timestamp,cpu,ram,seq\n${Date.now()},10,20,1\n`);
  await waitFor('the row read', async () =>
    (await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).includes('telemetry_analytics_samples_total 1'),
  );
  t.is(app.output().match(/is a FIFO, not a regular file/g)?.length, 1);
  const stoppedAt = Date.now();
  app.child.kill('SIGTERM');
  t.is(await app.exited, 0);
  t.true(Date.now() - stoppedAt < 5000);
});
