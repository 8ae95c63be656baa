// The shapes of the files analytics writes for itself (state, outbox lines). They are read back as
// untrusted input: whatever a disk, an editor or a bug left there is checked against these schemas
// before use, so a bad file is moved aside instead of crashing the app at every start. Compiled
// into dist/apps/analytics/validators.js at build time (scripts/build-validators.ts); checked in saved-checks.ts.
const MAX_MS = 8.64e15; // the largest time a Date holds
const count = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;
const time = { type: 'number', minimum: -MAX_MS, maximum: MAX_MS } as const;
const finite = { type: 'number', minimum: -Number.MAX_VALUE, maximum: Number.MAX_VALUE } as const;
const nullableFinite = { type: ['number', 'null'], minimum: -Number.MAX_VALUE, maximum: Number.MAX_VALUE } as const;
const name = { type: 'string', maxLength: 256 } as const;
const identity = {
  type: 'object',
  required: ['dev', 'ino', 'head'],
  properties: { dev: count, ino: count, head: { type: 'string', maxLength: 128 } },
} as const;

const notice = {
  type: 'object',
  required: [
    'rule',
    'kind',
    'timestamp',
    'value',
    'metric',
    'op',
    'threshold',
    'severity',
    'channels',
    'since',
    'firedAt',
  ],
  properties: {
    key: { type: 'string', maxLength: 1024 },
    rule: name,
    kind: { enum: ['firing', 'resolved', 'repeat', 'flapping', 'flapping-summary', 'settled'] },
    timestamp: time,
    value: finite,
    metric: { enum: ['cpu', 'ram', null] },
    op: { enum: ['above', 'below', 'absent'] },
    threshold: finite,
    severity: { enum: ['info', 'warning', 'critical'] },
    channels: { type: 'array', maxItems: 8, items: { type: 'string', maxLength: 32 } },
    since: time,
    firedAt: time,
    episode: { ...count, default: 0 },
    reason: { enum: ['rule changed', 'rule removed'] },
    flap: {
      type: ['object', 'null'],
      default: null,
      required: ['changes', 'windowMs', 'firing'],
      properties: { changes: count, windowMs: count, firing: { type: 'boolean' } },
    },
  },
} as const;

const accumulator = {
  type: 'object',
  required: ['count', 'sum', 'min', 'max'],
  properties: { count, sum: finite, min: nullableFinite, max: nullableFinite },
} as const;
const column = { type: 'integer', minimum: -1, maximum: 63 } as const;

const position = {
  type: ['object', 'null'],
  required: [...identity.required, 'offset', 'done'],
  properties: { ...identity.properties, offset: count, done: { type: 'array', items: identity } },
} as const;
const parser = {
  type: 'object',
  required: ['mapping'],
  properties: {
    mapping: {
      type: ['object', 'null'],
      required: ['timestamp', 'cpu', 'ram', 'seq', 'fields'],
      properties: {
        timestamp: column,
        cpu: column,
        ram: column,
        seq: column,
        fields: { type: 'integer', minimum: 0, maximum: 64 },
      },
    },
  },
} as const;

export const analyticsState = {
  type: 'object',
  required: ['version', 'position', 'parser', 'stats', 'alerts'],
  properties: {
    version: { const: 1 },
    position,
    parser,
    shown: {
      type: 'array',
      maxItems: 100,
      items: {
        type: 'object',
        required: ['rule', 'state', 'timestamp', 'value', 'coalesced'],
        properties: {
          rule: name,
          state: { enum: ['firing', 'resolved'] },
          timestamp: time,
          value: finite,
          coalesced: count,
        },
      },
    },
    remoteWrite: {
      type: 'object',
      required: ['position', 'parser'],
      properties: { position, parser, lastSent: time },
    },
    stats: {
      type: 'object',
      required: ['cpu', 'ram', 'rejected', 'headers', 'gaps', 'seqRestarts', 'truncations', 'lastSeq'],
      properties: {
        cpu: accumulator,
        ram: accumulator,
        rejected: {
          type: 'object',
          required: ['columns', 'number', 'range', 'too_long'],
          additionalProperties: false,
          properties: { columns: count, number: count, range: count, too_long: count },
        },
        headers: count,
        gaps: count,
        seqRestarts: count,
        truncations: count,
        lastSeq: { ...count, type: ['integer', 'null'] },
      },
    },
    alerts: {
      type: 'object',
      required: ['lastArrival', 'rules'],
      properties: {
        lastArrival: time,
        latest: time,
        retired: { type: 'object', maxProperties: 10000, additionalProperties: count },
        rules: {
          type: 'object',
          additionalProperties: {
            type: 'object',
            required: ['definition', 'state'],
            properties: {
              definition: { type: 'string' },
              state: {
                type: 'object',
                required: ['phase', 'since', 'firedAt', 'notifiedAt'],
                properties: {
                  phase: { enum: ['inactive', 'pending', 'firing'] },
                  since: time,
                  firedAt: time,
                  notifiedAt: time,
                },
              },
              episodes: { ...count, default: 0 },
              rejudge: { type: 'boolean' },
              last: finite,
              window: {
                type: 'array',
                maxItems: 1 << 21,
                items: { type: 'array', minItems: 2, maxItems: 3, items: finite },
              },
            },
          },
        },
      },
    },
    announce: {
      type: 'object',
      default: {},
      additionalProperties: {
        type: 'object',
        required: ['firing', 'changes', 'flapping'],
        properties: {
          firing: { type: 'boolean' },
          changes: { type: 'array', maxItems: 1000, items: time },
          flapping: {
            type: ['object', 'null'],
            required: ['trigger', 'held', 'heldSinceSummary', 'lastChangeAt', 'lastSummaryAt', 'summaries', 'last'],
            properties: {
              trigger: { type: 'string' },
              held: count,
              heldSinceSummary: count,
              lastChangeAt: time,
              lastSummaryAt: time,
              summaries: count,
              last: notice,
            },
          },
          told: notice,
        },
      },
    },
  },
} as const;

// `add` records carry key, at and transition; the others carry keys (no oneOf: defaults apply).
export const outboxRecord = {
  type: 'object',
  required: ['op'],
  properties: {
    op: { enum: ['add', 'sent', 'dead', 'seen'] },
    key: { type: 'string', minLength: 1, maxLength: 1024 },
    at: time,
    transition: notice,
    keys: { type: 'array', items: { type: 'string' } },
  },
  if: { properties: { op: { const: 'add' } } },
  then: { required: ['key', 'at', 'transition'] },
  else: { required: ['keys'] },
} as const;
