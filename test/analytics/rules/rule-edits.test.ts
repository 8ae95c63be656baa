// SPEC "Rule edits", "The current state is always told" and "Time only moves forward for rules":
// the rules and the announcer stepped together as the app steps them (judge, offer, tick with the
// current firings, reload, restart from what was saved), with an injected clock.
import test from 'ava';
import { Announcer, HISTORY_MS, type AnnouncedRule } from '../../../apps/analytics/notify/announce.js';
import { Alerting, keyOf, type Transition } from '../../../apps/analytics/rules/alerting.js';
import { parseRules } from '../../../apps/analytics/rules/load-rules.js';
import type { Rule } from '../../../apps/analytics/rules/rule.js';
import { roundTrip } from '../../helpers.js';

const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);
const SEC = 1000;
const HIGH_CPU = 'rules: [{ name: high_cpu, metric: cpu, above: 80, flap: off }]';

const announced = (rules: Rule[]): AnnouncedRule[] =>
  rules.map((r) => ({ name: r.name, flap: r.flap, repeatMs: r.repeatMs }));

/** The app's loop in small: every notice told, as `kind rule (reason)`, with the transitions kept for keys. */
function app(yaml: string) {
  let rules = parseRules('rules.yaml', yaml);
  let alerting = new Alerting(rules, T0);
  let announcer = new Announcer(announced(rules));
  const told: Transition[] = [];
  const turn = (now: number): void => {
    told.push(...announcer.offer(alerting.take(), now).notices);
    told.push(...announcer.tick(now), ...announcer.reconcile(alerting.currentFirings(), now));
  };
  return {
    told,
    said: (): string[] => told.map((t) => `${t.kind} ${t.rule}${t.reason ? ` (${t.reason})` : ''}`),
    /** A row stamped `stamp` read at wall-clock `now`. */
    sample(cpu: number, now: number, stamp = now): void {
      alerting.onSample(stamp, cpu, 50);
      alerting.onArrival(now);
      turn(now);
    },
    edit(next: string, now: number): void {
      rules = parseRules('rules.yaml', next);
      alerting.replace(rules);
      told.push(...announcer.replace(announced(rules), now));
      turn(now);
    },
    /** Everything in memory dropped; back from what was saved, with the rules file as it is now (or `next`). */
    restart(now: number, next?: string): void {
      const saved = roundTrip({ alerts: alerting.save(), announce: announcer.save() });
      if (next) rules = parseRules('rules.yaml', next);
      alerting = new Alerting(rules, now);
      alerting.restore(saved.alerts);
      announcer = new Announcer(announced(rules), saved.announce);
      told.push(...announcer.replace(announced(rules), now));
      turn(now);
    },
  };
}

test('an edit of repeat or severity alone keeps the episode: no second firing, one resolve with the new severity', (t) => {
  const a = app(HIGH_CPU);
  a.sample(95, T0);
  a.edit('rules: [{ name: high_cpu, metric: cpu, above: 80, flap: off, repeat: 1h, severity: critical }]', T0 + SEC);
  a.sample(96, T0 + 2 * SEC);
  a.sample(10, T0 + 3 * SEC);
  t.deepEqual(a.said(), ['firing high_cpu', 'resolved high_cpu']);
  t.is(a.told[1]!.severity, 'critical');
  t.is(keyOf(a.told[1]!), keyOf({ ...a.told[0]!, kind: 'resolved' }), 'the same episode');
});

test('a threshold raised above the value while firing ends the firing with one resolve (rule changed)', (t) => {
  const a = app(HIGH_CPU);
  a.sample(95, T0);
  a.edit('rules: [{ name: high_cpu, metric: cpu, above: 99, flap: off }]', T0 + SEC);
  t.deepEqual(a.said(), ['firing high_cpu'], 'judged at the next sample, not at the edit');
  a.sample(95, T0 + 2 * SEC);
  a.sample(95, T0 + 3 * SEC);
  a.sample(99.5, T0 + 4 * SEC);
  t.deepEqual(a.said(), ['firing high_cpu', 'resolved high_cpu (rule changed)', 'firing high_cpu']);
  t.not(keyOf(a.told[2]!), keyOf(a.told[0]!), 'a new episode');
});

