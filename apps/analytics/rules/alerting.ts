// The shell around the pure core: holds the rules, their states and windows, turns state changes
// into transitions, swaps rules on reload (unchanged rules keep their state, as Prometheus'
// CopyState), and saves/restores everything with the analytics state.
import type { Severity } from '../../../common/config.js';
import { evaluateAbsent, evaluateThreshold, INACTIVE, transitionOf, type AlertState, type TransitionKind } from './evaluate.js';
import type { AbsentRule, Channel, Metric, Rule, ThresholdRule } from './rule.js';
import { WindowAggregate } from './window-aggregate.js';

export interface Transition {
  rule: string;
  kind: TransitionKind;
  /** Sample timestamp (threshold rules) or wall-clock time (absent rules). */
  timestamp: number;
  /** The judged value; for absent rules, milliseconds without data. */
  value: number;
  metric: Metric | null;
  op: 'above' | 'below' | 'absent';
  threshold: number;
  severity: Severity;
  channels: Channel[];
  since: number;
  firedAt: number;
}

/** Idempotency key: rule, episode and transition, so the same transition replayed after a restart has the same key. */
export function transitionKey(t: Transition): string {
  return `${t.rule}:${t.firedAt}:${t.kind}${t.kind === 'repeat' ? `:${t.timestamp}` : ''}`;
}

interface Tracked<R extends Rule> {
  rule: R;
  state: AlertState;
  window: WindowAggregate | null;
  /** The rule reads cpu (else ram): decided once, not per sample. */
  cpu: boolean;
}

export interface AlertingState {
  lastArrival: number;
  rules: Record<string, { definition: string; state: AlertState; window?: [number, number][] }>;
}

export interface RulesChange {
  added: string[];
  changed: string[];
  removed: string[];
}

export class Alerting {
  private thresholds: Tracked<ThresholdRule>[] = [];
  private absents: Tracked<AbsentRule>[] = [];
  private lastArrival: number;
  private out: Transition[] = [];
  private readonly emit: (t: Transition) => void;

  /** Transitions are collected for take(), or handed to `onTransition` as they happen. */
  constructor(rules: Rule[], now: number, onTransition?: (t: Transition) => void) {
    this.lastArrival = now;
    this.emit = onTransition ?? ((t) => this.out.push(t));
    this.replace(rules);
  }

  get ruleCount(): number {
    return this.thresholds.length + this.absents.length;
  }

  get firingCount(): number {
    return [...this.thresholds, ...this.absents].filter((t) => t.state.phase === 'firing').length;
  }

  /** Judges one accepted sample against every threshold rule. */
  onSample(timestamp: number, cpu: number, ram: number): void {
    const thresholds = this.thresholds;
    for (let i = 0; i < thresholds.length; i++) {
      const t = thresholds[i]!;
      const sample = t.cpu ? cpu : ram;
      const value = t.window === null ? sample : t.window.push(timestamp, sample);
      const next = evaluateThreshold(t.rule, t.state, timestamp, value);
      if (next !== t.state) this.change(t, next, timestamp, value);
    }
  }

  /** A sample arrived now (wall clock): absent rules resolve. */
  onArrival(now: number): void {
    this.lastArrival = now;
    this.tick(now);
  }

  /** Absent rules judged against the wall clock; the shell calls this on a timer. */
  tick(now: number): void {
    for (const t of this.absents) {
      const next = evaluateAbsent(t.rule, t.state, now, this.lastArrival);
      if (next !== t.state) this.change(t, next, now, now - this.lastArrival);
    }
  }

  /** Transitions since the last call, in order. */
  take(): Transition[] {
    const out = this.out;
    this.out = [];
    return out;
  }

  /** Swaps in new rules: unchanged definitions keep state and window, removed rules go silently. */
  replace(rules: Rule[]): RulesChange {
    const old = new Map<string, Tracked<Rule>>([...this.thresholds, ...this.absents].map((t) => [t.rule.name, t]));
    const change: RulesChange = { added: [], changed: [], removed: [] };
    const keep = <R extends Rule>(rule: R): Tracked<R> => {
      const before = old.get(rule.name);
      old.delete(rule.name);
      if (before?.rule.definition === rule.definition) return before as Tracked<R>;
      (before ? change.changed : change.added).push(rule.name);
      const threshold = rule.kind === 'threshold';
      return { rule, state: INACTIVE, window: threshold && rule.over ? new WindowAggregate(rule.over.aggregate, rule.over.ms) : null, cpu: threshold && rule.metric === 'cpu' };
    };
    this.thresholds = rules.filter((r): r is ThresholdRule => r.kind === 'threshold').map(keep);
    this.absents = rules.filter((r): r is AbsentRule => r.kind === 'absent').map(keep);
    change.removed = [...old.keys()];
    return change;
  }

  save(): AlertingState {
    const rules: AlertingState['rules'] = {};
    for (const t of [...this.thresholds, ...this.absents]) {
      rules[t.rule.name] = { definition: t.rule.definition, state: t.state, ...(t.window ? { window: t.window.save() } : {}) };
    }
    return { lastArrival: this.lastArrival, rules };
  }

  /** Restores saved states of rules whose definition is unchanged. */
  restore(saved: AlertingState): void {
    this.lastArrival = Math.max(this.lastArrival, saved.lastArrival);
    for (const t of [...this.thresholds, ...this.absents]) {
      const s = saved.rules[t.rule.name];
      if (s?.definition !== t.rule.definition) continue;
      t.state = s.state;
      if (t.window && s.window) t.window.restore(s.window);
    }
  }

  private change(t: Tracked<Rule>, next: AlertState, timestamp: number, value: number): void {
    const kind = transitionOf(t.state, next);
    const episode = next.phase === 'firing' ? next : t.state;
    t.state = next;
    if (!kind) return;
    const r = t.rule;
    this.emit({
      rule: r.name,
      kind,
      timestamp,
      value,
      metric: r.kind === 'threshold' ? r.metric : null,
      op: r.kind === 'threshold' ? r.op : 'absent',
      threshold: r.kind === 'threshold' ? r.threshold : r.absentMs,
      severity: r.severity,
      channels: r.channels,
      since: episode.since,
      firedAt: episode.firedAt,
    });
  }
}
