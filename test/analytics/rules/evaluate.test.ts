// Time-stepped tables (Prometheus TestKeepFiringFor style): base + i·interval, the value at each
// step, and the expected phase and notification after it.
import test from 'ava';
import { Alerting, keyOf, type Transition } from '../../../apps/analytics/rules/alerting.js';
import { parseRules } from '../../../apps/analytics/rules/load-rules.js';
import { MAX_WINDOW_SAMPLES, WindowAggregate } from '../../../apps/analytics/rules/window-aggregate.js';
import { roundTrip } from '../../helpers.js';

const BASE = 1_700_000_000_000;
const STEP = 1000;

type Row = [value: number, phase: 'inactive' | 'pending' | 'firing', notify?: Transition['kind']];

function runTable(
  t: import('ava').ExecutionContext,
  yaml: string,
  rows: Row[],
  metric: 'cpu' | 'ram' = 'cpu',
): Transition[] {
  const alerting = new Alerting(parseRules('rules.yaml', yaml), 0);
  const all: Transition[] = [];
  rows.forEach(([value, phase, notify], i) => {
    const ts = BASE + i * STEP;
    alerting.onSample(ts, metric === 'cpu' ? value : 50, metric === 'ram' ? value : 50);
    const out = alerting.take();
    all.push(...out);
    const state = Object.values(alerting.save().rules)[0]!.state;
    t.is(state.phase, phase, `step ${i} (value ${value}): phase`);
    t.deepEqual(
      out.map((o) => o.kind),
      notify ? [notify] : [],
      `step ${i} (value ${value}): notifications`,
    );
  });
  return all;
}

test('above: exactly the threshold does not fire; every sample is judged', (t) => {
  const out = runTable(t, 'rules: [{ name: r, metric: cpu, above: 80 }]', [
    [80, 'inactive'],
    [80.01, 'firing', 'firing'],
    [95, 'firing'],
    [80, 'inactive', 'resolved'],
    [81, 'firing', 'firing'],
    [10, 'inactive', 'resolved'],
  ]);
  t.deepEqual(
    out.map((o) => [o.kind, o.timestamp, o.value]),
    [
      ['firing', BASE + 1 * STEP, 80.01],
      ['resolved', BASE + 3 * STEP, 80],
      ['firing', BASE + 4 * STEP, 81],
      ['resolved', BASE + 5 * STEP, 10],
    ],
  );
});

test('for: pending until held that long by sample time; a dip resets it silently', (t) => {
  runTable(t, 'rules: [{ name: r, metric: cpu, above: 80, for: 2s }]', [
    [90, 'pending'],
    [90, 'pending'],
    [70, 'inactive'],
    [90, 'pending'],
    [91, 'pending'],
    [92, 'firing', 'firing'], // 2 s after the pending start
    [93, 'firing'],
    [50, 'inactive', 'resolved'],
  ]);
});

test('clear: resolves only back at or under clear (hysteresis)', (t) => {
  runTable(t, 'rules: [{ name: r, metric: cpu, above: 80, clear: 70 }]', [
    [85, 'firing', 'firing'],
    [79, 'firing'],
    [70.01, 'firing'],
    [70, 'inactive', 'resolved'],
    [75, 'inactive'],
  ]);
});

test('below with clear, on ram', (t) => {
  runTable(
    t,
    'rules: [{ name: r, metric: ram, below: 10, clear: 15 }]',
    [
      [10, 'inactive'],
      [9.99, 'firing', 'firing'],
      [14, 'firing'],
      [15, 'inactive', 'resolved'],
    ],
    'ram',
  );
});

test('repeat: re-notifies every repeat while firing, by sample time', (t) => {
  runTable(t, 'rules: [{ name: r, metric: cpu, above: 80, repeat: 2s }]', [
    [90, 'firing', 'firing'],
    [90, 'firing'],
    [90, 'firing', 'repeat'],
    [90, 'firing'],
    [90, 'firing', 'repeat'],
    [10, 'inactive', 'resolved'],
  ]);
});

