// `telemetry test-email`: one message with the current settings, or exactly what went wrong.
import { hostname } from 'node:os';
import { readEmailSettings } from '../apps/analytics/notify/email-settings.js';
import { createSmtpMailer } from '../apps/analytics/notify/smtp.js';
import { redact } from '../common/redact.js';
import { testChannel } from './test-notify.js';

export function testEmail(): Promise<number> {
  return testChannel({
    what: 'test email',
    read: (config) => readEmailSettings(config.email),
    notConfigured:
      'email is not configured: set TELEMETRY_SMTP_URL and TELEMETRY_EMAIL_TO (or email.smtpUrl and email.to)',
    async send(settings) {
      const mailer = createSmtpMailer(settings);
      const host = hostname();
      try {
        await mailer.send({
          from: settings.from,
          to: settings.to,
          subject: `[telemetry] test email from ${host}`,
          text: `This is a test message from the telemetry pipeline on ${host}.\nIf you can read it, email alerts will reach you.\n`,
          html: `<p>This is a test message from the telemetry pipeline on <b>${host}</b>.</p><p>If you can read it, email alerts will reach you.</p>`,
        });
        return `to ${settings.to.join(', ')} via ${redact(settings.url)}`;
      } finally {
        mailer.close();
      }
    },
  });
}