test('a changed condition that still fires at once goes on as the same episode, silently', (t) => {
  const a = app(HIGH_CPU);
  a.sample(95, T0);
  a.edit('rules: [{ name: high_cpu, metric: cpu, above: 85, clear: 70, flap: off }]', T0 + SEC);
  a.sample(95, T0 + 2 * SEC);
  a.sample(75, T0 + 3 * SEC); // above the new clear: still firing
  a.sample(60, T0 + 4 * SEC);
  t.deepEqual(a.said(), ['firing high_cpu', 'resolved high_cpu']);
  t.is(keyOf(a.told[1]!), keyOf({ ...a.told[0]!, kind: 'resolved' }));
});

test('a changed condition with a `for` it has not yet met resolves: the firing no longer holds', (t) => {
  const a = app(HIGH_CPU);
  a.sample(95, T0);
  a.edit('rules: [{ name: high_cpu, metric: cpu, above: 80, for: 10s, flap: off }]', T0 + SEC);
  a.sample(95, T0 + 2 * SEC);
  a.sample(95, T0 + 12 * SEC);
  t.deepEqual(a.said(), ['firing high_cpu', 'resolved high_cpu (rule changed)', 'firing high_cpu']);
});

test('removing a firing rule sends one resolve (rule removed); removing a quiet one sends nothing', (t) => {
  const a = app(
    'rules: [{ name: high_cpu, metric: cpu, above: 80, flap: off }, { name: low_cpu, metric: cpu, below: 5, flap: off }]',
  );
  a.sample(95, T0);
  a.edit('rules: []', T0 + SEC);
  a.sample(95, T0 + 2 * SEC);
  t.deepEqual(a.said(), ['firing high_cpu', 'resolved high_cpu (rule removed)']);
  t.is(a.told[1]!.timestamp, T0 + SEC);
});

test('an edit then a restart at once (kill -9 50 ms later): nothing told twice, nothing lost', (t) => {
  const repeatOnly = app(HIGH_CPU);
  repeatOnly.sample(95, T0);
  repeatOnly.edit('rules: [{ name: high_cpu, metric: cpu, above: 80, flap: off, repeat: 1h }]', T0 + SEC);
  repeatOnly.restart(T0 + SEC + 50);
  repeatOnly.sample(95, T0 + 3 * SEC);
  t.deepEqual(repeatOnly.said(), ['firing high_cpu']);

  // the edit lands while the app is down: the restart judges the changed condition afresh
  const whileDown = app(HIGH_CPU);
  whileDown.sample(95, T0);
  whileDown.restart(T0 + 5 * SEC, 'rules: [{ name: high_cpu, metric: cpu, above: 99, flap: off }]');
  whileDown.sample(95, T0 + 6 * SEC);
  whileDown.sample(95, T0 + 7 * SEC);
  t.deepEqual(whileDown.said(), ['firing high_cpu', 'resolved high_cpu (rule changed)']);

  // removed while down
  const removed = app(HIGH_CPU);
  removed.sample(95, T0);
  removed.restart(T0 + 5 * SEC, 'rules: []');
  t.deepEqual(removed.said(), ['firing high_cpu', 'resolved high_cpu (rule removed)']);
});

test('an incident that began during an outage of more than 10 min is told once, with since when it fires', (t) => {
  const a = app(HIGH_CPU);
  const now = T0 + 20 * 60 * SEC;
  // 15 min of cpu=95 written while analytics was stopped, read at once when it starts: it fired
  // on a sample 20 min old (history), and fires on the latest, 5 min old (current)
  for (let s = 0; s <= 15 * 60; s += 10) a.sample(95, now, T0 + s * SEC);
  t.deepEqual(a.said(), ['firing high_cpu']);
  t.is(a.told[0]!.since, T0, 'since the first sample over the threshold');
  a.sample(95, now + SEC);
  t.deepEqual(a.said(), ['firing high_cpu'], 'told once');
  a.sample(10, now + 2 * SEC);
  t.deepEqual(a.said(), ['firing high_cpu', 'resolved high_cpu']);
});

test('a firing still on old samples is not told until a current one comes', (t) => {
  const a = app(HIGH_CPU);
  const now = T0 + HISTORY_MS + 60 * SEC;
  a.sample(95, now, T0);
  a.sample(95, now, T0 + SEC);
  t.deepEqual(a.said(), []);
});

