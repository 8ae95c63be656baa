// The email channel: transitions go into the durable outbox first, then out as digests. A failed
// send is retried with exponential backoff and jitter until `maxAgeMs`, then dead-lettered and
// logged loudly. Sending runs beside evaluation and never blocks it.
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { Clock } from '../../../common/clock.js';
import { EmailSendError } from '../../../common/errors.js';
import { log } from '../../../common/log.js';
import type { Transition } from '../rules/alerting.js';
import type { NotifyChannel } from './channel.js';
import { composeDigest, rowOf, SEVERITY_RANK } from './compose-digest.js';
import type { EmailSettings } from './email-settings.js';
import type { Outbox } from './outbox.js';
import type { Mailer } from './smtp.js';

const MAX_BATCH = 200;

function renders(t: Transition): boolean {
  try {
    rowOf(t);
    return true;
  } catch {
    return false;
  }
}
const MAX_BACKOFF_MS = 5 * 60_000;

export class EmailChannel implements NotifyChannel {
  readonly name = 'email';
  sent = 0;
  failed = 0;
  private readonly settings: EmailSettings;
  private readonly outbox: Outbox;
  private readonly mailer: Mailer;
  private readonly clock: Clock;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | null = null;
  private attempts = 0;
  private retryAt = 0;
  private waitingSince = 0;

  constructor(settings: EmailSettings, outbox: Outbox, mailer: Mailer, clock: Clock) {
    this.settings = settings;
    this.outbox = outbox;
    this.mailer = mailer;
    this.clock = clock;
    if (outbox.depth > 0) {
      log.info('email outbox holds undelivered notifications; sending them', { pending: outbox.depth });
      this.schedule(clock.now());
    }
  }

  get depth(): number {
    return this.outbox.depth;
  }

  /** Durably queues the transitions (deduplicated by key) and arms the digest timer. */
  send(transitions: Transition[]): void {
    const wanted = transitions.filter((t) => SEVERITY_RANK[t.severity] >= SEVERITY_RANK[this.settings.minSeverity]);
    const now = this.clock.now();
    if (this.outbox.add(wanted, now) === 0) return;
    if (!this.waitingSince) this.waitingSince = now;
    // Wait for a quiet digestMs, but never more than 6 × digestMs in a continuous stream.
    this.schedule(Math.max(this.retryAt, Math.min(now + this.settings.digestMs, this.waitingSince + 6 * this.settings.digestMs)));
  }

  /** Lets a send in flight finish (bounded), then closes the transport. Pending items stay in the outbox. */
  async stop(timeoutMs = 5000): Promise<void> {
    clearTimeout(this.timer);
    if (this.inFlight) await Promise.race([this.inFlight, new Promise((r) => setTimeout(r, timeoutMs))]);
    this.mailer.close();
    this.outbox.close();
  }

  private schedule(at: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.flush(), Math.max(0, at - this.clock.now()));
  }

  private async flush(): Promise<void> {
    if (this.inFlight) return;
    const now = this.clock.now();
    const expired = this.outbox.items().filter((i) => now - i.at > this.settings.maxAgeMs);
    if (expired.length > 0) {
      this.outbox.markDead(expired.map((i) => i.key));
      log.error('EMAIL DEAD-LETTERED: notifications could not be delivered in time and were moved aside', { count: expired.length, maxAgeMs: this.settings.maxAgeMs, file: this.outbox.deadPath });
    }
    const unrenderable = this.outbox.items().filter((i) => !renders(i.transition));
    if (unrenderable.length > 0) {
      this.outbox.markDead(unrenderable.map((i) => i.key));
      log.error('EMAIL DEAD-LETTERED: notifications that cannot be rendered were moved aside; the rest go out', { count: unrenderable.length, file: this.outbox.deadPath });
    }
    const batch = this.outbox.items().slice(0, MAX_BATCH);
    if (batch.length === 0) return;
    this.waitingSince = 0;
    const digest = composeDigest(batch.map((i) => i.transition), hostname());
    const keys = batch.map((i) => i.key);
    // A stable Message-ID lets mail systems drop the copy if a crash ever makes us send twice.
    const messageId = `<${createHash('sha256').update(keys.join('\n')).digest('hex').slice(0, 32)}@telemetry>`;
    this.inFlight = this.mailer
      .send({ from: this.settings.from, to: this.settings.to, subject: digest.subject, text: digest.text, html: digest.html, messageId })
      .then(
        () => {
          this.outbox.markSent(keys);
          this.sent += keys.length;
          this.attempts = 0;
          this.retryAt = 0;
          log.info('email sent', { notifications: keys.length, to: this.settings.to.join(','), subject: digest.subject });
        },
        (err: unknown) => {
          this.failed++;
          this.attempts++;
          const backoff = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (this.attempts - 1)) * (0.5 + Math.random());
          this.retryAt = this.clock.now() + backoff;
          const reason = err instanceof EmailSendError ? err : null;
          log.warn('email not sent; kept in the outbox and retrying', { reason: reason?.kind ?? 'other', error: reason?.message ?? String(err), attempt: this.attempts, retryInMs: Math.round(backoff), pending: this.outbox.depth });
        },
      )
      .finally(() => {
        this.inFlight = null;
        if (this.outbox.depth > 0) this.schedule(Math.max(this.retryAt, this.clock.now()));
      });
    await this.inFlight;
  }
}
