// avg/min/max over the samples whose timestamps lie in (t − span, t], O(1) amortised per sample:
// avg keeps every sample in the window and an exact running sum (in millionths, integers);
// min and max keep a monotonic deque, so only candidates stay.
import type { Aggregate } from './rule.js';

const SCALE = 1e6;

export class WindowAggregate {
  private readonly kind: Aggregate;
  private readonly spanMs: number;
  private ts = new Float64Array(16);
  private values = new Float64Array(16);
  private head = 0;
  private size = 0;
  private sum = 0;

  constructor(kind: Aggregate, spanMs: number) {
    this.kind = kind;
    this.spanMs = spanMs;
  }

  /** Adds a sample and returns the aggregate of the window ending at its timestamp. */
  push(timestamp: number, value: number): number {
    const cutoff = timestamp - this.spanMs;
    while (this.size > 0 && this.ts[this.head]! <= cutoff) this.dropFront();
    if (this.kind === 'min') while (this.size > 0 && this.back() >= value) this.size--;
    else if (this.kind === 'max') while (this.size > 0 && this.back() <= value) this.size--;
    this.append(timestamp, value);
    if (this.kind === 'avg') return this.sum / this.size / SCALE;
    return this.values[this.head]!;
  }

  /** The entries kept, oldest first: enough to rebuild the window after a restart. */
  save(): [number, number][] {
    const out: [number, number][] = [];
    for (let i = 0; i < this.size; i++) {
      const at = (this.head + i) % this.ts.length;
      out.push([this.ts[at]!, this.values[at]!]);
    }
    return out;
  }

  restore(entries: [number, number][]): void {
    for (const [t, v] of entries) this.push(t, v);
  }

  private back(): number {
    return this.values[(this.head + this.size - 1) % this.values.length]!;
  }

  private dropFront(): void {
    if (this.kind === 'avg') this.sum -= Math.round(this.values[this.head]! * SCALE);
    this.head = (this.head + 1) % this.ts.length;
    this.size--;
  }

  private append(timestamp: number, value: number): void {
    if (this.size === this.ts.length) this.grow();
    const at = (this.head + this.size) % this.ts.length;
    this.ts[at] = timestamp;
    this.values[at] = value;
    this.size++;
    if (this.kind === 'avg') this.sum += Math.round(value * SCALE);
  }

  private grow(): void {
    const ts = new Float64Array(this.ts.length * 2);
    const values = new Float64Array(this.ts.length * 2);
    for (let i = 0; i < this.size; i++) {
      const at = (this.head + i) % this.ts.length;
      ts[i] = this.ts[at]!;
      values[i] = this.values[at]!;
    }
    this.ts = ts;
    this.values = values;
    this.head = 0;
  }
}
