// The analytics app's core: every decision of a run (the turn, when to save, the reload order,
// which firings are re-sent, start and stop), built from ports, so the same code runs under PM2
// (main.ts builds the real ports), in process tests, and in the seeded simulation (test/sim/).
//
//   csv event / timer ─▶ turn(): tail.poll() ─▶ ingest (parse, stats) ─▶ alerting ─▶ transitions
//   transitions ─▶ notifier: announcer (history, flapping, current state) ─▶ email / alertmanager outboxes
//               ─▶ state saved ─▶ console line
import { join } from 'node:path';
import type { Clock, Random, TimerHandle, Timers } from '../../common/clock.js';
import type { Config } from '../../common/config.js';
import { describeCause } from '../../common/errors.js';
import { flushDue } from '../../common/flush-due.js';
import { log } from '../../common/log.js';
import { createAnalysis } from './analysis.js';
import { loadHistory } from './dashboard/history.js';
import type { LiveFeed } from './dashboard/live-feed.js';
import type { ChannelCounts } from './metrics.js';
import { createAlertmanagerChannel, type AlertmanagerChannel, type PostAlerts } from './notify/alertmanager.js';
import type { AlertmanagerSettings } from './notify/alertmanager.js';
import { Announcer, type AnnouncedRule } from './notify/announce.js';
import type { NotifyChannel } from './notify/channel.js';
import { createEmailChannel } from './notify/email.js';
import type { EmailSettings } from './notify/email-settings.js';
import { Notifier } from './notify/notifier.js';
import { Outbox } from './notify/outbox.js';
import type { QueuedChannel } from './notify/queued-channel.js';
import type { Mailer } from './notify/smtp.js';
import type { Alerting, RulesChange, Transition } from './rules/alerting.js';
import type { Ingest } from './ingest.js';
import type { Rule } from './rules/rule.js';
import { httpPostWrite, RemoteWriter, type PostWrite, type RemoteWriteSettings } from './remote-write/remote-writer.js';
import { POLL_BUDGET, TailFile, type FollowFs } from './source/tail-file.js';
import type { AnalyticsState } from './state-file.js';

/** The dashboard's clients get what arrived within this long (at low rates, from the turn that read it). */
const FLUSH_MS = 100;
/** Without a watch on the CSV (no file yet, or the system refuses one) it is re-read at least this often. */
const UNWATCHED_POLL_MS = 1000;

/** A watch on the CSV file: events are hints, the app polls too. */
export interface CsvWatch {
  /** Aims the watch at the file now at the path. */
  retarget(): void;
  readonly watching: boolean;
  close(): void;
}

/** Where the state is kept: the state file, or the simulation's disk that can fail. */
interface StateStore {
  /** The saved state, or null for a first start (an unusable file is moved aside by the store). */
  load(): AnalyticsState | null;
  /** Throws when the state cannot be saved (a full disk); `durable`: the rename survives a power loss. */
  save(state: AnalyticsState, durable: boolean): void;
}

export interface AppPorts {
  clock: Clock;
  timers: Timers;
  random: Random;
  /** The follower's file calls. */
  fs: FollowFs;
  state: StateStore;
  /** Watches the CSV, calling `onEvent` when it changes. */
  watchCsv(path: string, onEvent: () => void): CsvWatch;
  console: NotifyChannel & { sent: number };
  /** Email when configured: its settings and transport. */
  email: { settings: EmailSettings; mailer: Mailer } | null;
  /** The alertmanager channel when configured; `post` defaults to an HTTP POST. */
  alertmanager: { settings: AlertmanagerSettings; post?: PostAlerts } | null;
  /** remote_write when configured; `post` defaults to an HTTP POST. */
  remoteWrite: { settings: RemoteWriteSettings; post?: PostWrite } | null;
  /** The live dashboard's feed (the HTTP server is on), and how to push it to the clients. */
  dashboard: { feed: LiveFeed; flush(): void } | null;
}

export interface AppSettings {
  dataDir: string;
  analytics: Config['analytics'];
  /** Firing alerts are re-sent to Alertmanager this often. */
  resendMs: number;
}

const announced = (list: Rule[]): AnnouncedRule[] =>
  list.map((r) => ({ name: r.name, flap: r.flap, repeatMs: r.repeatMs }));

