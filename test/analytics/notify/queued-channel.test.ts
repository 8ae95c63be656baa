// The queue every durable channel shares (email, Alertmanager), on simulated timers with a fixed
// jitter: batching, spacing, backoff, maximum age, unrenderable notifications, start and stop.
// Serial: they read the log lines.
import test from 'ava';
import { join } from 'node:path';
import { EmailSendError, UsageError } from '../../../common/errors.js';
import { Outbox, type OutboxItem } from '../../../apps/analytics/notify/outbox.js';
import { QueuedChannel, type QueueSettings } from '../../../apps/analytics/notify/queued-channel.js';
import type { Transition } from '../../../apps/analytics/rules/alerting.js';
import { logged, tempDir } from '../../helpers.js';
import { SimTimers } from '../../sim/sim-timers.js';
import { notice } from '../notice-fixture.js';

const T0 = Date.UTC(2026, 11, 4);
const SETTINGS: QueueSettings = { batchMs: 1000, spacingMs: 5000, maxAgeMs: 60_000 };

interface Rig {
  channel: QueuedChannel;
  outbox: Outbox;
  timers: SimTimers;
  /** Each delivery tried: when (ms after T0), its keys, and whether it arrived. */
  tries: { at: number; keys: string[]; ok: boolean }[];
  /** The next deliveries fail with these errors, in order. */
  failures: Error[];
  /** With `held`: the deliveries in flight, settled by the test. */
  held: { resolve: (what: string) => void; reject: (err: Error) => void }[];
  at: (ms: number) => Promise<void>;
  send: (...ts: Transition[]) => void;
}

async function rig(
  over: {
    settings?: Partial<QueueSettings>;
    perBatch?: number;
    path?: string;
    accepts?: (t: Transition) => boolean;
    renders?: (t: Transition) => boolean;
    held?: boolean;
    random?: () => number;
  } = {},
): Promise<Rig> {
  const timers = new SimTimers(T0);
  const outbox = new Outbox(over.path ?? join(await tempDir(), 'outbox.jsonl'), T0);
  const tries: Rig['tries'] = [];
  const failures: Error[] = [];
  const held: Rig['held'] = [];
  const channel = new QueuedChannel(
    {
      name: 'email',
      accepts: over.accepts ?? (() => true),
      render: (t) => {
        if (over.renders && !over.renders(t)) throw new Error('cannot render');
      },
      batch: (items: OutboxItem[]) => items.slice(0, over.perBatch ?? Infinity),
      deliver: (batch) => {
        const failure = failures.shift();
        tries.push({ at: timers.now - T0, keys: batch.map((i) => i.key), ok: !failure });
        if (over.held) return new Promise<string>((resolve, reject) => held.push({ resolve, reject }));
        return failure ? Promise.reject(failure) : Promise.resolve(`${batch.length} sent`);
      },
      close: () => undefined,
    },
    { ...SETTINGS, ...over.settings },
    outbox,
    { clock: { now: () => timers.now }, timers, random: over.random ?? (() => 0.5) },
  );
  return {
    channel,
    outbox,
    timers,
    tries,
    failures,
    held,
    at: (ms) => timers.advance(T0 + ms),
    send: (...ts) => {
      channel.send(ts);
    },
  };
}

const n = (i: number): Transition & { key: string } => notice({ timestamp: i });

test.serial(
  'notifications within batchMs of each other go out together; a steady stream waits at most 6 batchMs',
  async (t) => {
    const r = await rig();
    r.send(n(1));
    await r.at(500);
    r.send(n(2));
    await r.at(1499);
    t.deepEqual(r.tries, []);
    await r.at(1500);
    t.deepEqual(r.tries, [{ at: 1500, keys: [n(1).key, n(2).key], ok: true }]);
    t.is(r.channel.sent, 2);
    // one every 500 ms from 10 s: the batch goes at 16 s with the 12 sent before
    for (let ms = 10_000; ms < 20_000; ms += 500) {
      await r.at(ms);
      r.send(n(ms));
    }
    t.deepEqual(
      r.tries.slice(1).map((x) => [x.at, x.keys.length]),
      [[16_000, 12]],
    );
  },
);

