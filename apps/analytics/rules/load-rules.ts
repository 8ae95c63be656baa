// rules.yaml → validated rules. Every problem is collected (schema and meaning) and reported at
// once as `file:line:col: message` naming the rule.
import { readFileSync, statSync } from 'node:fs';
import { describeCause, RulesInvalidError, type Problem } from '../../../common/errors.js';
import { importGenerated } from '../../../common/generated.js';
import { ajvProblems, locate, parseYamlSource } from '../../../common/yaml-source.js';
import { checkDuration } from './duration.js';
import { DEFAULT_FLAP, type Flap, type Rule, type ThresholdRule } from './rule.js';
import type { RawRules } from './rules-schema.js';

const { validateRules } = await importGenerated(() => import('../validators.js'), 'dist/apps/analytics/validators.js');

type RawRule = RawRules['rules'][number];
type RawFlap = NonNullable<RawRule['flap']>;

/** Rules files larger than this are refused: a 50 MB file once took analytics to 2.3 GB. */
const MAX_RULES_BYTES = 1 << 20;

/** Reads and validates a rules file; throws RulesInvalidError listing every problem. */
export function loadRules(file: string): Rule[] {
  let text: string;
  try {
    const size = statSync(file).size;
    if (size > MAX_RULES_BYTES)
      throw new RulesInvalidError([
        { file, message: `the file is ${size} bytes; rules files are limited to ${MAX_RULES_BYTES} bytes` },
      ]);
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof RulesInvalidError) throw err;
    throw new RulesInvalidError([{ file, message: `cannot read: ${describeCause(err)}` }]);
  }
  return parseRules(file, text);
}

export function parseRules(file: string, text: string): Rule[] {
  const src = parseYamlSource(file, text);
  if (src.problems.length > 0) throw new RulesInvalidError(src.problems);
  if (src.value === null || src.value === undefined)
    throw new RulesInvalidError([
      { file, line: 1, col: 1, message: 'the file is empty: it needs a top-level `rules:` list' },
    ]);
  const raw = src.value as RawRules;
  const problems: Problem[] = validateRules(raw)
    ? []
    : ajvProblems(validateRules.errors ?? [], src, file, [], (path) => labelOf(raw, path));
  // The checks of meaning run even when the schema failed, so every problem shows at once.
  // `raw` has the schema's shape only when the schema passed: look at what is there.
  const listed: unknown = (src.value as { rules?: unknown } | null)?.rules;
  const items = Array.isArray(listed) ? listed.filter((r): r is RawRule => r !== null && typeof r === 'object') : [];
  const rules = items.map((r, i) =>
    toRule(r, raw.defaults ?? {}, (key, message) =>
      problems.push({
        file,
        ...locate(src, ['rules', i, ...(key ? [key] : [])]),
        message: `rule "${r.name}": ${message}`,
      }),
    ),
  );
  const seen = new Map<string, number>();
  items.forEach((r, i) => {
    if (seen.has(r.name))
      problems.push({
        file,
        ...locate(src, ['rules', i, 'name']),
        message: `rule "${r.name}": duplicate name (also rule ${seen.get(r.name)! + 1})`,
      });
    else seen.set(r.name, i);
  });
  if (problems.length > 0)
    throw new RulesInvalidError(problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0)));
  return rules;
}

/** `rule "high_cpu": metric` for places inside a rule, the key path elsewhere. */
function labelOf(raw: RawRules, path: (string | number)[]): string {
  if (path[0] === 'rules' && typeof path[1] === 'number') {
    const name = raw.rules[path[1]]?.name;
    const rule = typeof name === 'string' ? `rule "${name}"` : `rule ${path[1] + 1}`;
    return path.length > 2 ? `${rule}: ${path.slice(2).join('.')}` : rule;
  }
  return path.join('.') || '(top level)';
}