test('over + aggregate avg: the mean of (t − over, t]', (t) => {
  // window 3 s holds the current and the two previous samples
  runTable(t, 'rules: [{ name: r, metric: cpu, above: 80, over: 3s, aggregate: avg }]', [
    [100, 'firing', 'firing'], // avg 100
    [60, 'inactive', 'resolved'], // avg 80: not above
    [81, 'firing', 'firing'], // avg (100+60+81)/3 = 80.33
    [79, 'inactive', 'resolved'], // avg (60+81+79)/3 = 73.3
    [100, 'firing', 'firing'], // (81+79+100)/3 = 86.7
  ]);
});

test('over + aggregate min and max', (t) => {
  runTable(t, 'rules: [{ name: r, metric: cpu, above: 80, over: 2s, aggregate: min }]', [
    [90, 'firing', 'firing'],
    [70, 'inactive', 'resolved'],
    [90, 'inactive'], // min(70, 90)
    [90, 'firing', 'firing'], // min(90, 90)
  ]);
  runTable(t, 'rules: [{ name: r, metric: cpu, below: 20, over: 2s, aggregate: max }]', [
    [10, 'firing', 'firing'],
    [30, 'inactive', 'resolved'],
    [10, 'inactive'], // max(30, 10)
    [10, 'firing', 'firing'],
  ]);
});

test('absent: fires after the wall-clock gap, repeats, resolves on the next sample; nextDue() names each moment', (t) => {
  const alerting = new Alerting(parseRules('r.yaml', 'rules: [{ name: no_data, absent: 10s, repeat: 30s }]'), 1_000);
  const kinds = (): string[] => alerting.take().map((o) => o.kind);
  t.is(alerting.nextDue(), 11_000);
  alerting.tick(10_999);
  t.deepEqual(kinds(), []);
  alerting.tick(11_000);
  t.deepEqual(kinds(), ['firing']);
  t.is(alerting.nextDue(), 41_000, 'the first reminder');
  alerting.tick(20_000);
  t.deepEqual(kinds(), []);
  alerting.tick(40_999);
  t.deepEqual(kinds(), []);
  alerting.tick(41_000);
  t.deepEqual(kinds(), ['repeat']);
  t.is(alerting.nextDue(), 71_000);
  alerting.onSample(BASE, 50, 50);
  alerting.onArrival(45_000);
  const resolved = alerting.take();
  t.deepEqual(
    resolved.map((o) => [o.kind, o.timestamp, o.since]),
    [['resolved', 45_000, 1_000]],
  );
  t.is(alerting.nextDue(), 55_000, 'absent again 10 s after the last sample');
  alerting.tick(54_999);
  t.deepEqual(kinds(), []);
  t.is(
    new Alerting(parseRules('r.yaml', 'rules: [{ name: hot, metric: cpu, above: 80 }]'), 1_000).nextDue(),
    Infinity,
    'thresholds change only on samples',
  );
});

test('idempotency keys name rule, episode and transition, and are stable on replay', (t) => {
  const yaml = 'rules: [{ name: r, metric: cpu, above: 80, repeat: 1s }]';
  const run = (): string[] => {
    const a = new Alerting(parseRules('r.yaml', yaml), 0);
    [90, 90, 10].forEach((v, i) => a.onSample(BASE + i * STEP, v, 0));
    return a.take().map(keyOf);
  };
  t.deepEqual(run(), [`r:1@${BASE}:firing`, `r:1@${BASE}:repeat:${BASE + STEP}`, `r:1@${BASE}:resolved`]);
  t.deepEqual(run(), run());
});

test('reload: unchanged rules keep state, a changed one that still fires goes on silently, removed ones go', (t) => {
  const a = new Alerting(
    parseRules(
      'r.yaml',
      'rules: [{ name: cpu, metric: cpu, above: 80 }, { name: ram, metric: ram, above: 80 }, { name: gone, metric: cpu, above: 10 }]',
    ),
    0,
  );
  a.onSample(BASE, 90, 90);
  t.is(a.take().length, 3);
  const change = a.replace(
    parseRules(
      'r.yaml',
      'rules: [{ name: cpu, metric: cpu, above: 80 }, { name: ram, metric: ram, above: 85 }, { name: new, metric: cpu, above: 95 }]',
    ),
  );
  t.deepEqual(change, { added: ['new'], changed: ['ram'], removed: ['gone'] });
  t.deepEqual(a.take(), []);
  const states = a.save().rules;
  t.is(states.cpu!.state.phase, 'firing');
  t.is(states.ram!.state.phase, 'firing', 'judged afresh at the next sample');
  t.true(states.ram!.rejudge);
  a.onSample(BASE + STEP, 90, 90);
  t.deepEqual(a.take(), [], 'ram 90 > 85: the same episode goes on');
  a.onSample(BASE + 2 * STEP, 90, 84);
  t.deepEqual(
    a.take().map((o) => `${o.rule}:${o.kind}`),
    ['ram:resolved'],
  );
});