test.serial('what one batch leaves waits spacingMs for the next', async (t) => {
  const r = await rig({ perBatch: 2 });
  r.send(n(1), n(2), n(3), n(4), n(5));
  await r.at(60_000);
  t.deepEqual(
    r.tries.map((x) => [x.at, x.keys.length]),
    [
      [1000, 2],
      [6000, 2],
      [11_000, 1],
    ],
  );
  t.is(r.channel.depth, 0);
});

test.serial(
  'a failed delivery stays queued and is retried after 1, 2, 4 … s (with jitter), at most 5 min; success resets the backoff',
  async (t) => {
    const r = await rig({ settings: { spacingMs: 100, maxAgeMs: 86_400_000 } });
    r.failures.push(...Array.from({ length: 11 }, () => new EmailSendError('refused', 'refused', null)));
    r.send(n(1));
    const { lines } = await logged(() => r.at(3_600_000));
    const gaps = r.tries.slice(1).map((x, i) => x.at - r.tries[i]!.at);
    t.deepEqual(
      gaps,
      [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300].map((s) => s * 1000),
    );
    t.deepEqual(
      r.tries.map((x) => x.ok),
      [...Array<boolean>(11).fill(false), true],
    );
    t.is(r.channel.failed, 11);
    t.is(r.channel.sent, 1);
    t.regex(
      lines[0]!,
      /^warn email not sent; kept in the outbox and retrying reason=refused error="TELEMETRY_EMAIL_SEND_FAILED refused" attempt=1 retryInMs=1000 pending=1\n$/,
    );
    t.regex(lines.at(-1)!, /^info email sent notifications=1 what="1 sent"\n$/);
    // a fresh failure starts again at 1 s, and what is sent meanwhile waits for the retry
    const since = r.timers.now - T0;
    r.failures.push(new Error('boom'));
    r.send(n(2));
    const { lines: again } = await logged(() => r.at(since + 1000));
    t.regex(again[0]!, /reason=other .*retryInMs=1000 /);
    r.send(n(3));
    await r.at(since + 1999);
    t.is(r.tries.length, 13, 'nothing before the retry is due');
    await r.at(since + 2000);
    t.deepEqual(r.tries.at(-1), { at: since + 2000, keys: [n(2).key, n(3).key], ok: true });
  },
);

test.serial('a failure of a kindless TelemetryError is named by its code', async (t) => {
  const r = await rig();
  r.failures.push(new UsageError('nope'));
  r.send(n(1));
  const { lines } = await logged(() => r.at(1000));
  t.regex(lines[0]!, /reason=TELEMETRY_USAGE /);
});

test.serial(
  'older than maxAgeMs at a delivery: dead-lettered with one error line; exactly maxAgeMs old is still tried',
  async (t) => {
    const r = await rig({ settings: { maxAgeMs: 10_000, spacingMs: 100 } });
    r.failures.push(...Array.from({ length: 4 }, () => new Error('down')));
    r.send(n(1)); // tried at 1, 2, 4, 8 s after 1 s: at 16 s it is 16 s old
    await r.at(9000);
    r.send(n(2)); // 9 s: next try at 16 s, then 7 s old
    const { lines } = await logged(() => r.at(16_000));
    t.deepEqual(
      r.tries.map((x) => x.at),
      [1000, 2000, 4000, 8000, 16_000],
    );
    t.deepEqual(r.tries.at(-1)!.keys, [n(2).key]);
    t.is(r.channel.dead, 1);
    t.regex(
      lines[0]!,
      /^error EMAIL DEAD-LETTERED: notifications could not be delivered in time and were moved aside count=1 maxAgeMs=10000 file=\S+outbox\.dead\.jsonl\n$/,
    );
    const edge = await rig({ settings: { maxAgeMs: 1000 } });
    edge.send(n(1));
    await edge.at(1000);
    t.is(edge.tries.length, 1, 'exactly maxAgeMs old: tried');
  },
);

