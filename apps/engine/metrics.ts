// The engine's /metrics: the last row written (as ratios and its own timestamp) and the counters
// of the shared counters block, read at scrape time.
import { counterFrom, createRegistry, gaugeFrom, type Registry } from '../../common/metrics.js';
import { percentToRatio } from '../../common/ratio.js';
import { Counter } from './worker-protocol.js';

/** The counters of the shared block, as Prometheus counters. */
const COUNTERS: [name: string, help: string, slot: number][] = [
  ['telemetry_samples_produced_total', 'Samples taken by the producer since start.', Counter.produced],
  ['telemetry_samples_written_total', 'Samples written to the CSV since start.', Counter.written],
  ['telemetry_samples_dropped_total', 'Samples dropped because the queue was full (whenFull: drop).', Counter.dropped],
  ['telemetry_write_errors_total', 'Failed attempts to open, write or sync the CSV.', Counter.writeErrors],
  [
    'telemetry_samples_orphaned_total',
    'Samples written to a telemetry.csv that had been deleted or replaced (noticed within 1 s).',
    Counter.orphaned,
  ],
  ['telemetry_rotations_total', 'Rotations of telemetry.csv since start.', Counter.rotations],
  ['telemetry_skipped_ticks_total', 'Sampling ticks skipped because the sampler was late.', Counter.skippedTicks],
];

export function engineMetrics(counters: Float64Array, queueDepth: () => number): Registry {
  const registry = createRegistry('telemetry-engine');
  const written = (): boolean => counters[Counter.written]! > 0;
  gaugeFrom(registry, 'telemetry_cpu_usage_ratio', 'CPU usage of the last sample written to the CSV (0-1).', () =>
    written() ? percentToRatio(counters[Counter.lastCpu]!) : null,
  );
  gaugeFrom(registry, 'telemetry_memory_usage_ratio', 'RAM usage of the last sample written to the CSV (0-1).', () =>
    written() ? percentToRatio(counters[Counter.lastRam]!) : null,
  );
  gaugeFrom(
    registry,
    'telemetry_last_sample_timestamp_seconds',
    'When the last sample written was taken (its own timestamp, Unix seconds).',
    () => (written() ? Number(`${counters[Counter.lastTimestamp]!}e-3`) : null),
  );
  for (const [name, help, slot] of COUNTERS) counterFrom(registry, name, help, () => counters[slot]!);
  gaugeFrom(registry, 'telemetry_queue_depth', 'Samples waiting in the producer-to-writer queue.', queueDepth);
  return registry;
}
