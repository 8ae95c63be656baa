// One thread of `analyze`: reads one stretch of a file and hands back what it counted.
import { parentPort, workerData } from 'node:worker_threads';
import { describeCause } from '../common/errors.js';
import { readStretch, type StretchJob, type StretchResult } from './analyze-split.js';

export type StretchMessage = { type: 'progress'; bytes: number } | { type: 'done'; result: StretchResult } | { type: 'failed'; cause: string };

/** Progress is reported every this many bytes read. */
const PROGRESS_EVERY_BYTES = 16 << 20;

const job = workerData as StretchJob;
const post = (m: StretchMessage): void => parentPort!.postMessage(m);
let reported = 0;
const progress = (bytes: number): void => {
  if (bytes - reported < PROGRESS_EVERY_BYTES) return;
  post({ type: 'progress', bytes: bytes - reported });
  reported = bytes;
};
try {
  const result = readStretch(job, progress);
  post({ type: 'progress', bytes: job.range.end - job.range.start - reported });
  post({ type: 'done', result });
} catch (err) {
  post({ type: 'failed', cause: describeCause((err as Error).cause ?? err) });
}
