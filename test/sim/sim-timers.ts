// Simulated timers for the app core: they run in time order when the clock is advanced, and
// nothing waits for real.
import type { TimerHandle, Timers } from '../../common/clock.js';

/** Simulated timers: run in time order when the clock is advanced; nothing waits for real. */
export class SimTimers implements Timers {
  now: number;

  constructor(start: number) {
    this.now = start;
  }
  private seq = 0;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = ++this.seq;
    this.pending.set(id, { at: this.now + Math.max(0, ms), fn });
    return { unref: () => undefined, id } as TimerHandle;
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle) this.pending.delete((handle as unknown as { id: number }).id);
  }

  /** Timers armed and not yet run. */
  get waiting(): number {
    return this.pending.size;
  }

  /** Drops every timer (a crash). */
  reset(): void {
    this.pending.clear();
  }

  /** Runs every timer due up to `until`, in order, letting promises settle between them. */
  async advance(until: number): Promise<void> {
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.pending) if (entry[1].at <= until && (!next || entry[1].at < next[1].at)) next = entry;
      if (!next) break;
      this.pending.delete(next[0]);
      this.now = Math.max(this.now, next[1].at);
      next[1].fn();
      await settle();
    }
    this.now = Math.max(this.now, until);
  }
}

/** Lets every promise chain that is ready run (deliveries resolve at once in the simulation). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}
