// The SMTP transport (nodemailer, pooled, timeouts in seconds) and a plain-words reading of its
// failures: dns, refused, tls, auth, timeout, rejected.
import type { Transporter } from 'nodemailer';
import { credentialsOf } from '../../../common/credentials.js';
import { EmailSendError } from '../../../common/errors.js';
import { redact } from '../../../common/redact.js';
import type { EmailSettings } from './email-settings.js';

interface Mail {
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
  messageId?: string;
  /** The notification keys a digest carries (its Message-ID is made of them). */
  keys?: string[];
}

/** What the email channel needs of a transport: send one message, then close. */
export interface Mailer {
  send(mail: Mail): Promise<void>;
  close(): void;
}

export function createSmtpMailer(settings: EmailSettings): Mailer {
  const url = new URL(settings.url);
  // nodemailer (~4 MiB of memory) is loaded for the first message, not at start: most days send none
  let transport: Promise<Transporter> | undefined;
  const open = (): Promise<Transporter> =>
    (transport ??= import('nodemailer').then(({ default: nodemailer }) =>
      nodemailer.createTransport({
        host: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port ? Number(url.port) : undefined,
        secure: url.protocol === 'smtps:',
        auth: credentialsOf(url) ?? undefined,
        pool: true,
        maxConnections: 1,
        connectionTimeout: settings.timeoutMs,
        greetingTimeout: settings.timeoutMs,
        socketTimeout: settings.timeoutMs,
        dnsTimeout: settings.timeoutMs,
      }),
    ));
  return {
    async send(mail) {
      const smtp = await open();
      try {
        await smtp.sendMail(mail);
      } catch (err) {
        throw classifySmtpError(err, settings.url);
      }
    },
    close: () => void transport?.then((smtp) => smtp.close()),
  };
}

/** One EmailSendError whose kind and message say exactly what went wrong. */
export function classifySmtpError(err: unknown, url: string): EmailSendError {
  const e = err as { code?: string; message?: string; responseCode?: number; response?: string };
  const message = e.message ?? String(err);
  const where = redact(url);
  const test = (re: RegExp): boolean => re.test(`${e.code ?? ''} ${message}`);
  if (test(/EDNS|ENOTFOUND|EAI_AGAIN/))
    return new EmailSendError('dns', `DNS: cannot resolve the SMTP host of ${where} (${message})`, err);
  if (test(/ECONNREFUSED/))
    return new EmailSendError('refused', `refused: nothing accepts connections at ${where} (${message})`, err);
  if (test(/ETIMEDOUT|[Tt]imeout|Greeting never received/))
    return new EmailSendError('timeout', `timeout: ${where} did not answer in time (${message})`, err);
  if (test(/EAUTH/))
    return new EmailSendError('auth', `auth: the SMTP server refused the login (${e.response ?? message})`, err);
  if (test(/ETLS|certificate|self[- ]signed|SSL|TLS|wrong version number/i))
    return new EmailSendError('tls', `TLS: secure connection to ${where} failed (${message})`, err);
  if (test(/EENVELOPE|EMESSAGE/))
    return new EmailSendError(
      'rejected',
      `rejected: the SMTP server refused the message (${e.response ?? message})`,
      err,
    );
  return new EmailSendError('other', `sending failed via ${where}: ${message}`, err);
}
