import test from 'ava';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { completeLines, lastFields, runNode, tempDir, waitFor, writeConfig } from '../helpers.js';

const ENGINE = 'apps/engine/main.js';

function readSeqs(file: string): number[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  if (lines[0] !== 'timestamp,cpu,ram,seq') throw new Error(`bad header in ${file}`);
  if (lines.at(-1) !== '') throw new Error(`${file} does not end with a newline`);
  return lines.slice(1, -1).map((l) => Number(l.split(',')[3]));
}

test('SIGINT mid-burst: exit 0, every produced sample on disk once and in order, counts match', async (t) => {
  const dir = await tempDir();
  const config = await writeConfig(
    dir,
    'data: { dir: data }\nengine: { intervalMs: 0, queue: { capacity: 256 }, statsEveryMs: 200 }\n',
  );
  const csv = join(dir, 'data', 'telemetry.csv');
  const engine = runNode(ENGINE, [], dir, { TELEMETRY_CONFIG: config });
  await waitFor('5000 rows on disk', () => existsSync(csv) && statSync(csv).size > 5000 * 30);
  engine.child.kill('SIGINT');
  t.is(await engine.exited, 0, engine.output());
  const seqs = readSeqs(csv);
  t.true(seqs.length >= 5000);
  t.true(
    seqs.every((s, i) => s === i + 1),
    'seq contiguous from 1',
  );
  const final = lastFields(engine.output(), 'engine stopped cleanly');
  t.is(Number(final.written), seqs.length);
  t.is(Number(final.produced), Number(final.written) + Number(final.dropped));
  t.is(final.balanced, 'true');
});

test('engine.limit stops after N samples with exit 0; a restart continues seq', async (t) => {
  const dir = await tempDir();
  const config = await writeConfig(dir, 'data: { dir: data }\nengine: { intervalMs: 0, limit: 1234 }\n');
  const csv = join(dir, 'data', 'telemetry.csv');
  const first = runNode(ENGINE, [], dir, { TELEMETRY_CONFIG: config });
  t.is(await first.exited, 0, first.output());
  t.is(readSeqs(csv).length, 1234);
  const second = runNode(ENGINE, [], dir, { TELEMETRY_CONFIG: config });
  t.is(await second.exited, 0, second.output());
  const seqs = readSeqs(csv);
  t.is(seqs.length, 2468);
  t.true(seqs.every((s, i) => s === i + 1));
});

test('a data directory that is a file cannot heal: the engine stops at start with a clear error and exit 1', async (t) => {
  const dir = await tempDir();
  writeFileSync(join(dir, 'data'), 'not a directory');
  const config = await writeConfig(dir, 'data: { dir: data }\nengine: { intervalMs: 20 }\n');
  const engine = runNode(ENGINE, [], dir, { TELEMETRY_CONFIG: config });
  t.is(await engine.exited, 1);
  t.regex(
    engine.output(),
    /telemetry-engine cannot run: cannot use the data directory \S+\/data: EEXIST.* code=TELEMETRY_DATA_DIR_UNUSABLE/,
  );
});

test('one engine per data directory: a second one is refused; a lock left by kill -9 does not block a restart', async (t) => {
  const dir = await tempDir();
  const config = await writeConfig(dir, 'data: { dir: data }\nengine: { intervalMs: 20 }\n');
  const env = { TELEMETRY_CONFIG: config };
  const first = runNode(ENGINE, [], dir, env);
  t.teardown(() => first.child.kill('SIGKILL'));
  await waitFor('the first engine writing', () => first.output().includes('engine started'));
  const second = runNode(ENGINE, [], dir, env);
  t.is(await second.exited, 1);
  t.regex(
    second.output(),
    new RegExp(
      `another engine \\(pid ${first.child.pid}\\) is writing to \\S+/data: one engine per data directory .*code=TELEMETRY_ENGINE_LOCKED`,
    ),
  );
  first.child.kill('SIGKILL');
  await first.exited;
  t.is(
    readFileSync(join(dir, 'data', 'engine.lock'), 'utf8').trim(),
    String(first.child.pid),
    'the lock outlived its engine',
  );
  const third = runNode(ENGINE, [], dir, env);
  t.teardown(() => third.child.kill('SIGKILL'));
  await waitFor('the restarted engine writing', () => third.output().includes('engine started'));
  third.child.kill('SIGINT');
  t.is(await third.exited, 0);
  t.false(existsSync(join(dir, 'data', 'engine.lock')), 'a clean stop removes the lock');
  const seqs = readSeqs(join(dir, 'data', 'telemetry.csv'));
  t.true(
    seqs.every((s, i) => i === 0 || s > seqs[i - 1]!),
    'no seq written twice',
  );
});

