// Flapping, history and restarts of what is announced, stepped with an injected wall clock.
import test from 'ava';
import { Announcer, HISTORY_MS, type AnnouncedRule } from '../../../apps/analytics/notify/announce.js';
import { Alerting, keyOf, type Transition } from '../../../apps/analytics/rules/alerting.js';
import { parseRules } from '../../../apps/analytics/rules/load-rules.js';
import type { Rule } from '../../../apps/analytics/rules/rule.js';
import { roundTrip } from '../../helpers.js';

const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);
const SEC = 1000;

const announced = (rules: Rule[]): AnnouncedRule[] =>
  rules.map((r) => ({ name: r.name, flap: r.flap, repeatMs: r.repeatMs }));

/** A rule, its alerting and its announcer; `sample(value, now)` judges one sample stamped `now` and ticks. */
function harness(yaml: string) {
  const rules = parseRules('rules.yaml', yaml);
  const alerting = new Alerting(rules, NOW);
  let announcer = new Announcer(announced(rules));
  const step = (now: number, judge: () => void): Transition[] => {
    judge();
    const { notices } = announcer.offer(alerting.take(), now);
    return [...notices, ...announcer.tick(now)];
  };
  return {
    sample: (value: number, now: number, stamp = now): Transition[] =>
      step(now, () => alerting.onSample(stamp, value, 50)),
    tick: (now: number): Transition[] => step(now, () => alerting.tick(now)),
    restart: (): void => {
      announcer = new Announcer(announced(rules), roundTrip(announcer.save()));
    },
    announcer: () => announcer,
  };
}

const kinds = (notices: Transition[]): string[] =>
  notices.map((n) =>
    n.flap ? `${n.kind}(${n.flap.changes}${n.kind === 'settled' ? (n.flap.firing ? ',firing' : ',ok') : ''})` : n.kind,
  );

test('flapping: enter on the 6th change within the window, hold back, settle after a quiet window', (t) => {
  const h = harness('rules: [{ name: r, metric: cpu, above: 80, flap: { changes: 6, window: 10m } }]');
  // [seconds from NOW, cpu] → notices
  const table: [number, number, string[]][] = [
    [0, 90, ['firing']],
    [10, 50, ['resolved']],
    [20, 90, ['firing']],
    [30, 50, ['resolved']],
    [40, 90, ['firing']],
    [50, 50, ['flapping(6)']], // the 6th change within 10m
    [60, 90, []], // held back
    [70, 50, []],
    [80, 90, []],
    [80 + 599, 95, []], // still within a window of the last change
    [80 + 600, 96, ['settled(3,firing)']], // 10m without a change: the state it is in now, 3 held back
    [700, 50, ['resolved']], // announced one by one again
  ];
  for (const [s, cpu, expected] of table)
    t.deepEqual(kinds(h.sample(cpu, NOW + s * SEC)), expected, `at ${s}s, cpu ${cpu}`);
});

test('flapping: changes spread wider than the window never count as flapping', (t) => {
  const h = harness('rules: [{ name: r, metric: cpu, above: 80, flap: { changes: 3, window: 1m } }]');
  const out: string[] = [];
  for (let i = 0; i < 10; i++) out.push(...kinds(h.sample(i % 2 ? 50 : 90, NOW + i * 31 * SEC)));
  t.deepEqual(out, [
    'firing',
    'resolved',
    'firing',
    'resolved',
    'firing',
    'resolved',
    'firing',
    'resolved',
    'firing',
    'resolved',
  ]);
});

test('flapping with repeat: one summary per repeat with the changes since the last one', (t) => {
  const h = harness('rules: [{ name: r, metric: cpu, above: 80, repeat: 1m, flap: { changes: 2, window: 5m } }]');
  t.deepEqual(kinds(h.sample(90, NOW)), ['firing']);
  t.deepEqual(kinds(h.sample(50, NOW + SEC)), ['flapping(2)']);
  for (let i = 2; i < 50; i++) t.deepEqual(kinds(h.sample(i % 2 ? 50 : 90, NOW + i * SEC)), []);
  t.deepEqual(kinds(h.sample(90, NOW + 61 * SEC)), ['flapping-summary(49)']);
  t.deepEqual(kinds(h.tick(NOW + 100 * SEC)), []);
  t.is(h.announcer().nextDue(), NOW + 121 * SEC, 'the next summary, a repeat after the last');
  t.deepEqual(kinds(h.tick(NOW + 121 * SEC - 1)), []);
  t.deepEqual(kinds(h.tick(NOW + 121 * SEC)), ['flapping-summary(0)']);
  for (const at of [181, 241, 301]) {
    t.is(h.announcer().nextDue(), NOW + at * SEC);
    t.deepEqual(kinds(h.tick(NOW + at * SEC)), ['flapping-summary(0)']);
  }
  // no change since NOW + 61 s: it settles a window after that
  t.is(h.announcer().nextDue(), NOW + 61 * SEC + 5 * 60 * SEC);
  t.deepEqual(kinds(h.tick(NOW + 361 * SEC - 1)), []);
  t.deepEqual(kinds(h.tick(NOW + 361 * SEC)), ['settled(49,firing)'], 'settled: every change held back');
  t.is(h.announcer().nextDue(), Infinity, 'nothing flaps: only a change can bring a notice');
});

