// The analytics app at the edges of the CSV chain: long rotation chains, a data directory removed
// under it, a state file it cannot write, SIGINT in the middle of a long catch-up.
import test from 'ava';
import { appendFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readState } from '../csv-chain.js';
import { runNode, tempDir, waitFor, writeConfig, type Running } from '../helpers.js';

const ANALYTICS = 'apps/analytics/main.js';
const HEADER = 'timestamp,cpu,ram,seq\n';

/** Rows with seq counting on from the last call (one counter per test: tests in a file run at once). */
function rowMaker(): (n: number, cpu?: number) => string {
  let seq = 0;
  return (n, cpu = 40) =>
    Array.from({ length: n }, () => `${Date.now() - 60_000 + ++seq},${cpu.toFixed(2)},50.00,${seq}\n`).join('');
}

async function start(dir: string, extra = ''): Promise<Running> {
  writeFileSync(join(dir, 'rules.yaml'), 'rules:\n  - { name: high_cpu, metric: cpu, above: 80, flap: off }\n');
  const config = await writeConfig(
    dir,
    `analytics: { pollMs: 50, checkpointMs: 50, summaryEveryMs: 200, http: { listen: "" } }\n${extra}`,
  );
  const app = runNode(ANALYTICS, [], dir, { TELEMETRY_CONFIG: config });
  await waitFor('analytics to start', () => app.output().includes('analytics started'));
  return app;
}

const samples = (dir: string): number | undefined => readState(join(dir, 'data'))?.stats.cpu.count;

test('70 rotated files of 10 rows and the live file: exactly 710 samples, once; more rotations go on exactly', async (t) => {
  const dir = await tempDir();
  const data = join(dir, 'data');
  mkdirSync(data);
  const rowsText = rowMaker();
  for (let i = 70; i >= 1; i--) writeFileSync(join(data, `telemetry.csv.${i}`), HEADER + rowsText(10));
  writeFileSync(join(data, 'telemetry.csv'), HEADER + rowsText(10));
  const app = await start(dir);
  t.teardown(() => app.child.kill('SIGKILL'));
  await waitFor('710 samples', () => samples(dir) === 710);
  // the engine rotates on: .70 falls off, everything shifts, a new live file
  rmSync(join(data, 'telemetry.csv.70'));
  for (let i = 69; i >= 1; i--) renameSync(join(data, `telemetry.csv.${i}`), join(data, `telemetry.csv.${i + 1}`));
  renameSync(join(data, 'telemetry.csv'), join(data, 'telemetry.csv.1'));
  const summariesBefore = app.output().split('analytics summary').length;
  writeFileSync(join(data, 'telemetry.csv'), HEADER + rowsText(5));
  await waitFor('715 samples', () => samples(dir) === 715);
  await waitFor('three more summaries', () => app.output().split('analytics summary').length >= summariesBefore + 3);
  t.is(samples(dir), 715, 'nothing re-read');
  t.is(readState(data)!.stats.gaps, 0);
  app.child.kill('SIGINT');
  t.is(await app.exited, 0);
});

test('rm -rf data under a running analytics: it goes on, recreates what it needs, counts the new rows', async (t) => {
  const dir = await tempDir();
  const data = join(dir, 'data');
  mkdirSync(data);
  const rowsText = rowMaker();
  writeFileSync(join(data, 'telemetry.csv'), HEADER + rowsText(20));
  const app = await start(dir);
  t.teardown(() => app.child.kill('SIGKILL'));
  await waitFor('20 samples', () => samples(dir) === 20);
  // the app may be saving: a file can appear between the listing and the rmdir (rm -rf then says
  // "Directory not empty" too), so the removal is tried again, as a user would
  await waitFor('data removed', () => {
    try {
      rmSync(data, { recursive: true });
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOTEMPTY') throw err;
      return false;
    }
  });
  mkdirSync(data);
  writeFileSync(join(data, 'telemetry.csv'), HEADER + rowsText(7, 95));
  await waitFor('the alert on the new file', () => app.output().includes('ALERT firing high_cpu'));
  await waitFor('27 samples saved in the recreated directory', () => samples(dir) === 27);
  t.is(app.child.exitCode, null, 'still running');
  app.child.kill('SIGINT');
  t.is(await app.exited, 0);
});

test('a state file it cannot write: logged once, evaluation and console alerts go on, no temp file left, saved again once possible', async (t) => {
  const dir = await tempDir();
  const data = join(dir, 'data');
  mkdirSync(data);
  const rowsText = rowMaker();
  writeFileSync(join(data, 'telemetry.csv'), HEADER + rowsText(3));
  const app = await start(dir);
  t.teardown(() => app.child.kill('SIGKILL'));
  await waitFor('3 samples', () => samples(dir) === 3);
  // a non-empty directory where the state file goes: every atomic rename onto it fails
  const block = (): void => {
    rmSync(join(data, 'analytics-state.json'), { recursive: true });
    mkdirSync(join(data, 'analytics-state.json', 'blocker'), { recursive: true });
  };
  block();
  appendFileSync(join(data, 'telemetry.csv'), rowsText(2, 95));
  await waitFor('the alert', () => app.output().includes('ALERT firing high_cpu'));
  await waitFor('the error', () =>
    app.output().includes('cannot save the analytics state; evaluating on and retrying'),
  );
  appendFileSync(join(data, 'telemetry.csv'), rowsText(2, 10));
  await waitFor('the resolve', () => app.output().includes('ALERT resolved high_cpu'));
  t.is(app.output().split('cannot save the analytics state').length - 1, 1, 'logged once');
  rmSync(join(data, 'analytics-state.json'), { recursive: true });
  await waitFor('saved again', () => app.output().includes('analytics state saved again') && samples(dir) === 7);
  // blocked again at the stop: the last save fails, the app still exits 0 and leaves no temp file
  block();
  app.child.kill('SIGINT');
  t.is(await app.exited, 0);
  t.deepEqual(
    readdirSync(data).filter((f) => f.includes('.tmp-')),
    [],
    'no temp file left behind',
  );
});

test('SIGINT in the middle of a long catch-up is honoured well within PM2 kill_timeout, with a consistent state', async (t) => {
  const dir = await tempDir();
  const data = join(dir, 'data');
  mkdirSync(data);
  const rowsText = rowMaker();
  const block = HEADER + rowsText(40_000); // ~1.3 MB per file
  for (let i = 150; i >= 1; i--) writeFileSync(join(data, `telemetry.csv.${i}`), block);
  writeFileSync(join(data, 'telemetry.csv'), HEADER);
  const app = await start(dir);
  t.teardown(() => app.child.kill('SIGKILL'));
  await waitFor('catch-up under way', () => (samples(dir) ?? 0) > 0, 30_000, 5);
  const sentAt = Date.now();
  app.child.kill('SIGINT');
  t.is(await app.exited, 0);
  const tookMs = Date.now() - sentAt;
  t.log(`stopped ${tookMs} ms after SIGINT`);
  t.true(tookMs < 8000, 'inside PM2 kill_timeout (10 s) with room to spare');
  t.true(existsSync(join(data, 'analytics-state.json')));
  // a restart finishes the job exactly
  const again = await start(dir);
  t.teardown(() => again.child.kill('SIGKILL'));
  await waitFor('every row', () => samples(dir) === 150 * 40_000, 60_000);
  again.child.kill('SIGINT');
  t.is(await again.exited, 0);
});
