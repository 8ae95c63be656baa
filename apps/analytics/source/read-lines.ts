// Splits chunks of a file into lines for a sink. Lines longer than the limit are skipped up to
// their `\n` and reported once as too long, with memory bounded by the chunk, whatever the input.

/** A read buffer for a LineReader: it holds at least two of the longest lines, so a line never needs more than one carry. */
export function lineChunk(maxLineBytes: number, bytes = 1 << 20): Buffer {
  return Buffer.allocUnsafe(Math.max(bytes, 2 * maxLineBytes));
}

export interface LineSink {
  /** One complete line, buf[start, end), without its `\n`. */
  line(buf: Buffer, start: number, end: number): void;
  /**
   * The complete lines from buf[start] on (before `end`, each at most maxLineBytes; buf[end - 1]
   * is a `\n`) that the sink takes in one fast pass; returns where it stopped, and the next line
   * comes through line().
   */
  lines(buf: Buffer, start: number, end: number, maxLineBytes: number): number;
  tooLong(): void;
}

export class LineReader {
  /** Inside a too-long line: the bytes consumed so far do not end at a line boundary. */
  skipping = false;
  /** Bytes of that too-long line consumed so far: the last line boundary is this far back. */
  skipped = 0;
  private readonly maxLineBytes: number;
  private readonly sink: LineSink;

  constructor(maxLineBytes: number, sink: LineSink) {
    this.maxLineBytes = maxLineBytes;
    this.sink = sink;
  }

  /**
   * Feeds a chunk that starts where the previous feed stopped. Returns the bytes consumed: up to
   * just after the last `\n`, or all of it while skipping a too-long line.
   */
  feed(chunk: Buffer): number {
    let start = 0;
    if (this.skipping) {
      const nl = chunk.indexOf(10);
      if (nl < 0) {
        this.skipped += chunk.length;
        return chunk.length;
      }
      this.skipping = false;
      this.skipped = 0;
      this.sink.tooLong();
      start = nl + 1;
    }
    // the fast lane stops at the last complete line: it never reads into a partial one
    const complete = chunk.lastIndexOf(10) + 1;
    for (;;) {
      if (start < complete) start = this.sink.lines(chunk, start, complete, this.maxLineBytes);
      const nl = chunk.indexOf(10, start);
      if (nl < 0) break;
      if (nl - start > this.maxLineBytes) this.sink.tooLong();
      else this.sink.line(chunk, start, nl);
      start = nl + 1;
    }
    if (chunk.length - start > this.maxLineBytes) {
      this.skipping = true;
      this.skipped = chunk.length - start;
      return chunk.length;
    }
    return start;
  }

  /** End of a finished file: an unterminated last line is judged like any other. */
  finish(rest: Buffer): void {
    if (this.skipping || rest.length > this.maxLineBytes) this.sink.tooLong();
    else if (rest.length > 0) this.sink.line(rest, 0, rest.length);
    this.skipping = false;
    this.skipped = 0;
  }
}
