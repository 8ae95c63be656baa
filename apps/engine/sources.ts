import type { Config } from '../../common/config.js';
import { createSyntheticSource } from './synthetic-source.js';
import { createSystemSource } from './system-source.js';
import type { Reading } from './reading.js';

export function createSource(engine: Config['engine']): () => Reading {
  return engine.source === 'system' ? createSystemSource() : createSyntheticSource(engine.seed);
}
