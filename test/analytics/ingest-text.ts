// Runs text through the real ingest path (line reader + parser + stats), as `analyze` would.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ingest } from '../../apps/analytics/ingest.js';
import { readFileOnce } from '../../apps/analytics/source/read-file.js';

let counter = 0;
export function ingestText(dir: string, text: string | Buffer, maxLineBytes = 4096): Ingest {
  const file = join(dir, `input-${counter++}.csv`);
  writeFileSync(file, text);
  const ingest = new Ingest(60_000);
  readFileOnce(file, ingest, maxLineBytes, Buffer.alloc(64 * 1024));
  return ingest;
}