test('save and restore continue the episode: no second firing, windows kept', (t) => {
  const yaml = 'rules: [{ name: r, metric: cpu, above: 80, over: 5s, aggregate: avg }]';
  const a = new Alerting(parseRules('r.yaml', yaml), 0);
  [100, 90].forEach((v, i) => a.onSample(BASE + i * STEP, v, 0));
  t.deepEqual(
    a.take().map((o) => o.kind),
    ['firing'],
  );
  const b = new Alerting(parseRules('r.yaml', yaml), 0);
  b.restore(roundTrip(a.save()));
  b.onSample(BASE + 2 * STEP, 65, 0); // avg (100+90+65)/3 = 85 with the window kept; 65 without it
  t.deepEqual(
    b.take().map((o) => o.kind),
    [],
  );
  b.onSample(BASE + 3 * STEP, 0, 0); // avg 63.75
  t.deepEqual(
    b.take().map((o) => o.kind),
    ['resolved'],
  );
});

test('over: a row stamped earlier than one judged enters the window at the latest time, never reaching back', (t) => {
  const a = new Alerting(
    parseRules('r.yaml', 'rules: [{ name: r, metric: cpu, above: 80, over: 10s, aggregate: avg }]'),
    0,
  );
  a.onSample(BASE + 5000, 100, 0);
  t.deepEqual(
    a.take().map((o) => o.kind),
    ['firing'],
  );
  a.onSample(BASE, 10, 0); // judged at BASE + 5000: the window's mean is (100 + 10) / 2
  t.deepEqual(
    a.take().map((o) => `${o.kind}@${o.timestamp}:${o.value}`),
    [`resolved@${BASE + 5000}:55`],
  );
  t.true(a.save().rules.r!.window!.every(([at]) => at === BASE + 5000));
});

test('a window holds at most MAX_WINDOW_SAMPLES milliseconds: only then do the oldest leave early, memory stays bounded', (t) => {
  const w = new WindowAggregate('avg', 3_600_000);
  for (let i = 0; i < MAX_WINDOW_SAMPLES; i++) w.push(BASE + i, 0);
  t.is(w.push(BASE + MAX_WINDOW_SAMPLES, 100), 100 / MAX_WINDOW_SAMPLES, 'the oldest millisecond left to make room');
  t.is(w.save().length, MAX_WINDOW_SAMPLES);
  // samples sharing a millisecond take no more room: the window is exact
  const burst = new WindowAggregate('avg', 60_000);
  for (let i = 0; i < 2 * MAX_WINDOW_SAMPLES; i++) burst.push(BASE + (i >> 10), i % 2 === 0 ? 0 : 100);
  t.is(burst.push(BASE + 2048, 50), 50);
});

