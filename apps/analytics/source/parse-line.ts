// Tolerant parsing of one CSV line (SPEC "CSV contract"). csv-parse is the parser of record; the
// fast path below only extracts plain `digits[.digits]` fields and hands every other line to it.
// Both feed the same `judge`, and a differential test holds the two to the same results.
import { parse } from 'csv-parse/sync';
import { COMMA, CR, DIGIT_0, DIGIT_9, DOT, NEWLINE } from '../../../common/ascii.js';

export const REASONS = ['columns', 'number', 'range', 'too_long'] as const;
export type Reason = (typeof REASONS)[number];

export const enum Line {
  Sample = 0,
  /** The first line of a file, naming its columns. */
  Header = 1,
  /** A header line anywhere else: skipped and counted. */
  RepeatedHeader = 2,
  Blank = 3,
  Columns = 4,
  Number = 5,
  Range = 6,
}

export const REASON_OF: Partial<Record<Line, Reason>> = { [Line.Columns]: 'columns', [Line.Number]: 'number', [Line.Range]: 'range' };

/** Where each column sits; `fields` 0 means "no header: 3 or 4 fields, timestamp,cpu,ram[,seq]". */
export interface Mapping {
  timestamp: number;
  cpu: number;
  ram: number;
  seq: number;
  fields: number;
}

export interface ParserState {
  mapping: Mapping | null;
}

const HEADERLESS: Mapping = { timestamp: 0, cpu: 1, ram: 2, seq: 3, fields: 0 };
const MAX_FIELDS = 64;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** The largest time a Date holds (ms): later timestamps are out of range, never a crash downstream. */
export const MAX_TIMESTAMP_MS = 8.64e15;
const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

export class LineParser {
  mapping: Mapping | null = null;
  // The accepted sample, valid after parse() returned Line.Sample.
  timestamp = 0;
  cpu = 0;
  ram = 0;
  /** NaN when the file has no seq column. */
  seq = NaN;
  /** Lines that went through csv-parse rather than the fast path (counted off the hot path). */
  slowLines = 0;
  private readonly values = new Float64Array(MAX_FIELDS);
  private fieldCount = 0;
  private readonly fast: boolean;

  /** `fast: false` sends every line through csv-parse (the reference the fast path is tested against). */
  constructor(opts: { fast?: boolean } = {}) {
    this.fast = opts.fast ?? true;
  }

  /** A new file begins: its first line decides the mapping. */
  reset(): void {
    this.mapping = null;
  }

  save(): ParserState {
    return { mapping: this.mapping };
  }

  restore(state: ParserState): void {
    this.mapping = state.mapping;
  }

  /** Judges buf[start, end) (no `\n`; a trailing `\r` is ignored). Returns a Line code. */
  parse(buf: Uint8Array, start: number, end: number): Line {
    if (end > start && buf[end - 1] === CR) end--;
    if (end === start) return Line.Blank;
    // buf[end] is the line's `\r` or `\n`, or past the buffer: never part of a field
    if (this.mapping !== null && this.fast && this.scanFields(buf, start) === end) return this.judge(this.fieldCount);
    return this.parseSlow(Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString('utf8'));
  }

  /**
   * The fast lane through a run of lines: when the line at buf[start] is plain numeric fields
   * ending in `\n` before `end`, returns the index of that `\n` (judgePlain() then judges it);
   * otherwise -1, and the caller takes the line the general way (parse). buf[end - 1] must be a
   * `\n`: the scan then never reads past the buffer (which would make V8 deoptimize the loop).
   */
  scanPlainLine(buf: Uint8Array, start: number, end: number): number {
    if (start >= end || this.mapping === null || !this.fast) return -1;
    const stop = this.scanFields(buf, start);
    return stop >= 0 && stop < end && buf[stop] === NEWLINE ? stop : -1;
  }

  /** Judges the line scanPlainLine() just found. */
  judgePlain(): Line {
    return this.judge(this.fieldCount);
  }

