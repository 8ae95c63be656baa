// Wall-clock time for the decision modules: they take a Clock, so tests and the simulation step
// it. Thread and process plumbing (the engine's sampler and writer, its stats period, scrape-time
// metrics, the CLI) reads Date.now() directly: nothing there decides on time worth a test clock.
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A time as ISO 8601 in UTC, as log lines, emails and Alertmanager show it. */
export const iso = (ms: number): string => new Date(ms).toISOString();

/** A timer as the decision modules see it: the simulation's clock runs them in order, without waiting. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
}

export interface TimerHandle {
  /** Lets the process exit while the timer is pending (node's unref). */
  unref(): void;
}

export const systemTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout | undefined),
};

/** Where jitter comes from: Math.random, or the simulation's seeded source. */
export type Random = () => number;
