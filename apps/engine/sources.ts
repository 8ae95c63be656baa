import type { Config } from '../../common/config.js';
import { createSyntheticSource } from './synthetic-source.js';
import { createSystemSource } from './system-source.js';

/** Percent clamped to [0, 100] and rounded to the two decimals the file carries. */
export function roundPercent(value: number): number {
  return Math.round(Math.min(100, Math.max(0, value)) * 100) / 100;
}

/** One sample's values, percent with two decimals. */
export interface Reading {
  cpu: number;
  ram: number;
}

export function createSource(engine: Config['engine']): () => Reading {
  return engine.source === 'system' ? createSystemSource() : createSyntheticSource(engine.seed);
}
