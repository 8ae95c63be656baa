// One email for a batch of transitions: the subject names the count, the worst severity and the
// rules; plain-text and HTML bodies list each with value, threshold, time and host.
import type { Severity } from '../../../common/config.js';
import { iso } from '../../../common/clock.js';
import type { Transition } from '../rules/alerting.js';
import { comparisonOf, describeRule } from '../rules/describe-rule.js';
import { formatDuration } from '../rules/duration.js';

export const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

export interface Digest {
  subject: string;
  text: string;
  html: string;
}

export interface Row {
  state: string;
  rule: string;
  value: string;
  threshold: string;
  severity: string;
  time: string;
}

const STATE_WORDS: Record<Transition['kind'], string> = {
  firing: 'firing',
  resolved: 'resolved',
  repeat: 'still firing',
  flapping: 'flapping',
  'flapping-summary': 'still flapping',
  settled: 'settled',
};

function stateOf(t: Transition): string {
  if (!t.flap) return t.reason ? `${STATE_WORDS[t.kind]} (${t.reason})` : STATE_WORDS[t.kind];
  const held = `${t.flap.changes} ${t.kind === 'flapping' ? `changes within ${formatDuration(t.flap.windowMs)}` : 'changes held back'}`;
  return `${STATE_WORDS[t.kind]}${t.kind === 'settled' ? ` (now ${t.flap.firing ? 'firing' : 'ok'})` : ''}: ${held}`;
}

/** One row of a digest; throws when the notification cannot be rendered (a time no Date holds). */
export function rowOf(t: Transition): Row {
  const state = stateOf(t);
  if (t.op === 'absent') {
    return {
      state,
      rule: t.rule,
      value: `no data for ${formatDuration(t.value)}`,
      threshold: describeRule(t),
      severity: t.severity,
      time: iso(t.timestamp),
    };
  }
  return {
    state,
    rule: t.rule,
    value: `${t.metric}=${t.value.toFixed(2)}`,
    threshold: comparisonOf(t),
    severity: t.severity,
    time: iso(t.timestamp),
  };
}

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

export function composeDigest(transitions: Transition[], host: string): Digest {
  const worst = transitions.reduce<Severity>(
    (w, t) => (SEVERITY_RANK[t.severity] > SEVERITY_RANK[w] ? t.severity : w),
    'info',
  );
  const rules = [...new Set(transitions.map((t) => t.rule))];
  const allResolved = transitions.every((t) => t.kind === 'resolved' || (t.kind === 'settled' && !t.flap?.firing));
  const count = transitions.length;
  const subject = `[telemetry] ${allResolved ? 'RESOLVED' : worst.toUpperCase()}: ${count} ${count === 1 ? 'alert' : 'alerts'} on ${host}: ${rules.join(', ')}`;
  const rows = transitions.map(rowOf);
  const text = [
    `${count} alert ${count === 1 ? 'notification' : 'notifications'} from ${host}:`,
    '',
    ...rows.map((r) => `${r.time}  ${r.state.padEnd(12)} ${r.rule}  ${r.value} (${r.threshold})  ${r.severity}`),
    '',
    `host: ${host}`,
  ].join('\n');
  const cells = (r: Row): string =>
    [r.time, r.state, r.rule, r.value, r.threshold, r.severity].map((c) => `<td>${escapeHtml(c)}</td>`).join('');
  const html = [
    `<p>${count} alert ${count === 1 ? 'notification' : 'notifications'} from <b>${escapeHtml(host)}</b></p>`,
    '<table border="1" cellpadding="4" cellspacing="0">',
    '<tr><th>time</th><th>state</th><th>rule</th><th>value</th><th>threshold</th><th>severity</th></tr>',
    ...rows.map((r) => `<tr>${cells(r)}</tr>`),
    '</table>',
  ].join('\n');
  return { subject, text, html };
}
