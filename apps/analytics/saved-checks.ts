// The analytics app's own saved files, checked before use (schemas in saved-schemas.ts).
import type { ErrorObject } from 'ajv';
import { importGenerated } from '../../common/generated.js';

const { validateAnalyticsState, validateOutboxRecord } = await importGenerated(
  () => import('./validators.js'),
  'dist/apps/analytics/validators.js',
);

function describe(errors: ErrorObject[] | null | undefined): string {
  const e = errors?.[0];
  return e ? `${e.instancePath || '(top level)'} ${e.message ?? 'is invalid'}` : 'is invalid';
}

/** null when `value` is a usable analytics state (defaults filled in place), else what is wrong. */
export function checkAnalyticsState(value: unknown): string | null {
  return validateAnalyticsState(value) ? null : describe(validateAnalyticsState.errors);
}

/** null when `value` is a usable outbox record (defaults filled in place), else what is wrong. */
export function checkOutboxRecord(value: unknown): string | null {
  return validateOutboxRecord(value) ? null : describe(validateOutboxRecord.errors);
}