test.serial(
  'a notification that cannot be rendered is dead-lettered at once; the rest go out; one not accepted never enters',
  async (t) => {
    const r = await rig({ renders: (x) => x.timestamp !== 2, accepts: (x) => x.timestamp !== 3 });
    r.send(n(1), n(2), n(3));
    const { lines } = await logged(() => r.at(1000));
    t.deepEqual(r.tries, [{ at: 1000, keys: [n(1).key], ok: true }]);
    t.is(r.channel.dead, 1);
    t.regex(
      lines[0]!,
      /^error EMAIL DEAD-LETTERED: notifications that cannot be rendered were moved aside; the rest go out count=1 file=/,
    );
    r.send(n(3));
    t.is(r.channel.depth, 0);
  },
);

test.serial('at start, what the outbox holds is sent at once, with one line', async (t) => {
  const path = join(await tempDir(), 'outbox.jsonl');
  const before = new Outbox(path, T0);
  before.add([n(1), n(2)], T0);
  before.close();
  const { value: r, lines } = await logged(() => rig({ path }));
  t.deepEqual(lines, ['info email outbox holds undelivered notifications; sending them pending=2\n']);
  await r.at(0);
  t.deepEqual(r.tries, [{ at: 0, keys: [n(1).key, n(2).key], ok: true }]);
});

test.serial(
  'stop() waits for the delivery in flight at most timeoutMs; pending notifications stay in the outbox',
  async (t) => {
    const r = await rig({ held: true });
    r.send(n(1));
    await r.at(1000);
    t.is(r.tries.length, 1);
    let stopped = false;
    const stopping = r.channel.stop(3000).then(() => (stopped = true));
    await r.at(3999);
    t.false(stopped);
    await r.at(4000);
    await stopping;
    t.deepEqual(
      new Outbox(r.outbox.path, T0).items().map((i) => i.key),
      [n(1).key],
    );
  },
);

test.serial('after stop() nothing is retried', async (t) => {
  const r = await rig();
  r.failures.push(new Error('down'));
  r.send(n(1));
  await logged(() => r.at(1000));
  await r.channel.stop();
  await r.at(100_000);
  t.is(r.tries.length, 1);
});

test.serial(
  'one delivery at a time: what comes meanwhile waits for it; after stop() a delivery that ends schedules nothing',
  async (t) => {
    const r = await rig({ held: true });
    r.send(n(1));
    await r.at(1000);
    r.send(n(2));
    await r.at(10_000);
    t.is(r.tries.length, 1, 'n(2) waits while n(1) is in flight');
    await logged(() => {
      r.held[0]!.reject(new Error('down'));
    });
    await r.at(15_000);
    t.deepEqual(r.tries[1]!.keys, [n(1).key, n(2).key]);
    const stopping = r.channel.stop(1000);
    await r.at(15_500);
    await logged(() => {
      r.held[1]!.reject(new Error('down'));
    });
    await stopping;
    await r.at(3_600_000);
    t.is(r.tries.length, 2);
    t.is(r.timers.waiting, 0);
  },
);

test.serial('jitter scales the backoff by 0.5 + random', async (t) => {
  for (const [random, first] of [
    [0, 500],
    [0.25, 750],
    [0.9, 1400],
  ] as const) {
    const r = await rig({ random: () => random, settings: { spacingMs: 0 } });
    r.failures.push(new Error('down'));
    r.send(n(1));
    const { lines } = await logged(() => r.at(1000));
    t.regex(lines[0]!, new RegExp(` retryInMs=${first} `));
    await r.at(1000 + first);
    t.deepEqual(
      r.tries.map((x) => x.at),
      [1000, 1000 + first],
    );
  }
});

test.serial(
  'nothing to send, nothing done: an empty outbox at start says nothing, nothing left wakes nobody, no empty delivery',
  async (t) => {
    const { value: r, lines } = await logged(() => rig({ renders: () => false }));
    t.deepEqual(lines, []);
    t.is(r.timers.waiting, 0);
    r.send(n(1));
    await logged(() => r.at(60_000));
    t.deepEqual(r.tries, [], 'its only notification dead-lettered: no delivery of nothing');
    t.is(r.timers.waiting, 0);
    const ok = await rig();
    ok.send(n(1));
    await ok.at(1000);
    t.is(ok.tries.length, 1);
    t.is(ok.timers.waiting, 0, 'delivered: no timer left');
  },
);
