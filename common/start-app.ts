// Shared start-up of both apps: load the configuration or exit 1 with every problem listed, and
// claim the data directory (one app of each kind per directory).
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { acquireAppLock } from './app-lock.js';
import type { LoadedConfig } from './config.js';
import { AnalyticsLockedError, DataDirUnusableError, EngineLockedError, TelemetryError } from './errors.js';
import { log } from './log.js';
import type { ConfigReply } from './load-config-worker.js';

export async function loadConfigOrExit(app: string): Promise<LoadedConfig> {
  const worker = new Worker(new URL('./load-config-worker.js', import.meta.url));
  const reply = await new Promise<ConfigReply>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  }).catch((err: unknown) => fail(app, err));
  await worker.terminate();
  if (!reply.ok) fail(app, reply.code ? new TelemetryError(reply.code, reply.message) : new Error(reply.message));
  return reply.loaded;
}

/** Logs a fatal start-up or run-time error (with its code) and exits non-zero so PM2 restarts. */
export function fail(app: string, err: unknown): never {
  if (err instanceof TelemetryError) log.error(`${app} cannot run: ${err.message}`, { code: err.code });
  else log.error(`${app} crashed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
}

/**
 * Creates the data directory and takes its lock for this app (released at exit), or exits 1: a
 * directory that cannot be created (a file in its place) cannot heal, and a live holder is the
 * same app running twice.
 */
export function claimDataDir(app: string, dir: string, kind: 'engine' | 'analytics', mainUrl: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    fail(app, new DataDirUnusableError(dir, err));
  }
  const Locked = kind === 'engine' ? EngineLockedError : AnalyticsLockedError;
  try {
    const lock = acquireAppLock(dir, kind, fileURLToPath(mainUrl), (holder, path) => new Locked(dir, holder, path));
    process.on('exit', () => lock.release());
  } catch (err) {
    fail(app, err instanceof TelemetryError ? err : new DataDirUnusableError(dir, err));
  }
}
