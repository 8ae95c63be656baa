// Email settings from the configuration (the environment already won over the file): off until
// smtpUrl and recipients are set; a wrong setting is reported at start, never silently ignored.
import { hostname } from 'node:os';
import type { Config, Severity } from '../../../common/config.js';
import { EmailConfigInvalidError } from '../../../common/errors.js';
import { redact } from '../../../common/redact.js';

export interface EmailSettings {
  url: string;
  from: string;
  to: string[];
  digestMs: number;
  minSeverity: Severity;
  timeoutMs: number;
  maxAgeMs: number;
}

const ADDRESS = /^[^\s@<>,]+@[^\s@<>,]+$/;

/** null when email is off (nothing configured); throws EmailConfigInvalidError when half or badly set. */
export function readEmailSettings(email: Config['email']): EmailSettings | null {
  const to = email.to
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!email.smtpUrl && to.length === 0) return null;
  const problems: string[] = [];
  let url: URL | null = null;
  try {
    url = new URL(email.smtpUrl);
  } catch {
    problems.push(
      email.smtpUrl
        ? `TELEMETRY_SMTP_URL / email.smtpUrl is not a URL: ${redact(email.smtpUrl)}`
        : 'TELEMETRY_SMTP_URL / email.smtpUrl is not set',
    );
  }
  if (url && url.protocol !== 'smtp:' && url.protocol !== 'smtps:')
    problems.push(`TELEMETRY_SMTP_URL must start with smtp:// or smtps://, not ${url.protocol}//`);
  if (url && !url.hostname) problems.push('TELEMETRY_SMTP_URL has no host');
  if (to.length === 0) problems.push('TELEMETRY_EMAIL_TO / email.to names no recipient');
  for (const address of to) if (!ADDRESS.test(address)) problems.push(`recipient "${address}" is not an email address`);
  const from = email.from || `telemetry@${hostname()}`;
  if (!ADDRESS.test(from)) problems.push(`sender "${from}" is not an email address`);
  if (problems.length > 0) throw new EmailConfigInvalidError(`email is misconfigured: ${problems.join('; ')}`);
  return {
    url: email.smtpUrl,
    from,
    to,
    digestMs: email.digestMs,
    minSeverity: email.minSeverity,
    timeoutMs: email.timeoutMs,
    maxAgeMs: email.maxAgeMs,
  };
}
