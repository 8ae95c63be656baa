// Files that are replaced whole and must never be seen half-written: temp file, fsync, rename.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Throws on failure (ENOSPC, EACCES…) and leaves no temp file behind. The file is fsynced before
 * the rename, so after a power loss `path` holds the old text or the new, never a torn one;
 * `durable` also fsyncs the directory, so that it holds the new one.
 */
export function writeFileAtomic(path: string, text: string, durable = true): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  if (!durable) return;
  const dir = openSync(dirname(path), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

/** The parsed JSON file (unchecked), or undefined when it does not exist. */
export function readJsonIfExists(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return JSON.parse(text) as unknown;
}

/** Renames a bad file to `<path>.corrupt-<time>` and returns the new name. */
export function moveAside(path: string, now: number): string {
  const aside = `${path}.corrupt-${now}`;
  renameSync(path, aside);
  return aside;
}