test('flap: off announces every change', (t) => {
  const h = harness('rules: [{ name: r, metric: cpu, above: 80, flap: off }]');
  const out: string[] = [];
  for (let i = 0; i < 20; i++) out.push(...kinds(h.sample(i % 2 ? 50 : 90, NOW + i * SEC)));
  t.is(out.length, 20);
  t.false(out.some((k) => k.startsWith('flapping')));
});

test('a 1 Hz signal hovering around the threshold notifies at most changes + 2 times in 10 minutes', (t) => {
  const h = harness('rules: [{ name: r, metric: cpu, above: 80, repeat: 30m }]'); // default flap, no clear
  let notices = 0;
  for (let i = 0; i < 600; i++) notices += h.sample(80 + Math.sin(i / 3) * 2, NOW + i * SEC).length;
  t.true(notices <= 6 + 2, `${notices} notifications`);
  t.true(h.announcer().isFlapping('r'));
});

test('flapping state survives a restart: no second flapping notice, the settle still comes', (t) => {
  const h = harness('rules: [{ name: r, metric: cpu, above: 80, flap: { changes: 2, window: 1m } }]');
  h.sample(90, NOW);
  t.deepEqual(kinds(h.sample(50, NOW + SEC)), ['flapping(2)']);
  h.sample(90, NOW + 2 * SEC);
  h.restart();
  t.deepEqual(kinds(h.sample(50, NOW + 3 * SEC)), []);
  t.deepEqual(kinds(h.tick(NOW + 63 * SEC)), ['settled(2,ok)']);
});

test('history: transitions of samples older than 10 minutes are recorded, not announced; a resolve of an announced firing is', (t) => {
  const rules = parseRules('r.yaml', 'rules: [{ name: r, metric: cpu, above: 80 }]');
  const alerting = new Alerting(rules, NOW);
  const announcer = new Announcer(announced(rules));
  const old = NOW - HISTORY_MS - SEC;
  // 39 three-hour-old episodes read after an outage: nothing to announce
  for (let i = 0; i < 39; i++)
    [90, 50].forEach((v, j) => alerting.onSample(NOW - 3 * 3600 * SEC + i * 10 * SEC + j * SEC, v, 50));
  const first = announcer.offer(alerting.take(), NOW);
  t.deepEqual(first, { notices: [], history: 78 });
  t.false(announcer.isAnnouncedFiring('r'));
  // fired recently and announced; its resolve arrives late (an old sample after a stop): still announced
  alerting.onSample(NOW - SEC, 90, 50);
  t.deepEqual(kinds(announcer.offer(alerting.take(), NOW).notices), ['firing']);
  t.true(announcer.isAnnouncedFiring('r'), 'announced: Alertmanager re-sends it');
  alerting.onSample(old + 2 * HISTORY_MS, 50, 50);
  t.deepEqual(kinds(announcer.offer(alerting.take(), NOW + 2 * HISTORY_MS + HISTORY_MS).notices), ['resolved']);
  // an old firing and a fresh resolve (read by a fresh start): nothing, the user never heard of the firing
  const fresh = new Alerting(rules, NOW);
  fresh.onSample(old, 90, 50);
  fresh.onSample(NOW, 50, 50);
  t.deepEqual(announcer.offer(fresh.take(), NOW), { notices: [], history: 1 });
});

test('idempotency keys: rows sharing one millisecond give distinct episodes (cpu 95, 10, 95, 10)', (t) => {
  const rules = parseRules('r.yaml', 'rules: [{ name: r, metric: cpu, above: 80, flap: off }]');
  const alerting = new Alerting(rules, NOW);
  for (const cpu of [95, 10, 95, 10]) alerting.onSample(NOW, cpu, 50);
  const keys = alerting.take().map(keyOf);
  t.is(new Set(keys).size, 4, keys.join(' '));
  // the episode counter survives a restart and a change of definition
  const saved = roundTrip(alerting.save());
  const changed = new Alerting(parseRules('r.yaml', 'rules: [{ name: r, metric: cpu, above: 85, flap: off }]'), NOW);
  changed.restore(saved);
  changed.onSample(NOW, 95, 50);
  t.false(keys.includes(keyOf(changed.take()[0]!)));
});

