// The rules file schema, and the type of a rules file derived from it (json-schema-to-ts): a key
// added to the schema is a key of the type, so the two cannot drift. config/rules.schema.json is
// this object written out (for editors and users); a test keeps the two equal. Refresh it with:
// node dist/apps/analytics/rules/rules-schema.js > config/rules.schema.json
// (The configuration goes the other way, JSONSchemaType<Config>: its keys all have defaults, while
// ajv's JSONSchemaType would make every optional rule key accept null.)
import type { FromSchema } from 'json-schema-to-ts';
import { pathToFileURL } from 'node:url';

export const rulesSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'rules.schema.json',
  title: 'telemetry alert rules (rules.yaml)',
  type: 'object',
  additionalProperties: false,
  required: ['rules'],
  definitions: {
    duration: { type: 'string', pattern: '^[0-9]+(\\.[0-9]+)?(ms|s|m|h)$' },
    channels: {
      type: 'array',
      items: { enum: ['console', 'email', 'alertmanager'] },
      uniqueItems: true,
    },
    severity: { enum: ['info', 'warning', 'critical'] },
    flap: {
      description:
        'flap detection: `off`, or flapping once `changes` notified transitions fall within `window` (wall clock)',
      if: { type: 'string' },
      then: { const: 'off' },
      else: {
        type: 'object',
        additionalProperties: false,
        properties: {
          changes: { type: 'integer', minimum: 2, maximum: 1000 },
          window: { $ref: '#/definitions/duration' },
        },
      },
    },
  },
  properties: {
    defaults: {
      type: 'object',
      additionalProperties: false,
      properties: {
        repeat: { $ref: '#/definitions/duration' },
        channels: { $ref: '#/definitions/channels' },
        severity: { $ref: '#/definitions/severity' },
        for: { $ref: '#/definitions/duration' },
        flap: { $ref: '#/definitions/flap' },
      },
    },
    rules: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: {
          name: { type: 'string', pattern: '^[a-z0-9_]+$' },
          metric: { enum: ['cpu', 'ram'] },
          above: { type: 'number' },
          below: { type: 'number' },
          absent: { $ref: '#/definitions/duration' },
          for: { $ref: '#/definitions/duration' },
          clear: { type: 'number' },
          over: { $ref: '#/definitions/duration' },
          aggregate: { enum: ['avg', 'min', 'max'] },
          repeat: { $ref: '#/definitions/duration' },
          severity: { $ref: '#/definitions/severity' },
          channels: { $ref: '#/definitions/channels' },
          flap: { $ref: '#/definitions/flap' },
        },
      },
    },
  },
} as const;

/** A rules file as the schema accepts it. */
export type RawRules = FromSchema<typeof rulesSchema, { parseIfThenElseKeywords: true }>;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href)
  process.stdout.write(`${JSON.stringify(rulesSchema, null, 2)}\n`);
