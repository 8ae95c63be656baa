// The analytics state — file position, parser mapping, statistics (and alert state) — saved as one
// JSON document atomically, so position and totals always agree after any restart, kill -9 included.
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonOrNull, writeFileAtomic } from '../../common/atomic-file.js';
import { describeCause } from '../../common/errors.js';
import { log } from '../../common/log.js';
import type { AlertingState } from './rules/alerting.js';
import type { FilePosition } from './source/tail-file.js';
import type { ParserState } from './source/parse-line.js';
import type { StatsState } from './stats.js';

export interface AnalyticsState {
  version: 1;
  position: FilePosition | null;
  parser: ParserState;
  stats: StatsState;
  alerts: AlertingState;
}

export function statePath(dataDir: string): string {
  return join(dataDir, 'analytics-state.json');
}

/**
 * The saved state, or null for a first start. A file that cannot be parsed (a damaged disk) is
 * moved aside and logged loudly: the app starts over rather than failing at every restart.
 */
export function loadState(dataDir: string): AnalyticsState | null {
  const path = statePath(dataDir);
  try {
    const state = readJsonOrNull<AnalyticsState>(path);
    return state?.version === 1 ? state : null;
  } catch (err) {
    const aside = `${path}.corrupt-${Date.now()}`;
    renameSync(path, aside);
    log.error('analytics state file is unreadable; moved aside, starting from the beginning of the CSV files', { file: aside, error: describeCause(err) });
    return null;
  }
}

export function saveState(dataDir: string, state: AnalyticsState): void {
  writeFileAtomic(statePath(dataDir), JSON.stringify(state));
}
