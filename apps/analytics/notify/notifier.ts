// From transitions to channels, in the order that keeps promises across a crash:
//
//   transitions ─▶ announcer (history, flapping) ─▶ queued channels (durable outboxes)
//               ─▶ state saved ─▶ console lines
//
// A crash can lose a console line but never repeat one, and a replay re-adds nothing twice (the
// outboxes deduplicate by key). No clock of its own: `now` comes from the shell.
import { log } from '../../../common/log.js';
import type { Transition } from '../rules/alerting.js';
import { formatDuration } from '../rules/duration.js';
import { HISTORY_MS, type AnnouncedRule, type Announcer } from './announce.js';
import type { NotifyChannel } from './channel.js';

export interface NotifierParts {
  announcer: Announcer;
  /** Channels with an outbox: fed before the state is saved. */
  queued: NotifyChannel[];
  /** The console: fed after. */
  console: NotifyChannel;
  /** Saves the analytics state (never throws). */
  checkpoint(): void;
}

export class Notifier {
  /** Transitions of old samples recorded without notifying, since start. */
  historyHeld = 0;
  private readonly parts: NotifierParts;

  constructor(parts: NotifierParts) {
    this.parts = parts;
  }

  /** New transitions from the rules, at wall-clock `now`. */
  offer(transitions: Transition[], now: number): void {
    if (transitions.length === 0) return;
    const { notices, history } = this.parts.announcer.offer(transitions, now);
    if (history > 0) {
      this.historyHeld += history;
      log.info(
        `catching up on history: transitions of samples older than ${formatDuration(HISTORY_MS)} recorded without notifying`,
        { transitions: history },
      );
    }
    this.dispatch(notices);
  }

  /** Flapping rules settle or send their summaries; current firings never told are told (see Announcer.reconcile). */
  tick(now: number, currentFirings: Transition[]): void {
    const { announcer } = this.parts;
    this.dispatch([...announcer.tick(now), ...announcer.reconcile(currentFirings, now)]);
  }

  /** New rules (a reload, or the rules at start): a removed rule told firing gets its resolve. */
  replace(rules: AnnouncedRule[], now: number): void {
    this.dispatch(this.parts.announcer.replace(rules, now));
  }

  private dispatch(notices: Transition[]): void {
    if (notices.length === 0) return;
    const { queued, console } = this.parts;
    for (const channel of queued) {
      channel.send(notices.filter((t) => t.channels.includes(channel.name)));
    }
    this.parts.checkpoint();
    console.send(notices.filter((t) => t.channels.includes('console')));
  }
}
