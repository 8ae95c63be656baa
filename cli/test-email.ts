// `telemetry test-email`: one message with the current settings, or exactly what went wrong.
import { hostname } from 'node:os';
import { loadConfig } from '../common/config.js';
import { EmailSendError, TelemetryError } from '../common/errors.js';
import { readEmailSettings, type EmailSettings } from '../apps/analytics/notify/email-settings.js';
import { redact } from '../common/redact.js';
import { createSmtpMailer } from '../apps/analytics/notify/smtp.js';

export async function testEmail(): Promise<number> {
  const { config } = await loadConfig();
  let settings: EmailSettings | null;
  try {
    settings = readEmailSettings(config.email);
  } catch (err) {
    process.stderr.write(`telemetry: ${(err as TelemetryError).message}\n`);
    return 1;
  }
  if (!settings) {
    process.stderr.write('telemetry: email is not configured: set TELEMETRY_SMTP_URL and TELEMETRY_EMAIL_TO (or email.smtpUrl and email.to)\n');
    return 1;
  }
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
    process.stdout.write(`sent a test email to ${settings.to.join(', ')} via ${redact(settings.url)}\n`);
    return 0;
  } catch (err) {
    const kind = err instanceof EmailSendError ? err.kind : 'other';
    process.stderr.write(`telemetry: test email failed (${kind}): ${(err as Error).message}\n`);
    return 1;
  } finally {
    mailer.close();
  }
}
