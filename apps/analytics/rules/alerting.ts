// The shell around the pure core, and the one owner of each rule's phase: holds the rules, their
// states and windows, turns state changes into transitions, swaps rules on reload and restores
// them after a restart (SPEC "Rule edits": an unchanged condition keeps its state, as Prometheus'
// CopyState; a changed one is judged afresh on the next sample, and a firing it no longer holds
// ends with one `resolved`). What was told about a removed rule is the announcer's to end.
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
  /** Set on a resolve that a rule edit caused rather than a sample. */
  reason?: EditReason;
}

type EditReason = 'rule changed' | 'rule removed';

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
  /** Its condition changed while it fired: the next judgement starts afresh (see replace()). */
  rejudge: boolean;
  /** The value last judged (a removal's resolve says it). */
  last: number;
}

interface SavedRule {
  definition: string;
  state: AlertState;
  episodes: number;
  /** [ms, value] entries ([ms, sum, samples] for avg): see WindowAggregate.save. */
  window?: number[][];
  rejudge?: boolean;
  last?: number;
}

export interface AlertingState {
  lastArrival: number;
  /** Episode counters of rules removed since: one added again goes on counting, so keys never repeat. */
  retired?: Record<string, number>;
  /** The latest sample time judged: rules never judge an earlier time. */
  latest?: number;
  rules: Record<string, SavedRule>;
}

/**
 * What a restart restores of one rule (Prometheus' for-state restore): everything, when its
 * condition is unchanged (a `for` timer, a firing `absent` rule, the window); a firing whose
 * condition changed meanwhile is judged afresh, as a live edit is; else only the episode counter.
 * Nothing is judged here: the next sample or tick decides, as it would have without the restart.
 */
