import test from 'ava';
import { BuildIncompleteError } from '../../common/errors.js';
import { importGenerated } from '../../common/generated.js';

test('a generated module that is missing (a build with tsc alone) says what is missing and how to build it', async (t) => {
  const err = await t.throwsAsync(
    importGenerated(() => import(new URL('./no-such-validators.js', import.meta.url).href), 'dist/x/validators.js'),
    { instanceOf: BuildIncompleteError },
  );
  t.is(err.code, 'TELEMETRY_BUILD_INCOMPLETE');
  t.regex(err.message, /^dist\/x\/validators\.js is missing: build with `npm run build`/);
});

test('any other failure of a generated module is passed on as it is', async (t) => {
  const boom = new Error('boom');
  t.is(await t.throwsAsync(importGenerated(() => Promise.reject(boom), 'x.js')), boom);
});

test('the generated validators load', async (t) => {
  const m = await importGenerated(
    () => import('../../apps/analytics/validators.js'),
    'dist/apps/analytics/validators.js',
  );
  t.is(typeof m.validateRules, 'function');
});
