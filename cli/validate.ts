// `telemetry validate [PATH…]`: rules files and configuration files, every error as file:line:col.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { checkConfig, loadConfig } from '../common/config.js';
import { formatProblem, ProblemsError, type Problem } from '../common/errors.js';
import { parseYamlSource } from '../common/yaml-source.js';
import { loadRules } from '../apps/analytics/rules/load-rules.js';

function problemsOf(check: () => void): Problem[] {
  try {
    check();
    return [];
  } catch (err) {
    if (err instanceof ProblemsError) return err.problems;
    throw err;
  }
}

/**
 * A file with a top-level `rules:`, or named like one (rules.yaml, my-rules.yml), is checked by the
 * very validator the app uses at start; anything else as configuration.
 */
function validateFile(file: string): Problem[] {
  if (/rules[^/]*\.ya?ml$/i.test(basename(file))) return problemsOf(() => loadRules(file));
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return [{ file, message: `cannot read: ${(err as Error).message}` }];
  }
  const src = parseYamlSource(file, text);
  const value = src.value as Record<string, unknown> | null;
  if (value && typeof value === 'object' && 'rules' in value) return problemsOf(() => loadRules(file));
  if (src.problems.length > 0) return src.problems;
  const isPackage = basename(file) === 'package.json';
  return problemsOf(() => checkConfig(isPackage ? value?.telemetry : value, file, src, isPackage ? ['telemetry'] : []));
}

/** Returns the report and whether everything was valid. */
export async function validate(paths: string[]): Promise<{ ok: boolean; output: string }> {
  const problems: Problem[] = [];
  const checked: string[] = [];
  if (paths.length === 0) {
    try {
      const { config, file } = await loadConfig();
      checked.push(file ?? 'configuration (defaults)');
      checked.push(config.analytics.rules);
      problems.push(...problemsOf(() => loadRules(config.analytics.rules)));
    } catch (err) {
      if (!(err instanceof ProblemsError)) throw err;
      problems.push(...err.problems);
    }
  } else {
    for (const file of paths) {
      checked.push(file);
      problems.push(...validateFile(file));
    }
  }
  if (problems.length > 0) return { ok: false, output: problems.map(formatProblem).join('\n') };
  return { ok: true, output: checked.map((f) => `${f}: ok`).join('\n') };
}
