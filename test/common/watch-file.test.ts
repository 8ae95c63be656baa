// The CSV's watch: only its own writes wake the app (not the state file or engine.seq beside it),
// and it follows the path across rotations.
import test, { type ExecutionContext } from 'ava';
import { appendFileSync, closeSync, openSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { watchFile, type FileWatch } from '../../common/watch-file.js';
import { tempDir, waitFor } from '../helpers.js';

/** A watched telemetry.csv in a directory of its own; `calls()` counts the change events so far. */
async function watchedCsv(
  t: ExecutionContext,
): Promise<{ dir: string; file: string; w: FileWatch; calls: () => number }> {
  const dir = await tempDir();
  const file = join(dir, 'telemetry.csv');
  writeFileSync(file, 'timestamp,cpu,ram,seq\n');
  let calls = 0;
  const w = watchFile(file, () => calls++);
  t.teardown(() => w.close());
  w.retarget();
  return { dir, file, w, calls: () => calls };
}

test('writes to other files of the directory wake nobody; an append to the file does', async (t) => {
  const { dir, file, calls } = await watchedCsv(t);
  for (let i = 0; i < 5; i++) {
    writeFileSync(join(dir, 'analytics-state.json'), `{"n":${i}}`);
    appendFileSync(join(dir, 'engine.seq'), `${i}\n`);
  }
  appendFileSync(file, '1700000000000,1,2,1\n');
  await waitFor('the append to be seen', () => calls() > 0);
  t.is(calls(), 1, 'events arrive in order: the other files would have come first');
});

test('a rotation is seen, and retarget() follows the path to the new file', async (t) => {
  const { dir, file, w, calls } = await watchedCsv(t);
  renameSync(file, `${file}.1`);
  await waitFor('the rename to be seen', () => calls() > 0);
  writeFileSync(file, 'timestamp,cpu,ram,seq\n');
  w.retarget();
  const before = calls();
  appendFileSync(`${file}.1`, 'old file\n');
  appendFileSync(file, '1700000000000,1,2,1\n');
  await waitFor('the append to the new file to be seen', () => calls() > before);
  t.is(calls(), before + 1, 'the old file is no longer watched');
  // a file replaced under the same name (mv other telemetry.csv) while the engine still holds the
  // old one open (so that one is not deleted, only unlinked): retarget() sees another file at the path
  const held = openSync(file, 'r');
  t.teardown(() => closeSync(held));
  writeFileSync(join(dir, 'other'), 'timestamp,cpu,ram,seq\n');
  const unlinked = calls();
  renameSync(join(dir, 'other'), file);
  await waitFor('the unlink of the old file to be seen', () => calls() > unlinked);
  w.retarget();
  const replaced = calls();
  appendFileSync(file, '1700000000001,1,2,2\n');
  await waitFor('the append to the replacement to be seen', () => calls() > replaced, 5000);
  t.pass();
});
