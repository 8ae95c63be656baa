// A worker thread of `analyze`: claims pieces of a file, reads them and hands back what it counted.
import { parentPort, workerData } from 'node:worker_threads';
import { describeCause } from '../common/errors.js';
import { readPieces, type PiecesJob, type StretchMessage } from './analyze-split.js';

/** Progress is reported every this many bytes read. */
const PROGRESS_EVERY_BYTES = 16 << 20;

const job = workerData as PiecesJob;
const post = (m: StretchMessage): void => parentPort!.postMessage(m);
let reported = 0;
let read = 0;
try {
  readPieces(
    job,
    (k, result) => post({ type: 'done', k, result }),
    (bytes) => {
      read = bytes;
      if (bytes - reported < PROGRESS_EVERY_BYTES) return;
      post({ type: 'progress', bytes: bytes - reported });
      reported = bytes;
    },
  );
  if (read > reported) post({ type: 'progress', bytes: read - reported });
} catch (err) {
  post({ type: 'failed', cause: describeCause((err as Error).cause ?? err) });
}