test('flap: a clock set back does not stall the settling (the quiet window restarts from the new time)', (t) => {
  const h = harness('rules: [{ name: r, metric: cpu, above: 80, flap: { changes: 4, window: 10m } }]');
  const said = [90, 50, 90, 50].flatMap((cpu, i) => kinds(h.sample(cpu, NOW + i * SEC)));
  t.deepEqual(said, ['firing', 'resolved', 'firing', 'flapping(4)']);
  const back = NOW - 3600 * SEC;
  t.deepEqual(kinds(h.tick(back)), []);
  t.deepEqual(kinds(h.tick(back + 600 * SEC)), ['settled(0,ok)']);
});

test('flap: changes told while the clock was ahead do not count once it is set back', (t) => {
  const h = harness('rules: [{ name: r, metric: cpu, above: 80, flap: { changes: 4, window: 10m } }]');
  const ahead = NOW + 3600 * SEC;
  const said = [90, 50, 90].flatMap((cpu, i) => kinds(h.sample(cpu, ahead + i * SEC)));
  t.deepEqual(said, ['firing', 'resolved', 'firing']);
  // the clock set back an hour: the fourth change is the first within its window, not the fourth
  t.deepEqual(kinds(h.sample(50, NOW, ahead + 3 * SEC)), ['resolved']);
});

test('an absent rule says how long there was no sample: firing after 15 s, resolved after 20 s', (t) => {
  const a = new Alerting(parseRules('r.yaml', 'rules: [{ name: gone, absent: 10s }]'), NOW);
  a.tick(NOW + 15 * SEC);
  a.onArrival(NOW + 20 * SEC);
  t.deepEqual(
    a.take().map((n) => `${n.kind}:${n.value}`),
    ['firing:15000', 'resolved:20000'],
  );
});

test('flap notices: keys name the episode that started them; the count of flapping rules; when the next is due', (t) => {
  const h = harness('rules: [{ name: r, metric: cpu, above: 80, repeat: 1m, flap: { changes: 2, window: 5m } }]');
  h.sample(90, NOW);
  const [flapping] = h.sample(50, NOW + SEC);
  const trigger = flapping!.key!.replace(/:flapping$/, '');
  t.regex(trigger, /^r:\d+@\d+:resolved$/, 'the resolve that made it flap');
  t.true(h.announcer().isFlapping('r'));
  t.is(h.announcer().flappingCount, 1);
  t.false(h.announcer().isFlapping('other'));
  t.false(h.announcer().isAnnouncedFiring('other'));
  h.sample(90, NOW + 2 * SEC);
  const keys = [61, 121, 302 + 5 * 60].flatMap((s) => h.tick(NOW + s * SEC).map((n) => n.key));
  t.deepEqual(keys, [`${trigger}:summary:1`, `${trigger}:summary:2`, `${trigger}:settled`]);
  t.is(h.announcer().flappingCount, 0);

  const quiet = harness('rules: [{ name: q, metric: cpu, above: 80, flap: { changes: 2, window: 5m } }]');
  quiet.sample(90, NOW);
  quiet.sample(50, NOW + SEC);
  t.is(quiet.announcer().nextDue(), NOW + SEC + 5 * 60 * SEC, 'without repeat: only the settle is due');
});

test('flap window: a change exactly one window ago no longer counts; two changes in one millisecond both do', (t) => {
  const rule = 'rules: [{ name: r, metric: cpu, above: 80, flap: { changes: 2, window: 10s } }]';
  const apart = harness(rule);
  t.deepEqual(
    [90, 50].flatMap((cpu, i) => kinds(apart.sample(cpu, NOW + i * 10 * SEC))),
    ['firing', 'resolved'],
  );
  const together = harness(rule);
  t.deepEqual(
    [90, 50].flatMap((cpu, i) => kinds(together.sample(cpu, NOW, NOW + i))),
    ['firing', 'flapping(2)'],
  );
});

