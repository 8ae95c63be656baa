import test from 'ava';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock, systemTimers } from '../../../common/clock.js';
import { createEmailChannel } from '../../../apps/analytics/notify/email.js';
import type { QueuedChannel } from '../../../apps/analytics/notify/queued-channel.js';
import type { EmailSettings } from '../../../apps/analytics/notify/email-settings.js';
import { Outbox } from '../../../apps/analytics/notify/outbox.js';
import { classifySmtpError, createSmtpMailer } from '../../../apps/analytics/notify/smtp.js';
import { keyOf, type Transition } from '../../../apps/analytics/rules/alerting.js';
import { tempDir, waitFor } from '../../helpers.js';
import { notice } from '../notice-fixture.js';
import { freePort, startSilentServer, startSmtp } from '../../smtp-fixture.js';

const T0 = Date.UTC(2026, 10, 27, 23, 49, 58);

function transition(
  i: number,
  kind: Transition['kind'] = 'firing',
  severity: Transition['severity'] = 'warning',
): Transition {
  return notice({
    rule: `rule_${i % 3}`,
    kind,
    timestamp: T0 + i * 1000,
    value: 92.41,
    severity,
    since: T0,
    firedAt: T0 + i,
  });
}

async function channelFor(
  url: string,
  over: Partial<EmailSettings> = {},
): Promise<{ channel: QueuedChannel; outbox: Outbox; dir: string }> {
  const dir = await tempDir();
  const settings: EmailSettings = {
    url,
    from: 'telemetry@test.local',
    to: ['ops@test.local', 'dev@test.local'],
    digestMs: 100,
    minSeverity: 'info',
    timeoutMs: 1000,
    maxAgeMs: 60_000,
    ...over,
  };
  const outbox = new Outbox(join(dir, 'outbox.jsonl'), 0);
  return {
    channel: createEmailChannel(settings, outbox, createSmtpMailer(settings), {
      clock: systemClock,
      timers: systemTimers,
      random: Math.random,
    }),
    outbox,
    dir,
  };
}

test('delivery with AUTH: one digest with subject, recipients, text and HTML bodies', async (t) => {
  const smtp = await startSmtp({ user: 'alice', pass: 's3cret' });
  t.teardown(() => smtp.close());
  const { channel, outbox } = await channelFor(smtp.url);
  t.teardown(() => channel.stop());
  channel.send([transition(0, 'firing', 'critical'), { ...transition(1, 'resolved'), value: 71.2 }]);
  await waitFor('the email', () => smtp.messages.length === 1 && outbox.depth === 0);
  const mail = smtp.messages[0]!;
  t.regex(mail.subject ?? '', /^\[telemetry\] CRITICAL: 2 alerts on \S+: rule_0, rule_1$/);
  t.deepEqual(
    (Array.isArray(mail.to) ? mail.to : [mail.to]).flatMap((a) => a!.value.map((v) => v.address)),
    ['ops@test.local', 'dev@test.local'],
  );
  t.is(mail.from?.value[0]?.address, 'telemetry@test.local');
  t.regex(mail.text ?? '', /2026-11-27T23:49:58\.000Z {2}firing {7}rule_0 {2}cpu=92\.41 \(> 80\) {2}critical/);
  t.regex(mail.text ?? '', /resolved .*rule_1 {2}cpu=71\.20/);
  t.regex(String(mail.html), /<td>rule_0<\/td><td>cpu=92\.41<\/td><td>&gt; 80<\/td><td>critical<\/td>/);
  t.is(channel.sent, 2);
});

test('a burst of 50 transitions within the digest window goes out as one email', async (t) => {
  const smtp = await startSmtp();
  t.teardown(() => smtp.close());
  const { channel, outbox } = await channelFor(smtp.url, { digestMs: 300 });
  t.teardown(() => channel.stop());
  for (let i = 0; i < 50; i++) channel.send([transition(i)]);
  await waitFor('the digest', () => outbox.depth === 0);
  t.is(smtp.messages.length, 1);
  t.regex(smtp.messages[0]!.subject ?? '', /WARNING: 50 alerts/);
});

