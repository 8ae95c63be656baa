// avg/min/max over the samples whose timestamps lie in (t − span, t], O(1) amortised per sample:
// avg keeps every sample in the window and an exact running sum (of integer millionths, so the
// mean of 80 and 80 is exactly 80); min and max keep a monotonic deque, so only candidates stay.
import type { Aggregate } from './rule.js';

const SCALE = 1e6;
/** At most this many samples per window (16 MiB): at burst rates the oldest leave early. */
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
  private mask = 15;
  private head = 0;
  private size = 0;
  private sum = 0;

  constructor(kind: Aggregate, spanMs: number) {
    this.kind = kind === 'avg' ? AVG : kind === 'min' ? MIN : MAX;
    this.spanMs = spanMs;
  }

  /** Adds a sample and returns the aggregate of the window ending at its timestamp. */
  push(timestamp: number, value: number): number {
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
    }
    while (size > 0 && (ts[head]! <= cutoff || size === MAX_WINDOW_SAMPLES)) {
      if (kind === AVG) this.sum -= values[head]!;
      head = (head + 1) & mask;
      size--;
    }
    if (kind === MIN) while (size > 0 && values[(head + size - 1) & mask]! >= value) size--;
    else if (kind === MAX) while (size > 0 && values[(head + size - 1) & mask]! <= value) size--;
    this.head = head;
    this.size = size;
    if (size > mask) this.grow();
    const stored = kind === AVG ? Math.round(value * SCALE) : value;
    const at = (this.head + size) & this.mask;
    this.ts[at] = timestamp;
    this.values[at] = stored;
    this.size = size + 1;
    if (kind !== AVG) return this.values[this.head]!;
    this.sum += stored;
    // One correctly rounded division of two exact integers: the true mean, rounded once.
    return this.sum / (this.size * SCALE);
  }

  /** The entries kept, oldest first: enough to rebuild the window after a restart. */
  save(): [number, number][] {
    const out: [number, number][] = [];
    for (let i = 0; i < this.size; i++) {
      const at = (this.head + i) & this.mask;
      out.push([this.ts[at]!, this.kind === AVG ? this.values[at]! / SCALE : this.values[at]!]);
    }
    return out;
  }

  restore(entries: [number, number][]): void {
    for (const [t, v] of entries) this.push(t, v);
  }

  private grow(): void {
    const ts = new Float64Array(this.ts.length * 2);
    const values = new Float64Array(this.ts.length * 2);
    for (let i = 0; i < this.size; i++) {
      const at = (this.head + i) & this.mask;
      ts[i] = this.ts[at]!;
      values[i] = this.values[at]!;
    }
    this.ts = ts;
    this.values = values;
    this.mask = ts.length - 1;
    this.head = 0;
  }
}
