// For every rules file `validate` accepts, `promtool check rules` accepts what `export-rules`
// prints (Prometheus 2 and 3): generated rules files with durations up to Prometheus' limit and past
// it, fractions of units, thresholds with many decimals, hysteresis, windows and absent rules.
import test from 'ava';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { parseRules } from '../../apps/analytics/rules/load-rules.js';
import type { Rule } from '../../apps/analytics/rules/rule.js';
import { exportRulesText } from '../../cli/export-rules.js';
import { tempDir } from '../helpers.js';

const run = promisify(execFile);

const unit = fc.constantFrom('ms', 's', 'm', 'h');
// whole and fractional numbers, mostly small; now and then one near or past 292 years, or below a millisecond
const amount = fc.oneof(
  { weight: 8, arbitrary: fc.nat({ max: 100_000 }).map(String) },
  { weight: 3, arbitrary: fc.tuple(fc.nat({ max: 1000 }), fc.nat({ max: 999 })).map(([i, f]) => `${i}.${f}`) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '9223372036854',
      '9223372036855',
      '2562047',
      '2562048',
      '153722867',
      '9007199254740993',
      '0.001',
      '0.0005',
    ),
  },
);
const duration = fc.tuple(amount, unit).map(([a, u]) => `${a}${u}`);
const percent = fc.oneof(
  fc.integer({ min: 0, max: 100 }),
  fc.double({ min: 0, max: 100, noNaN: true }).map((v) => Number(v.toFixed(4))),
);

const thresholdRule = fc
  .record(
    {
      metric: fc.constantFrom('cpu', 'ram'),
      op: fc.constantFrom('above', 'below'),
      threshold: percent,
      clear: fc.double({ min: 0, max: 1, noNaN: true }),
      for: duration,
      over: duration,
      aggregate: fc.constantFrom('avg', 'min', 'max'),
      repeat: duration,
      severity: fc.constantFrom('info', 'warning', 'critical'),
    },
    { requiredKeys: ['metric', 'op', 'threshold'] },
  )
  .map(({ op, threshold, clear, over, aggregate, ...rest }) => ({
    ...rest,
    op,
    threshold: String(threshold),
    // hysteresis on the right side of the threshold
    ...(clear === undefined
      ? {}
      : { clear: (op === 'above' ? threshold * clear : threshold + (100 - threshold) * clear).toFixed(2) }),
    ...(over && aggregate ? { over, aggregate } : {}),
  }));
const absentRule = fc.record({ absent: duration, repeat: duration }, { requiredKeys: ['absent'] });

function yamlOf(rules: Record<string, string>[]): string {
  const lines = rules.map((r, i) => {
    const { op, threshold, ...rest } = r;
    const fields = Object.entries({ name: `r${i}`, ...(op ? { [op]: threshold } : {}), ...rest }).map(
      ([k, v]) => `${k}: ${v}`,
    );
    return `  - { ${fields.join(', ')} }`;
  });
  return `rules:\n${lines.join('\n')}\n`;
}

test('every rules file validate accepts exports to a file promtool check rules accepts, for Prometheus 2 and 3', async (t) => {
  const dir = await tempDir();
  const files: string[] = [];
  let refused = 0;
  fc.assert(
    fc.property(fc.array(fc.oneof(thresholdRule, absentRule), { minLength: 1, maxLength: 4 }), (generated) => {
      let rules: Rule[];
      try {
        rules = parseRules('rules.yaml', yamlOf(generated));
      } catch {
        refused++;
        return;
      }
      for (const version of [2, 3] as const) {
        const file = join(dir, `rules-${files.length}.yml`);
        writeFileSync(file, exportRulesText(rules, version, 'rules.yaml'));
        files.push(file);
      }
    }),
    { numRuns: 300, seed: 20261204 },
  );
  t.log(`${files.length / 2} rules files accepted, ${refused} refused`);
  t.true(files.length >= 100 && refused > 0, 'both kinds were generated');
  const result = await run('promtool', ['check', 'rules', ...files], { maxBuffer: 64 << 20 }).then(
    () => '',
    (err: unknown) => {
      const e = err as { stdout?: string; stderr?: string };
      return `${e.stdout ?? ''}${e.stderr ?? ''}`;
    },
  );
  t.is(
    result
      .split('\n')
      .filter((l) => /FAILED|error|out of range/i.test(l))
      .slice(0, 10)
      .join('\n'),
    '',
  );
});