// Restore (Prometheus TestForStateRestore): [saved phase, downtime, next event] → transitions.
// The saved state comes from a run up to the stop; a new Alerting restores it `downtime` later.
test('restore: absent and for-rules continue across a restart as one uninterrupted run would', (t) => {
  const T = 1_000_000;
  type Event = 'tick' | 'sample above' | 'sample below';
  const cases: [yaml: string, stop: (a: Alerting) => number, downtimeMs: number, next: Event, expected: string[]][] = [
    // absent: 10s; the last sample arrived at T, the stop came at T + 15 s (firing) or T + 5 s (inactive)
    ['absent', (a) => (a.tick(T + 15_000), T + 15_000), 60_000, 'tick', []],
    ['absent', (a) => (a.tick(T + 15_000), T + 15_000), 60_000, 'sample below', ['resolved']],
    ['absent', (a) => (a.tick(T + 5_000), T + 5_000), 1_000, 'tick', []],
    ['absent', (a) => (a.tick(T + 5_000), T + 5_000), 60_000, 'tick', ['firing']],
    ['absent', (a) => (a.tick(T + 5_000), T + 5_000), 60_000, 'sample below', []],
    // for: 5s; pending since the sample at T, stopped at T + 2 s
    ['for', (a) => (a.onSample(T + 2_000, 90, 0), T + 2_000), 60_000, 'sample above', ['firing']],
    ['for', (a) => (a.onSample(T + 2_000, 90, 0), T + 2_000), 60_000, 'sample below', []],
    ['for', (a) => (a.onSample(T + 2_000, 90, 0), T + 2_000), 1_000, 'sample above', []],
    // firing since T + 5 s
    ['for', (a) => (a.onSample(T + 5_000, 90, 0), T + 5_000), 60_000, 'sample above', []],
    ['for', (a) => (a.onSample(T + 5_000, 90, 0), T + 5_000), 60_000, 'sample below', ['resolved']],
  ];
  const yamls = {
    absent: 'rules: [{ name: r, absent: 10s }]',
    for: 'rules: [{ name: r, metric: cpu, above: 80, for: 5s }]',
  };
  for (const [kind, stop, downtimeMs, next, expected] of cases) {
    const rules = parseRules('r.yaml', yamls[kind as keyof typeof yamls]);
    const a = new Alerting(rules, T);
    a.onSample(T, 90, 0);
    a.onArrival(T);
    const stoppedAt = stop(a);
    a.take();
    const restartedAt = stoppedAt + downtimeMs;
    const b = new Alerting(rules, restartedAt);
    b.restore(roundTrip(a.save()));
    if (next === 'tick') b.tick(restartedAt);
    else {
      // the next sample is stamped when it was taken: downtime after the last one
      b.onSample(stoppedAt + downtimeMs, next === 'sample above' ? 95 : 10, 0);
      b.onArrival(restartedAt);
    }
    t.deepEqual(
      b.take().map((o) => o.kind),
      expected,
      `${kind}: ${a.save().rules.r!.state.phase}, ${downtimeMs} ms down, then ${next}`,
    );
  }
});

test('repeat: rows stamped earlier than one judged do not move the reminder back or forward (time only moves forward)', (t) => {
  const a = new Alerting(parseRules('r.yaml', 'rules: [{ name: r, metric: cpu, above: 80, repeat: 2s }]'), 0);
  a.onSample(BASE + 60_000, 90, 0); // fired a minute ahead of the rows that follow
  t.deepEqual(
    a.take().map((o) => o.kind),
    ['firing'],
  );
  const out: string[] = [];
  for (let i = 0; i <= 6; i++) {
    a.onSample(BASE + i * STEP, 90, 0);
    out.push(...a.take().map((o) => `${i}:${o.kind}`));
  }
  t.deepEqual(out, [], 'judged at the latest time: no reminder is due yet');
  a.onSample(BASE + 62_000, 90, 0);
  t.deepEqual(
    a.take().map((o) => o.kind),
    ['repeat'],
  );
});

test('absent: a firing rule without repeat is never due by the clock (no wake-ups for nothing)', (t) => {
  const a = new Alerting(parseRules('r.yaml', 'rules: [{ name: gone, absent: 10s }]'), BASE);
  a.tick(BASE + 15_000);
  t.deepEqual(
    a.take().map((o) => o.kind),
    ['firing'],
  );
  t.is(a.nextDue(), Infinity);
});

test('absent with repeat: a clock set back moves the reminder back silently, and it comes a repeat after the new time', (t) => {
  const a = new Alerting(parseRules('r.yaml', 'rules: [{ name: gone, absent: 10s, repeat: 1m }]'), BASE);
  a.tick(BASE + 15_000);
  t.deepEqual(
    a.take().map((o) => o.kind),
    ['firing'],
  );
  const back = BASE - 3_600_000;
  a.tick(back);
  t.deepEqual(a.take(), [], 'the step itself says nothing');
  t.is(a.nextDue(), back + 60_000);
  a.tick(back + 60_000);
  t.deepEqual(
    a.take().map((o) => o.kind),
    ['repeat'],
  );
});
