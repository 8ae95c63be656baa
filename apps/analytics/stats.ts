// All-time statistics (saved with the position, so a restart continues them exactly) and a
// rolling window for the summary line, kept in fixed time buckets so memory stays constant.
import { REASONS, type Reason } from './source/parse-line.js';

export interface MetricSummary {
  avg: number | null;
  min: number | null;
  max: number | null;
}

/** Values are summed as integer millionths, carried past 2^52: exact, so any order of adding gives one total. */
const MICRO = 1e6;
const CARRY = 2 ** 52;

/** An accumulator's exact fields, as one thread hands them to another. */
interface AccumulatorPart {
  count: number;
  micros: number;
  carries: number;
  min: number;
  max: number;
}

class Accumulator implements AccumulatorPart {
  count = 0;
  /** The sum in millionths is carries * 2^52 + micros, both exact integers, 0 <= micros < 2^52. */
  micros = 0;
  carries = 0;
  min = Infinity;
  max = -Infinity;

  /** `value` is never negative (the parser's range check). */
  add(value: number): void {
    this.count++;
    this.addMicros(Math.round(value * MICRO));
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }

  /** Adds `micros` (below 2^52) to the sum, carrying. */
  private addMicros(micros: number): void {
    this.micros += micros;
    if (this.micros >= CARRY) {
      this.micros -= CARRY;
      this.carries++;
    }
  }

  reset(): void {
    this.count = 0;
    this.micros = 0;
    this.carries = 0;
    this.min = Infinity;
    this.max = -Infinity;
  }

  merge(other: AccumulatorPart): void {
    this.count += other.count;
    this.carries += other.carries;
    this.addMicros(other.micros);
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
  }

  get sum(): number {
    return (this.carries * CARRY + this.micros) / MICRO;
  }

  /** Sets the sum from a saved one (exact up to a sum of 2^52 millionths, ~4.5e9). */
  set sum(value: number) {
    const micros = Math.round(value * MICRO);
    this.carries = Math.floor(micros / CARRY);
    this.micros = micros - this.carries * CARRY;
  }

  part(): AccumulatorPart {
    return { count: this.count, micros: this.micros, carries: this.carries, min: this.min, max: this.max };
  }

  summary(): MetricSummary {
    // one division of the exact total: the mean does not depend on the order samples came in
    return this.count === 0
      ? { avg: null, min: null, max: null }
      : { avg: (this.carries * CARRY + this.micros) / (this.count * MICRO), min: this.min, max: this.max };
  }
}

const BUCKETS = 60;
/** A larger jump of seq is a restart (an engine's seq cannot have lost 4 billion samples unseen). */
const MAX_SEQ_JUMP = 2 ** 32;

/** avg/min/max over the last `spanMs` of sample time, to a resolution of spanMs/60. */
export class RollingWindow {
  private readonly width: number;
  private readonly buckets = Array.from({ length: BUCKETS }, () => ({
    slot: -1,
    cpu: new Accumulator(),
    ram: new Accumulator(),
  }));
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

/** What one thread counted over a stretch of lines, to be appended to the stretch before it. */
export interface StatsPart {
  cpu: AccumulatorPart;
  ram: AccumulatorPart;
  rejected: Record<Reason, number>;
  headers: number;
  gaps: number;
  seqRestarts: number;
  /** The first and last seq of the stretch (NaN: none), to judge the seam between stretches. */
  firstSeq: number;
  lastSeq: number;
}

export class Stats {
  readonly cpu = new Accumulator();
  readonly ram = new Accumulator();
  rejected: Record<Reason, number> = { columns: 0, number: 0, range: 0, too_long: 0 };
  headers = 0;
  gaps = 0;
  seqRestarts = 0;
  truncations = 0;
  private firstSeq = NaN;
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
    if (!Number.isNaN(seq)) this.nextSeq(seq);
  }

  /**
   * SPEC "Implausible seq": a jump of more than 2^32 is a restart, not missed samples; a seq beyond
   * 2^53 (no exact integer) is a restart that the next seq is judged without.
   */
  private nextSeq(seq: number): void {
    if (seq > Number.MAX_SAFE_INTEGER) {
      this.seqRestarts++;
      return;
    }
    if (Number.isNaN(this.lastSeq)) this.firstSeq = seq;
    else if (seq > this.lastSeq + 1 && seq - this.lastSeq <= MAX_SEQ_JUMP) this.gaps += seq - this.lastSeq - 1;
    else if (seq !== this.lastSeq + 1) this.seqRestarts++;
    this.lastSeq = seq;
  }

  part(): StatsPart {
    return {
      cpu: this.cpu.part(),
      ram: this.ram.part(),
      rejected: { ...this.rejected },
      headers: this.headers,
      gaps: this.gaps,
      seqRestarts: this.seqRestarts,
      firstSeq: this.firstSeq,
      lastSeq: this.lastSeq,
    };
  }

  /** Appends what another Stats counted over the lines that follow these: as if one had read them all. */
  absorb(next: StatsPart): void {
    this.cpu.merge(next.cpu);
    this.ram.merge(next.ram);
    for (const r of REASONS) this.rejected[r] += next.rejected[r];
    this.headers += next.headers;
    if (Number.isNaN(next.firstSeq)) return;
    this.nextSeq(next.firstSeq); // the seam
    this.gaps += next.gaps;
    this.seqRestarts += next.seqRestarts;
    this.lastSeq = next.lastSeq;
  }

  /** The `analyze --json` shape of SPEC (without alerts). */
  report(): {
    samples: number;
    rejected: Record<string, number>;
    headers: number;
    gaps: number;
    cpu: MetricSummary;
    ram: MetricSummary;
  } {
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
    const acc = (a: Accumulator): StatsState['cpu'] => ({
      count: a.count,
      sum: a.sum,
      min: a.count ? a.min : null,
      max: a.count ? a.max : null,
    });
    return {
      cpu: acc(this.cpu),
      ram: acc(this.ram),
      rejected: { ...this.rejected },
      headers: this.headers,
      gaps: this.gaps,
      seqRestarts: this.seqRestarts,
      truncations: this.truncations,
      lastSeq: Number.isNaN(this.lastSeq) ? null : this.lastSeq,
    };
  }

  restore(s: StatsState): void {
    for (const [acc, saved] of [
      [this.cpu, s.cpu],
      [this.ram, s.ram],
    ] as const) {
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
