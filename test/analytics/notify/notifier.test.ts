// The notification policy without a process: which channel hears what, and in which order.
import test from 'ava';
import { Announcer } from '../../../apps/analytics/notify/announce.js';
import type { NotifyChannel } from '../../../apps/analytics/notify/channel.js';
import { Notifier } from '../../../apps/analytics/notify/notifier.js';
import type { Transition } from '../../../apps/analytics/rules/alerting.js';
import type { Channel } from '../../../apps/analytics/rules/rule.js';
import { notice } from '../notice-fixture.js';

const NOW = Date.UTC(2026, 10, 28, 12);

function setup(): { notifier: Notifier; log: string[] } {
  const log: string[] = [];
  const channel = (name: Channel): NotifyChannel => ({
    name,
    send: (ts: Transition[]) => ts.length > 0 && log.push(`${name}:${ts.map((x) => x.rule).join(',')}`),
  });
  const announcer = new Announcer(['a', 'b', 'c'].map((name) => ({ name, flap: null, repeatMs: 0 })));
  const notifier = new Notifier({
    announcer,
    queued: [channel('email'), channel('alertmanager')],
    console: channel('console'),
    checkpoint: () => void log.push('checkpoint'),
  });
  return { notifier, log };
}

test('outboxes first, then the state saved, then the console: a crash never repeats a console line', (t) => {
  const { notifier, log } = setup();
  notifier.offer([notice({ rule: 'a', channels: ['console', 'email', 'alertmanager'], timestamp: NOW })], NOW);
  t.deepEqual(log, ['email:a', 'alertmanager:a', 'checkpoint', 'console:a']);
});

test('each channel hears only the rules that name it; nothing to say, nothing saved', (t) => {
  const { notifier, log } = setup();
  notifier.offer(
    [
      notice({ rule: 'a', channels: ['console'], timestamp: NOW }),
      notice({ rule: 'b', channels: ['email'], timestamp: NOW }),
      notice({ rule: 'c', channels: ['alertmanager', 'console'], timestamp: NOW }),
    ],
    NOW,
  );
  t.deepEqual(log, ['email:b', 'alertmanager:c', 'checkpoint', 'console:a,c']);
  log.length = 0;
  notifier.offer([], NOW);
  notifier.tick(NOW, []);
  t.deepEqual(log, []);
});

test('history is counted, not announced', (t) => {
  const { notifier, log } = setup();
  notifier.offer([notice({ rule: 'a', channels: ['console'], timestamp: NOW - 11 * 60_000 })], NOW);
  t.deepEqual(log, []);
  t.is(notifier.historyHeld, 1);
});
