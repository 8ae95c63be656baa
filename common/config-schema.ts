// The configuration schema, typed against Config: a key added to one and not the other does not
// compile. Each key's description is the reference users read: config/telemetry.schema.json (for
// editors) and docs/configuration.md are written from this object, and tests keep both equal.
// Refresh: node dist/common/config-schema.js > config/telemetry.schema.json
//          node dist/scripts/configuration-doc.js > docs/configuration.md
// Every key is required and has a default: ajv fills the defaults before it checks `required`
// (a section's `{}` default is the empty object its keys' defaults are filled into).
import type { JSONSchemaType } from 'ajv';
import { pathToFileURL } from 'node:url';
import type { Config } from './config.js';

/** The longest time Node's timers take (ms). */
const MAX_MS = 2147483647;
const LISTEN = '^$|^(\\[[0-9a-fA-F:.]+\\]|[^:\\[\\]]+):[0-9]{1,5}$';

interface Limits {
  minimum?: number;
  maximum?: number;
}

const integer = (def: number, description: string, limits: Limits = {}) =>
  ({ type: 'integer', ...limits, default: def, description }) as const;
const ms = (def: number, minimum: number, description: string) =>
  integer(def, description, { minimum, maximum: MAX_MS });
const text = (def: string, description: string, extra: { minLength?: number; pattern?: string } = {}) =>
  ({ type: 'string', ...extra, default: def, description }) as const;
const choice = <T extends string>(values: readonly T[], def: T, description: string) =>
  ({ type: 'string', enum: values, default: def, description }) as const;

/** A section: every key required, no others allowed, `{}` filled with the keys' defaults. */
function section<T extends object>(
  description: string,
  properties: { [K in keyof T]-?: JSONSchemaType<T[K]> },
): JSONSchemaType<T> {
  return {
    type: 'object',
    description,
    additionalProperties: false,
    default: {},
    properties,
    required: Object.keys(properties),
  } as unknown as JSONSchemaType<T>;
}

export const configSchema: JSONSchemaType<Config> = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'telemetry.schema.json',
  title: 'telemetry configuration',
  type: 'object',
  additionalProperties: false,
  properties: {
    data: section<Config['data']>('Where both apps keep their files.', {
      dir: text('data', 'telemetry.csv and its rotations, the analytics state and the outboxes.', { minLength: 1 }),
    }),
    engine: section<Config['engine']>('The sampler and CSV writer (telemetry-engine).', {
      source: choice(
        ['synthetic', 'system'],
        'synthetic',
        'synthetic: seeded demo data with spikes; system: this host.',
      ),
      seed: integer(1, 'Seed of the synthetic source.'),
      intervalMs: ms(1000, 0, 'One sample every N ms; 0 = as fast as the queue allows.'),
      limit: integer(0, 'Stop after N samples and exit 0 (0 = never).', { minimum: 0 }),
      queue: section<Config['engine']['queue']>('The producer-to-writer queue.', {
        capacity: integer(4096, 'Samples the queue holds.', { minimum: 2, maximum: 16777216 }),
        whenFull: choice(['block', 'drop'], 'block', 'block: the producer waits (time counted); drop: counted.'),
      }),
      rotate: section<Config['engine']['rotate']>('Rotation of telemetry.csv by renaming.', {
        maxBytes: integer(67108864, 'Rotate when the file would grow past this size (64 MiB).', { minimum: 1024 }),
        keep: integer(5, 'Rotated files kept: telemetry.csv.1 … .N.', { minimum: 1, maximum: 1000 }),
      }),
      fsyncMs: ms(1000, 0, 'fsync the CSV at most this often while writing (0 = after every batch).'),
      statsEveryMs: ms(10000, 100, 'One stats line in the log every N ms.'),
      metrics: section<Config['engine']['metrics']>("The engine's HTTP endpoint.", {
        listen: text('127.0.0.1:9470', 'host:port of GET /metrics; "" = off.', { pattern: LISTEN }),
      }),
    }),
    analytics: section<Config['analytics']>('The follower, rules and notifications (telemetry-analytics).', {
      rules: text('rules.yaml', 'Alert rules, reloaded live when the file changes.', { minLength: 1 }),
      windowMs: ms(60000, 1, "The rolling window of the summary line's window figures."),
      summaryEveryMs: ms(10000, 100, 'One summary line in the log every N ms.'),
      checkpointMs: ms(1000, 0, 'The saved position, statistics and alert state are at most this old.'),
      pollMs: ms(5000, 10, 'Re-read the CSV this often when no file event comes.'),
      maxLineBytes: integer(4096, 'Longer lines are skipped and counted as too_long.', { minimum: 64 }),
      http: section<Config['analytics']['http']>("The analytics app's HTTP endpoint.", {
        listen: text('127.0.0.1:9471', 'host:port of the dashboard, /metrics, /api/state, /events; "" = off.', {
          pattern: LISTEN,
        }),
      }),
    }),
    email: section<Config['email']>(
      'Email alerts: off until smtpUrl and to are set. TELEMETRY_SMTP_URL, TELEMETRY_EMAIL_FROM and TELEMETRY_EMAIL_TO win.',
      {
        smtpUrl: text('', 'smtp://user:pass@host:587 (STARTTLS) or smtps://user:pass@host:465.'),
        from: text('', 'Sender address (default: telemetry@<host name>).'),
        to: text('', 'Recipients, comma-separated.'),
        digestMs: ms(10000, 0, 'Notifications within this time of each other go out as one email.'),
        minSeverity: choice(['info', 'warning', 'critical'], 'info', 'Lower severities are not emailed.'),
        timeoutMs: ms(10000, 100, 'Connection, greeting and socket timeouts.'),
        maxAgeMs: ms(86400000, 1000, 'Undelivered this long (24 h): moved to data/outbox.dead.jsonl.'),
      },
    ),
    alertmanager: section<Config['alertmanager']>(
      'The alertmanager channel: off until url is set. TELEMETRY_ALERTMANAGER_URL wins.',
      {
        url: text('', 'e.g. http://127.0.0.1:9093; alerts go to POST <url>/api/v2/alerts.'),
        timeoutMs: ms(10000, 100, 'One POST may take this long.'),
        resendMs: integer(60000, 'Firing alerts are re-sent this often, so resolve_timeout never ends them.', {
          minimum: 1000,
          maximum: 60000,
        }),
        maxAgeMs: ms(86400000, 1000, 'Undelivered this long (24 h): moved to data/outbox.alertmanager.dead.jsonl.'),
      },
    ),
    remoteWrite: section<Config['remoteWrite']>(
      'Prometheus remote_write of every sample: off until url is set. TELEMETRY_REMOTE_WRITE_URL wins; TELEMETRY_REMOTE_WRITE_TOKEN is a bearer token.',
      {
        url: text('', 'e.g. http://127.0.0.1:9090/api/v1/write; user:pass@ in it is basic auth.'),
        labels: {
          type: 'object',
          required: [],
          additionalProperties: { type: 'string' },
          default: {},
          description: 'Extra labels on every series, beside host and job="telemetry".',
        },
        timeoutMs: ms(10000, 100, 'One POST may take this long.'),
      },
    ),
  },
  required: ['data', 'engine', 'analytics', 'email', 'alertmanager', 'remoteWrite'],
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href)
  process.stdout.write(`${JSON.stringify(configSchema, null, 2)}\n`);
