// The email channel: a queued channel whose batches go out as digests (one email per batch, up to
// 200 notifications), with a stable Message-ID per batch.
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { Transition } from '../rules/alerting.js';
import { composeDigest, rowOf, SEVERITY_RANK } from './compose-digest.js';
import type { EmailSettings } from './email-settings.js';
import type { Outbox, OutboxItem } from './outbox.js';
import { QueuedChannel, type Delivery, type QueuePorts } from './queued-channel.js';
import type { Mailer } from './smtp.js';

const MAX_BATCH = 200;

function emailDelivery(settings: EmailSettings, mailer: Mailer): Delivery {
  return {
    name: 'email',
    accepts: (t: Transition) => SEVERITY_RANK[t.severity] >= SEVERITY_RANK[settings.minSeverity],
    render: (t: Transition) => void rowOf(t),
    batch: (items: OutboxItem[]) => items.slice(0, MAX_BATCH),
    async deliver(batch: OutboxItem[]) {
      const digest = composeDigest(
        batch.map((i) => i.transition),
        hostname(),
      );
      // A stable Message-ID lets mail systems drop the copy if a crash ever makes us send twice.
      const keys = batch.map((i) => i.key);
      const messageId = `<${createHash('sha256').update(keys.join('\n')).digest('hex').slice(0, 32)}@telemetry>`;
      await mailer.send({
        from: settings.from,
        to: settings.to,
        subject: digest.subject,
        text: digest.text,
        html: digest.html,
        messageId,
        keys,
      });
      return `to ${settings.to.join(',')}: ${digest.subject}`;
    },
    close: () => mailer.close(),
  };
}

export function createEmailChannel(
  settings: EmailSettings,
  outbox: Outbox,
  mailer: Mailer,
  ports: QueuePorts,
): QueuedChannel {
  return new QueuedChannel(
    emailDelivery(settings, mailer),
    { batchMs: settings.digestMs, spacingMs: 0, maxAgeMs: settings.maxAgeMs },
    outbox,
    ports,
  );
}
