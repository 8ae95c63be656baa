// Hot reload of rules.yaml: debounce change events, validate, then swap atomically. An invalid
// file is logged with every error and the running rules (and their alert states) stay. A rules
// file that is a symlink is watched through to its target too, and a target re-pointed is followed.
import { realpathSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { TelemetryError } from '../../../common/errors.js';
import { log } from '../../../common/log.js';
import { watchDir } from '../../../common/watch-dir.js';
import type { RulesChange } from './alerting.js';
import { loadRules } from './load-rules.js';
import type { Rule } from './rule.js';

/** Watches `file`; a valid edit is handed to `apply`, which swaps the rules in and says what changed. */
export function watchRules(file: string, apply: (rules: Rule[]) => RulesChange, debounceMs = 200): () => void {
  let timer: NodeJS.Timeout | undefined;
  let lastError = '';
  const reload = (): void => {
    try {
      const rules = loadRules(file);
      const change = apply(rules);
      lastError = '';
      if (change.added.length + change.changed.length + change.removed.length === 0) return;
      log.info('rules reloaded', {
        file,
        rules: rules.length,
        added: change.added.join(',') || undefined,
        changed: change.changed.join(',') || undefined,
        removed: change.removed.join(',') || undefined,
      });
    } catch (err) {
      const message = err instanceof TelemetryError ? err.message : String(err);
      if (message === lastError) return;
      lastError = message;
      log.error(`rules file is invalid; keeping the running rules:\n${message}`, {
        code: err instanceof TelemetryError ? err.code : undefined,
      });
    }
  };
  const onChange = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      follow();
      reload();
    }, debounceMs);
  };
  // the file's own directory (an edit, or the link re-pointed), and its target's when it is a link
  const stopOwn = watchDir(dirname(file), [basename(file)], onChange);
  let target = file;
  let stopTarget = (): void => undefined;
  const follow = (): void => {
    let now: string;
    try {
      now = realpathSync(file);
    } catch {
      return; // gone for now: the next event looks again
    }
    if (now === target) return;
    stopTarget();
    target = now;
    stopTarget = now === file ? () => undefined : watchDir(dirname(now), [basename(now)], onChange);
  };
  follow();
  return () => {
    clearTimeout(timer);
    stopOwn();
    stopTarget();
  };
}
