import test from 'ava';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../../common/config.js';
import { RulesInvalidError } from '../../../common/errors.js';
import { loadRules, parseRules } from '../../../apps/analytics/rules/load-rules.js';
import { rulesSchema, type RawRules } from '../../../apps/analytics/rules/rules-schema.js';
import { tempDir } from '../../helpers.js';

const fixtures = join(projectRoot, 'test', 'fixtures', 'rules');

for (const name of readdirSync(fixtures).filter((f) => f.endsWith('.bad.yaml'))) {
  test(`${name} is refused with exactly the expected file:line:col messages`, (t) => {
    const err = t.throws(() => loadRules(join(fixtures, name)), { instanceOf: RulesInvalidError });
    t.is(err.code, 'TELEMETRY_RULES_INVALID');
    const expected = readFileSync(join(fixtures, name.replace('.yaml', '.errors.txt')), 'utf8').trim();
    t.is(err.message.replaceAll(`${fixtures}/`, ''), expected);
  });
}

test('good.yaml: defaults applied, durations in ms, every kind of rule', (t) => {
  const rules = loadRules(join(fixtures, 'good.yaml'));
  t.deepEqual(
    rules.map((r) => ({ ...r, definition: undefined })),
    [
      {
        name: 'high_cpu',
        kind: 'threshold',
        metric: 'cpu',
        op: 'above',
        above: true,
        threshold: 80,
        clear: 75,
        forMs: 5000,
        over: null,
        repeatMs: 1_800_000,
        flap: { changes: 4, windowMs: 600_000 },
        severity: 'warning',
        channels: ['console', 'email'],
        definition: undefined,
      },
      {
        name: 'low_ram',
        kind: 'threshold',
        metric: 'ram',
        op: 'below',
        above: false,
        threshold: 5,
        clear: 5,
        forMs: 0,
        over: null,
        repeatMs: 1_800_000,
        flap: null,
        severity: 'warning',
        channels: ['console'],
        definition: undefined,
      },
      {
        name: 'cpu_minute',
        kind: 'threshold',
        metric: 'cpu',
        op: 'above',
        above: true,
        threshold: 70,
        clear: 70,
        forMs: 0,
        over: { ms: 60_000, aggregate: 'avg' },
        repeatMs: 1_800_000,
        flap: { changes: 8, windowMs: 3_600_000 },
        severity: 'info',
        channels: ['console', 'email'],
        definition: undefined,
      },
      {
        name: 'no_data',
        kind: 'absent',
        absentMs: 10_000,
        repeatMs: 1_800_000,
        flap: { changes: 4, windowMs: 600_000 },
        severity: 'critical',
        channels: ['console', 'email'],
        definition: undefined,
      },
    ],
  );
});

test('the shipped rules.yaml is valid: cpu above 80, ram above 80 (both with hysteresis), no data for 10 s', (t) => {
  const rules = loadRules(join(projectRoot, 'rules.yaml'));
  t.deepEqual(
    rules.map((r) => (r.kind === 'absent' ? [r.name, r.absentMs] : [r.name, r.metric, r.op, r.threshold, r.clear])),
    [
      ['high_cpu', 'cpu', 'above', 80, 75],
      ['high_ram', 'ram', 'above', 80, 75],
      ['no_data', 10_000],
    ],
  );
});

test('a YAML alias bomb is refused quickly', (t) => {
  const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
  for (let i = 1; i < 12; i++)
    bomb.push(
      `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
        .fill(`*${String.fromCharCode(96 + i)}`)
        .join(',')}]`,
    );
  bomb.push('rules: []');
  const started = process.hrtime.bigint();
  const err = t.throws(() => parseRules('bomb.yaml', bomb.join('\n')), { instanceOf: RulesInvalidError });
  t.regex(err.message, /^bomb\.yaml:1:1: .*alias/i);
  t.log(`refused in ${Number(process.hrtime.bigint() - started) / 1e6} ms`);
});

test('an empty or non-mapping file is a clear error', (t) => {
  t.is(
    t.throws(() => parseRules('r.yaml', '')).message,
    'r.yaml:1:1: the file is empty: it needs a top-level `rules:` list',
  );
  t.is(
    t.throws(() => parseRules('r.yaml', '# only a comment\n')).message,
    'r.yaml:1:1: the file is empty: it needs a top-level `rules:` list',
  );
  t.regex(t.throws(() => parseRules('r.yaml', '[1, 2]')).message, /^r\.yaml:.*must be object/);
  t.regex(t.throws(() => parseRules('r.yaml', 'rules: 5')).message, /^r\.yaml:1:8: rules: must be array/);
});

test('config/rules.schema.json is the schema the rules type comes from (refresh: node dist/apps/analytics/rules/rules-schema.js > config/rules.schema.json)', (t) => {
  t.deepEqual(JSON.parse(readFileSync(join(projectRoot, 'config', 'rules.schema.json'), 'utf8')), rulesSchema);
});

// Compile-time checks: the type derived from the schema is a real type, not `any` (an
// expect-error directive that finds no error fails the build, and with it the test run).
export const typed: RawRules[] = [
  {
    rules: [{ name: 'a', metric: 'cpu', above: 80, flap: 'off', channels: ['console'] }],
    defaults: { flap: { changes: 4, window: '5m' } },
  },
  // @ts-expect-error an unknown metric
  { rules: [{ name: 'a', metric: 'disk' }] },
  // @ts-expect-error flap is `off` or an object
  { rules: [{ name: 'a', flap: 'on' }] },
  // @ts-expect-error a key the schema does not have
  { rules: [{ name: 'a', threshold: 80 }] },
  // @ts-expect-error rules is required
  { defaults: {} },
];

