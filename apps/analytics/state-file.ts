// The analytics state — file position, parser mapping, statistics (and alert state) — saved as one
// JSON document atomically, so position and totals always agree after any restart, kill -9 included.
import { join } from 'node:path';
import { moveAside, readJsonIfExists, writeFileAtomic } from '../../common/atomic-file.js';
import { describeCause } from '../../common/errors.js';
import { log } from '../../common/log.js';
import type { AnnouncerState } from './notify/announce.js';
import type { RemoteWriteState } from './remote-write/remote-writer.js';
import type { ShownTransition } from './dashboard/wire.js';
import type { AlertingState } from './rules/alerting.js';
import { checkAnalyticsState } from './saved-checks.js';
import type { FilePosition } from './source/tail-file.js';
import type { ParserState } from './source/parse-line.js';
import type { StatsState } from './stats.js';

export interface AnalyticsState {
  version: 1;
  position: FilePosition | null;
  parser: ParserState;
  stats: StatsState;
  alerts: AlertingState;
  announce: AnnouncerState;
  /** The remote_write cursor, when it is on. */
  remoteWrite?: RemoteWriteState;
  /** The dashboard's recent transitions, shown again after a restart. */
  shown?: ShownTransition[];
}

export function statePath(dataDir: string): string {
  return join(dataDir, 'analytics-state.json');
}

/**
 * The saved state, or null for a first start. A file that cannot be read, is not JSON or has the
 * wrong shape is moved aside (`*.corrupt-<time>`) with one error line: the app starts over rather
 * than failing at every restart.
 */
export function loadState(dataDir: string, now: number): AnalyticsState | null {
  const path = statePath(dataDir);
  let problem: string;
  try {
    const state = readJsonIfExists(path);
    if (state === undefined) return null;
    const wrong = checkAnalyticsState(state);
    if (wrong === null) return state as AnalyticsState;
    problem = `wrong shape: ${wrong}`;
  } catch (err) {
    problem = describeCause(err);
  }
  const aside = moveAside(path, now);
  log.error('analytics state file is unusable; moved aside, starting from the beginning of the CSV files', {
    file: aside,
    error: problem,
  });
  return null;
}

/** `durable`: the rename itself survives a power loss too (see writeFileAtomic). */
export function saveState(dataDir: string, state: AnalyticsState, durable: boolean): void {
  writeFileAtomic(statePath(dataDir), JSON.stringify(state), durable);
}
