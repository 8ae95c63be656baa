// remote_write: every accepted sample, once, with its own timestamp, to a Prometheus-compatible
// store (SPEC "remote_write"). The CSV chain is its write-ahead log: it follows the files with a
// cursor of its own (saved with the analytics state), so a store down for an hour, or a kill -9,
// is caught up in order afterwards, and the analytics app's alerting never waits for it.
//
//   pump(): no batch? read up to BATCH_BYTES with its own follower ─▶ samples ─▶ one POST
//           2xx ─▶ cursor moves past the batch │ 5xx, 429, network ─▶ the same batch again, backoff
//           other 4xx ─▶ batch dropped, counted, said once
import { hostname } from 'node:os';
import type { Clock, Random, TimerHandle, Timers } from '../../../common/clock.js';
import type { Config } from '../../../common/config.js';
import { httpAuth, readCapped } from '../../../common/credentials.js';
import { describeCause } from '../../../common/errors.js';
import { log } from '../../../common/log.js';
import { percentToRatio } from '../../../common/ratio.js';
import { redact } from '../../../common/redact.js';
import type { RemoteWriteView } from '../dashboard/wire.js';
import { Ingest } from '../ingest.js';
import type { ParserState } from '../source/parse-line.js';
import { TailFile, type FilePosition, type FollowFs } from '../source/tail-file.js';
import { encodeWriteRequest, snappyBlock, type Series } from './wire.js';

/** Bytes of CSV one request carries at most (~8,000 rows, 16,000 samples). */
const BATCH_BYTES = 256 << 10;
/** A batch goes when it holds this many rows, or when its first row waited BATCH_AGE_MS: at 1 Hz one POST every 5 s, not every second. */
const BATCH_ROWS = 1000;
const BATCH_AGE_MS = 5000;
/** Retries wait at most this long (with jitter, 45 s): a store back from an outage gets the backlog within a minute, as Prometheus' own remote_write (5 s) and Vector (30 s) do. */
const MAX_BACKOFF_MS = 30_000;
/** Bytes of a CSV row, on average: turns the unread bytes into a backlog of samples. */
const ROW_BYTES = 33;

export interface RemoteWriteSettings {
  /** Without credentials: safe to show. */
  url: string;
  /** Basic auth from the URL, or a bearer token (TELEMETRY_REMOTE_WRITE_TOKEN); never shown. */
  authorization: string | null;
  /** Every series' labels beside the metric name: host, job="telemetry" and remoteWrite.labels. */
  labels: Record<string, string>;
  timeoutMs: number;
}

/** null when off; throws on a URL that is not http(s). */
export function readRemoteWriteSettings(
  rw: Config['remoteWrite'],
  env: NodeJS.ProcessEnv = process.env,
): RemoteWriteSettings | null {
  const text = rw.url;
  if (!text) return null;
  let protocol: string;
  try {
    protocol = new URL(text).protocol;
  } catch {
    throw new Error(`TELEMETRY_REMOTE_WRITE_URL / remoteWrite.url is not a URL: ${redact(text)}`);
  }
  if (protocol !== 'http:' && protocol !== 'https:')
    throw new Error(`remoteWrite.url must start with http:// or https://, not ${protocol}//`);
  const { url, authorization } = httpAuth(text, env.TELEMETRY_REMOTE_WRITE_TOKEN);
  return { url, authorization, labels: { host: hostname(), job: 'telemetry', ...rw.labels }, timeoutMs: rw.timeoutMs };
}

/** What a POST answered: its status and the start of its body. */
export type PostWrite = (body: Buffer) => Promise<{ status: number; text: string }>;

