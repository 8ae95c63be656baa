// A notification as the rules produce it, for channel and outbox tests.
import type { Transition } from '../../apps/analytics/rules/alerting.js';

export function notice(over: Partial<Transition> = {}): Transition & { key: string } {
  const t: Transition = {
    rule: 'r',
    kind: 'firing',
    timestamp: 1,
    value: 90,
    metric: 'cpu',
    op: 'above',
    threshold: 80,
    severity: 'warning',
    channels: ['email'],
    since: 1,
    firedAt: 1,
    episode: 1,
    flap: null,
    ...over,
  };
  return { ...t, key: over.key ?? `${t.rule}:${t.episode}@${t.firedAt}:${t.kind}:${t.timestamp}` };
}