test('a stray row stamped an hour ago is judged at the latest time: no history firing, no `for` started in the past', (t) => {
  const a = app('rules: [{ name: slow, metric: cpu, above: 80, for: 5s, flap: off }]');
  a.sample(30, T0);
  a.sample(95, T0 + SEC, T0 - 3600 * SEC); // the stray row
  a.sample(95, T0 + 2 * SEC);
  t.deepEqual(a.said(), [], 'pending since the latest time, not an hour ago');
  a.sample(95, T0 + 6 * SEC);
  t.deepEqual(a.said(), ['firing slow']);
  t.is(a.told[0]!.since, T0, 'since the stray row, judged at the latest time then');
  const b = app(HIGH_CPU);
  b.sample(30, T0);
  b.sample(95, T0 + SEC, T0 - 3600 * SEC);
  t.deepEqual(b.said(), ['firing high_cpu'], 'told, not held back as history');
});

test('a rule removed and added again goes on counting its episodes, across a restart too: keys never repeat', (t) => {
  const a = app(HIGH_CPU);
  a.sample(95, T0);
  a.sample(10, T0 + SEC);
  a.edit('rules: []', T0 + 2 * SEC);
  a.edit(HIGH_CPU, T0 + 3 * SEC);
  a.sample(95, T0 + 4 * SEC, T0 + SEC); // judged at the latest time: the same millisecond as the first episode's end
  a.edit('rules: []', T0 + 5 * SEC);
  a.restart(T0 + 6 * SEC, HIGH_CPU);
  a.sample(10, T0 + 7 * SEC, T0 + SEC);
  a.sample(95, T0 + 8 * SEC, T0 + SEC);
  const keys = a.told.map(keyOf);
  t.is(new Set(keys).size, keys.length, keys.join(' '));
  t.deepEqual(
    a.told.map((n) => n.episode),
    [1, 1, 2, 2, 3],
  );
});

test('removal after a resolve sends nothing; removal after flapping settled firing sends one resolve', (t) => {
  const resolved = app(HIGH_CPU);
  resolved.sample(95, T0);
  resolved.sample(10, T0 + SEC);
  resolved.edit('rules: []', T0 + 2 * SEC);
  t.deepEqual(resolved.said(), ['firing high_cpu', 'resolved high_cpu']);

  const settled = app('rules: [{ name: high_cpu, metric: cpu, above: 80, flap: { changes: 2, window: 1m } }]');
  [95, 10, 95].forEach((cpu, i) => settled.sample(cpu, T0 + i * SEC));
  settled.sample(95, T0 + 62 * SEC);
  settled.edit('rules: []', T0 + 63 * SEC);
  t.deepEqual(settled.said(), [
    'firing high_cpu',
    'flapping high_cpu',
    'settled high_cpu',
    'resolved high_cpu (rule removed)',
  ]);
});

test('a condition edit ends a flapping rule with one resolve (rule changed), then changes are told and counted afresh', (t) => {
  const flap = '{ changes: 2, window: 1m }';
  const a = app(`rules: [{ name: high_cpu, metric: cpu, above: 80, flap: ${flap} }]`);
  [95, 10, 95].forEach((cpu, i) => a.sample(cpu, T0 + i * SEC));
  a.edit(`rules: [{ name: high_cpu, metric: cpu, above: 99, flap: ${flap} }]`, T0 + 3 * SEC);
  a.sample(95, T0 + 4 * SEC);
  t.deepEqual(a.said(), ['firing high_cpu', 'flapping high_cpu', 'resolved high_cpu (rule changed)']);
  a.sample(99.5, T0 + 100 * SEC);
  a.sample(10, T0 + 200 * SEC);
  t.deepEqual(a.said().slice(3), ['firing high_cpu', 'resolved high_cpu']);
});

test('a firing held back as history and ended by a condition edit: nothing is told', (t) => {
  const a = app(HIGH_CPU);
  a.sample(95, T0, T0 - HISTORY_MS - SEC);
  a.edit('rules: [{ name: high_cpu, metric: cpu, above: 99, flap: off }]', T0 + SEC);
  a.sample(95, T0 + 2 * SEC);
  t.deepEqual(a.said(), []);
});
