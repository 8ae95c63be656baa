// Loads the configuration in a short-lived thread, so the long-running main threads never hold
// cosmiconfig and its loaders (several MiB of RSS for the life of the app). No thread loads ajv:
// the schemas are compiled at build time (scripts/build-validators.ts).
import { parentPort } from 'node:worker_threads';
import { loadConfig } from './config.js';
import { TelemetryError, type ErrorCode } from './errors.js';

export type ConfigReply =
  { ok: true; loaded: Awaited<ReturnType<typeof loadConfig>> } | { ok: false; code: ErrorCode | null; message: string };

loadConfig().then(
  (loaded) => parentPort!.postMessage({ ok: true, loaded } satisfies ConfigReply),
  (err: unknown) =>
    parentPort!.postMessage({
      ok: false,
      code: err instanceof TelemetryError ? err.code : null,
      message:
        err instanceof TelemetryError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err),
    } satisfies ConfigReply),
);
