// All-time statistics (saved with the position, so a restart continues them exactly) and a
// rolling window for the summary line, kept in fixed time buckets so memory stays constant.
import { REASONS, type Reason } from './source/parse-line.js';

export interface MetricSummary {
  avg: number | null;
  min: number | null;
  max: number | null;
}

class Accumulator {
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;

  add(value: number): void {
    this.count++;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }

  reset(): void {
    this.count = 0;
    this.sum = 0;
    this.min = Infinity;
    this.max = -Infinity;
  }

  merge(other: Accumulator): void {
    this.count += other.count;
    this.sum += other.sum;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
  }

  summary(): MetricSummary {
    return this.count === 0 ? { avg: null, min: null, max: null } : { avg: this.sum / this.count, min: this.min, max: this.max };
  }
}

const BUCKETS = 60;

/** avg/min/max over the last `spanMs` of sample time, to a resolution of spanMs/60. */
export class RollingWindow {
  private readonly width: number;
  private readonly buckets = Array.from({ length: BUCKETS }, () => ({ slot: -1, cpu: new Accumulator(), ram: new Accumulator() }));
  private latest = -Infinity;

  constructor(spanMs: number) {
    this.width = Math.max(1, spanMs / BUCKETS);
  }

  add(timestamp: number, cpu: number, ram: number): void {
    const slot = Math.floor(timestamp / this.width);
    // slot is far beyond int32: a floating-point % is a slow library call, this is not
    const bucket = this.buckets[slot - Math.floor(slot / BUCKETS) * BUCKETS]!;
    if (bucket.slot !== slot) {
      if (slot < bucket.slot) return; // older than the window
      bucket.slot = slot;
      bucket.cpu.reset();
      bucket.ram.reset();
    }
    bucket.cpu.add(cpu);
    bucket.ram.add(ram);
    if (slot > this.latest) this.latest = slot;
  }

  summary(): { count: number; cpu: MetricSummary; ram: MetricSummary } {
    const cpu = new Accumulator();
    const ram = new Accumulator();
    for (const b of this.buckets) {
      if (b.slot > this.latest - BUCKETS) {
        cpu.merge(b.cpu);
        ram.merge(b.ram);
      }
    }
    return { count: cpu.count, cpu: cpu.summary(), ram: ram.summary() };
  }
}

export interface StatsState {
  cpu: { count: number; sum: number; min: number | null; max: number | null };
  ram: { count: number; sum: number; min: number | null; max: number | null };
  rejected: Record<Reason, number>;
  headers: number;
  gaps: number;
  seqRestarts: number;
  truncations: number;
  lastSeq: number | null;
}

export class Stats {
  readonly cpu = new Accumulator();
  readonly ram = new Accumulator();
  rejected: Record<Reason, number> = { columns: 0, number: 0, range: 0, too_long: 0 };
  headers = 0;
  gaps = 0;
  seqRestarts = 0;
  truncations = 0;
  private lastSeq = NaN;
  /** Only the live app's summary line shows it; `analyze` passes null and saves the work. */
  readonly window: RollingWindow | null;

  constructor(windowMs: number | null) {
    this.window = windowMs === null ? null : new RollingWindow(windowMs);
  }

  get samples(): number {
    return this.cpu.count;
  }

  get rejectedTotal(): number {
    return REASONS.reduce((sum, r) => sum + this.rejected[r], 0);
  }

  addSample(timestamp: number, cpu: number, ram: number, seq: number): void {
    this.cpu.add(cpu);
    this.ram.add(ram);
    this.window?.add(timestamp, cpu, ram);
    if (!Number.isNaN(seq)) {
      if (!Number.isNaN(this.lastSeq)) {
        if (seq > this.lastSeq + 1) this.gaps += seq - this.lastSeq - 1;
        else if (seq <= this.lastSeq) this.seqRestarts++;
      }
      this.lastSeq = seq;
    }
  }

  /** The `analyze --json` shape of SPEC (without alerts). */
  report(): { samples: number; rejected: Record<string, number>; headers: number; gaps: number; cpu: MetricSummary; ram: MetricSummary } {
    return {
      samples: this.samples,
      rejected: { total: this.rejectedTotal, ...this.rejected },
      headers: this.headers,
      gaps: this.gaps,
      cpu: this.cpu.summary(),
      ram: this.ram.summary(),
    };
  }

  save(): StatsState {
    const acc = (a: Accumulator): StatsState['cpu'] => ({ count: a.count, sum: a.sum, min: a.count ? a.min : null, max: a.count ? a.max : null });
    return { cpu: acc(this.cpu), ram: acc(this.ram), rejected: { ...this.rejected }, headers: this.headers, gaps: this.gaps, seqRestarts: this.seqRestarts, truncations: this.truncations, lastSeq: Number.isNaN(this.lastSeq) ? null : this.lastSeq };
  }

  restore(s: StatsState): void {
    for (const [acc, saved] of [[this.cpu, s.cpu], [this.ram, s.ram]] as const) {
      acc.count = saved.count;
      acc.sum = saved.sum;
      acc.min = saved.min ?? Infinity;
      acc.max = saved.max ?? -Infinity;
    }
    this.rejected = { ...this.rejected, ...s.rejected };
    this.headers = s.headers;
    this.gaps = s.gaps;
    this.seqRestarts = s.seqRestarts;
    this.truncations = s.truncations;
    this.lastSeq = s.lastSeq ?? NaN;
  }
}
