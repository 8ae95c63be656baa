// The CSV contract (see SPEC): header `timestamp,cpu,ram,seq`, `\n` line ends, two decimals.
import { stringify } from 'csv-stringify/sync';
import { COMMA, DIGIT_0, DOT, NEWLINE } from './ascii.js';

export const COLUMNS = ['timestamp', 'cpu', 'ram', 'seq'] as const;

/** The header line, written by csv-stringify, the formatter of record. */
export const HEADER_LINE = stringify([[...COLUMNS]], { record_delimiter: 'unix' });

/** The formatter of record for one sample (slow; the reference for formatRow). */
export function stringifyRow(timestamp: number, cpu: number, ram: number, seq: number): string {
  return stringify([[String(timestamp), cpu.toFixed(2), ram.toFixed(2), String(seq)]], { record_delimiter: 'unix' });
}

/** The hot path: byte-identical to stringifyRow (a differential test holds it to that). */
export function formatRow(timestamp: number, cpu: number, ram: number, seq: number): string {
  return `${timestamp},${cpu.toFixed(2)},${ram.toFixed(2)},${seq}\n`;
}

/** Longest line encodeRow can produce, in bytes. */
export const MAX_ROW_BYTES = 64;

function writeSmall(buf: Uint8Array, pos: number, value: number): number {
  // value < 2^31: int32 arithmetic, much cheaper than floating-point floor
  let end = pos + 1;
  for (let x = value; x >= 10; x = (x / 10) | 0) end++;
  for (let i = end - 1, x = value; i >= pos; i--) {
    const q = (x / 10) | 0;
    buf[i] = DIGIT_0 + x - q * 10;
    x = q;
  }
  return end;
}

function writeUint(buf: Uint8Array, pos: number, value: number): number {
  if (value < 1e9) return writeSmall(buf, pos, value);
  const high = Math.floor(value / 1e9);
  pos = writeUint(buf, pos, high);
  // the low nine digits, zero-padded
  let x = value - high * 1e9;
  for (let i = pos + 8; i >= pos; i--) {
    const q = (x / 10) | 0;
    buf[i] = DIGIT_0 + x - q * 10;
    x = q;
  }
  return pos + 9;
}

function writeHundredths(buf: Uint8Array, pos: number, hundredths: number): number {
  const whole = (hundredths / 100) | 0;
  const frac = hundredths - whole * 100;
  pos = writeSmall(buf, pos, whole);
  buf[pos] = DOT;
  const tens = (frac / 10) | 0;
  buf[pos + 1] = DIGIT_0 + tens;
  buf[pos + 2] = DIGIT_0 + frac - tens * 10;
  return pos + 3;
}

/**
 * The writer's hot path: formatRow's bytes written straight into `buf` at `pos`, returning the
 * end. Values that are not plain two-decimal percents and safe integers go through formatRow.
 */
export function encodeRow(buf: Buffer, pos: number, timestamp: number, cpu: number, ram: number, seq: number): number {
  const c = Math.round(cpu * 100);
  const r = Math.round(ram * 100);
  if (c / 100 !== cpu || r / 100 !== ram || c < 0 || c > 10000 || r < 0 || r > 10000 || !Number.isSafeInteger(timestamp) || timestamp < 0 || !Number.isSafeInteger(seq) || seq < 0) {
    return pos + buf.write(formatRow(timestamp, cpu, ram, seq), pos, 'latin1');
  }
  pos = writeUint(buf, pos, timestamp);
  buf[pos++] = COMMA;
  pos = writeHundredths(buf, pos, c);
  buf[pos++] = COMMA;
  pos = writeHundredths(buf, pos, r);
  buf[pos++] = COMMA;
  pos = writeUint(buf, pos, seq);
  buf[pos] = NEWLINE;
  return pos + 1;
}
