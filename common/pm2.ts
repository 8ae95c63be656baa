// PM2 integration: `ready` for wait_ready, and metrics for `pm2 monit` / `pm2 show` via tx2.
import { createRequire } from 'node:module';

/** Tells PM2 the app is up (wait_ready); a no-op outside PM2. */
export function signalReady(): void {
  process.send?.('ready');
}

/** Registers metrics (name → current value); only under PM2, where tx2 has someone to talk to. */
export function publishMetrics(metrics: Record<string, () => number | string>): void {
  if (!process.send) return;
  const tx2 = createRequire(import.meta.url)('tx2') as {
    metric(opts: { name: string; value: () => number | string }): void;
  };
  for (const [name, value] of Object.entries(metrics)) tx2.metric({ name, value });
}

/** Runs `stop` once on the first SIGINT or SIGTERM. */
export function onShutdown(stop: (signal: string) => void | Promise<void>): void {
  let stopping = false;
  const handler = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    void stop(signal);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

/**
 * Asks PM2 to stop this app, so a deliberate exit (engine.limit reached) is not restarted. PM2
 * reports a kill -9 as exit code 0, so `stop_exit_codes: [0]` would also keep a killed engine
 * down: the app says "stop me" instead, and PM2 answers with SIGINT. false outside PM2 or when
 * PM2 cannot be reached.
 */
export async function stopSelfUnderPm2(): Promise<boolean> {
  const id = process.env.pm_id;
  if (!process.send || id === undefined) return false;
  const { default: pm2 } = await import('pm2');
  return new Promise((resolve) => {
    // pm2's types say Error, but a connection that worked calls back with null
    pm2.connect((err: Error | null) => {
      if (err) {
        resolve(false);
        return;
      }
      // PM2 answers with SIGINT and waits for the exit: the app must not wait for this callback
      pm2.stop(Number(id), () => pm2.disconnect());
      resolve(true);
    });
  });
}
