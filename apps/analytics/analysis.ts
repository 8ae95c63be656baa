// Ingest + alerting wired the same way for the live app and for `analyze`, so a backtest of the
// same rows gives the same transitions.
import { Ingest } from './ingest.js';
import { Alerting } from './rules/alerting.js';
import type { Rule } from './rules/rule.js';

export interface Analysis {
  ingest: Ingest;
  alerting: Alerting;
}

export function createAnalysis(rules: Rule[], windowMs: number, now: number): Analysis {
  const alerting = new Alerting(rules, now);
  const ingest = new Ingest(windowMs, rules.length > 0 ? (t, cpu, ram) => alerting.onSample(t, cpu, ram) : undefined);
  return { ingest, alerting };
}