for (const [name, act] of [
  ['deleted', (data: string) => rmSync(join(data, 'telemetry.csv'))],
  [
    'replaced by another file (mv)',
    (data: string) => {
      writeFileSync(join(data, 'other.csv'), 'time,value\n1,2\n');
      renameSync(join(data, 'other.csv'), join(data, 'telemetry.csv'));
    },
  ],
  ['lost with its whole data directory', (data: string) => rmSync(data, { recursive: true })],
] as const) {
  test(`telemetry.csv ${name} under the engine: noticed within a second, logged, counted, a new file with a header`, async (t) => {
    const dir = await tempDir();
    const data = join(dir, 'data');
    const config = await writeConfig(dir, 'data: { dir: data }\nengine: { intervalMs: 20, statsEveryMs: 200 }\n');
    const engine = runNode(ENGINE, [], dir, { TELEMETRY_CONFIG: config });
    t.teardown(() => engine.child.kill('SIGKILL'));
    const csv = join(data, 'telemetry.csv');
    await waitFor('rows', () => completeLines(csv).length >= 6);
    act(data);
    await waitFor('the warning', () =>
      engine.output().includes('telemetry.csv was deleted or replaced under the engine; starting a new file'),
    );
    await waitFor('rows in the new file', () => completeLines(csv).length >= 4);
    t.is(readFileSync(csv, 'utf8').split('\n')[0], 'timestamp,cpu,ram,seq');
    engine.child.kill('SIGINT');
    t.is(await engine.exited, 0);
    const final = lastFields(engine.output(), 'engine stopped cleanly');
    t.true(Number(final.orphanedRows) >= 0 && Number(final.orphanedRows) <= 60, `orphanedRows=${final.orphanedRows}`);
    t.is(final.balanced, 'true');
  });
}

test('an invalid configuration stops the engine at start with file:line:col and exit 1', async (t) => {
  const dir = await tempDir();
  const config = await writeConfig(dir, 'engine:\n  intervalMs: -5\n  queue: { whenFull: sometimes }\n');
  const engine = runNode(ENGINE, [], dir, { TELEMETRY_CONFIG: config });
  t.is(await engine.exited, 1);
  t.regex(engine.output(), /telemetry\.test\.yaml:2:15: engine\.intervalMs: must be >= 0/);
  t.regex(engine.output(), /telemetry\.test\.yaml:3:22: engine\.queue\.whenFull: must be one of block, drop/);
  t.regex(engine.output(), /TELEMETRY_CONFIG_INVALID/);
});

test('a worker that fails reaches the main thread as a typed message: logged with its code, exit 1', async (t) => {
  const dir = await tempDir();
  mkdirSync(join(dir, 'data', 'engine.seq'), { recursive: true }); // the producer cannot open its seq mark
  const config = await writeConfig(dir, 'data: { dir: data }\nengine: { intervalMs: 10 }\n');
  const engine = runNode(ENGINE, [], dir, { TELEMETRY_CONFIG: config });
  t.is(await engine.exited, 1);
  t.regex(
    engine.output(),
    /error telemetry-engine cannot run: producer worker failed: Error: EISDIR.*code=TELEMETRY_WORKER_FAILED/s,
  );
});

test('samples lost in the queue at a kill keep their numbers: a restart continues after the seq mark, not after the last row on disk', async (t) => {
  const dir = await tempDir();
  mkdirSync(join(dir, 'data'));
  const csv = join(dir, 'data', 'telemetry.csv');
  const rows = Array.from({ length: 10 }, (_, i) => `${Date.now() - 10_000 + i},10.00,20.00,${i + 1}`);
  writeFileSync(csv, `timestamp,cpu,ram,seq\n${rows.join('\n')}\n`);
  // the producer had handed out seq 1000 when it was killed; 990 of them never reached the file
  writeFileSync(join(dir, 'data', 'engine.seq'), '1000\n');
  const config = await writeConfig(
    dir,
    'data: { dir: data }\nengine: { intervalMs: 0, limit: 5, metrics: { listen: "" } }\n',
  );
  const engine = runNode(ENGINE, [], dir, { TELEMETRY_CONFIG: config });
  t.is(await engine.exited, 0, engine.output());
  t.deepEqual(readSeqs(csv).slice(10), [1001, 1002, 1003, 1004, 1005]);
});
