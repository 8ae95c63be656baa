// Decides which transitions become notifications (SPEC "Trustworthy notifications"): pure, the
// wall clock passed in. Between the rules and the channels:
//
//   transitions ─▶ too old? (catching up on history: recorded, not announced)
//               ─▶ flapping? (held back and counted; one `flapping`, summaries per `repeat`, one `settled`)
//               ─▶ notices for the channels
//   current firings not told (held back as history) ─▶ one `firing` (SPEC "The current state is always told")
//   rules removed while told firing ─▶ one `resolved` (reason `rule removed`)
//
// It owns what was told, by rule; the rule's phase is Alerting's.
// A rule flaps once `flap.changes` announced changes (firing + resolved) fall within `flap.window`,
// like Nagios' flap detection but counted on what was announced, so it damps exactly the noise a
// user would see. It settles after a whole window without a change, saying the state it is in now.
import { keyOf, type Transition } from '../rules/alerting.js';
import type { Flap } from '../rules/rule.js';

/** Transitions on samples older than this are history: recorded in the alert state, not announced. */
export const HISTORY_MS = 10 * 60_000;

export interface AnnouncedRule {
  name: string;
  flap: Flap | null;
  repeatMs: number;
}

interface Flapping {
  /** Key of the transition that started it: names the flapping episode. */
  trigger: string;
  held: number;
  heldSinceSummary: number;
  lastChangeAt: number;
  lastSummaryAt: number;
  summaries: number;
  /** The latest transition held back: the state the rule is in now. */
  last: Transition;
}

export interface AnnounceState {
  /** A firing was announced and its resolve not yet. */
  firing: boolean;
  /** Wall-clock times of the announced changes within the flap window. */
  changes: number[];
  flapping: Flapping | null;
  /** The firing that was told, while it is: its resolve, if the rule goes away, is built from it. */
  told?: Transition;
}

export type AnnouncerState = Record<string, AnnounceState>;

export interface Offered {
  notices: Transition[];
  /** Transitions held back as history. */
  history: number;
}

export class Announcer {
  private rules = new Map<string, AnnouncedRule>();
  private states = new Map<string, AnnounceState>();

  /** Restores `saved`; rules gone from `rules` since are ended by the first replace() (see main). */
  constructor(rules: AnnouncedRule[], saved: AnnouncerState = {}) {
    for (const [name, state] of Object.entries(saved)) this.states.set(name, state);
    this.rules = new Map(rules.map((r) => [r.name, r]));
  }

  /**
   * New rules (a reload, or the rules at start against the saved state) at wall-clock `now`:
   * states of rules that still exist are kept; a removed rule that was told firing (or flapping)
   * gets one `resolved`, reason `rule removed`.
   */
  replace(rules: AnnouncedRule[], now: number): Transition[] {
    this.rules = new Map(rules.map((r) => [r.name, r]));
    const notices: Transition[] = [];
    for (const [name, s] of this.states) {
      if (this.rules.has(name)) continue;
      const told = s.told ?? s.flapping?.last;
      if (told) notices.push(this.ended(told, now, 'rule removed'));
      this.states.delete(name);
    }
    return notices;
  }

  private ended(told: Transition, now: number, reason: 'rule removed'): Transition {
    const { key: _key, ...rest } = told;
    return { ...rest, kind: 'resolved', timestamp: Math.max(now, told.firedAt), flap: null, reason };
  }

  get flappingCount(): number {
    return [...this.states.values()].filter((s) => s.flapping).length;
  }

  isFlapping(rule: string): boolean {
    return Boolean(this.states.get(rule)?.flapping);
  }

  /** The user was told this rule fires (or flaps), and not yet that it stopped. */
  isAnnouncedFiring(rule: string): boolean {
    const s = this.states.get(rule);
    return Boolean(s?.firing || s?.flapping);
  }

  /** The notices for these transitions (in order) at wall-clock `now`. */
  offer(transitions: Transition[], now: number): Offered {
    const out: Offered = { notices: [], history: 0 };
    for (const t of transitions) {
      const rule = this.rules.get(t.rule);
      if (!rule) continue;
      const s = this.stateOf(t.rule);
      if (t.reason) {
        // an edit ended it: whatever was told (firing or flapping) is taken back once
        if (s.firing || s.flapping) out.notices.push(t);
        this.states.set(t.rule, { firing: false, changes: s.changes, flapping: null });
        continue;
      }
      if (s.flapping) {
        if (t.kind === 'firing' || t.kind === 'resolved') this.hold(s.flapping, t, now);
        continue;
      }
      const old = t.op !== 'absent' && t.timestamp < now - HISTORY_MS;
      if (t.kind === 'repeat') {
        if (s.firing && !old) out.notices.push(t);
      } else if (old && !s.firing) {
        out.history++;
      } else if (t.kind === 'resolved' && !s.firing) {
        // its firing was history: nothing to take back
      } else {
        out.notices.push(this.change(rule, s, t, now));
      }
    }
    return out;
  }

