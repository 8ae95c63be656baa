// Writes an n-row CSV in the engine's format (1 s apart, seeded values with spikes), fast.
import { closeSync, openSync, writeSync } from 'node:fs';
import { HEADER_LINE, MAX_ROW_BYTES, RowEncoder } from '../common/csv-format.js';
import { createSyntheticSource } from '../apps/engine/synthetic-source.js';

export function generateCsv(path: string, rows: number, start = 1_760_000_000_000): void {
  const fd = openSync(path, 'w');
  const sample = createSyntheticSource(7);
  const batch = 65_536;
  const buf = Buffer.allocUnsafe(batch * MAX_ROW_BYTES);
  const encoder = new RowEncoder();
  writeSync(fd, HEADER_LINE);
  for (let i = 0; i < rows;) {
    let end = 0;
    encoder.reset();
    for (const stop = Math.min(rows, i + batch); i < stop; i++) {
      const { cpu, ram } = sample();
      end = encoder.encode(buf, end, start + i * 1000, cpu, ram, i + 1);
    }
    writeSync(fd, buf, 0, end);
  }
  closeSync(fd);
}

if (process.argv[1]?.endsWith('generate-csv.js')) generateCsv(process.argv[2]!, Number(process.argv[3] ?? 10_000_000));
