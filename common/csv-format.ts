// The CSV contract (see SPEC): header `timestamp,cpu,ram,seq`, `\n` line ends, two decimals.
import { stringify } from 'csv-stringify/sync';
import { Ascii } from './ascii.js';

export const COLUMNS = ['timestamp', 'cpu', 'ram', 'seq'] as const;

/** The header line, written by csv-stringify, the formatter of record. */
export const HEADER_LINE = stringify([[...COLUMNS]], { record_delimiter: 'unix' });

/** The formatter of record for one sample (slow; the reference for formatRow). */
export function stringifyRow(timestamp: number, cpu: number, ram: number, seq: number): string {
  return stringify([[String(timestamp), cpu.toFixed(2), ram.toFixed(2), String(seq)]], { record_delimiter: 'unix' });
}

/** Byte-identical to stringifyRow (a differential test holds it to that). */
export function formatRow(timestamp: number, cpu: number, ram: number, seq: number): string {
  return `${timestamp},${cpu.toFixed(2)},${ram.toFixed(2)},${seq}\n`;
}

/** Longest line RowEncoder can produce, in bytes. */
export const MAX_ROW_BYTES = 64;

function writeSmall(buf: Uint8Array, pos: number, value: number): number {
  // value < 2^31: int32 arithmetic, much cheaper than floating-point floor
  let end = pos + 1;
  for (let x = value; x >= 10; x = (x / 10) | 0) end++;
  for (let i = end - 1, x = value; i >= pos; i--) {
    const q = (x / 10) | 0;
    buf[i] = Ascii.Digit0 + x - q * 10;
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
    buf[i] = Ascii.Digit0 + x - q * 10;
    x = q;
  }
  return pos + 9;
}

function writeHundredths(buf: Uint8Array, pos: number, hundredths: number): number {
  // 0..10000: the whole part has one to three digits
  const whole = (hundredths / 100) | 0;
  const frac = hundredths - whole * 100;
  if (whole >= 100) {
    buf[pos++] = Ascii.Digit0 + 1;
    buf[pos++] = Ascii.Digit0;
    buf[pos++] = Ascii.Digit0;
  } else if (whole >= 10) {
    const tens = (whole / 10) | 0;
    buf[pos++] = Ascii.Digit0 + tens;
    buf[pos++] = Ascii.Digit0 + whole - tens * 10;
  } else {
    buf[pos++] = Ascii.Digit0 + whole;
  }
  buf[pos] = Ascii.Dot;
  const tens = (frac / 10) | 0;
  buf[pos + 1] = Ascii.Digit0 + tens;
  buf[pos + 2] = Ascii.Digit0 + frac - tens * 10;
  return pos + 3;
}

/** Copies buf[from, from + length) to `to` (a few bytes: cheaper than a native call); returns the end. */
function copy(buf: Uint8Array, from: number, length: number, to: number): number {
  for (let i = 0; i < length; i++) buf[to + i] = buf[from + i]!;
  return to + length;
}

/**
 * The writer's hot path: formatRow's bytes written straight into a buffer. Rows of one batch
 * mostly share their millisecond and count their seq up by one, so a timestamp equal to the
 * previous row's is copied from it and a seq one above it is the previous one's digits plus one.
 * Values that are not plain two-decimal percents and safe integers go through formatRow.
 */
export class RowEncoder {
  private lastTimestamp = NaN;
  private lastSeq = NaN;
  /** Where the previous row's timestamp and seq digits start in the buffer, and their lengths. */
  private timestampAt = 0;
  private timestampLength = 0;
  private seqAt = 0;
  private seqLength = 0;

  /** Starts a new buffer: nothing before `pos` is reused. */
  reset(): void {
    this.lastTimestamp = this.lastSeq = NaN;
  }

  /** Writes one row at `pos` and returns its end. */
  encode(buf: Buffer, pos: number, timestamp: number, cpu: number, ram: number, seq: number): number {
    const c = Math.round(cpu * 100);
    const r = Math.round(ram * 100);
    if (
      c / 100 !== cpu ||
      r / 100 !== ram ||
      c < 0 ||
      c > 10000 ||
      r < 0 ||
      r > 10000 ||
      !Number.isSafeInteger(timestamp) ||
      timestamp < 0 ||
      !Number.isSafeInteger(seq) ||
      seq < 0
    ) {
      return pos + buf.write(formatRow(timestamp, cpu, ram, seq), pos, 'latin1');
    }
    const timestampAt = pos;
    if (timestamp === this.lastTimestamp) {
      pos = copy(buf, this.timestampAt, this.timestampLength, pos);
    } else {
      pos = writeUint(buf, pos, timestamp);
    }
    this.timestampAt = timestampAt;
    this.timestampLength = pos - timestampAt;
    this.lastTimestamp = timestamp;
    buf[pos++] = Ascii.Comma;
    pos = writeHundredths(buf, pos, c);
    buf[pos++] = Ascii.Comma;
    pos = writeHundredths(buf, pos, r);
    buf[pos++] = Ascii.Comma;
    const seqAt = pos;
    pos = seq === this.lastSeq + 1 ? this.increment(buf, pos) : writeUint(buf, pos, seq);
    this.seqAt = seqAt;
    this.seqLength = pos - seqAt;
    this.lastSeq = seq;
    buf[pos] = Ascii.Newline;
    return pos + 1;
  }

  /** The previous seq's digits plus one, at `pos`; a carry out of the first digit writes one more. */
  private increment(buf: Buffer, pos: number): number {
    const length = this.seqLength;
    copy(buf, this.seqAt, length, pos);
    let i = pos + length - 1;
    while (i >= pos && buf[i] === Ascii.Digit9) buf[i--] = Ascii.Digit0;
    if (i >= pos) {
      buf[i]!++;
      return pos + length;
    }
    // 99…9 + 1: a one and as many zeros
    buf[pos] = Ascii.Digit0 + 1;
    buf.fill(Ascii.Digit0, pos + 1, pos + length + 1);
    return pos + length + 1;
  }
}
