// Configuration: found with cosmiconfig (module `telemetry`), then config/telemetry.yaml;
// TELEMETRY_CONFIG names a file outright. Validated by ajv against config/telemetry.schema.json,
// which also supplies every default.
import { readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cosmiconfig, type Loader } from 'cosmiconfig';
import { ConfigInvalidError, describeCause } from './errors.js';
import { importGenerated } from './generated.js';
import { ajvProblems, parseYamlSource, type YamlSource } from './yaml-source.js';

const { validateConfig } = await importGenerated(
  () => import('./config-validator.js'),
  'dist/common/config-validator.js',
);

export type Severity = 'info' | 'warning' | 'critical';

export interface Config {
  data: { dir: string };
  engine: {
    source: 'synthetic' | 'system';
    seed: number;
    intervalMs: number;
    limit: number;
    queue: { capacity: number; whenFull: 'block' | 'drop' };
    rotate: { maxBytes: number; keep: number };
    fsyncMs: number;
    statsEveryMs: number;
    metrics: { listen: string };
  };
  analytics: {
    rules: string;
    windowMs: number;
    summaryEveryMs: number;
    checkpointMs: number;
    pollMs: number;
    maxLineBytes: number;
    http: { listen: string };
  };
  email: {
    smtpUrl: string;
    from: string;
    to: string;
    digestMs: number;
    minSeverity: Severity;
    timeoutMs: number;
    maxAgeMs: number;
  };
  alertmanager: {
    url: string;
    timeoutMs: number;
    resendMs: number;
    maxAgeMs: number;
  };
  remoteWrite: {
    url: string;
    labels: Record<string, string>;
    timeoutMs: number;
  };
}

export interface LoadedConfig {
  config: Config;
  /** The file the settings came from, or null when only defaults apply. */
  file: string | null;
}

/** The repository root (holds config/, rules.yaml, ecosystem.config.js), from dist/common/. */
export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

const SEARCH_PLACES = [
  'package.json',
  ...['', '.json', '.yaml', '.yml', '.js', '.cjs', '.mjs'].map((ext) => `.telemetryrc${ext}`),
  ...['.js', '.cjs', '.mjs', '.json', '.yaml', '.yml'].map((ext) => `telemetry.config${ext}`),
];

/** Validates raw settings, fills defaults in place, and returns every problem at once. */
export function checkConfig(raw: unknown, file: string, src?: YamlSource, prefix: string[] = []): Config {
  const value = raw ?? {};
  if (!validateConfig(value)) {
    throw new ConfigInvalidError(ajvProblems(validateConfig.errors ?? [], src, file, prefix));
  }
  return value;
}

function readSource(file: string): YamlSource {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigInvalidError([{ file, message: `cannot read: ${describeCause(err)}` }]);
  }
  const src = parseYamlSource(file, text);
  if (src.problems.length > 0) throw new ConfigInvalidError(src.problems);
  return src;
}

/** Loads, validates and resolves the configuration; throws ConfigInvalidError with every problem. */
export async function loadConfig(cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env): Promise<LoadedConfig> {
  const sources = new Map<string, YamlSource>();
  const loadData: Loader = (file) => {
    const src = readSource(file);
    sources.set(file, src);
    return src.value;
  };
  const explorer = cosmiconfig('telemetry', {
    searchStrategy: 'none',
    searchPlaces: SEARCH_PLACES,
    loaders: { '.yaml': loadData, '.yml': loadData, '.json': loadData, noExt: loadData },
  });
  let found: { filepath: string; config: unknown } | null;
  const named = env.TELEMETRY_CONFIG;
  try {
    if (named) {
      found = await explorer.load(resolve(cwd, named));
    } else {
      found = await explorer.search(cwd);
      const fallback = join(cwd, 'config', 'telemetry.yaml');
      if (!found)
        found = await explorer
          .load(fallback)
          .catch((err: unknown) =>
            (err as NodeJS.ErrnoException).code === 'ENOENT' ? null : Promise.reject(err as Error),
          );
    }
  } catch (err) {
    if (err instanceof ConfigInvalidError) throw err;
    const file = named ? resolve(cwd, named) : cwd;
    throw new ConfigInvalidError([{ file, message: `cannot load: ${describeCause(err)}` }]);
  }
  const file = found?.filepath ?? null;
  const prefix = file && basename(file) === 'package.json' ? ['telemetry'] : [];
  const config = checkConfig(found?.config ?? {}, file ?? '(defaults)', file ? sources.get(file) : undefined, prefix);
  config.data.dir = resolve(cwd, config.data.dir);
  config.analytics.rules = resolve(cwd, config.analytics.rules);
  config.email.smtpUrl = env.TELEMETRY_SMTP_URL ?? config.email.smtpUrl;
  config.email.from = env.TELEMETRY_EMAIL_FROM ?? config.email.from;
  config.email.to = env.TELEMETRY_EMAIL_TO ?? config.email.to;
  config.alertmanager.url = env.TELEMETRY_ALERTMANAGER_URL ?? config.alertmanager.url;
  config.remoteWrite.url = env.TELEMETRY_REMOTE_WRITE_URL ?? config.remoteWrite.url;
  return { config, file };
}
