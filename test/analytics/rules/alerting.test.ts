// The rules' state (alerting.ts) as the app and the dashboard read it: counts, what fires, edits
// reported, absent rules edited while firing, and a restart's state, old files included.
import test from 'ava';
import { Alerting } from '../../../apps/analytics/rules/alerting.js';
import { parseRules } from '../../../apps/analytics/rules/load-rules.js';
import { roundTrip } from '../../helpers.js';

const NOW = Date.UTC(2026, 11, 5);
const SEC = 1000;
const TWO =
  'rules: [{ name: hot, metric: cpu, above: 80, flap: off }, { name: full, metric: ram, above: 90 }, { name: quiet, absent: 10s }]';

test('counts and the firing rules: only those firing, with their states', (t) => {
  const alerting = new Alerting(parseRules('r.yaml', TWO), NOW);
  t.is(alerting.ruleCount, 3);
  alerting.onSample(NOW, 95, 50);
  t.deepEqual(
    alerting.firing().map((f) => [f.rule.name, f.state.phase]),
    [['hot', 'firing']],
  );
  t.is(alerting.firingCount, 1);
  t.deepEqual(
    [...alerting.states()].map(([name, s]) => `${name} ${s.phase}`),
    ['hot firing', 'full inactive', 'quiet inactive'],
  );
  const [fired] = alerting.take();
  t.deepEqual([fired!.metric, fired!.op, fired!.threshold], ['cpu', 'above', 80]);
});

test('what an edit changed: added, changed (any field), removed; an identical file changes nothing', (t) => {
  const alerting = new Alerting(parseRules('r.yaml', TWO), NOW);
  t.deepEqual(alerting.replace(parseRules('r.yaml', TWO)), { added: [], changed: [], removed: [] });
  t.deepEqual(
    alerting.replace(
      parseRules(
        'r.yaml',
        'rules: [{ name: hot, metric: cpu, above: 80, flap: off, severity: critical }, { name: full, metric: ram, above: 95 }, { name: new, metric: cpu, below: 5 }]',
      ),
    ),
    { added: ['new'], changed: ['hot', 'full'], removed: ['quiet'] },
  );
});

test('an absent rule edited while firing is judged afresh: resolved (rule changed) when the new one does not hold', (t) => {
  const alerting = new Alerting(parseRules('r.yaml', 'rules: [{ name: quiet, absent: 10s }]'), NOW);
  alerting.tick(NOW + 15 * SEC);
  alerting.replace(parseRules('r.yaml', 'rules: [{ name: quiet, absent: 1m }]'));
  alerting.tick(NOW + 16 * SEC);
  t.deepEqual(
    alerting.take().map((x) => `${x.kind}${x.reason ? ` (${x.reason})` : ''}`),
    ['firing', 'resolved (rule changed)'],
  );
});

test('a restart keeps the last value judged; a state file from before retired episodes were saved still loads', (t) => {
  const rules = parseRules('r.yaml', TWO);
  const before = new Alerting(rules, NOW);
  before.onSample(NOW, 95.5, 50);
  const saved = roundTrip(before.save());
  const after = new Alerting(rules, NOW + SEC);
  after.restore(saved);
  t.is(after.currentFirings()[0]!.value, 95.5);
  const { retired: _retired, ...older } = saved;
  const old = new Alerting(parseRules('r.yaml', 'rules: [{ name: other, metric: cpu, above: 80 }]'), NOW);
  t.notThrows(() => old.restore(older));
});

test('a rule removed while the app was down and added again later goes on counting its episodes', (t) => {
  const rules = parseRules('r.yaml', TWO);
  const first = new Alerting(rules, NOW);
  first.onSample(NOW, 95, 50);
  const [fired] = first.take();
  const restarted = new Alerting(parseRules('r.yaml', 'rules: []'), NOW + SEC);
  restarted.restore(roundTrip(first.save()));
  restarted.replace(rules);
  restarted.onSample(NOW + 2 * SEC, 95, 50);
  const [again] = restarted.take();
  t.is(fired!.episode, 1);
  t.is(again!.episode, 2);
});
