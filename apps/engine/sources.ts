import type { Config } from '../../common/config.js';
import { createSyntheticSource } from './synthetic-source.js';
import { createSystemSource } from './system-source.js';

/** One sample's values, percent with two decimals. */
export interface Reading {
  cpu: number;
  ram: number;
}

export function createSource(engine: Config['engine']): () => Reading {
  return engine.source === 'system' ? createSystemSource() : createSyntheticSource(engine.seed);
}