test('minSeverity keeps lower severities out of email', async (t) => {
  const smtp = await startSmtp();
  t.teardown(() => smtp.close());
  const { channel, outbox } = await channelFor(smtp.url, { minSeverity: 'critical' });
  t.teardown(() => channel.stop());
  channel.send([transition(0, 'firing', 'warning')]);
  t.is(outbox.depth, 0);
  channel.send([transition(1, 'firing', 'critical')]);
  t.is(outbox.depth, 1);
});

test('SMTP down when an alert fires: kept, retried, and delivered exactly once when the server comes up', async (t) => {
  const port = await freePort();
  const { channel, outbox } = await channelFor(`smtp://127.0.0.1:${port}`, { digestMs: 20 });
  t.teardown(() => channel.stop());
  channel.send([transition(0)]);
  await waitFor('a failed attempt', () => channel.failed >= 1);
  t.is(outbox.depth, 1);
  const smtp = await startSmtp({ port });
  t.teardown(() => smtp.close());
  await waitFor('delivery after the server came up', () => outbox.depth === 0, 30_000);
  t.is(smtp.messages.length, 1);
  t.is(channel.sent, 1);
});

test('a server that accepts but never greets: timeout, kept in the outbox, retried', async (t) => {
  const silent = await startSilentServer();
  t.teardown(() => silent.close());
  const { channel, outbox } = await channelFor(`smtp://127.0.0.1:${silent.port}`, { digestMs: 10, timeoutMs: 200 });
  t.teardown(() => channel.stop());
  channel.send([transition(0)]);
  await waitFor('two timed-out attempts', () => channel.failed >= 2 && silent.connections() >= 2, 30_000);
  t.is(outbox.depth, 1);
  t.is(channel.sent, 0);
});

test('wrong password: the failure is auth, the notification stays in the outbox', async (t) => {
  const smtp = await startSmtp({ user: 'alice', pass: 's3cret' });
  t.teardown(() => smtp.close());
  const { channel, outbox } = await channelFor(`smtp://alice:wrong@127.0.0.1:${smtp.port}`, { digestMs: 10 });
  t.teardown(() => channel.stop());
  channel.send([transition(0)]);
  await waitFor('a failed attempt', () => channel.failed >= 1);
  t.is(outbox.depth, 1);
  t.is(smtp.messages.length, 0);
  const err = await createSmtpMailer({
    url: `smtp://alice:wrong@127.0.0.1:${smtp.port}`,
    from: 'a@b.c',
    to: ['d@e.f'],
    digestMs: 0,
    minSeverity: 'info',
    timeoutMs: 1000,
    maxAgeMs: 1,
  })
    .send({ from: 'a@b.c', to: ['d@e.f'], subject: 's', text: 't', html: 'h' })
    .catch((e: unknown) => e);
  t.is((err as { kind?: string }).kind, 'auth');
  t.notRegex((err as Error).message, /wrong/, 'the password never appears');
});

test('notifications older than maxAgeMs are dead-lettered, not retried forever', async (t) => {
  const port = await freePort();
  const { channel, outbox, dir } = await channelFor(`smtp://127.0.0.1:${port}`, { digestMs: 10, maxAgeMs: 1 });
  t.teardown(() => channel.stop());
  channel.send([transition(0)]);
  await waitFor('the dead letter', () => outbox.depth === 0);
  t.is(channel.sent, 0);
  const dead = JSON.parse(readFileSync(join(dir, 'outbox.dead.jsonl'), 'utf8')) as {
    key: string;
    transition: { rule: string };
  };
  t.deepEqual([dead.key, dead.transition.rule], [transition(0).key, 'rule_0']);
});

