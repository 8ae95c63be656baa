// The shell around the pure core: holds the rules, their states and windows, turns state changes
// into transitions, swaps rules on reload (unchanged rules keep their state, as Prometheus'
// CopyState), and saves/restores everything with the analytics state.
import type { Severity } from '../../../common/config.js';
import {
  absentDue,
  evaluateAbsent,
  evaluateThreshold,
  INACTIVE,
  transitionOf,
  type AlertState,
  type TransitionKind,
} from './evaluate.js';
import type { AbsentRule, Channel, Metric, Rule, ThresholdRule } from './rule.js';
import { WindowAggregate } from './window-aggregate.js';

/** What a notification says: a rule's transition, or (notify/announce.ts) that it flaps or settled. */
type NoticeKind = TransitionKind | 'flapping' | 'flapping-summary' | 'settled';

export interface Transition {
  /** Set on notices made from transitions (flapping, settled); a transition's own key is keyOf(). */
  key?: string;
  rule: string;
  kind: NoticeKind;
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
  /** Counts the rule's firings (saved with its state): names the episode even when rows share a millisecond. */
  episode: number;
  /** Flap notices: the changes counted or held back, the window, and whether the rule fires now. */
  flap: { changes: number; windowMs: number; firing: boolean } | null;
}

/**
 * Idempotency key: rule, episode (counter and fire time) and transition, unique per episode and
 * the same when a restart replays it. Computed where needed (a backtest never needs one).
 */
export function keyOf(t: Transition): string {
  return t.key ?? `${t.rule}:${t.episode}@${t.firedAt}:${t.kind}${t.kind === 'repeat' ? `:${t.timestamp}` : ''}`;
}

interface Tracked<R extends Rule> {
  rule: R;
  state: AlertState;
  window: WindowAggregate | null;
  /** The rule reads cpu (else ram): decided once, not per sample. */
  cpu: boolean;
  /** Firings so far; kept across definition changes so keys never repeat. */
  episodes: number;
}

interface SavedRule {
  definition: string;
  state: AlertState;
  episodes: number;
  window?: [number, number][];
}

export interface AlertingState {
  lastArrival: number;
  rules: Record<string, SavedRule>;
}

/**
 * What a restart restores of one rule (Prometheus' for-state restore): everything, when its
 * definition is unchanged (a `for` timer, a firing `absent` rule, the window); else only its
 * episode counter. Nothing is judged here: the next sample or tick decides, as it would have
 * without the restart.
 */
function restoreRule(
  definition: string,
  saved: SavedRule | undefined,
): Pick<SavedRule, 'state' | 'episodes' | 'window'> {
  if (!saved) return { state: INACTIVE, episodes: 0 };
  if (saved.definition !== definition) return { state: INACTIVE, episodes: saved.episodes };
  return { state: saved.state, episodes: saved.episodes, window: saved.window };
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
    return this.firing().length;
  }

  /** The rules in force, in file order by kind (thresholds, then absent rules). */
  rules(): Rule[] {
    return [...this.thresholds, ...this.absents].map((t) => t.rule);
  }

  /** The rules firing now, with their states. */
  firing(): { rule: Rule; state: AlertState }[] {
    return [...this.thresholds, ...this.absents]
      .filter((t) => t.state.phase === 'firing')
      .map((t) => ({ rule: t.rule, state: t.state }));
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

  /** Samples arrived now (wall clock): firing absent rules resolve. */
  onArrival(now: number): void {
    this.judgeAbsent(now, true);
    this.lastArrival = now;
  }

  /** Absent rules judged against the wall clock; the shell calls this on a timer. */
  tick(now: number): void {
    this.judgeAbsent(now, false);
  }

  /** The wall time at which tick() next has something to do (Infinity: only a sample changes anything). */
  nextDue(): number {
    let due = Infinity;
    for (const t of this.absents) due = Math.min(due, absentDue(t.rule, t.state, this.lastArrival));
    return due;
  }

  /** The state of every rule, by name. */
  states(): Map<string, AlertState> {
    return new Map([...this.thresholds, ...this.absents].map((t) => [t.rule.name, t.state]));
  }

  private judgeAbsent(now: number, arrived: boolean): void {
    for (const t of this.absents) {
      const next = evaluateAbsent(t.rule, t.state, now, this.lastArrival, arrived);
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
      const window = threshold && rule.over ? new WindowAggregate(rule.over.aggregate, rule.over.ms) : null;
      return {
        rule,
        state: INACTIVE,
        window,
        cpu: threshold && rule.metric === 'cpu',
        episodes: before?.episodes ?? 0,
      };
    };
    this.thresholds = rules.filter((r): r is ThresholdRule => r.kind === 'threshold').map(keep);
    this.absents = rules.filter((r): r is AbsentRule => r.kind === 'absent').map(keep);
    change.removed = [...old.keys()];
    return change;
  }

  save(): AlertingState {
    const rules: AlertingState['rules'] = {};
    for (const t of [...this.thresholds, ...this.absents]) {
      rules[t.rule.name] = {
        definition: t.rule.definition,
        state: t.state,
        episodes: t.episodes,
        ...(t.window ? { window: t.window.save() } : {}),
      };
    }
    return { lastArrival: this.lastArrival, rules };
  }

  /** Restores the saved state (see restoreRule); the last arrival is the saved one, not the start-up time. */
  restore(saved: AlertingState): void {
    this.lastArrival = saved.lastArrival;
    for (const t of [...this.thresholds, ...this.absents]) {
      const r = restoreRule(t.rule.definition, saved.rules[t.rule.name]);
      t.state = r.state;
      t.episodes = r.episodes;
      if (t.window && r.window) t.window.restore(r.window);
    }
  }

  private change(t: Tracked<Rule>, next: AlertState, timestamp: number, value: number): void {
    const kind = transitionOf(t.state, next);
    const episode = next.phase === 'firing' ? next : t.state;
    t.state = next;
    if (!kind) return;
    if (kind === 'firing') t.episodes++;
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
      episode: t.episodes,
      flap: null,
    });
  }
}
