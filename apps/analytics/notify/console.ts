// The console channel: one line per transition in the PM2 log.
import { iso } from '../../../common/clock.js';
import { log } from '../../../common/log.js';
import { formatDuration } from '../rules/duration.js';
import { keyOf, type Transition } from '../rules/alerting.js';
import { comparisonOf, describeRule } from '../rules/describe-rule.js';
import type { NotifyChannel } from './channel.js';

const num = (v: number): string => v.toFixed(2);
// an absent rule's value is the time without a sample: its condition with that time
const describeValue = (t: Transition): string =>
  t.op === 'absent' ? describeRule({ ...t, threshold: t.value }) : `${t.metric}=${num(t.value)}`;

/** `ALERT firing high_cpu cpu=92.41 > 80 (warning) since 2026-11-27T23:49:58.000Z` and friends. */
export function formatAlert(t: Transition): string {
  if (t.flap) {
    const window = formatDuration(t.flap.windowMs);
    if (t.kind === 'flapping')
      return `ALERT flapping ${t.rule} changed state ${t.flap.changes} times within ${window}; holding back its notifications until it settles (${t.severity})`;
    const now = t.flap.firing ? `firing ${describeValue(t)}` : 'ok';
    if (t.kind === 'settled')
      return `ALERT settled ${t.rule} now ${now} after ${window} without a change; ${t.flap.changes} changes were held back (${t.severity})`;
    return `ALERT still flapping ${t.rule} now ${now}; ${t.flap.changes} changes held back since the last summary (${t.severity})`;
  }
  // a rule edit ended it: no sample says so, the edit does
  if (t.reason) return `ALERT resolved ${t.rule} (${t.reason}) after ${formatDuration(t.timestamp - t.firedAt)}`;
  if (t.op === 'absent') {
    if (t.kind === 'resolved')
      return `ALERT resolved ${t.rule} samples again after ${formatDuration(t.timestamp - t.since)} without data`;
    const verb = t.kind === 'repeat' ? 'still firing' : 'firing';
    return `ALERT ${verb} ${t.rule} ${describeValue(t)} (${t.severity}) since ${iso(t.since)}`;
  }
  const value = `${t.metric}=${num(t.value)}`;
  if (t.kind === 'resolved')
    return `ALERT resolved ${t.rule} ${value} after ${formatDuration(t.timestamp - t.firedAt)}`;
  const cmp = comparisonOf(t);
  if (t.kind === 'repeat')
    return `ALERT still firing ${t.rule} ${value} ${cmp} (${t.severity}) for ${formatDuration(t.timestamp - t.firedAt)}`;
  return `ALERT firing ${t.rule} ${value} ${cmp} (${t.severity}) since ${iso(t.since)}`;
}

export const consoleChannel: NotifyChannel & { sent: number } = {
  name: 'console',
  sent: 0,
  send(transitions) {
    for (const t of transitions) {
      let line: string;
      try {
        line = formatAlert(t);
      } catch (err) {
        log.error('NOTIFICATION DROPPED: it cannot be rendered', {
          rule: t.rule,
          state: t.kind,
          key: keyOf(t),
          error: String(err),
        });
        continue;
      }
      log.info(line, { rule: t.rule, state: t.kind, severity: t.severity });
      this.sent++;
    }
  },
};
