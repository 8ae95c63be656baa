// What the dashboard's server sends its page (/api/state, /events): the types both sides compile
// against. No imports, so the browser build (browser/tsconfig.json) can include it.

/** One bucket of samples: [ms, cpu avg, cpu max, ram avg, ram max]. */
export type Point = [number, number, number, number, number];

export interface ShownTransition {
  rule: string;
  state: 'firing' | 'resolved';
  timestamp: number;
  value: number;
  /** Further transitions of this rule folded into this one (same flush). */
  coalesced: number;
}

type RuleState = 'ok' | 'pending' | 'firing' | 'flapping';

export interface RuleView {
  name: string;
  condition: string;
  severity: string;
  metric: 'cpu' | 'ram' | null;
  threshold: number | null;
  state: RuleState;
  /** Since when it is in that state (ms), when known. */
  since: number | null;
}

interface Summary {
  avg: number | null;
  min: number | null;
  max: number | null;
}

export interface StatsView {
  samples: number;
  cpu: Summary;
  ram: Summary;
  window: { samples: number; cpu: Summary; ram: Summary } | null;
  rejected: Record<string, number> & { total: number };
  gaps: number;
  lagBytes: number;
  /** remote_write, when it is on. */
  remoteWrite: RemoteWriteView | null;
}

export interface RemoteWriteView {
  sent: number;
  failed: number;
  dropped: number;
  lost: number;
  backlog: number;
  behindSeconds: number;
}

/** /api/state, and the `stats` event. */
export interface StateView {
  host: string;
  now: number;
  lastSampleAt: number | null;
  rules: RuleView[];
  stats: StatsView;
}
