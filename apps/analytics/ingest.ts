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

export class Ingest implements FollowEvents {
  readonly parser = new LineParser();
  readonly stats: Stats;
  private readonly observer: SampleObserver | null;

  constructor(windowMs: number | null, observer: SampleObserver | null = null) {
    this.stats = new Stats(windowMs);
    this.observer = observer;
  }

  line(buf: Buffer, start: number, end: number): void {
    const p = this.parser;
    const result = p.parse(buf, start, end);
    if (result === Line.Sample) {
      this.stats.addSample(p.timestamp, p.cpu, p.ram, p.seq);
      this.observer?.onSample(p.timestamp, p.cpu, p.ram);
    } else if (result === Line.RepeatedHeader) {
      this.stats.headers++;
    } else {
      const reason = REASON_OF[result];
      if (reason) this.stats.rejected[reason]++;
    }
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
