import test from 'ava';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { acquireAppLock, runsScript } from '../../common/app-lock.js';
import { EngineLockedError } from '../../common/errors.js';
import { tempDir, waitFor } from '../helpers.js';

const SLEEPER = 'setTimeout(() => {}, 30_000); console.log("up");';

/** A live `node <script>` started from `cwd` with the path as given (relative or absolute). */
async function running(cwd: string, scriptArg: string, extra: string[] = []) {
  const child = spawn(process.execPath, [scriptArg, ...extra], { cwd, stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor('the child up', () => out.includes('up'));
  return child;
}

test('the holder is known by its exact script, also when started with a relative path; a word in the command line is not enough', async (t) => {
  const dir = await tempDir();
  const script = join(dir, 'main.js');
  writeFileSync(script, SLEEPER);
  writeFileSync(join(dir, 'engine.js'), SLEEPER);
  const relative = await running(dir, 'main.js');
  const other = await running(dir, 'engine.js', ['engine']);
  t.teardown(() => {
    relative.kill('SIGKILL');
    other.kill('SIGKILL');
  });
  t.true(runsScript(relative.pid!, script));
  t.false(runsScript(other.pid!, script), 'another script, "engine" in its command line');
  t.false(runsScript(process.pid, script));
  relative.kill('SIGKILL');
  await new Promise((r) => relative.once('exit', r));
  t.false(runsScript(relative.pid!, script), 'gone');
});

test('a lock held by a live app of the same script refuses; one held by another program is stale and taken over', async (t) => {
  const dir = await tempDir();
  const script = join(dir, 'main.js');
  writeFileSync(script, SLEEPER);
  writeFileSync(join(dir, 'other.js'), SLEEPER);
  const holder = await running(dir, script);
  const stranger = await running(dir, 'other.js');
  t.teardown(() => {
    holder.kill('SIGKILL');
    stranger.kill('SIGKILL');
  });
  const locked = (pid: number, path: string) => new EngineLockedError(dir, pid, path);
  const lock = acquireAppLock(dir, 'engine', script, locked, holder.pid);
  const err = t.throws(() => acquireAppLock(dir, 'engine', script, locked), { instanceOf: EngineLockedError });
  t.regex(err.message, new RegExp(`pid ${holder.pid}`));
  lock.release();
  // a reused pid: the lock names a live process that runs something else
  acquireAppLock(dir, 'engine', script, locked, stranger.pid);
  const mine = acquireAppLock(dir, 'engine', script, locked);
  mine.release();
});
