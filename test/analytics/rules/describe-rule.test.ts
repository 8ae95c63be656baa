// One rendering of a rule's condition for the console, email, Alertmanager, the dashboard and export.
import test from 'ava';
import { comparisonOf, conditionOf, describeRule } from '../../../apps/analytics/rules/describe-rule.js';
import { parseRules } from '../../../apps/analytics/rules/load-rules.js';

test('a condition in words, for every kind of rule', (t) => {
  const rules = parseRules(
    'r.yaml',
    `rules:
  - { name: a, metric: cpu, above: 80 }
  - { name: b, metric: cpu, above: 80, clear: 75, for: 5s }
  - { name: c, metric: ram, below: 10, clear: 15 }
  - { name: d, metric: cpu, above: 70, over: 1m, aggregate: avg }
  - { name: e, metric: ram, below: 5, clear: 5 }
  - { name: f, absent: 10s }
`,
  );
  t.deepEqual(
    rules.map((r) => describeRule(conditionOf(r))),
    [
      'cpu > 80',
      'cpu > 80 (clears at ≤ 75) for 5s',
      'ram < 10 (clears at ≥ 15)',
      'avg cpu over 1m > 70',
      'ram < 5',
      'no sample for 10s',
    ],
  );
  t.is(comparisonOf(conditionOf(rules[2]!)), '< 10');
  t.is(describeRule({ op: 'above', metric: 'cpu', threshold: 90 }), 'cpu > 90', 'what a notification carries');
});
