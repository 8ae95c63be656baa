// Change events for files in a directory. Editors and the engine replace files by rename, so the
// directory is watched, not the file. Events are hints only: callers also poll on a timer.
import { watch, type FSWatcher } from 'node:fs';
import { log } from './log.js';

export function watchDir(dir: string, names: string[], onChange: () => void): () => void {
  let watcher: FSWatcher | null = null;
  try {
    watcher = watch(dir, { persistent: false }, (_event, name) => {
      if (name === null || names.some((n) => name === n || name.startsWith(`${n}.`))) onChange();
    });
    watcher.on('error', (err) => log.warn('file watch failed; relying on polling', { dir, error: err.message }));
  } catch (err) {
    log.warn('cannot watch directory; relying on polling', { dir, error: (err as Error).message });
  }
  return () => watcher?.close();
}
