// One app of a kind per data directory: `engine.lock` and `analytics.lock` hold the pid of the
// app that owns the directory. A lock whose process is gone (kill -9, a reboot) or runs another
// program (a reused pid) is stale and taken over, so it never blocks a restart; a live holder is a
// clear refusal. The holder is recognised by its exact script (the same main.js, resolved against
// its working directory), not by a word in its command line.
import { closeSync, openSync, readFileSync, readlinkSync, realpathSync, unlinkSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TelemetryError } from './errors.js';

/** The scripts a process runs, as absolute paths: its command line's arguments, or PM2's title `node <script>`. */
function scriptsOf(pid: number): string[] | null {
  let cmdline: string;
  let cwd: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    cwd = readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return null;
  }
  const args = cmdline.split('\0').filter((a) => a !== '');
  // PM2 sets process.title to `node <script>`, which Linux shows as one argument
  const words = args.length === 1 ? args[0]!.split(' ') : args;
  return words.map((w) => resolve(cwd, w));
}

const real = (path: string): string => {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
};

/** Whether `pid` is a live process running `script`. */
export function runsScript(pid: number, script: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  const scripts = scriptsOf(pid);
  if (!scripts) return true; // no /proc: a live pid is taken at its word
  const own = real(script);
  return scripts.some((s) => s === script || real(s) === own);
}

export interface AppLock {
  path: string;
  release(): void;
}

/**
 * Takes `dir/<name>.lock` for the app running `script`, or throws what `locked(holder, path)` makes;
 * `release` removes the lock if it is still ours.
 */
export function acquireAppLock(
  dir: string,
  name: 'engine' | 'analytics',
  script: string,
  locked: (holder: number, path: string) => TelemetryError,
  pid = process.pid,
): AppLock {
  const path = join(dir, `${name}.lock`);
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      try {
        writeSync(fd, `${pid}\n`);
      } finally {
        closeSync(fd);
      }
      return {
        path,
        release: () => {
          try {
            if (readFileSync(path, 'utf8').trim() === String(pid)) unlinkSync(path);
          } catch {
            // already gone
          }
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
    }
    const holder = Number.parseInt(readFileSync(path, 'utf8'), 10);
    if (Number.isInteger(holder) && holder !== pid && runsScript(holder, script)) throw locked(holder, path);
    unlinkSync(path); // stale: its app is gone
  }
}
