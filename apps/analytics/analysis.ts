// Ingest + alerting wired the same way for the live app and for `analyze`, so a backtest of the
// same rows gives the same transitions.
import { Ingest } from './ingest.js';
import { Alerting } from './rules/alerting.js';
import type { Transition } from './rules/alerting.js';
import type { Rule } from './rules/rule.js';

export interface Analysis {
  ingest: Ingest;
  alerting: Alerting;
}

export function createAnalysis(rules: Rule[], windowMs: number | null, now: number, onTransition?: (t: Transition) => void): Analysis {
  const alerting = new Alerting(rules, now, onTransition);
  const ingest = new Ingest(windowMs, rules.length > 0 ? alerting : null);
  return { ingest, alerting };
}