test('failures are named: dns, refused, tls, auth, timeout', (t) => {
  const kind = (e: object): string => classifySmtpError(e, 'smtp://u:p@h:25').kind;
  t.is(kind({ code: 'EDNS', message: 'getaddrinfo ENOTFOUND h' }), 'dns');
  t.is(kind({ code: 'ESOCKET', message: 'connect ECONNREFUSED 127.0.0.1:25' }), 'refused');
  t.is(kind({ code: 'ESOCKET', message: 'self-signed certificate' }), 'tls');
  t.is(kind({ code: 'EAUTH', message: 'Invalid login' }), 'auth');
  t.is(kind({ code: 'ETIMEDOUT', message: 'Greeting never received' }), 'timeout');
  t.notRegex(classifySmtpError({ code: 'ESOCKET', message: 'x' }, 'smtp://u:p@h:25').message, /u:p@/);
});

test('a notification that cannot be rendered is dead-lettered loudly; the rest still go out', async (t) => {
  const smtp = await startSmtp();
  t.teardown(() => smtp.close());
  const { channel, outbox, dir } = await channelFor(smtp.url);
  t.teardown(() => channel.stop());
  // an item from before the parser refused timestamps a Date cannot hold
  channel.send([{ ...transition(0), timestamp: 1e17, key: 'bad' }, transition(1, 'firing', 'critical')]);
  await waitFor('the email', () => smtp.messages.length === 1 && outbox.depth === 0);
  t.regex(smtp.messages[0]!.subject ?? '', /CRITICAL: 1 alert on \S+: rule_1$/);
  const dead = readFileSync(join(dir, 'outbox.dead.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { key: string });
  t.deepEqual(
    dead.map((d) => d.key),
    ['bad'],
  );
});

test('flap notices are carried in the digest with their counts', async (t) => {
  const smtp = await startSmtp();
  t.teardown(() => smtp.close());
  const { channel, outbox } = await channelFor(smtp.url);
  t.teardown(() => channel.stop());
  channel.send([
    { ...transition(0), kind: 'flapping', key: 'f', flap: { changes: 6, windowMs: 600_000, firing: true } },
    { ...transition(0), kind: 'settled', key: 's', flap: { changes: 14, windowMs: 600_000, firing: false } },
  ]);
  await waitFor('the email', () => smtp.messages.length === 1 && outbox.depth === 0);
  t.regex(smtp.messages[0]!.text ?? '', /flapping: 6 changes within 10m +rule_0/);
  t.regex(smtp.messages[0]!.text ?? '', /settled \(now ok\): 14 changes held back +rule_0/);
});

test('the Message-ID is made of the notification keys: the same batch sent again (after a crash) has the same one', async (t) => {
  const ids: string[] = [];
  const mailer = {
    send: (mail: { messageId?: string }) => {
      ids.push(mail.messageId ?? '');
      return Promise.resolve();
    },
    close: () => undefined,
  };
  const settings: EmailSettings = {
    url: 'smtp://127.0.0.1:1',
    from: 'telemetry@test.local',
    to: ['ops@test.local'],
    digestMs: 10,
    minSeverity: 'info',
    timeoutMs: 1000,
    maxAgeMs: 60_000,
  };
  const batch = [transition(0), transition(1, 'firing', 'critical')];
  for (let run = 0; run < 2; run++) {
    const dir = await tempDir();
    const channel = createEmailChannel(settings, new Outbox(join(dir, 'outbox.jsonl'), 0), mailer, {
      clock: systemClock,
      timers: systemTimers,
      random: Math.random,
    });
    channel.send(batch);
    await waitFor('the digest', () => ids.length === run + 1);
    await channel.stop();
  }
  const keys = batch.map(keyOf).join('\n');
  t.deepEqual(ids, Array(2).fill(`<${createHash('sha256').update(keys).digest('hex').slice(0, 32)}@telemetry>`));
});