function restoreRule(definition: string, saved: SavedRule | undefined): Omit<SavedRule, 'definition'> {
  if (!saved) return { state: INACTIVE, episodes: 0 };
  if (saved.definition === definition) return saved;
  if (saved.state.phase === 'firing')
    return { state: saved.state, episodes: saved.episodes, rejudge: true, last: saved.last };
  return { state: INACTIVE, episodes: saved.episodes };
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
  /** The latest sample time judged (time only moves forward for rules). */
  private latest = 0;
  /** Episode counters of removed rules, by name. */
  private retired = new Map<string, number>();
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

  /**
   * Judges one accepted sample against every threshold rule, at its timestamp or, for a row
   * stamped earlier than one already judged, at the latest time seen (SPEC "Time only moves
   * forward for rules": it never starts a `for` timer in the past or reaches back into a window).
   */
  onSample(timestamp: number, cpu: number, ram: number): void {
    const at = timestamp > this.latest ? (this.latest = timestamp) : this.latest;
    const thresholds = this.thresholds;
    for (let i = 0; i < thresholds.length; i++) {
      const t = thresholds[i]!;
      const sample = t.cpu ? cpu : ram;
      const value = t.window === null ? sample : t.window.push(at, sample);
      t.last = value;
      if (t.rejudge) this.rejudge(t, evaluateThreshold(t.rule, INACTIVE, at, value), at, value);
      else {
        const next = evaluateThreshold(t.rule, t.state, at, value);
        if (next !== t.state) this.change(t, next, at, value);
      }
    }
  }

  /** A firing whose condition changed goes on as the same episode if the new condition fires at once, else resolves. */
  private rejudge(t: Tracked<Rule>, next: AlertState, at: number, value: number): void {
    t.rejudge = false;
    if (next.phase !== 'firing') this.change(t, next, at, value, 'rule changed');
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
      const value = now - this.lastArrival;
      t.last = value;
      if (t.rejudge) this.rejudge(t, evaluateAbsent(t.rule, INACTIVE, now, this.lastArrival, arrived), now, value);
      else {
        const next = evaluateAbsent(t.rule, t.state, now, this.lastArrival, arrived);
        if (next !== t.state) this.change(t, next, now, value);
      }
    }
  }

  /**
   * The threshold rules firing now, each as its firing transition (the same key as when it fired):
   * what "the current state is always told" announces when that firing was held back as history.
   */
  currentFirings(): Transition[] {
    return this.thresholds
      .filter((t) => t.state.phase === 'firing' && !t.rejudge)
      .map((t) => this.transitionOf(t, 'firing', this.latest, t.last, t.state));
  }

  /** Transitions since the last call, in order. */
  take(): Transition[] {
    const out = this.out;
    this.out = [];
    return out;
  }

  /**
   * Swaps in new rules (SPEC "Rule edits"): a rule whose condition is unchanged keeps its state,
   * window and episode, and takes the new severity, channels, repeat and flap; a changed condition
   * is judged afresh (a firing goes on only if the new condition fires at once); a removed rule
   * goes (the announcer ends what it told of it).
   */
  replace(rules: Rule[]): RulesChange {
    const old = new Map<string, Tracked<Rule>>([...this.thresholds, ...this.absents].map((t) => [t.rule.name, t]));
    const added: string[] = [];
    const changed: string[] = [];
    const keep = <R extends Rule>(rule: R): Tracked<R> => {
      const before = old.get(rule.name);
      old.delete(rule.name);
      const retired = this.retired.get(rule.name) ?? 0;
      this.retired.delete(rule.name);
      if (before?.rule.definition === rule.definition) {
        if (before.rule !== rule && JSON.stringify(before.rule) !== JSON.stringify(rule)) changed.push(rule.name);
        before.rule = rule;
        return before as Tracked<R>;
      }
      (before ? changed : added).push(rule.name);
      const firing = before?.state.phase === 'firing';
      return {
        ...this.track(rule, before?.episodes ?? retired),
        ...(firing ? { state: before.state, rejudge: true, last: before.last } : {}),
      };
    };
    this.thresholds = rules.filter((r): r is ThresholdRule => r.kind === 'threshold').map(keep);
    this.absents = rules.filter((r): r is AbsentRule => r.kind === 'absent').map(keep);
    for (const gone of old.values()) this.retired.set(gone.rule.name, gone.episodes);
    return { added, changed, removed: [...old.keys()] };
  }

  private track<R extends Rule>(rule: R, episodes: number): Tracked<R> {
    const threshold = rule.kind === 'threshold';
    return {
      rule,
      state: INACTIVE,
      window: threshold && rule.over ? new WindowAggregate(rule.over.aggregate, rule.over.ms) : null,
      cpu: threshold && rule.metric === 'cpu',
      episodes,
      rejudge: false,
      last: 0,
    };
  }

  save(): AlertingState {
    const rules: AlertingState['rules'] = {};
    for (const t of [...this.thresholds, ...this.absents]) {
      rules[t.rule.name] = {
        definition: t.rule.definition,
        state: t.state,
        episodes: t.episodes,
        last: t.last,
        ...(t.rejudge ? { rejudge: true } : {}),
        ...(t.window ? { window: t.window.save() } : {}),
      };
    }
    return { lastArrival: this.lastArrival, latest: this.latest, retired: Object.fromEntries(this.retired), rules };
  }

  /** Restores the saved state (see restoreRule); the last arrival is the saved one, not the start-up time. */
  restore(saved: AlertingState): void {
    this.lastArrival = saved.lastArrival;
    this.latest = saved.latest ?? 0;
    const current = new Set([...this.thresholds, ...this.absents].map((t) => t.rule.name));
    // a rule saved but gone from the file now was removed while the app was down
    const gone = Object.entries(saved.rules).filter(([name]) => !current.has(name));
    this.retired = new Map([
      ...Object.entries(saved.retired ?? {}),
      ...gone.map(([name, r]) => [name, r.episodes] as const),
    ]);
    for (const name of current) this.retired.delete(name);
    for (const t of [...this.thresholds, ...this.absents]) {
      const r = restoreRule(t.rule.definition, saved.rules[t.rule.name]);
      t.state = r.state;
      t.episodes = saved.rules[t.rule.name] ? r.episodes : (saved.retired?.[t.rule.name] ?? 0);
      t.rejudge = r.rejudge ?? false;
      t.last = r.last ?? 0;
      if (t.window && r.window) t.window.restore(r.window);
    }
  }

  private change(t: Tracked<Rule>, next: AlertState, timestamp: number, value: number, reason?: EditReason): void {
    const kind = transitionOf(t.state, next);
    const episode = next.phase === 'firing' ? next : t.state;
    t.state = next;
    if (!kind) return;
    if (kind === 'firing') t.episodes++;
    this.emit(this.transitionOf(t, kind, timestamp, value, episode, reason));
  }

  private transitionOf(
    t: Tracked<Rule>,
    kind: TransitionKind,
    timestamp: number,
    value: number,
    episode: AlertState,
    reason?: EditReason,
  ): Transition {
    const r = t.rule;
    return {
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
      ...(reason ? { reason } : {}),
    };
  }
}
