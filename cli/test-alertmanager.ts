// `telemetry test-alertmanager`: one test alert with the current settings, or exactly what failed.
import { hostname } from 'node:os';
import { loadConfig } from '../common/config.js';
import { AlertmanagerSendError, type TelemetryError } from '../common/errors.js';
import { redact } from '../common/redact.js';
import { postAlerts, readAlertmanagerSettings, type AlertmanagerSettings } from '../apps/analytics/notify/alertmanager.js';

/** How long the test alert stays active in Alertmanager. */
const TEST_ALERT_MS = 5 * 60_000;

export async function testAlertmanager(): Promise<number> {
  const { config } = await loadConfig();
  let settings: AlertmanagerSettings | null;
  try {
    settings = readAlertmanagerSettings(config.alertmanager);
  } catch (err) {
    process.stderr.write(`telemetry: ${(err as TelemetryError).message}\n`);
    return 1;
  }
  if (!settings) {
    process.stderr.write('telemetry: the alertmanager channel is not configured: set TELEMETRY_ALERTMANAGER_URL (or alertmanager.url)\n');
    return 1;
  }
  const host = hostname();
  const now = Date.now();
  try {
    await postAlerts(settings, [
      {
        labels: { alertname: 'telemetry_test', severity: 'info', host, job: 'telemetry' },
        annotations: { summary: `test alert from the telemetry pipeline on ${host}`, description: 'If you can see it, alerts reach this Alertmanager. It ends by itself in 5 minutes.' },
        startsAt: new Date(now).toISOString(),
        endsAt: new Date(now + TEST_ALERT_MS).toISOString(),
      },
    ]);
    process.stdout.write(`sent a test alert (alertname=telemetry_test) to ${redact(settings.url)}\n`);
    return 0;
  } catch (err) {
    const kind = err instanceof AlertmanagerSendError ? err.kind : 'other';
    process.stderr.write(`telemetry: test alert failed (${kind}): ${(err as Error).message}\n`);
    return 1;
  }
}
