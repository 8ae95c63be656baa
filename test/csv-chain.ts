// Test-side readings of a data directory: the engine's files by plain string splitting (none of
// the product's parsing code), and the analytics state as saved.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Stats, type StatsState } from '../apps/analytics/stats.js';

export interface ChainFacts {
  rows: number;
  /** seqs missing between consecutive rows, summed, and the individual gaps. */
  missing: number;
  gaps: number[];
  cpuSum: number;
  malformed: number;
}

/** telemetry.csv.N … .1, telemetry.csv: oldest first. */
export function chainFiles(dataDir: string): string[] {
  const rotated = readdirSync(dataDir)
    .filter((f) => /^telemetry\.csv\.\d+$/.test(f))
    .sort((a, b) => Number(b.split('.').pop()) - Number(a.split('.').pop()));
  return [...rotated, 'telemetry.csv'].map((f) => join(dataDir, f));
}

export function readChain(dataDir: string): ChainFacts {
  const facts: ChainFacts = { rows: 0, missing: 0, gaps: [], cpuSum: 0, malformed: 0 };
  let last = 0;
  for (const file of chainFiles(dataDir)) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (line === '' || line === 'timestamp,cpu,ram,seq') continue;
      const fields = line.split(',');
      if (fields.length !== 4 || !/^\d+$/.test(fields[3]!)) {
        facts.malformed++;
        continue;
      }
      const seq = Number(fields[3]);
      if (last && seq > last + 1) facts.gaps.push(seq - last - 1);
      last = seq;
      facts.rows++;
      facts.cpuSum += Number(fields[1]);
    }
  }
  facts.missing = facts.gaps.reduce((a, b) => a + b, 0);
  return facts;
}

export interface SavedState {
  stats: StatsState;
}

/** The statistics a saved state holds, as `analyze --json` reports them. */
export function savedReport(state: SavedState): ReturnType<Stats['report']> {
  const stats = new Stats(null);
  stats.restore(state.stats);
  return stats.report();
}

export function readState(dataDir: string): SavedState | null {
  try {
    return JSON.parse(readFileSync(join(dataDir, 'analytics-state.json'), 'utf8')) as SavedState;
  } catch {
    return null;
  }
}
