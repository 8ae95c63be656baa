// A rule's condition in words, the one rendering behind the console line, the email digest,
// Alertmanager's description, the dashboard and the exported rules' summary.
import { formatDuration } from './duration.js';
import type { Metric, Rule, ThresholdRule } from './rule.js';

/** What a condition says: a rule's own, or the part of it a notification carries. */
export interface Condition {
  op: 'above' | 'below' | 'absent';
  metric: Metric | null;
  /** The threshold; for `absent`, the time without a sample (ms). */
  threshold: number;
  over?: ThresholdRule['over'];
  clear?: number;
  forMs?: number;
}

export function conditionOf(rule: Rule): Condition {
  return rule.kind === 'absent' ? { op: 'absent', metric: null, threshold: rule.absentMs } : rule;
}

/** `> 80`, `< 10`: the comparison alone. */
export function comparisonOf(c: Condition): string {
  return `${c.op === 'above' ? '>' : '<'} ${c.threshold}`;
}

/** `cpu > 80 (clears at ≤ 75) for 5s`, `avg cpu over 1m > 70`, `no sample for 10s`. */
export function describeRule(c: Condition): string {
  if (c.op === 'absent') return `no sample for ${formatDuration(c.threshold)}`;
  const what = c.over ? `${c.over.aggregate} ${c.metric} over ${formatDuration(c.over.ms)}` : c.metric;
  const clear =
    c.clear !== undefined && c.clear !== c.threshold ? ` (clears at ${c.op === 'above' ? '≤' : '≥'} ${c.clear})` : '';
  const hold = c.forMs ? ` for ${formatDuration(c.forMs)}` : '';
  return `${what} ${comparisonOf(c)}${clear}${hold}`;
}