  /**
   * Firings that are current (on a sample within HISTORY_MS of `now`) and were never told, because
   * their firing was held back as history: each is told once now (its own key; since when it fires).
   */
  reconcile(current: Transition[], now: number): Transition[] {
    const notices: Transition[] = [];
    for (const t of current) {
      const rule = this.rules.get(t.rule);
      const s = this.stateOf(t.rule);
      if (!rule || s.firing || s.flapping || t.timestamp < now - HISTORY_MS) continue;
      notices.push(this.change(rule, s, t, now));
    }
    return notices;
  }

  /** Flapping rules settle after a quiet window, or send their `repeat` summary. */
  tick(now: number): Transition[] {
    const notices: Transition[] = [];
    for (const [name, s] of this.states) {
      const f = s.flapping;
      const rule = this.rules.get(name);
      if (!f || !rule?.flap) continue;
      // a clock set back restarts the quiet period instead of stalling it
      f.lastChangeAt = Math.min(f.lastChangeAt, now);
      f.lastSummaryAt = Math.min(f.lastSummaryAt, now);
      const firing = f.last.kind === 'firing';
      if (now - f.lastChangeAt >= rule.flap.windowMs) {
        notices.push({
          ...f.last,
          kind: 'settled',
          key: `${f.trigger}:settled`,
          flap: { changes: f.held, windowMs: rule.flap.windowMs, firing },
        });
        this.states.set(name, { firing, changes: [], flapping: null, ...(firing ? { told: f.last } : {}) });
      } else if (rule.repeatMs > 0 && now - f.lastSummaryAt >= rule.repeatMs) {
        f.summaries++;
        notices.push({
          ...f.last,
          kind: 'flapping-summary',
          key: `${f.trigger}:summary:${f.summaries}`,
          flap: { changes: f.heldSinceSummary, windowMs: rule.flap.windowMs, firing },
        });
        f.heldSinceSummary = 0;
        f.lastSummaryAt = now;
      }
    }
    return notices;
  }

  /** The wall time at which tick() next has something to do: a flapping rule settles or sums up (Infinity: none). */
  nextDue(): number {
    let due = Infinity;
    for (const [name, s] of this.states) {
      const f = s.flapping;
      const rule = this.rules.get(name);
      if (!f || !rule?.flap) continue;
      due = Math.min(
        due,
        f.lastChangeAt + rule.flap.windowMs,
        rule.repeatMs > 0 ? f.lastSummaryAt + rule.repeatMs : Infinity,
      );
    }
    return due;
  }

  save(): AnnouncerState {
    return Object.fromEntries(this.states);
  }

  private stateOf(name: string): AnnounceState {
    let s = this.states.get(name);
    if (!s) this.states.set(name, (s = { firing: false, changes: [], flapping: null }));
    return s;
  }

  /** An announced change, or the one that makes the rule flap. */
  private change(rule: AnnouncedRule, s: AnnounceState, t: Transition, now: number): Transition {
    s.firing = t.kind === 'firing';
    if (s.firing) s.told = t;
    else delete s.told;
    if (!rule.flap) return t;
    const windowMs = rule.flap.windowMs;
    s.changes = s.changes.filter((at) => at > now - windowMs && at <= now);
    s.changes.push(now);
    if (s.changes.length < rule.flap.changes) return t;
    const changes = s.changes.length;
    s.changes = [];
    s.flapping = {
      trigger: keyOf(t),
      held: 0,
      heldSinceSummary: 0,
      lastChangeAt: now,
      lastSummaryAt: now,
      summaries: 0,
      last: t,
    };
    return { ...t, kind: 'flapping', key: `${keyOf(t)}:flapping`, flap: { changes, windowMs, firing: s.firing } };
  }

  private hold(f: Flapping, t: Transition, now: number): void {
    f.held++;
    f.heldSinceSummary++;
    f.lastChangeAt = now;
    f.last = t;
  }
}
