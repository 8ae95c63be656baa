// The configuration schema, typed against Config: a key added to one and not the other does not
// compile. config/telemetry.schema.json is this object written out (for editors and users); a
// test keeps the two equal. Refresh it with: node dist/common/config-schema.js > config/telemetry.schema.json
// Every key is required and has a default: ajv fills the defaults before it checks `required`
// (the `{} as …` defaults are the empty objects those defaults are filled into).
import type { JSONSchemaType } from 'ajv';
import { pathToFileURL } from 'node:url';
import type { Config } from './config.js';

export const configSchema: JSONSchemaType<Config> = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'telemetry.schema.json',
  title: 'telemetry configuration',
  type: 'object',
  additionalProperties: false,
  properties: {
    data: {
      type: 'object',
      additionalProperties: false,
      default: {} as Config['data'],
      properties: {
        dir: {
          type: 'string',
          minLength: 1,
          default: 'data',
        },
      },
      required: ['dir'],
    },
    engine: {
      type: 'object',
      additionalProperties: false,
      default: {} as Config['engine'],
      properties: {
        source: {
          type: 'string',
          enum: ['synthetic', 'system'],
          default: 'synthetic',
        },
        seed: {
          type: 'integer',
          default: 1,
        },
        intervalMs: {
          type: 'integer',
          minimum: 0,
          default: 1000,
          maximum: 2147483647,
        },
        limit: {
          type: 'integer',
          minimum: 0,
          default: 0,
        },
        queue: {
          type: 'object',
          additionalProperties: false,
          default: {} as Config['engine']['queue'],
          properties: {
            capacity: {
              type: 'integer',
              minimum: 2,
              maximum: 16777216,
              default: 4096,
            },
            whenFull: {
              type: 'string',
              enum: ['block', 'drop'],
              default: 'block',
            },
          },
          required: ['capacity', 'whenFull'],
        },
        rotate: {
          type: 'object',
          additionalProperties: false,
          default: {} as Config['engine']['rotate'],
          properties: {
            maxBytes: {
              type: 'integer',
              minimum: 1024,
              default: 67108864,
            },
            keep: {
              type: 'integer',
              minimum: 1,
              maximum: 1000,
              default: 5,
            },
          },
          required: ['maxBytes', 'keep'],
        },
        fsyncMs: {
          type: 'integer',
          minimum: 0,
          default: 1000,
          maximum: 2147483647,
        },
        statsEveryMs: {
          type: 'integer',
          minimum: 100,
          default: 10000,
          maximum: 2147483647,
        },
        metrics: {
          type: 'object',
          additionalProperties: false,
          default: {} as Config['engine']['metrics'],
          properties: {
            listen: {
              type: 'string',
              pattern: '^$|^(\\[[0-9a-fA-F:.]+\\]|[^:\\[\\]]+):[0-9]{1,5}$',
              default: '127.0.0.1:9470',
            },
          },
          required: ['listen'],
        },
      },
      required: ['source', 'seed', 'intervalMs', 'limit', 'queue', 'rotate', 'fsyncMs', 'statsEveryMs', 'metrics'],
    },
    analytics: {
      type: 'object',
      additionalProperties: false,
      default: {} as Config['analytics'],
      properties: {
        rules: {
          type: 'string',
          minLength: 1,
          default: 'rules.yaml',
        },
        windowMs: {
          type: 'integer',
          minimum: 1,
          default: 60000,
          maximum: 2147483647,
        },
        summaryEveryMs: {
          type: 'integer',
          minimum: 100,
          default: 10000,
          maximum: 2147483647,
        },
        checkpointMs: {
          type: 'integer',
          minimum: 0,
          default: 1000,
          maximum: 2147483647,
        },
        pollMs: {
          type: 'integer',
          minimum: 10,
          default: 5000,
          maximum: 2147483647,
        },
        maxLineBytes: {
          type: 'integer',
          minimum: 64,
          default: 4096,
        },
        http: {
          type: 'object',
          additionalProperties: false,
          default: {} as Config['analytics']['http'],
          properties: {
            listen: {
              type: 'string',
              pattern: '^$|^(\\[[0-9a-fA-F:.]+\\]|[^:\\[\\]]+):[0-9]{1,5}$',
              default: '127.0.0.1:9471',
            },
          },
          required: ['listen'],
        },
      },
      required: ['rules', 'windowMs', 'summaryEveryMs', 'checkpointMs', 'pollMs', 'maxLineBytes', 'http'],
    },
    email: {
      type: 'object',
      additionalProperties: false,
      default: {} as Config['email'],
      properties: {
        smtpUrl: {
          type: 'string',
          default: '',
        },
        from: {
          type: 'string',
          default: '',
        },
        to: {
          type: 'string',
          default: '',
        },
        digestMs: {
          type: 'integer',
          minimum: 0,
          default: 10000,
          maximum: 2147483647,
        },
        minSeverity: {
          type: 'string',
          enum: ['info', 'warning', 'critical'],
          default: 'info',
        },
        timeoutMs: {
          type: 'integer',
          minimum: 100,
          default: 10000,
          maximum: 2147483647,
        },
        maxAgeMs: {
          type: 'integer',
          minimum: 1000,
          default: 86400000,
          maximum: 2147483647,
        },
      },
      required: ['smtpUrl', 'from', 'to', 'digestMs', 'minSeverity', 'timeoutMs', 'maxAgeMs'],
    },
    alertmanager: {
      type: 'object',
      additionalProperties: false,
      default: {} as Config['alertmanager'],
      properties: {
        url: {
          type: 'string',
          default: '',
        },
        timeoutMs: {
          type: 'integer',
          minimum: 100,
          maximum: 2147483647,
          default: 10000,
        },
        resendMs: {
          type: 'integer',
          minimum: 1000,
          maximum: 60000,
          default: 60000,
        },
        maxAgeMs: {
          type: 'integer',
          minimum: 1000,
          maximum: 2147483647,
          default: 86400000,
        },
      },
      required: ['url', 'timeoutMs', 'resendMs', 'maxAgeMs'],
    },
  },
  required: ['data', 'engine', 'analytics', 'email', 'alertmanager'],
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href)
  process.stdout.write(`${JSON.stringify(configSchema, null, 2)}\n`);
