import type { Transition } from '../rules/alerting.js';

/** Where notifications go. A channel never throws: failures stay inside it (retried or logged). */
export interface NotifyChannel {
  readonly name: 'console' | 'email';
  send(transitions: Transition[]): void;
}