export class AnalyticsApp {
  readonly csvPath: string;
  readonly ingest: Ingest;
  readonly alerting: Alerting;
  readonly tail: TailFile;
  readonly announcer: Announcer;
  readonly notifier: Notifier;
  readonly email: QueuedChannel | null;
  readonly alertmanager: AlertmanagerChannel | null;
  readonly remoteWriter: RemoteWriter | null;
  /** The saved state found at start (null: a first start). */
  readonly saved: AnalyticsState | null;
  private readonly ports: AppPorts;
  private readonly settings: AppSettings;
  private readonly queued: QueuedChannel[];
  private csvWatch: CsvWatch | null = null;
  private turnTimer: TimerHandle | undefined;
  private turnSoon: TimerHandle | undefined;
  private resendTimer: TimerHandle | undefined;
  private stopping = false;
  private dirty = false;
  private checkpointFailing = false;
  private savedAt = 0;
  private flushedAt = 0;

  constructor(settings: AppSettings, rules: Rule[], ports: AppPorts) {
    this.settings = settings;
    this.ports = ports;
    const { clock } = ports;
    const feed = ports.dashboard?.feed;
    const { ingest, alerting } = createAnalysis(rules, settings.analytics.windowMs, clock.now(), undefined, feed);
    this.ingest = ingest;
    this.alerting = alerting;
    this.csvPath = join(settings.dataDir, 'telemetry.csv');
    this.tail = new TailFile(this.csvPath, ingest, { maxLineBytes: settings.analytics.maxLineBytes, fs: ports.fs });
    this.saved = ports.state.load();
    if (this.saved) {
      ingest.stats.restore(this.saved.stats);
      ingest.parser.restore(this.saved.parser);
      this.tail.resumeFrom(this.saved.position);
      alerting.restore(this.saved.alerts);
    }
    this.announcer = new Announcer(announced(rules), this.saved?.announce);
    const queuePorts = { clock, timers: ports.timers, random: ports.random };
    const outbox = (name: string): Outbox => new Outbox(join(settings.dataDir, name), clock.now());
    this.email = ports.email
      ? createEmailChannel(ports.email.settings, outbox('outbox.jsonl'), ports.email.mailer, queuePorts)
      : null;
    this.alertmanager = ports.alertmanager
      ? createAlertmanagerChannel(ports.alertmanager.settings, outbox('outbox.alertmanager.jsonl'), {
          ...queuePorts,
          ...(ports.alertmanager.post ? { post: ports.alertmanager.post } : {}),
        })
      : null;
    const rw = ports.remoteWrite;
    this.remoteWriter = rw
      ? new RemoteWriter(rw.settings, this.csvPath, settings.analytics.maxLineBytes, this.saved?.remoteWrite, {
          ...queuePorts,
          fs: ports.fs,
          post: rw.post ?? httpPostWrite(rw.settings),
          progressed: () => this.checkpoint(false),
        })
      : null;
    this.queued = [this.email, this.alertmanager?.channel].filter(
      (c): c is QueuedChannel => c !== null && c !== undefined,
    );
    this.notifier = new Notifier({
      announcer: this.announcer,
      queued: this.queued,
      console: ports.console,
      checkpoint: () => this.checkpoint(),
    });
  }

  /** Ends what was told of rules removed while the app was down, reads what is there, and follows the file. */
  start(): void {
    this.notifier.replace(announced(this.alerting.rules()), this.ports.clock.now());
    this.csvWatch = this.ports.watchCsv(this.csvPath, () => this.onCsvEvent());
    if (this.alertmanager) this.scheduleResend();
    const { dashboard, clock } = this.ports;
    if (dashboard) {
      const { maxLineBytes } = this.settings.analytics;
      void loadHistory(dashboard.feed, this.csvPath, maxLineBytes, clock.now(), this.saved?.shown ?? []);
    }
    this.turn();
  }

  /** File events come in bursts while the engine writes fast: one turn per turn of the event loop. */
  onCsvEvent(): void {
    this.turnSoon ??= this.ports.timers.setTimeout(() => {
      this.turnSoon = undefined;
      this.turn();
    }, 0);
  }

  /** A valid rules file: swapped in, then what the announcer told of removed rules is ended. */
  applyRules(next: Rule[]): RulesChange {
    const change = this.alerting.replace(next);
    this.notifier.replace(announced(next), this.ports.clock.now());
    return change;
  }

