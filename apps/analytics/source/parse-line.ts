// Tolerant parsing of one CSV line (SPEC "CSV contract"). csv-parse is the parser of record; the
// fast path below only extracts plain `digits[.digits]` fields and hands every other line to it.
// Both feed the same `check`, and a differential test holds the two to the same results.
import { parse } from 'csv-parse/sync';
import { Ascii } from '../../../common/ascii.js';
import { COLUMNS } from '../../../common/csv-format.js';

/* eslint-disable @typescript-eslint/no-unsafe-enum-comparison -- Ascii is a const enum of byte values, compared with bytes read from a buffer by design (inlined numbers, see common/ascii.ts) */

export const REASONS = ['columns', 'number', 'range', 'too_long'] as const;
export type Reason = (typeof REASONS)[number];

/** What a line turned out to be (in-process only, never saved). */
export const enum Line {
  Sample,
  /** The first line of a file, naming its columns. */
  Header,
  /** A header line anywhere else: skipped and counted. */
  RepeatedHeader,
  Blank,
  Columns,
  Number,
  Range,
}

export const REASON_OF: Partial<Record<Line, Reason>> = {
  [Line.Columns]: 'columns',
  [Line.Number]: 'number',
  [Line.Range]: 'range',
};

/** Where each column sits; `fields` 0 means "no header: 3 or 4 fields, timestamp,cpu,ram[,seq]". */
export type Mapping = Record<(typeof COLUMNS)[number], number> & { fields: number };

export interface ParserState {
  mapping: Mapping | null;
}

/** Where the header puts each column (-1: absent), or in their order without a header. */
const columnsAt = (at: (name: string) => number, fields: number): Mapping => {
  const [timestamp, cpu, ram, seq] = COLUMNS.map(at) as [number, number, number, number];
  return { timestamp, cpu, ram, seq, fields };
};
const HEADERLESS = columnsAt((name) => COLUMNS.indexOf(name as (typeof COLUMNS)[number]), 0);
const MAX_FIELDS = 64;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** The largest time a Date holds (ms): later timestamps are out of range, never a crash downstream. */
const MAX_TIMESTAMP_MS = 8.64e15;
const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

export class LineParser {
  /** The columns in force (null: none yet, the next line decides). */
  get mapping(): Mapping | null {
    return this.columns;
  }

  set mapping(m: Mapping | null) {
    this.columns = m;
    // the engine's layout, or the seed's three columns: timestamp,cpu,ram[,seq]
    const engineOrder = m !== null && m.timestamp === 0 && m.cpu === 1 && m.ram === 2;
    this.standard = !engineOrder ? 0 : m.fields === 4 && m.seq === 3 ? 4 : m.fields === 3 ? 3 : 0;
  }

