// The pure core of alerting (Prometheus' Eval): the next state of one rule from its state and one
// sample (or, for absent rules, the wall clock). No clock, no I/O. The state object is returned
// unchanged when nothing changed, so judging every sample allocates nothing in the common case.
import type { AbsentRule, ThresholdRule } from './rule.js';

export interface AlertState {
  phase: 'inactive' | 'pending' | 'firing';
  /** When the condition started to hold (pending start), or the last sample for absent rules. */
  since: number;
  /** When it fired: names the episode. */
  firedAt: number;
  /** When the last notification (firing or repeat) went out. */
  notifiedAt: number;
}

export const INACTIVE: AlertState = Object.freeze({ phase: 'inactive', since: 0, firedAt: 0, notifiedAt: 0 });

export type TransitionKind = 'firing' | 'resolved' | 'repeat';

/** What changed between two states of a rule, if anything to notify. */
export function transitionOf(before: AlertState, after: AlertState): TransitionKind | null {
  if (before === after) return null;
  if (after.phase === 'firing')
    return before.phase !== 'firing' ? 'firing' : after.notifiedAt > before.notifiedAt ? 'repeat' : null;
  return before.phase === 'firing' ? 'resolved' : null;
}

/**
 * Firing: a repeat is due `repeatMs` after the last one. Time that went backwards (a clock set
 * back, a row from the future before) moves the mark back silently, so reminders never stall.
 */
function remind(repeatMs: number, state: AlertState, at: number): AlertState {
  if (at < state.notifiedAt) return { ...state, notifiedAt: at };
  return repeatMs > 0 && at - state.notifiedAt >= repeatMs ? { ...state, notifiedAt: at } : state;
}

function beyond(rule: ThresholdRule, value: number, limit: number): boolean {
  return rule.above ? value > limit : value < limit;
}

/** Threshold rules, judged on every sample by its timestamp. `value` is the sample's or the window's. */
export function evaluateThreshold(
  rule: ThresholdRule,
  state: AlertState,
  timestamp: number,
  value: number,
): AlertState {
  switch (state.phase) {
    case 'firing':
      return beyond(rule, value, rule.clear) ? remind(rule.repeatMs, state, timestamp) : INACTIVE;
    case 'pending':
      if (!beyond(rule, value, rule.threshold)) return INACTIVE;
      return timestamp - state.since >= rule.forMs
        ? { phase: 'firing', since: state.since, firedAt: timestamp, notifiedAt: timestamp }
        : state;
    default:
      if (!beyond(rule, value, rule.threshold)) return state;
      return rule.forMs <= 0
        ? { phase: 'firing', since: timestamp, firedAt: timestamp, notifiedAt: timestamp }
        : { phase: 'pending', since: timestamp, firedAt: 0, notifiedAt: 0 };
  }
}

/** When evaluateAbsent next changes `state` with no sample arriving: the time it fires or reminds (Infinity: never). */
export function absentDue(rule: AbsentRule, state: AlertState, lastArrival: number): number {
  if (state.phase === 'firing') return rule.repeatMs > 0 ? state.notifiedAt + rule.repeatMs : Infinity;
  return lastArrival + rule.absentMs;
}

/**
 * Absent rules, judged by wall-clock `now` against when the last sample arrived. Only a sample
 * (`arrived`) resolves a firing rule: a restart or a clock step never does.
 */
export function evaluateAbsent(
  rule: AbsentRule,
  state: AlertState,
  now: number,
  lastArrival: number,
  arrived: boolean,
): AlertState {
  if (state.phase === 'firing') return arrived ? INACTIVE : remind(rule.repeatMs, state, now);
  if (arrived || now - lastArrival < rule.absentMs) return state;
  return { phase: 'firing', since: lastArrival, firedAt: now, notifiedAt: now };
}
