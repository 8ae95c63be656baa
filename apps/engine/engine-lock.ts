// One engine per data directory: `engine.lock` holds the pid of the engine that writes there. A
// lock whose process is gone (kill -9, a reboot) or is no engine (a reused pid) is stale and taken
// over, so it never blocks a restart; a live engine's lock is a clear refusal.
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { EngineLockedError } from '../../common/errors.js';

/** Whether `pid` is a running telemetry engine (on Linux, by its command line). */
function isEngineAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('engine');
  } catch {
    return true; // no /proc: a live pid is taken at its word
  }
}

/** Takes the lock or throws EngineLockedError; `release` removes it if it is still ours. */
export function acquireEngineLock(
  dir: string,
  pid = process.pid,
  alive = isEngineAlive,
): { path: string; release(): void } {
  const path = join(dir, 'engine.lock');
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
    if (Number.isInteger(holder) && holder !== pid && alive(holder)) throw new EngineLockedError(dir, holder, path);
    unlinkSync(path); // stale: its engine is gone
  }
}