  // The accepted sample, valid after parse() returned Line.Sample.
  timestamp = 0;
  cpu = 0;
  ram = 0;
  /** NaN when the file has no seq column. */
  seq = NaN;
  /** What the line scanPlainLine() just found is. */
  plain: Line = Line.Blank;
  /** Lines that went through csv-parse rather than the fast path (counted off the hot path). */
  slowLines = 0;
  private columns: Mapping | null = null;
  /**
   * The columns are `timestamp,cpu,ram,seq` as the engine writes them (4), or the original
   * three-column `timestamp,cpu,ram` (3): the fast lane's own scan. 0: any other layout.
   */
  private standard: 0 | 3 | 4 = 0;
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
    if (end > start && buf[end - 1] === Ascii.Cr) end--;
    if (end === start) return Line.Blank;
    // buf[end] is the line's `\r` or `\n`, or past the buffer: never part of a field
    if (this.mapping !== null && this.fast && this.scanFields(buf, start, MAX_FIELDS) === end)
      return this.judge(this.fieldCount);
    return this.parseSlow(Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString('utf8'));
  }

  /**
   * The fast lane through a run of lines: when the line at buf[start] is plain numeric fields
   * ending in `\n` before `end`, judges it into `plain` and returns the index of that `\n`;
   * otherwise -1, and the caller takes the line the general way (parse). buf[end - 1] must be a
   * `\n`: the scan then never reads past the buffer (which would make V8 deoptimize the loop).
   */
  scanPlainLine(buf: Uint8Array, start: number, end: number): number {
    if (start >= end || this.columns === null || !this.fast) return -1;
    if (this.standard !== 0) return this.scanStandardLine(buf, start, end);
    const stop = this.scanFields(buf, start, MAX_FIELDS);
    if (stop < 0 || stop >= end || buf[stop] !== Ascii.Newline) return -1;
    this.plain = this.judge(this.fieldCount);
    return stop;
  }

  /**
   * scanPlainLine() for the `timestamp,cpu,ram,seq` columns, straight into the checks. The
   * timestamp (13 digits, whole) has its own loop, in floating point; the three short fields go
   * through scanFields, whose arithmetic then stays in small integers (V8 picks one kind of
   * arithmetic per loop: with the timestamp in it, every digit cost a floating-point step, 1.4x slower).
   */
  private scanStandardLine(buf: Uint8Array, start: number, end: number): number {
    let timestamp = 0;
    let i = start;
    let c = buf[i]!;
    while (c >= Ascii.Digit0 && c <= Ascii.Digit9) {
      timestamp = timestamp * 10 + (c - Ascii.Digit0);
      c = buf[++i]!;
    }
    if (c !== Ascii.Comma || i === start || i - start > 15) return -1;
    const rest = this.standard - 1; // cpu, ram[, seq]
    const stop = this.scanFields(buf, i + 1, rest);
    if (stop < 0 || stop >= end || buf[stop] !== Ascii.Newline || this.fieldCount !== rest) return -1;
    const v = this.values;
    this.plain =
      rest === 3 ? this.check(timestamp, v[0]!, v[1]!, v[2]!, true) : this.check(timestamp, v[0]!, v[1]!, NaN, false);
    return stop;
  }

  /**
   * Up to `most` plain `digits[.digits]` fields (at most 15 digits each) separated by commas, from
   * buf[start] on, into `values` (their number in fieldCount). Returns where they stop (the first
   * byte that is none of these, or the comma after the last one), or -1 for a field that is no
   * plain number.
   */
  private scanFields(buf: Uint8Array, start: number, most: number): number {
    const values = this.values;
    let n = 0;
    let i = start;
    for (;;) {
      let mantissa = 0;
      let digits = 0;
      let scale = 0;
      let c = buf[i]!;
      while (c >= Ascii.Digit0 && c <= Ascii.Digit9) {
        mantissa = mantissa * 10 + (c - Ascii.Digit0);
        digits++;
        c = buf[++i]!;
      }
      if (digits === 0) return -1;
      if (c === Ascii.Dot) {
        c = buf[++i]!;
        while (c >= Ascii.Digit0 && c <= Ascii.Digit9) {
          mantissa = mantissa * 10 + (c - Ascii.Digit0);
          scale++;
          c = buf[++i]!;
        }
        if (scale === 0) return -1;
      }
      if (digits + scale > 15) return -1;
      // mantissa and 10^scale are exact, so the quotient is correctly rounded: equal to Number(text)
      values[n++] = scale === 0 ? mantissa : mantissa / POW10[scale]!;
      if (c !== Ascii.Comma || n === most) {
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
      const records = parse(line, {
        delimiter: ',',
        quote: false,
        relax_column_count: true,
        trim: true,
        bom: true,
        record_delimiter: '\n',
      });
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

  /** The contract's checks on the n extracted values, as the mapping places them. */
  private judge(n: number): Line {
    const m = this.mapping ?? HEADERLESS;
    if (m.fields === 0 ? n !== 3 && n !== 4 : n !== m.fields) return Line.Columns;
    const v = this.values;
    const hasSeq = m.seq >= 0 && m.seq < n;
    return this.check(v[m.timestamp]!, v[m.cpu]!, v[m.ram]!, hasSeq ? v[m.seq]! : NaN, hasSeq);
  }

  /** The contract's checks on one row's values, in one place for every path. */
  private check(timestamp: number, cpu: number, ram: number, seq: number, hasSeq: boolean): Line {
    if (!Number.isFinite(timestamp) || !Number.isFinite(cpu) || !Number.isFinite(ram) || !Number.isInteger(timestamp))
      return Line.Number;
    if (hasSeq && !(Number.isInteger(seq) && seq >= 0)) return Line.Number;
    if (timestamp <= 0 || timestamp > MAX_TIMESTAMP_MS || !(cpu >= 0 && cpu <= 100) || !(ram >= 0 && ram <= 100))
      return Line.Range;
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
  const m = columnsAt((name) => names.indexOf(name), fields.length);
  // seq is optional (the original three-column format)
  return m.timestamp < 0 || m.cpu < 0 || m.ram < 0 ? null : m;
}
