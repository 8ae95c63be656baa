// avg/min/max over the samples whose timestamps lie in (t − span, t], O(1) amortised per sample.
// Timestamps are whole milliseconds, so the window keeps one entry per millisecond at most, and
// loses nothing: avg an exact sum and count per millisecond (sums of integer millionths, so the mean
// of 80 and 80 is exactly 80), min and max a monotonic deque of the candidates, one per millisecond.
// At any sample rate the window holds at most as many entries as its span has milliseconds.
import type { Aggregate } from './rule.js';

const SCALE = 1e6;
/** At most this many milliseconds per window (24 MiB): only a window over 17 min at a sample every millisecond or faster loses its oldest early. */
export const MAX_WINDOW_SAMPLES = 1 << 20;
const AVG = 0;
const MIN = 1;
const MAX = 2;

export class WindowAggregate {
  private readonly kind: number;
  private readonly spanMs: number;
  // A ring of (timestamp, value) whose capacity is a power of two: positions wrap with a mask.
  // For avg the values are kept as integer millionths.
  private ts = new Float64Array(16);
  private values = new Float64Array(16);
  /** avg: samples per entry. */
  private counts = new Float64Array(16);
  private mask = 15;
  private head = 0;
  private size = 0;
  private sum = 0;
  /** avg: samples in the window. */
  private count = 0;

  constructor(kind: Aggregate, spanMs: number) {
    this.kind = kind === 'avg' ? AVG : kind === 'min' ? MIN : MAX;
    this.spanMs = spanMs;
  }

  /**
   * Adds a sample (or, restoring, `n` samples of one millisecond whose values sum to `value`) and
   * returns the aggregate of the window ending at its timestamp.
   */
  push(timestamp: number, value: number, n = 1): number {
    const cutoff = timestamp - this.spanMs;
    const kind = this.kind;
    const ts = this.ts;
    const values = this.values;
    const mask = this.mask;
    let head = this.head;
    let size = this.size;
    if (size > 0 && timestamp < ts[(head + size - 1) & mask]!) {
      // Time went backwards (a clock step, files out of order): what the window holds is from
      // the "future" and would never leave it. Start the window again.
      size = 0;
      this.sum = 0;
      this.count = 0;
    }
    while (size > 0 && (ts[head]! <= cutoff || size === MAX_WINDOW_SAMPLES)) {
      if (kind === AVG) {
        this.sum -= values[head]!;
        this.count -= this.counts[head]!;
      }
      head = (head + 1) & mask;
      size--;
    }
    this.head = head;
    if (kind === AVG) {
      const stored = Math.round(value * SCALE);
      this.sum += stored;
      this.count += n;
      const last = (head + size - 1) & mask;
      if (size > 0 && ts[last] === timestamp) {
        // the same millisecond: one entry
        values[last]! += stored;
        this.counts[last]! += n;
        this.size = size;
      } else this.append(size, timestamp, stored, n);
      // One correctly rounded division of two exact integers: the true mean, rounded once.
      return this.sum / (this.count * SCALE);
    }
    if (kind === MIN) while (size > 0 && values[(head + size - 1) & mask]! >= value) size--;
    else while (size > 0 && values[(head + size - 1) & mask]! <= value) size--;
    // a candidate of the same millisecond as one kept better leaves with it: not kept
    if (size > 0 && ts[(head + size - 1) & mask] === timestamp) this.size = size;
    else this.append(size, timestamp, value, 1);
    return this.values[this.head]!;
  }

  private append(size: number, timestamp: number, value: number, n: number): void {
    this.size = size;
    if (size > this.mask) this.grow();
    const at = (this.head + size) & this.mask;
    this.ts[at] = timestamp;
    this.values[at] = value;
    this.counts[at] = n;
    this.size = size + 1;
  }

  /** The entries kept, oldest first: [ms, value] ([ms, sum, samples] for avg), enough to rebuild the window. */
  save(): number[][] {
    const out: number[][] = [];
    for (let i = 0; i < this.size; i++) {
      const at = (this.head + i) & this.mask;
      const n = this.counts[at]!;
      out.push(this.kind === AVG ? [this.ts[at]!, this.values[at]! / SCALE, n] : [this.ts[at]!, this.values[at]!]);
    }
    return out;
  }

  restore(entries: number[][]): void {
    for (const [t, v, n] of entries) this.push(t!, v!, n ?? 1);
  }

  private grow(): void {
    const ts = new Float64Array(this.ts.length * 2);
    const values = new Float64Array(this.ts.length * 2);
    const counts = new Float64Array(this.ts.length * 2);
    for (let i = 0; i < this.size; i++) {
      const at = (this.head + i) & this.mask;
      ts[i] = this.ts[at]!;
      values[i] = this.values[at]!;
      counts[i] = this.counts[at]!;
    }
    this.ts = ts;
    this.values = values;
    this.counts = counts;
    this.mask = ts.length - 1;
    this.head = 0;
  }
}