/** Each refusal, exactly as `validate` and the app say it: rule, key, line and column (problems in file order). */
const REFUSED: [yaml: string, messages: string][] = [
  ['null', 'r.yaml:1:1: the file is empty: it needs a top-level `rules:` list'],
  ['rules: 5', 'r.yaml:1:8: rules: must be array'],
  ['foo: 1\nrules: []', 'r.yaml:1:1: (top level): unknown key "foo"'],
  ['defaults: { severity: bad }\nrules: []', 'r.yaml:1:23: defaults.severity: must be one of info, warning, critical'],
  ['rules: [{ name: a, absent: 0.5ms }]', 'r.yaml:1:28: rule "a": "0.5ms" is not a whole number of milliseconds'],
  [
    'rules: [{ name: a, metric: cpu, above: 80, over: 0.5ms, aggregate: avg }]',
    'r.yaml:1:50: rule "a": "0.5ms" is not a whole number of milliseconds',
  ],
  ['rules: [~, 5]', 'r.yaml:1:9: rule 1: must be object\nr.yaml:1:12: rule 2: must be object'],
  ['rules: [{ metric: cpu, above: 80 }]', 'r.yaml:1:9: rule 1: missing required key "name"'],
  ['rules: [{ name: a, absent: 0s }]', 'r.yaml:1:28: rule "a": absent must be longer than 0'],
  ['rules: [{ name: a, above: 80 }]', 'r.yaml:1:9: rule "a": needs a metric (cpu or ram)'],
  ['rules: [{ name: a, metric: cpu, above: 80, over: 1m }]', 'r.yaml:1:50: rule "a": over and aggregate go together'],
  [
    'rules: [{ name: a, metric: cpu, above: 80, aggregate: avg }]',
    'r.yaml:1:55: rule "a": over and aggregate go together',
  ],
  [
    'rules: [{ name: a, metric: cpu, below: 10, clear: 5 }]',
    'r.yaml:1:51: rule "a": clear (5) must not be below the threshold (10) of a below rule',
  ],
  [
    'rules: [{ name: a, metric: cpu, above: 80, over: 0s, aggregate: avg, clear: 90 }]',
    'r.yaml:1:50: rule "a": over must be longer than 0\nr.yaml:1:77: rule "a": clear (90) must not be above the threshold (80) of an above rule',
  ],
  [
    'rules: [{ name: a, metric: cpu, above: 80, repeat: 0.5ms, for: 0.5ms, flap: { window: 0.5ms } }]',
    [52, 64, 77].map((col) => `r.yaml:1:${col}: rule "a": "0.5ms" is not a whole number of milliseconds`).join('\n'),
  ],
  [
    'defaults: { repeat: 0.5ms, for: 0.5ms, flap: { window: 0.5ms } }\nrules: [{ name: a, metric: cpu, above: 80 }]',
    Array(3).fill('r.yaml:2:9: rule "a": "0.5ms" is not a whole number of milliseconds').join('\n'),
  ],
  [
    'rules: [{ name: a, metric: cpu, above: 80, repeat: 5x }]',
    'r.yaml:1:52: rule "a": repeat: must be a duration such as 500ms, 10s, 5m or 1h',
  ],
  [
    'rules: [{ name: a, metric: cpu, above: 80 }, { name: a, metric: ram, above: 80 }]',
    'r.yaml:1:54: rule "a": duplicate name (also rule 1)',
  ],
];

test('every refusal names the rule, the key, its line and column', (t) => {
  for (const [yaml, messages] of REFUSED) {
    const err = t.throws(() => parseRules('r.yaml', yaml), { instanceOf: RulesInvalidError }, yaml);
    t.is(err.message, messages, yaml);
  }
});

test('a rule with nothing but its condition: console and email, warning, no repeat, default flap, no window', (t) => {
  const [rule] = parseRules('r.yaml', 'rules: [{ name: a, metric: cpu, above: 80 }]');
  t.like(rule, {
    severity: 'warning',
    channels: ['console', 'email'],
    repeatMs: 0,
    flap: { changes: 6, windowMs: 600_000 },
    forMs: 0,
    over: null,
  });
});

test('the rules file: at most 1 MiB; one that cannot be read says why', async (t) => {
  const dir = await tempDir();
  const rules = 'rules: [{ name: a, metric: cpu, above: 80 }]\n';
  const limit = join(dir, 'limit.yaml');
  writeFileSync(limit, rules + '#'.repeat((1 << 20) - rules.length - 1) + '\n');
  t.is(loadRules(limit).length, 1, 'exactly 1 MiB');
  const big = join(dir, 'big.yaml');
  writeFileSync(big, rules + '#'.repeat(1 << 20) + '\n');
  t.is(
    t.throws(() => loadRules(big), { instanceOf: RulesInvalidError }).message,
    `${big}: the file is ${(1 << 20) + rules.length + 1} bytes; rules files are limited to ${1 << 20} bytes`,
  );
  t.regex(
    t.throws(() => loadRules(dir), { instanceOf: RulesInvalidError }).message,
    new RegExp(`^${dir}: cannot read: .*EISDIR`),
  );
});
