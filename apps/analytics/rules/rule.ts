import type { Severity } from '../../../common/config.js';

export type Channel = 'console' | 'email' | 'alertmanager';
export type Metric = 'cpu' | 'ram';
export type Aggregate = 'avg' | 'min' | 'max';

export interface Flap {
  changes: number;
  windowMs: number;
}

/** SPEC "Trustworthy notifications": 6 changes within 10 minutes. */
export const DEFAULT_FLAP: Flap = Object.freeze({ changes: 6, windowMs: 10 * 60_000 });

interface RuleBase {
  name: string;
  severity: Severity;
  channels: Channel[];
  /** Re-notify every repeatMs while firing; 0 = never. */
  repeatMs: number;
  /** Flapping once `changes` notified transitions fall within `windowMs` (wall clock); null = off. */
  flap: Flap | null;
  /**
   * Canonical text of the condition (metric, above/below, clear, for, over, absent): equal text,
   * same episode across reloads and restarts; severity, channels, repeat and flap are not in it.
   */
  definition: string;
}

export interface ThresholdRule extends RuleBase {
  kind: 'threshold';
  metric: Metric;
  op: 'above' | 'below';
  /** op === 'above', as a boolean for the per-sample comparison. */
  above: boolean;
  threshold: number;
  clear: number;
  forMs: number;
  /** Judge the aggregate over (t − overMs, t] instead of the sample, when set. */
  over: { ms: number; aggregate: Aggregate } | null;
}

export interface AbsentRule extends RuleBase {
  kind: 'absent';
  absentMs: number;
}

export type Rule = ThresholdRule | AbsentRule;
