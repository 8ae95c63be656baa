// Shared start-up of both apps: load the configuration or exit 1 with every problem listed.
import { loadConfig, type LoadedConfig } from './config.js';
import { TelemetryError } from './errors.js';
import { log } from './log.js';

export async function loadConfigOrExit(app: string): Promise<LoadedConfig> {
  try {
    return await loadConfig();
  } catch (err) {
    fail(app, err);
  }
}

/** Logs a fatal start-up or run-time error (with its code) and exits non-zero so PM2 restarts. */
export function fail(app: string, err: unknown): never {
  if (err instanceof TelemetryError) log.error(`${app} cannot run: ${err.message}`, { code: err.code });
  else log.error(`${app} crashed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
}