test('repeat reminders: told while the firing is; not for a firing never told; not counted as changes while flapping', (t) => {
  const h = harness('rules: [{ name: r, metric: cpu, above: 80, repeat: 1m, flap: off }]');
  t.deepEqual(
    [95, 95, 50].flatMap((cpu, i) => kinds(h.sample(cpu, NOW + i * 61 * SEC))),
    ['firing', 'repeat', 'resolved'],
  );
  const late = harness('rules: [{ name: r, metric: cpu, above: 80, repeat: 1m, flap: off }]');
  t.deepEqual(kinds(late.sample(95, NOW, NOW - HISTORY_MS - SEC)), [], 'history');
  t.deepEqual(kinds(late.sample(95, NOW + 61 * SEC)), [], 'its reminder: the firing is told by reconcile, once');
  const flapping = harness(
    'rules: [{ name: r, metric: cpu, above: 80, repeat: 1m, flap: { changes: 2, window: 5m } }]',
  );
  flapping.sample(90, NOW);
  flapping.sample(50, NOW + SEC);
  const said: string[] = [];
  for (let s = 2; s <= 122; s++) said.push(...kinds(flapping.sample(90, NOW + s * SEC)));
  t.deepEqual(said, ['flapping-summary(1)', 'flapping-summary(0)'], 'one change held back: the reminders are not');
});

test('history: the boundary is 10 minutes to the millisecond, for transitions and for current firings', (t) => {
  const rules = parseRules('r.yaml', 'rules: [{ name: r, metric: cpu, above: 80 }]');
  const edge = new Alerting(rules, NOW);
  edge.onSample(NOW - HISTORY_MS, 90, 50);
  t.deepEqual(kinds(new Announcer(announced(rules)).offer(edge.take(), NOW).notices), ['firing']);
  const past = new Alerting(rules, NOW);
  past.onSample(NOW - HISTORY_MS - 1, 90, 50);
  const announcer = new Announcer(announced(rules));
  t.deepEqual(announcer.offer(past.take(), NOW), { notices: [], history: 1 });
  t.deepEqual(announcer.reconcile(past.currentFirings(), NOW), [], 'not current at NOW');
  t.deepEqual(kinds(announcer.reconcile(past.currentFirings(), NOW - 1)), ['firing'], 'current 10 min after it');
});

test('an absent rule is stamped with the wall clock: its transitions are never history', (t) => {
  const rules = parseRules('r.yaml', 'rules: [{ name: gone, absent: 10s }]');
  const alerting = new Alerting(rules, NOW - HISTORY_MS - 20 * SEC);
  alerting.tick(NOW - HISTORY_MS - SEC);
  t.deepEqual(kinds(new Announcer(announced(rules)).offer(alerting.take(), NOW).notices), ['firing']);
});

test('a rule no longer loaded: its transitions are not told, its saved state stays quiet until replace() ends it', (t) => {
  const h = harness('rules: [{ name: r, metric: cpu, above: 80, flap: { changes: 2, window: 1m } }]');
  h.sample(90, NOW);
  h.sample(50, NOW + SEC);
  const rules = parseRules(
    'r.yaml',
    'rules: [{ name: r, metric: cpu, above: 80 }, { name: q, metric: cpu, above: 80 }]',
  );
  const alerting = new Alerting(rules, NOW);
  alerting.onSample(NOW, 90, 50);
  const unloaded = new Announcer([], roundTrip(h.announcer().save()));
  t.deepEqual(unloaded.offer(alerting.take(), NOW), { notices: [], history: 0 });
  t.deepEqual(unloaded.tick(NOW + 3600 * SEC), []);
  t.is(unloaded.nextDue(), Infinity);
  t.deepEqual(kinds(unloaded.replace([], NOW + 3600 * SEC)), ['resolved']);
});

test('a firing ended by a condition edit is no longer announced firing (Alertmanager stops re-sending it)', (t) => {
  const rules = parseRules('r.yaml', 'rules: [{ name: r, metric: cpu, above: 80, flap: off }]');
  const alerting = new Alerting(rules, NOW);
  const announcer = new Announcer(announced(rules));
  alerting.onSample(NOW, 95, 50);
  announcer.offer(alerting.take(), NOW);
  t.true(announcer.isAnnouncedFiring('r'));
  const edited = parseRules('r.yaml', 'rules: [{ name: r, metric: cpu, above: 99, flap: off }]');
  alerting.replace(edited);
  announcer.replace(announced(edited), NOW + SEC);
  alerting.onSample(NOW + 2 * SEC, 95, 50);
  const { notices } = announcer.offer(alerting.take(), NOW + 2 * SEC);
  t.deepEqual(
    notices.map((n) => `${n.kind} (${n.reason})`),
    ['resolved (rule changed)'],
  );
  t.false(announcer.isAnnouncedFiring('r'));
});
