// The only way code reads wall-clock time, so tests can step it.
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
