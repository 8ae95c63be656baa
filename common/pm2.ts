// PM2 integration: `ready` for wait_ready, and metrics for `pm2 monit` / `pm2 show` via tx2.
import { createRequire } from 'node:module';

/** Tells PM2 the app is up (wait_ready); a no-op outside PM2. */
export function signalReady(): void {
  process.send?.('ready');
}

/** Registers metrics (name → current value); only under PM2, where tx2 has someone to talk to. */
export function publishMetrics(metrics: Record<string, () => number | string>): void {
  if (!process.send) return;
  const tx2 = createRequire(import.meta.url)('tx2') as { metric(opts: { name: string; value: () => number | string }): void };
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
