// When work kept pending (rows not yet fsynced, state not yet saved, points not yet sent) is
// flushed: within a period of the last flush, and already once half of it passed when the app is
// awake anyway for the work itself, so at low rates the work and its flush share one wake-up.

/**
 * `busy`: this wake-up did the work (wrote rows, read rows), not one kept for the deadline. A
 * clock set back before the last flush makes it due at once (else flushes would stall for as long
 * as the step).
 */
export function flushDue(now: number, last: number, periodMs: number, busy: boolean): boolean {
  return now < last || now - last >= (busy ? periodMs / 2 : periodMs);
}