/** The real POST, with the headers remote-write 1.0 asks for; at most 64 KiB of the answer read. */
export function httpPostWrite(settings: RemoteWriteSettings): PostWrite {
  return async (body) => {
    const res = await fetch(settings.url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-protobuf',
        'Content-Encoding': 'snappy',
        'X-Prometheus-Remote-Write-Version': '0.1.0',
        'User-Agent': 'telemetry-analytics',
        ...(settings.authorization ? { Authorization: settings.authorization } : {}),
      },
      body: new Uint8Array(body),
      signal: AbortSignal.timeout(settings.timeoutMs),
    });
    return { status: res.status, text: await readCapped(res) };
  };
}

/** Its cursor, saved with the analytics state. */
export interface RemoteWriteState {
  position: FilePosition | null;
  parser: ParserState;
  /**
   * The newest sample time the store took: after a restart nothing at or before it is sent again
   * (a store refuses a whole batch that holds a sample older than its newest, as out of order).
   */
  lastSent?: number;
}

export interface RemoteWritePorts {
  clock: Clock;
  timers: Timers;
  random: Random;
  fs: FollowFs;
  post: PostWrite;
  /** The store took a batch: the cursor should be saved now, so a restart does not send it again. */
  progressed(): void;
}

export class RemoteWriter {
  /** Samples the store took, sent again after a failure, refused for good, and rotated away unsent (estimated from the bytes lost). */
  readonly counts = { sent: 0, failed: 0, dropped: 0, lost: 0 };
  private readonly settings: RemoteWriteSettings;
  private readonly ports: RemoteWritePorts;
  private readonly ingest: Ingest;
  private readonly tail: TailFile;
  private committed: RemoteWriteState;
  private batch: [number, number, number][] = [];
  private inFlight = false;
  private attempts = 0;
  private retry: TimerHandle | undefined;
  /** When the batch's first row was read (wall clock), and the timer that sends it at its age. */
  private batchSince = 0;
  private ageTimer: TimerHandle | undefined;
  private lastSent = 0;
  private failing = false;
  private stopped = false;

  constructor(
    settings: RemoteWriteSettings,
    csvPath: string,
    maxLineBytes: number,
    saved: RemoteWriteState | undefined,
    ports: RemoteWritePorts,
  ) {
    this.settings = settings;
    this.ports = ports;
    this.ingest = new Ingest(null, { onSample: (t, cpu, ram) => void this.batch.push([t, cpu, ram]) });
    this.ingest.unread = (bytes) => (this.counts.lost += Math.round(bytes / ROW_BYTES) * 2);
    this.tail = new TailFile(csvPath, this.ingest, { maxLineBytes, fs: ports.fs });
    if (saved) {
      this.ingest.parser.restore(saved.parser);
      this.tail.resumeFrom(saved.position);
      this.lastSent = saved.lastSent ?? 0;
    }
    this.committed = saved ?? { position: null, parser: this.ingest.parser.save() };
    log.info('remote_write is on', { url: settings.url, labels: JSON.stringify(settings.labels) });
  }

  /** The cursor past what the store has taken. */
  save(): RemoteWriteState {
    return this.committed;
  }

  /** Samples read but not yet taken by the store, estimated from the bytes still to read. */
  get backlog(): number {
    return this.batch.length * 2 + Math.round(this.tail.lagBytes / ROW_BYTES) * 2;
  }

  /** Its figures for the dashboard. */
  view(now: number): RemoteWriteView {
    return { ...this.counts, backlog: this.backlog, behindSeconds: Math.round(this.behindMs(now) / 1000) };
  }

  /** How far behind the clock the last sample the store took is (0 when nothing waits). */
  behindMs(now: number): number {
    return this.backlog === 0 || this.lastSent === 0 ? 0 : Math.max(0, now - this.lastSent);
  }

