// Wall-clock time for the decision modules: they take a Clock, so tests and the simulation step
// it. Thread and process plumbing (the engine's sampler and writer, its stats period, scrape-time
// metrics, the CLI) reads Date.now() directly: nothing there decides on time worth a test clock.
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A time as ISO 8601 in UTC, as log lines, emails and Alertmanager show it. */
export const iso = (ms: number): string => new Date(ms).toISOString();
