// The dashboard's picture of the app at one moment: rules with their states in words, the
// statistics, the last sample's time. Built on request from the live objects; no I/O.
import { conditionOf, describeRule } from '../rules/describe-rule.js';
import type { Rule } from '../rules/rule.js';
import type { Stats } from '../stats.js';
import type { RemoteWriteView, RuleView, ShownTransition, StateView } from './wire.js';

export interface ViewInputs {
  host: string;
  now: number;
  lastSampleAt: number;
  lagBytes: number;
  remoteWrite: RemoteWriteView | null;
  stats: Stats;
  rules: Rule[];
  phase(rule: string): { phase: 'inactive' | 'pending' | 'firing'; since: number; firedAt: number } | undefined;
  flapping(rule: string): boolean;
  recent: ShownTransition[];
}

export function viewState(v: ViewInputs): StateView {
  const rules: RuleView[] = v.rules.map((rule) => {
    const s = v.phase(rule.name);
    const lastChange = v.recent.findLast((t) => t.rule === rule.name)?.timestamp ?? null;
    const state: RuleView['state'] = v.flapping(rule.name)
      ? 'flapping'
      : s?.phase === 'firing'
        ? 'firing'
        : s?.phase === 'pending'
          ? 'pending'
          : 'ok';
    const since = s?.phase === 'firing' ? s.firedAt : s?.phase === 'pending' ? s.since : lastChange;
    return {
      name: rule.name,
      condition: describeRule(conditionOf(rule)),
      severity: rule.severity,
      metric: rule.kind === 'threshold' ? rule.metric : null,
      threshold: rule.kind === 'threshold' ? rule.threshold : null,
      state,
      since,
    };
  });
  const w = v.stats.window?.summary();
  return {
    host: v.host,
    now: v.now,
    lastSampleAt: v.lastSampleAt || null,
    rules,
    stats: {
      samples: v.stats.samples,
      cpu: v.stats.cpu.summary(),
      ram: v.stats.ram.summary(),
      window: w ? { samples: w.count, cpu: w.cpu, ram: w.ram } : null,
      rejected: { total: v.stats.rejectedTotal, ...v.stats.rejected },
      gaps: v.stats.gaps,
      lagBytes: v.lagBytes,
      remoteWrite: v.remoteWrite,
    },
  };
}
