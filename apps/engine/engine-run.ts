// The engine's decisions about its own run, apart from threads, timers and the process: when a
// signal ends it at once or drains first, when both threads are done, and the rows/s figure.
//
//   signal ─▶ 'drain' (close the ring, stop the producer) ─▶ both threads done ─▶ 'exit'
//   engine.limit reached ─▶ both threads done ─▶ 'stop-self' (ask PM2, which sends SIGINT) ─▶ 'exit'
import type { WorkerName } from './worker-protocol.js';

export class EngineRun {
  private signalled = false;
  /** Both threads are done and the final line is out. */
  private ended = false;
  private readonly started = new Set<WorkerName>();
  private readonly finished = new Set<WorkerName>();
  private last: { at: number; written: number };
  /** Rows written per second over the last stats period. */
  rate = 0;

  constructor(now: number) {
    this.last = { at: now, written: 0 };
  }

  /** A signal: 'exit' when the final line is already out, else 'drain' the queue first. */
  onSignal(): 'exit' | 'drain' {
    if (this.ended) return 'exit';
    this.signalled = true;
    return 'drain';
  }

  /** A signal arrived (during start-up, the producer is then not started). */
  get stopping(): boolean {
    return this.signalled;
  }

  onStarted(name: WorkerName): void {
    this.started.add(name);
  }

  /**
   * A thread finished. Both threads' counts are final only when both are done (the producer
   * counts a sample just after queueing it, and the writer may have written it by then):
   * 'wait' until then; 'exit' after a signal; 'stop-self' when engine.limit ended the run.
   */
  onFinished(name: WorkerName): 'wait' | 'exit' | 'stop-self' {
    this.finished.add(name);
    if (![...this.started].every((w) => this.finished.has(w))) return 'wait';
    this.ended = true;
    return this.signalled ? 'exit' : 'stop-self';
  }

  /** A thread's exit is a failure unless it said it was done. */
  exitedUnexpectedly(name: WorkerName): boolean {
    return !this.finished.has(name);
  }

  /** The stats period ended at `now` with `written` rows in all: updates `rate`. */
  onStats(now: number, written: number): number {
    this.rate = Math.round(((written - this.last.written) * 1000) / Math.max(1, now - this.last.at));
    this.last = { at: now, written };
    return this.rate;
  }
}
