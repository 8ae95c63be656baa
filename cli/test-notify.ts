// `telemetry test-email` and `telemetry test-alertmanager`: one message through a channel with the
// current settings, or exactly what went wrong (the error's `kind`).
import { loadConfig, type Config } from '../common/config.js';
import type { TelemetryError } from '../common/errors.js';

export interface ChannelTest<S> {
  /** `test email`, `test alert`. */
  what: string;
  /** The settings, null when the channel is not configured; throws when they are wrong. */
  read(config: Config): S | null;
  notConfigured: string;
  /** Sends one message and says where it went. */
  send(settings: S): Promise<string>;
}

export async function testChannel<S>(test: ChannelTest<S>): Promise<number> {
  const { config } = await loadConfig();
  let settings: S | null;
  try {
    settings = test.read(config);
  } catch (err) {
    process.stderr.write(`telemetry: ${(err as TelemetryError).message}\n`);
    return 1;
  }
  if (!settings) {
    process.stderr.write(`telemetry: ${test.notConfigured}\n`);
    return 1;
  }
  try {
    process.stdout.write(`sent a ${test.what} ${await test.send(settings)}\n`);
    return 0;
  } catch (err) {
    const kind = (err as { kind?: string }).kind ?? 'other';
    process.stderr.write(`telemetry: ${test.what} failed (${kind}): ${(err as Error).message}\n`);
    return 1;
  }
}
