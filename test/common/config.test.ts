import test from 'ava';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkConfig, loadConfig, projectRoot } from '../../common/config.js';
import { configSchema } from '../../common/config-schema.js';
import { ConfigInvalidError } from '../../common/errors.js';
import { configurationDoc } from '../../scripts/configuration-doc.js';
import { tempDir } from '../helpers.js';

test('without any file every default comes from the schema; paths resolve against cwd', async (t) => {
  const dir = await tempDir();
  const { config, file } = await loadConfig(dir, {});
  t.is(file, null);
  t.is(config.data.dir, join(dir, 'data'));
  t.is(config.analytics.rules, join(dir, 'rules.yaml'));
  t.deepEqual(config.engine.queue, { capacity: 4096, whenFull: 'block' });
  t.is(config.engine.rotate.maxBytes, 67108864);
  t.is(config.email.digestMs, 10000);
});

test('found by cosmiconfig in its order (package.json#telemetry, .telemetryrc*, telemetry.config.*), then config/telemetry.yaml', async (t) => {
  const dir = await tempDir();
  mkdirSync(join(dir, 'config'));
  writeFileSync(join(dir, 'config', 'telemetry.yaml'), 'engine: { seed: 4 }\n');
  t.is((await loadConfig(dir, {})).config.engine.seed, 4);
  writeFileSync(join(dir, 'telemetry.config.yaml'), 'engine:\n  seed: 3\n  intervalMs: 5\n');
  const loaded = await loadConfig(dir, {});
  t.is(loaded.file, join(dir, 'telemetry.config.yaml'));
  t.deepEqual([loaded.config.engine.seed, loaded.config.engine.intervalMs], [3, 5]);
  writeFileSync(join(dir, '.telemetryrc.json'), '{ "engine": { "seed": 2 } }');
  t.is((await loadConfig(dir, {})).config.engine.seed, 2);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'x', telemetry: { engine: { seed: 1 } } }));
  t.is((await loadConfig(dir, {})).config.engine.seed, 1);
  writeFileSync(join(dir, 'other.yaml'), 'engine: { seed: 9 }\n');
  t.is((await loadConfig(dir, { TELEMETRY_CONFIG: 'other.yaml' })).config.engine.seed, 9);
});

test('the environment wins for email settings', async (t) => {
  const dir = await tempDir();
  writeFileSync(join(dir, 'telemetry.config.yaml'), 'email: { smtpUrl: "smtp://a:25", to: "x@example.test" }\n');
  const { config } = await loadConfig(dir, { TELEMETRY_SMTP_URL: 'smtp://b:25', TELEMETRY_EMAIL_TO: 'y@example.test' });
  t.is(config.email.smtpUrl, 'smtp://b:25');
  t.is(config.email.to, 'y@example.test');
});

test('every problem is reported at once with file:line:col and the key path', async (t) => {
  const dir = await tempDir();
  writeFileSync(
    join(dir, 'telemetry.config.yaml'),
    ['engine:', '  intervalMs: fast', '  colour: blue', 'analytics:', '  windowMs: 0', ''].join('\n'),
  );
  const err = await t.throwsAsync(loadConfig(dir, {}), { instanceOf: ConfigInvalidError });
  t.is(err.code, 'TELEMETRY_CONFIG_INVALID');
  const file = join(dir, 'telemetry.config.yaml');
  t.deepEqual(
    err.message.split('\n').sort(),
    [
      `${file}:2:15: engine.intervalMs: must be integer`,
      `${file}:3:3: engine: unknown key "colour"`,
      `${file}:5:13: analytics.windowMs: must be >= 1`,
    ].sort(),
  );
});

test('YAML syntax errors and duplicate keys are located too', async (t) => {
  const dir = await tempDir();
  const file = join(dir, 'bad.yaml');
  writeFileSync(file, 'engine:\n  seed: 1\n  seed: 2\n');
  const err = await t.throwsAsync(loadConfig(dir, { TELEMETRY_CONFIG: file }), { instanceOf: ConfigInvalidError });
  t.regex(err.message, new RegExp(`^${file}:3:3: Map keys must be unique`));
  writeFileSync(file, 'engine: [\n');
  const syntax = await t.throwsAsync(loadConfig(dir, { TELEMETRY_CONFIG: file }), { instanceOf: ConfigInvalidError });
  t.regex(syntax.message, new RegExp(`^${file}:\\d+:\\d+: `));
  const missing = await t.throwsAsync(loadConfig(dir, { TELEMETRY_CONFIG: 'nope.yaml' }), {
    instanceOf: ConfigInvalidError,
  });
  t.regex(missing.message, /nope\.yaml: cannot (read|load)/);
});

test('timer periods above 2^31 − 1 ms (Node timers overflow and fire at once) are refused', (t) => {
  const err = t.throws(() =>
    checkConfig({ analytics: { summaryEveryMs: 3_000_000_000 }, engine: { statsEveryMs: 2 ** 31 } }, 'c.yaml'),
  );
  t.regex(err.message, /analytics\.summaryEveryMs: must be <= 2147483647/);
  t.regex(err.message, /engine\.statsEveryMs: must be <= 2147483647/);
  t.notThrows(() => checkConfig({ analytics: { summaryEveryMs: 2147483647 } }, 'c.yaml'));
});

test('config/telemetry.schema.json is the typed schema written out (refresh: node dist/common/config-schema.js > config/telemetry.schema.json)', (t) => {
  t.deepEqual(JSON.parse(readFileSync(join(projectRoot, 'config', 'telemetry.schema.json'), 'utf8')), configSchema);
});

test('docs/configuration.md is written from the schema (refresh: node dist/scripts/configuration-doc.js > docs/configuration.md)', (t) => {
  const doc = readFileSync(join(projectRoot, 'docs', 'configuration.md'), 'utf8');
  t.is(doc, configurationDoc());
  // every key of the default configuration file is documented
  for (const key of ['engine.queue.whenFull', 'analytics.checkpointMs', 'alertmanager.resendMs'])
    t.true(doc.includes(`| \`${key}\` |`), key);
});
