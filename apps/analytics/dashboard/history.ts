// The dashboard's last hour after a restart: the samples of the CSV chain read again, in slices
// between which the app goes on (the first alert is never held up), bucketed as live, and put
// before what arrived since the start.
import { closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { notRegular } from '../../../common/file-kind.js';
import { Ingest } from '../ingest.js';
import { LineReader, lineChunk } from '../source/read-lines.js';
import { LiveFeed } from './live-feed.js';
import type { Point, ShownTransition } from './wire.js';

const HOUR_MS = 3600_000;
/** Bytes read between two yields to the event loop. */
const SLICE_BYTES = 4 << 20;

/** telemetry.csv.N … .1, telemetry.csv as they exist, oldest first, written to within the last hour. */
function recentChain(csvPath: string, since: number): string[] {
  const files: string[] = [];
  for (let i = 0; ; i++) {
    const path = i === 0 ? csvPath : `${csvPath}.${i}`;
    try {
      if (statSync(path).mtimeMs >= since) files.unshift(path);
    } catch {
      if (i > 0) return files;
    }
  }
}

/**
 * Loads the hour before now into `feed` (samples stamped before the first one it saw live), and
 * the transitions saved with the state. Reads yield between slices; failures leave the feed as it is.
 */
export async function loadHistory(
  feed: LiveFeed,
  csvPath: string,
  maxLineBytes: number,
  now: number,
  saved: ShownTransition[],
): Promise<void> {
  const since = now - HOUR_MS;
  const past = new LiveFeed('history');
  const ingest = new Ingest(null, past);
  ingest.setClock(now);
  ingest.since = since;
  const chunk = lineChunk(maxLineBytes, SLICE_BYTES);
  for (const path of recentChain(csvPath, since)) {
    let fd: number;
    try {
      // never blocks on a FIFO put in the file's place; only regular files are read
      fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch {
      continue;
    }
    try {
      if (notRegular(fstatSync(fd))) continue;
      ingest.fileStarted();
      const reader = new LineReader(maxLineBytes, ingest);
      for (let pos = 0; ;) {
        // what the live path reads from its start on is not read twice
        ingest.until = feed.firstSampleAt ? feed.firstSampleAt - 1 : Infinity;
        const n = readSync(fd, chunk, 0, chunk.length, pos);
        const used = n === 0 ? 0 : reader.feed(chunk.subarray(0, n));
        pos += used;
        if (used === 0 || n < chunk.length) break;
        await new Promise((r) => setImmediate(r));
      }
    } catch {
      // an unreadable file: the page shows less history, nothing else changes
    } finally {
      closeSync(fd);
    }
  }
  const points = past.flush().flatMap((e) => (e.type === 'points' ? (e.data as Point[]) : []));
  feed.preload(points, saved);
}
