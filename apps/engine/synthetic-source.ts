// Seeded demo data: a mean-reverting random walk per metric, with spikes above 80 % every
// 20–50 samples (CPU) so a demo shows alerts within a minute at 1 Hz.
import { roundPercent, type Reading } from './reading.js';

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
function createRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Walk {
  value: number;
  mean: number;
  pull: number;
  noise: number;
  spikeGap: [number, number];
  spikeLength: [number, number];
  spikeLevel: [number, number];
  untilSpike: number;
  spikeLeft: number;
  level: number;
}

function createWalk(mean: number, pull: number, noise: number, gap: [number, number], length: [number, number], level: [number, number]): Walk {
  return { value: mean, mean, pull, noise, spikeGap: gap, spikeLength: length, spikeLevel: level, untilSpike: gap[0], spikeLeft: 0, level: 0 };
}

export function createSyntheticSource(seed: number): () => Reading {
  const random = createRandom(seed);
  const between = ([lo, hi]: [number, number]): number => lo + random() * (hi - lo);
  // Irwin–Hall: the sum of four uniforms, centred and scaled to unit variance. Close enough to a
  // normal for demo data, and a fraction of Box–Muller's cost on the engine's hot path.
  const gauss = (): number => (random() + random() + random() + random() - 2) * 1.7320508075688772;
  const step = (w: Walk): number => {
    w.value += w.pull * (w.mean - w.value) + w.noise * gauss();
    if (w.spikeLeft === 0 && --w.untilSpike <= 0) {
      w.spikeLeft = Math.round(between(w.spikeLength));
      w.level = between(w.spikeLevel);
      w.untilSpike = Math.round(between(w.spikeGap));
    }
    if (w.spikeLeft > 0) {
      w.spikeLeft--;
      return roundPercent(w.level + 1.5 * gauss());
    }
    return roundPercent(w.value);
  };
  const cpu = createWalk(35, 0.15, 4, [20, 50], [3, 8], [84, 96]);
  const ram = createWalk(55, 0.05, 1.2, [90, 180], [5, 15], [83, 92]);
  return () => ({ cpu: step(cpu), ram: step(ram) });
}
