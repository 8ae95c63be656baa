// The analytics state — file position, parser mapping, statistics (and alert state) — saved as one
// JSON document atomically, so position and totals always agree after any restart, kill -9 included.
import { join } from 'node:path';
import { readJsonOrNull, writeFileAtomic } from '../../common/atomic-file.js';
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

export function loadState(dataDir: string): AnalyticsState | null {
  const state = readJsonOrNull<AnalyticsState>(statePath(dataDir));
  return state?.version === 1 ? state : null;
}

export function saveState(dataDir: string, state: AnalyticsState): void {
  writeFileAtomic(statePath(dataDir), JSON.stringify(state));
}
