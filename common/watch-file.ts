// Change events for one file that is renamed away, deleted or replaced now and then (the engine
// rotates it; people remove it). The file itself is watched, not its directory, so writes to the
// other files there (the analytics state, engine.seq) wake nobody; retarget() aims the watch at the
// file now at the path when that is another one. Events are hints only: callers also poll on a timer.
import { statSync, watch, type FSWatcher } from 'node:fs';
import { log } from './log.js';

export interface FileWatch {
  /** Watches the file now at the path, unless it is the one watched already (cheap: one stat). */
  retarget(): void;
  /** A file is watched (false: none at the path, or the system refused a watch). */
  readonly watching: boolean;
  close(): void;
}

export function watchFile(path: string, onChange: () => void): FileWatch {
  let watcher: FSWatcher | null = null;
  let dev = -1;
  let ino = -1;
  let warned = false;
  const close = (): void => {
    watcher?.close();
    watcher = null;
  };
  const warnOnce = (message: string, err: Error): void => {
    if (!warned) log.warn(message, { path, error: err.message });
    warned = true;
  };
  return {
    retarget() {
      let st;
      try {
        st = statSync(path, { throwIfNoEntry: false });
      } catch {
        st = undefined; // EACCES, ENOTDIR…: the reader says what is wrong
      }
      if (!st) {
        close();
        return;
      }
      if (watcher && st.dev === dev && st.ino === ino) return;
      close();
      try {
        // 'rename': this file was moved away or deleted; the next retarget() finds its successor
        const w = watch(path, { persistent: false }, (event) => {
          if (event === 'rename') close();
          onChange();
        });
        w.on('error', (err) => {
          close();
          warnOnce('file watch failed; relying on polling', err);
        });
        watcher = w;
        dev = st.dev;
        ino = st.ino;
      } catch (err) {
        warnOnce('cannot watch the file; relying on polling', err as Error);
      }
    },
    get watching() {
      return watcher !== null;
    },
    close,
  };
}
