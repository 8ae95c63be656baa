// Seeded demo data: a mean-reverting random walk per metric, with spikes above 80 % every
// 20–50 samples (CPU) so a demo shows alerts within a minute at 1 Hz.
import { roundPercent, type Reading } from './reading.js';

/**
 * A mean-reverting random walk with spikes; the random numbers are mulberry32 (small, fast, and
 * the same sequence for the same seed everywhere), inlined: this is the engine's hot path in a burst.
 */
class Walk {
  value: number;
  untilSpike: number;
  spikeLeft = 0;
  level = 0;

  constructor(
    readonly mean: number,
    readonly pull: number,
    readonly noise: number,
    readonly spikeGap: readonly [number, number],
    readonly spikeLength: readonly [number, number],
    readonly spikeLevel: readonly [number, number],
  ) {
    this.value = mean;
    this.untilSpike = spikeGap[0];
  }
}

class Synthetic {
  private a: number;
  private readonly cpu = new Walk(35, 0.15, 4, [20, 50], [3, 8], [84, 96]);
  private readonly ram = new Walk(55, 0.05, 1.2, [90, 180], [5, 15], [83, 92]);
  /** Reused for every sample: read it before the next one. */
  private readonly reading: Reading = { cpu: 0, ram: 0 };

  constructor(seed: number) {
    this.a = seed >>> 0;
  }

  read(): Reading {
    this.reading.cpu = this.step(this.cpu);
    this.reading.ram = this.step(this.ram);
    return this.reading;
  }

  private random(): number {
    const a = (this.a = (this.a + 0x6d2b79f5) >>> 0);
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  private between(range: readonly [number, number]): number {
    return range[0] + this.random() * (range[1] - range[0]);
  }

  /**
   * Irwin–Hall: the sum of four uniforms, centred and scaled to unit variance. Close enough to a
   * normal for demo data, and a fraction of Box–Muller's cost.
   */
  private gauss(): number {
    return (this.random() + this.random() + this.random() + this.random() - 2) * 1.7320508075688772;
  }

  private step(w: Walk): number {
    w.value += w.pull * (w.mean - w.value) + w.noise * this.gauss();
    if (w.spikeLeft === 0 && --w.untilSpike <= 0) {
      w.spikeLeft = Math.round(this.between(w.spikeLength));
      w.level = this.between(w.spikeLevel);
      w.untilSpike = Math.round(this.between(w.spikeGap));
    }
    if (w.spikeLeft > 0) {
      w.spikeLeft--;
      return roundPercent(w.level + 1.5 * this.gauss());
    }
    return roundPercent(w.value);
  }
}

/** The returned function reuses one Reading object: read it before the next call. */
export function createSyntheticSource(seed: number): () => Reading {
  const source = new Synthetic(seed);
  return () => source.read();
}