  /**
   * Sends the next batch unless one is on its way or waiting for a retry. A batch starts with the
   * rows there are; it goes at once when it holds BATCH_ROWS, else once its first row waited
   * BATCH_AGE_MS (read again then, to take what came meanwhile). Never blocks.
   */
  pump(): void {
    if (this.inFlight || this.retry !== undefined || this.stopped) return;
    const now = this.ports.clock.now();
    if (this.batch.length === 0) {
      // the follower adds what it reads to the batch (through the ingest's observer)
      if (this.read() === 0) return;
    } else if (now - this.batchSince < BATCH_AGE_MS) {
      return; // young: its timer comes
    } else this.read();
    if (this.batch.length < BATCH_ROWS && now - this.batchSince < BATCH_AGE_MS) {
      this.ageTimer ??= this.ports.timers.setTimeout(
        () => {
          this.ageTimer = undefined;
          this.pump();
        },
        this.batchSince + BATCH_AGE_MS - now,
      );
      return;
    }
    this.ports.timers.clearTimeout(this.ageTimer);
    this.ageTimer = undefined;
    this.inFlight = true;
    const { series, last } = this.encode();
    const body = snappyBlock(encodeWriteRequest(series));
    void this.ports.post(body).then(
      (res) => this.answered(res.status, res.text, last),
      (err: unknown) => this.answered(0, describeCause(err), last),
    );
  }

  /** Reads up to BATCH_BYTES: the samples go into the batch; returns its size. */
  private read(): number {
    const empty = this.batch.length === 0;
    this.ingest.setClock(this.ports.clock.now());
    this.tail.poll(BATCH_BYTES);
    if (empty && this.batch.length > 0) this.batchSince = this.ports.clock.now();
    return this.batch.length;
  }

  stop(): void {
    this.stopped = true;
    this.ports.timers.clearTimeout(this.retry);
    this.ports.timers.clearTimeout(this.ageTimer);
    this.tail.close();
  }

  /**
   * The batch as two series, each in time order, and its latest time (a row stamped before one
   * sent is left out: the store would refuse it as out of order).
   */
  private encode(): { series: Series[]; last: number } {
    const cpu: [number, number][] = [];
    const ram: [number, number][] = [];
    let last = this.lastSent;
    for (const [t, c, r] of this.batch) {
      if (t <= last) continue;
      last = t;
      cpu.push([t, percentToRatio(c)]);
      ram.push([t, percentToRatio(r)]);
    }
    const labels = Object.entries(this.settings.labels).sort(([a], [b]) => (a < b ? -1 : 1));
    const series: Series[] = [
      { labels: [['__name__', 'telemetry_cpu_usage_ratio'], ...labels], samples: cpu },
      { labels: [['__name__', 'telemetry_memory_usage_ratio'], ...labels], samples: ram },
    ];
    return { series, last };
  }

  private answered(status: number, text: string, last: number): void {
    this.inFlight = false;
    const samples = this.batch.length * 2;
    if (status >= 200 && status < 300) {
      this.counts.sent += samples;
      this.lastSent = last;
      this.next();
      if (this.failing) log.info('remote_write works again', { url: this.settings.url });
      this.failing = false;
      this.attempts = 0;
    } else if (status >= 400 && status < 500 && status !== 429) {
      // the store refuses these samples for good: counted, said, and not sent again
      this.counts.dropped += samples;
      log.error('remote_write refused a batch; dropped it', {
        url: this.settings.url,
        status,
        samples,
        answer: text.slice(0, 200),
      });
      this.next();
    } else {
      this.counts.failed += samples;
      this.attempts++;
      const backoff = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (this.attempts - 1)) * (0.5 + this.ports.random());
      if (!this.failing)
        log.warn('remote_write failed; retrying the same samples with backoff, nothing is lost', {
          url: this.settings.url,
          status: status || undefined,
          error: text.slice(0, 200),
        });
      this.failing = true;
      this.retry = this.ports.timers.setTimeout(() => {
        this.retry = undefined;
        this.pump();
      }, backoff);
      return;
    }
    if (!this.stopped) this.pump();
  }

  /** The store has the batch (or refused it for good): the cursor moves past it. */
  private next(): void {
    this.batch = [];
    this.committed = { position: this.tail.position, parser: this.ingest.parser.save(), lastSent: this.lastSent };
    this.ports.progressed();
  }
}
