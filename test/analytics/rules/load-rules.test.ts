import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../../common/config.js';
import { RulesInvalidError } from '../../../common/errors.js';
import { loadRules, parseRules } from '../../../apps/analytics/rules/load-rules.js';
import { rulesSchema, type RawRules } from '../../../apps/analytics/rules/rules-schema.js';

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
