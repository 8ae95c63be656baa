// Everything the engine's threads say to each other, declared in one place.
import { parentPort } from 'node:worker_threads';
import type { Config } from '../../common/config.js';
import type { Fields } from '../../common/log.js';

export type WorkerName = 'producer' | 'writer';

export type WorkerMessage =
  | { type: 'ready'; worker: WorkerName; lastSeq: number }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string; fields?: Fields }
  | { type: 'done'; worker: WorkerName }
  | { type: 'fatal'; worker: WorkerName; message: string };

export type MainMessage = { type: 'stop' };

export interface WorkerData {
  config: Config;
  ring: SharedArrayBuffer;
  counters: SharedArrayBuffer;
  /** Producer only: the seq of its first sample. */
  startSeq: number;
}

/** Counters shared by the threads: each slot has exactly one writing thread. */
export const Counter = {
  produced: 0,
  dropped: 1,
  skippedTicks: 2,
  blockedMs: 3,
  written: 4,
  bytes: 5,
  rotations: 6,
  writeErrors: 7,
  lastSeq: 8,
  /** The last row written: its timestamp (ms), cpu and ram (percent). */
  lastTimestamp: 9,
  lastCpu: 10,
  lastRam: 11,
  /** Rows written to a file that had been deleted or replaced before the writer noticed. */
  orphaned: 12,
} as const;

const COUNTER_SLOTS = 13;

export function createCounters(): SharedArrayBuffer {
  return new SharedArrayBuffer(COUNTER_SLOTS * 8);
}

/** In a worker: any uncaught error becomes a `fatal` message; the main thread logs it and exits 1. */
export function reportFailures(worker: WorkerName): void {
  process.on('uncaughtException', (err) => {
    parentPort!.postMessage({ type: 'fatal', worker, message: err.stack ?? String(err) } satisfies WorkerMessage);
    process.exit(1);
  });
}
