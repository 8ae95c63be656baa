import type { Transition } from '../rules/alerting.js';
import type { Channel } from '../rules/rule.js';

/** Where notifications go. A channel never throws: failures stay inside it (retried or logged). */
export interface NotifyChannel {
  readonly name: Channel;
  send(transitions: Transition[]): void;
}