  /**
   * Plain `digits[.digits]` fields (≤15 digits each) separated by commas, from buf[start] on, into
   * `values` (their number in fieldCount). Returns where they stop (the first byte that is none of
   * these), or -1 for an empty field, a bare dot, a long number or more than MAX_FIELDS fields.
   */
  private scanFields(buf: Uint8Array, start: number): number {
    const values = this.values;
    let n = 0;
    let i = start;
    for (;;) {
      let mantissa = 0;
      let digits = 0;
      let scale = 0;
      let c = buf[i]!;
      while (c >= DIGIT_0 && c <= DIGIT_9) {
        mantissa = mantissa * 10 + (c - DIGIT_0);
        digits++;
        c = buf[++i]!;
      }
      if (digits === 0) return -1;
      if (c === DOT) {
        c = buf[++i]!;
        while (c >= DIGIT_0 && c <= DIGIT_9) {
          mantissa = mantissa * 10 + (c - DIGIT_0);
          scale++;
          c = buf[++i]!;
        }
        if (scale === 0) return -1;
        digits += scale;
      }
      if (digits > 15 || n === MAX_FIELDS) return -1;
      // mantissa and 10^scale are exact, so the quotient is correctly rounded: equal to Number(text)
      values[n++] = scale === 0 ? mantissa : mantissa / POW10[scale]!;
      if (c !== COMMA) {
        this.fieldCount = n;
        return i;
      }
      i++;
    }
  }

  private parseSlow(line: string): Line {
    this.slowLines++;
    if (line.trim() === '') return Line.Blank;
    let fields: string[];
    try {
      const records = parse(line, { delimiter: ',', quote: false, relax_column_count: true, trim: true, bom: true, record_delimiter: '\n' }) as string[][];
      if (records.length !== 1) return Line.Columns;
      fields = records[0]!;
    } catch {
      return Line.Columns;
    }
    const header = headerMapping(fields);
    if (header) {
      const repeated = this.mapping !== null;
      this.mapping = header;
      return repeated ? Line.RepeatedHeader : Line.Header;
    }
    if (fields.length > MAX_FIELDS) return Line.Columns;
    this.mapping ??= HEADERLESS;
    for (let i = 0; i < fields.length; i++) this.values[i] = NUMBER.test(fields[i]!) ? Number(fields[i]) : NaN;
    return this.judge(fields.length);
  }

  /** The contract's checks on the extracted values, in one place for both paths. */
  private judge(n: number): Line {
    const m = this.mapping ?? HEADERLESS;
    if (m.fields === 0 ? n !== 3 && n !== 4 : n !== m.fields) return Line.Columns;
    const v = this.values;
    const timestamp = v[m.timestamp]!;
    const cpu = v[m.cpu]!;
    const ram = v[m.ram]!;
    const seq = m.seq >= 0 && m.seq < n ? v[m.seq]! : NaN;
    if (!Number.isFinite(timestamp) || !Number.isFinite(cpu) || !Number.isFinite(ram) || !Number.isInteger(timestamp)) return Line.Number;
    if (m.seq >= 0 && m.seq < n && !(Number.isInteger(seq) && seq >= 0)) return Line.Number;
    if (timestamp <= 0 || timestamp > MAX_TIMESTAMP_MS || !(cpu >= 0 && cpu <= 100) || !(ram >= 0 && ram <= 100)) return Line.Range;
    this.timestamp = timestamp;
    this.cpu = cpu;
    this.ram = ram;
    this.seq = seq;
    return Line.Sample;
  }
}

/** A header names timestamp, cpu and ram (any order, any case, other columns allowed). */
function headerMapping(fields: string[]): Mapping | null {
  if (fields.length < 3 || fields.length > MAX_FIELDS || !fields.every((f) => NAME.test(f))) return null;
  const names = fields.map((f) => f.toLowerCase());
  const at = (name: string): number => names.indexOf(name);
  if (at('timestamp') < 0 || at('cpu') < 0 || at('ram') < 0) return null;
  return { timestamp: at('timestamp'), cpu: at('cpu'), ram: at('ram'), seq: at('seq'), fields: fields.length };
}
