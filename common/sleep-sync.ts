const cell = new Int32Array(new SharedArrayBuffer(4));

/** Blocks this thread for `ms` (fractions allowed): for worker loops and sync writers that must wait in place. */
export function sleepSync(ms: number): void {
  Atomics.wait(cell, 0, 0, ms);
}
