// The one path every line takes, live or in `analyze`: parse, count, update statistics, and hand
// accepted samples on (to the rules).
import { log, type Fields } from '../../common/log.js';
import { Line, LineParser, REASON_OF } from './source/parse-line.js';
import type { FollowEvents } from './source/tail-file.js';
import { Stats } from './stats.js';

/** Who judges each accepted sample (the alerting). */
export interface SampleObserver {
  onSample(timestamp: number, cpu: number, ram: number): void;
}

/** How far ahead of the reader's clock a sample may lie (clock skew, a late NTP step). */
export const MAX_AHEAD_MS = 10 * 60_000;

export class Ingest implements FollowEvents {
  readonly parser = new LineParser();
  readonly stats: Stats;
  /**
   * Samples stamped after this are rejected as `range`: one row from next year would otherwise
   * hold every window and reminder hostage. The caller moves it with its clock (setClock).
   */
  horizon = Infinity;
  /** `analyze --from/--to`: samples stamped outside [since, until] are passed over, neither counted nor judged. */
  since = -Infinity;
  until = Infinity;
  /** Told the bytes of a file rotated away before it was read (remote_write counts them as lost). */
  unread: ((bytes: number) => void) | undefined = undefined;
  private readonly observer: SampleObserver | null;

  constructor(windowMs: number | null, observer: SampleObserver | null = null) {
    this.stats = new Stats(windowMs);
    this.observer = observer;
  }

  line(buf: Buffer, start: number, end: number): void {
    this.take(this.parser.parse(buf, start, end));
  }

  lines(buf: Buffer, start: number, end: number, maxLineBytes: number): number {
    const p = this.parser;
    for (;;) {
      const nl = p.scanPlainLine(buf, start, end);
      if (nl < 0 || nl - start > maxLineBytes) return start;
      this.take(p.plain);
      start = nl + 1;
    }
  }

  private take(result: Line): void {
    const p = this.parser;
    if (result === Line.Sample && (p.timestamp < this.since || p.timestamp > this.until)) return;
    if (result === Line.Sample && p.timestamp > this.horizon) {
      this.stats.rejected.range++;
    } else if (result === Line.Sample) {
      this.stats.addSample(p.timestamp, p.cpu, p.ram, p.seq);
      this.observer?.onSample(p.timestamp, p.cpu, p.ram);
    } else if (result === Line.RepeatedHeader) {
      this.stats.headers++;
    } else {
      const reason = REASON_OF[result];
      if (reason) this.stats.rejected[reason]++;
    }
  }

  /** The reader's wall clock now: sets the horizon for what follows. */
  setClock(now: number): void {
    this.horizon = now + MAX_AHEAD_MS;
  }

  tooLong(): void {
    this.stats.rejected.too_long++;
  }

  fileStarted(): void {
    this.parser.reset();
  }

  truncated(): void {
    this.stats.truncations++;
  }

  notice(message: string, fields?: Fields): void {
    log.warn(message, fields);
  }
}
