// A channel with a durable outbox (email, Alertmanager): notifications go into the outbox first,
// then out in batches by the channel's `deliver`. A failed delivery is retried with exponential
// backoff and jitter until `maxAgeMs`, then dead-lettered and logged loudly; a notification that
// cannot be rendered is dead-lettered at once and never blocks the ones behind it. Delivery runs
// beside evaluation and never blocks it.
import type { Clock, Random, TimerHandle, Timers } from '../../../common/clock.js';
import { describeCause, TelemetryError } from '../../../common/errors.js';
import { log } from '../../../common/log.js';
import type { Transition } from '../rules/alerting.js';
import type { Channel } from '../rules/rule.js';
import type { NotifyChannel } from './channel.js';
import type { Outbox, OutboxItem } from './outbox.js';

const MAX_BACKOFF_MS = 5 * 60_000;
/** In a continuous stream, a batch waits at most this many `batchMs`. */
const MAX_BATCH_WAITS = 6;

/** What a channel does with a batch; everything else (queueing, retries, dead letters) is shared. */
export interface Delivery {
  readonly name: Channel;
  /** Which notifications this channel wants (e.g. email's minSeverity). */
  accepts(t: Transition): boolean;
  /** Throws when the notification cannot be rendered (it is dead-lettered). */
  render(t: Transition): void;
  /** The next batch from the pending items, oldest first (never empty when items are). */
  batch(items: OutboxItem[]): OutboxItem[];
  /** Sends one batch; rejects with a reason when it did not arrive. */
  deliver(batch: OutboxItem[]): Promise<string>;
  close(): void;
}

/** The clock, timers and jitter a channel runs on: the system's, or the simulation's. */
export interface QueuePorts {
  clock: Clock;
  timers: Timers;
  random: Random;
}

export interface QueueSettings {
  /** Notifications within this time of each other go out together. */
  batchMs: number;
  /** The least time between two deliveries. */
  spacingMs: number;
  maxAgeMs: number;
}

export class QueuedChannel implements NotifyChannel {
  readonly name: Channel;
  sent = 0;
  failed = 0;
  private readonly delivery: Delivery;
  private readonly settings: QueueSettings;
  private readonly outbox: Outbox;
  private readonly clock: Clock;
  private readonly timers: Timers;
  private readonly random: Random;
  private timer: TimerHandle | undefined;
  private inFlight: Promise<void> | null = null;
  private attempts = 0;
  private retryAt = 0;
  private waitingSince = 0;
  private stopped = false;

  constructor(delivery: Delivery, settings: QueueSettings, outbox: Outbox, ports: QueuePorts) {
    this.name = delivery.name;
    this.delivery = delivery;
    this.settings = settings;
    this.outbox = outbox;
    this.clock = ports.clock;
    this.timers = ports.timers;
    this.random = ports.random;
    if (outbox.depth > 0) {
      log.info(`${this.name} outbox holds undelivered notifications; sending them`, { pending: outbox.depth });
      this.schedule(this.clock.now());
    }
  }

  get depth(): number {
    return this.outbox.depth;
  }

  get dead(): number {
    return this.outbox.dead;
  }

  /** Durably queues the notifications (deduplicated by key) and arms the batch timer. */
  send(transitions: Transition[]): void {
    const now = this.clock.now();
    if (
      this.outbox.add(
        transitions.filter((t) => this.delivery.accepts(t)),
        now,
      ) === 0
    )
      return;
    if (!this.waitingSince) this.waitingSince = now;
    const { batchMs } = this.settings;
    this.schedule(Math.max(this.retryAt, Math.min(now + batchMs, this.waitingSince + MAX_BATCH_WAITS * batchMs)));
  }

  /** Lets a delivery in flight finish (bounded), then closes. Pending items stay in the outbox. */
  async stop(timeoutMs = 5000): Promise<void> {
    this.stopped = true;
    this.timers.clearTimeout(this.timer);
    if (this.inFlight) {
      let timer: TimerHandle | undefined;
      await Promise.race([
        this.inFlight,
        new Promise((r) => (timer = this.timers.setTimeout(() => r(null), timeoutMs))),
      ]);
      this.timers.clearTimeout(timer);
    }
    this.delivery.close();
    this.outbox.close();
  }

  private schedule(at: number): void {
    if (this.stopped) return;
    this.timers.clearTimeout(this.timer);
    this.timer = this.timers.setTimeout(() => void this.flush(), Math.max(0, at - this.clock.now()));
  }

  private deadLetter(items: OutboxItem[], why: string, fields: Record<string, number>): void {
    if (items.length === 0) return;
    this.outbox.markDead(items.map((i) => i.key));
    log.error(`${this.name.toUpperCase()} DEAD-LETTERED: ${why}`, {
      count: items.length,
      ...fields,
      file: this.outbox.deadPath,
    });
  }

  private renders(t: Transition): boolean {
    try {
      this.delivery.render(t);
      return true;
    } catch {
      return false;
    }
  }

  private async flush(): Promise<void> {
    if (this.inFlight) return;
    const now = this.clock.now();
    this.deadLetter(
      this.outbox.items().filter((i) => now - i.at > this.settings.maxAgeMs),
      'notifications could not be delivered in time and were moved aside',
      { maxAgeMs: this.settings.maxAgeMs },
    );
    this.deadLetter(
      this.outbox.items().filter((i) => !this.renders(i.transition)),
      'notifications that cannot be rendered were moved aside; the rest go out',
      {},
    );
    const items = this.outbox.items();
    if (items.length === 0) return;
    this.waitingSince = 0;
    const batch = this.delivery.batch(items);
    const keys = batch.map((i) => i.key);
    this.inFlight = this.delivery.deliver(batch).then(
      (what) => {
        this.outbox.markSent(keys);
        this.sent += keys.length;
        this.attempts = 0;
        this.retryAt = 0;
        log.info(`${this.name} sent`, { notifications: keys.length, what });
      },
      (err: unknown) => {
        this.failed += keys.length;
        this.attempts++;
        const backoff = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (this.attempts - 1)) * (0.5 + this.random());
        this.retryAt = this.clock.now() + backoff;
        const reason = err instanceof TelemetryError ? ((err as { kind?: string }).kind ?? err.code) : 'other';
        log.warn(`${this.name} not sent; kept in the outbox and retrying`, {
          reason,
          error: describeCause(err),
          attempt: this.attempts,
          retryInMs: Math.round(backoff),
          pending: this.outbox.depth,
        });
      },
    );
    await this.inFlight;
    this.inFlight = null;
    if (this.outbox.depth > 0) this.schedule(Math.max(this.retryAt, this.clock.now() + this.settings.spacingMs));
  }
}