function toRule(
  r: RawRule,
  defaults: NonNullable<RawRules['defaults']>,
  problem: (key: string | null, message: string) => void,
): Rule {
  // The schema refused malformed durations; what it cannot see (whole milliseconds, Prometheus' range) is said here.
  const duration = (text: string | undefined, key: string | null = null): number => {
    if (text === undefined) return 0;
    const ms = checkDuration(text);
    if (typeof ms === 'string') problem(key, ms);
    // NaN after a problem: no second message about the same value
    return typeof ms === 'number' ? ms : ms === null ? 0 : NaN;
  };
  const base = {
    name: r.name,
    severity: r.severity ?? defaults.severity ?? 'warning',
    channels: r.channels ?? defaults.channels ?? ['console', 'email'],
    repeatMs: duration(r.repeat ?? defaults.repeat, r.repeat === undefined ? null : 'repeat'),
    flap: flapOf(r.flap ?? defaults.flap, (text) => duration(text, r.flap === undefined ? null : 'flap')),
  };
  if (base.flap && base.flap.windowMs <= 0) problem('flap', 'flap window must be longer than 0');
  const kinds = (['above', 'below', 'absent'] as const).filter((k) => r[k] !== undefined);
  if (kinds.length !== 1) {
    problem(
      kinds[1] ?? null,
      kinds.length === 0 ? 'needs one of above, below or absent' : `has both ${kinds.join(' and ')}; use exactly one`,
    );
  }
  if (r.absent !== undefined) {
    for (const key of ['metric', 'clear', 'for', 'over', 'aggregate'] as const)
      if (r[key] !== undefined) problem(key, `"${key}" does not apply to an absent rule`);
    const absentMs = duration(r.absent, 'absent');
    if (absentMs <= 0) problem('absent', 'absent must be longer than 0');
    return { ...base, kind: 'absent', absentMs, definition: JSON.stringify({ absentMs }) };
  }
  if (r.metric === undefined) problem(null, 'needs a metric (cpu or ram)');
  if ((r.over === undefined) !== (r.aggregate === undefined))
    problem(r.over === undefined ? 'aggregate' : 'over', 'over and aggregate go together');
  const op: 'above' | 'below' = r.above !== undefined ? 'above' : 'below';
  const threshold = r.above ?? r.below ?? 0;
  const clear = r.clear ?? threshold;
  if (op === 'above' && clear > threshold)
    problem('clear', `clear (${clear}) must not be above the threshold (${threshold}) of an above rule`);
  if (op === 'below' && clear < threshold)
    problem('clear', `clear (${clear}) must not be below the threshold (${threshold}) of a below rule`);
  const overMs = duration(r.over, 'over');
  if (r.over !== undefined && overMs <= 0) problem('over', 'over must be longer than 0');
  const rule = {
    ...base,
    kind: 'threshold' as const,
    metric: r.metric ?? 'cpu',
    op,
    above: op === 'above',
    threshold,
    clear,
    forMs: duration(r.for ?? defaults.for, r.for === undefined ? null : 'for'),
    over: r.over !== undefined && r.aggregate !== undefined ? { ms: overMs, aggregate: r.aggregate } : null,
  } satisfies Omit<ThresholdRule, 'definition'>;
  const { metric, above, threshold: t, clear: c, forMs, over } = rule;
  return { ...rule, definition: JSON.stringify({ metric, above, threshold: t, clear: c, forMs, over }) };
}

/** `flap: off`, a partial `{ changes, window }` over the defaults, or the defaults. */
function flapOf(raw: RawFlap | undefined, duration: (text: string | undefined) => number): Flap | null {
  if (raw === 'off') return null;
  if (raw === undefined || typeof raw !== 'object') return DEFAULT_FLAP;
  return {
    changes: raw.changes ?? DEFAULT_FLAP.changes,
    windowMs: raw.window === undefined ? DEFAULT_FLAP.windowMs : duration(raw.window),
  };
}
