// Drift-free schedule: the k-th sample is due at start + k·interval; a late tick never bursts.

export interface Tick {
  /** Index of the slot this sample fills. */
  k: number;
  /** Slots that passed unsampled because the thread was late. */
  skipped: number;
  /** Milliseconds from `now` to the next slot. */
  delay: number;
}

/** Given the slot `k` that was due and the time now, which slot to sample and when the next is due. */
export function planTick(start: number, interval: number, k: number, now: number): Tick {
  const behind = Math.floor((now - (start + k * interval)) / interval);
  const skipped = Math.max(0, behind);
  const slot = k + skipped;
  return { k: slot, skipped, delay: Math.max(0, start + (slot + 1) * interval - now) };
}
