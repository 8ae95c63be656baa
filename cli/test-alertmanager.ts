// `telemetry test-alertmanager`: one test alert with the current settings, or exactly what failed.
import { hostname } from 'node:os';
import { postAlerts, readAlertmanagerSettings } from '../apps/analytics/notify/alertmanager.js';
import { redact } from '../common/redact.js';
import { testChannel } from './test-notify.js';

/** How long the test alert stays active in Alertmanager. */
const TEST_ALERT_MS = 5 * 60_000;

export function testAlertmanager(): Promise<number> {
  return testChannel({
    what: 'test alert',
    read: (config) => readAlertmanagerSettings(config.alertmanager),
    notConfigured: 'the alertmanager channel is not configured: set TELEMETRY_ALERTMANAGER_URL (or alertmanager.url)',
    async send(settings) {
      const host = hostname();
      const now = Date.now();
      await postAlerts(settings, [
        {
          labels: { alertname: 'telemetry_test', severity: 'info', host, job: 'telemetry' },
          annotations: {
            summary: `test alert from the telemetry pipeline on ${host}`,
            description: 'If you can see it, alerts reach this Alertmanager. It ends by itself in 5 minutes.',
          },
          startsAt: new Date(now).toISOString(),
          endsAt: new Date(now + TEST_ALERT_MS).toISOString(),
        },
      ]);
      return `(alertname=telemetry_test) to ${redact(settings.url)}`;
    },
  });
}
