import test from 'ava';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lastFields, runNode, tempDir, waitFor, writeConfig } from '../helpers.js';

const ENGINE = 'apps/engine/main.js';

function readSeqs(file: string): number[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  if (lines[0] !== 'timestamp,cpu,ram,seq') throw new Error(`bad header in ${file}`);
  if (lines.at(-1) !== '') throw new Error(`${file} does not end with a newline`);
  return lines.slice(1, -1).map((l) => Number(l.split(',')[3]));
}

test('SIGINT mid-burst: exit 0, every produced sample on disk once and in order, counts match', async (t) => {
  const dir = await tempDir();
  const config = await writeConfig(dir, 'data: { dir: data }\nengine: { intervalMs: 0, queue: { capacity: 256 }, statsEveryMs: 200 }\n');
  const csv = join(dir, 'data', 'telemetry.csv');
  const engine = runNode(ENGINE, [], dir, { TELEMETRY_CONFIG: config });
  await waitFor('5000 rows on disk', () => existsSync(csv) && statSync(csv).size > 5000 * 30);
  engine.child.kill('SIGINT');
  t.is(await engine.exited, 0, engine.output());
  const seqs = readSeqs(csv);
  t.true(seqs.length >= 5000);
  t.true(seqs.every((s, i) => s === i + 1), 'seq contiguous from 1');
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

test('an unusable data directory is logged and retried; writing resumes once it is fixed', async (t) => {
  const dir = await tempDir();
  const data = join(dir, 'data');
  writeFileSync(data, 'not a directory');
  const config = await writeConfig(dir, 'data: { dir: data }\nengine: { intervalMs: 20 }\n');
  const engine = runNode(ENGINE, [], dir, { TELEMETRY_CONFIG: config });
  await waitFor('the error in the log', () => engine.output().includes('opening the CSV file failed'));
  rmSync(data);
  await waitFor('rows after recovery', () => engine.output().includes('opening the CSV file works again') && existsSync(join(data, 'telemetry.csv')) && readSeqs(join(data, 'telemetry.csv')).length >= 3);
  engine.child.kill('SIGTERM');
  t.is(await engine.exited, 0, engine.output());
  t.true(readSeqs(join(data, 'telemetry.csv')).every((s, i) => s === i + 1));
});

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
  t.regex(engine.output(), /error telemetry-engine cannot run: producer worker failed: Error: EISDIR.*code=TELEMETRY_WORKER_FAILED/s);
});