  /**
   * Saves the state and stops the channels (a delivery in flight may finish); pending
   * notifications stay in the outboxes.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    const { timers } = this.ports;
    for (const t of [this.turnTimer, this.turnSoon, this.resendTimer]) timers.clearTimeout(t);
    this.csvWatch?.close();
    this.remoteWriter?.stop();
    this.checkpoint();
    await Promise.all(this.queued.map((c) => c.stop()));
    this.tail.close();
  }

  channelCounts(): ChannelCounts[] {
    return [
      { name: 'console', sent: this.ports.console.sent, failed: 0, dead: 0, depth: null },
      ...this.queued.map((c) => ({ name: c.name, sent: c.sent, failed: c.failed, dead: c.dead, depth: c.depth })),
    ];
  }

  /**
   * One turn: read what the file has (up to a budget), judge the clock-driven rules, announce,
   * save the state and push the dashboard when due. A file event starts a turn at once; the
   * timer when something is due by the clock (an `absent` rule, a reminder, a flapping rule
   * settling, a save, a dashboard flush) or after pollMs without an event. At 1 Hz the app wakes
   * once a sample.
   */
  turn(): void {
    const { clock, timers, dashboard } = this.ports;
    const { analytics } = this.settings;
    timers.clearTimeout(this.turnTimer);
    if (this.stopping) return;
    const stats = this.ingest.stats;
    const before = stats.samples;
    // what was read: a file rewritten to the very same size moves no offset, yet its rows counted
    const judged = (): number => stats.samples + stats.rejectedTotal + stats.headers + stats.truncations;
    const judgedBefore = judged();
    const offset = this.tail.position?.offset;
    this.ingest.setClock(clock.now());
    const read = this.tail.poll(POLL_BUDGET);
    this.csvWatch?.retarget();
    const now = clock.now();
    if (this.ingest.stats.samples !== before) this.alerting.onArrival(now);
    const moved = this.tail.position?.offset !== offset || judged() !== judgedBefore;
    if (moved) this.dirty = true;
    this.alerting.tick(now);
    this.judged(this.alerting.take(), now);
    this.notifier.tick(now, this.alerting.currentFirings());
    // its own cursor and its own pace: alerting never waits for the store
    this.remoteWriter?.pump();
    // a periodic save need not survive a power loss (an older state is read on from exactly): no directory fsync
    if (this.dirty && flushDue(now, this.savedAt, analytics.checkpointMs, moved)) this.checkpoint(false);
    // points coalesce for a full FLUSH_MS (a fast writer brings many turns in that time)
    if (dashboard?.feed.unsent && flushDue(now, this.flushedAt, FLUSH_MS, false)) {
      dashboard.flush();
      this.flushedAt = now;
    }
    if (read >= POLL_BUDGET) {
      this.turnTimer = timers.setTimeout(() => this.turn(), 0); // more to read
      return;
    }
    const poll = this.csvWatch?.watching ? analytics.pollMs : Math.min(analytics.pollMs, UNWATCHED_POLL_MS);
    const next = Math.min(
      this.alerting.nextDue(),
      this.announcer.nextDue(),
      // (flushDue made a save or flush due at once after a clock set back: what is left is not before the last)
      this.dirty ? this.savedAt + analytics.checkpointMs : Infinity,
      dashboard?.feed.unsent ? this.flushedAt + FLUSH_MS : Infinity,
      now + poll,
    );
    this.turnTimer = timers.setTimeout(() => this.turn(), Math.max(0, next - clock.now()));
  }

  /** Transitions from the rules: shown on the dashboard (all of them), announced (see Notifier). */
  private judged(transitions: Transition[], now: number): void {
    const feed = this.ports.dashboard?.feed;
    if (feed) for (const t of transitions) feed.onTransition(t);
    this.notifier.offer(transitions, now);
  }

  /** Saves the state; a failure (a full disk, a deleted data/) is logged once and retried, never fatal. */
  private checkpoint(durable = true): void {
    try {
      this.ports.state.save(
        {
          version: 1,
          position: this.tail.position,
          parser: this.ingest.parser.save(),
          stats: this.ingest.stats.save(),
          alerts: this.alerting.save(),
          announce: this.announcer.save(),
          ...(this.remoteWriter ? { remoteWrite: this.remoteWriter.save() } : {}),
          ...(this.ports.dashboard ? { shown: this.ports.dashboard.feed.view().transitions } : {}),
        },
        durable,
      );
      if (this.checkpointFailing) log.info('analytics state saved again', { dir: this.settings.dataDir });
      this.checkpointFailing = this.dirty = false;
    } catch (err) {
      if (!this.checkpointFailing)
        log.error('cannot save the analytics state; evaluating on and retrying', {
          dir: this.settings.dataDir,
          error: describeCause(err),
        });
      this.checkpointFailing = this.dirty = true;
    }
    this.savedAt = this.ports.clock.now();
  }

  /** Only what was announced is re-sent: a firing recorded as history is not sent to Alertmanager either. */
  private scheduleResend(): void {
    this.resendTimer = this.ports.timers.setTimeout(() => {
      const firing = this.alerting.firing().filter((f) => this.announcer.isAnnouncedFiring(f.rule.name));
      void this.alertmanager?.resend(firing);
      this.scheduleResend();
    }, this.settings.resendMs);
  }
}
