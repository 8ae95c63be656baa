// Ingest + alerting wired the same way for the live app and for `analyze`, so a backtest of the
// same rows gives the same transitions.
import { Ingest, type SampleObserver } from './ingest.js';
import { Alerting } from './rules/alerting.js';
import type { Transition } from './rules/alerting.js';
import type { Rule } from './rules/rule.js';

export interface Analysis {
  ingest: Ingest;
  alerting: Alerting;
}

/** `watch` sees every accepted sample too (the live dashboard). */
export function createAnalysis(
  rules: Rule[],
  windowMs: number | null,
  now: number,
  onTransition?: (t: Transition) => void,
  watch?: SampleObserver,
): Analysis {
  const alerting = new Alerting(rules, now, onTransition);
  const observer: SampleObserver | null = watch
    ? {
        onSample(timestamp, cpu, ram) {
          alerting.onSample(timestamp, cpu, ram);
          watch.onSample(timestamp, cpu, ram);
        },
      }
    : rules.length > 0
      ? alerting
      : null;
  const ingest = new Ingest(windowMs, observer);
  return { ingest, alerting };
}
