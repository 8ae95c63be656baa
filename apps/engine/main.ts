// telemetry-engine: wires the producer and writer threads to one ring and reports on them.
//
//   main thread ── starts ──▶ writer (opens CSV, finds last seq) ── ready(lastSeq) ──▶ starts producer(seq+1)
//   SIGINT/SIGTERM ─▶ ring.close() ─▶ producer commits its last batch, ring.end() ─▶ writer drains, fsyncs ─▶ done ─▶ final line, exit 0
import { Worker } from 'node:worker_threads';
import { WorkerFailedError } from '../../common/errors.js';
import { log } from '../../common/log.js';
import { onShutdown, publishMetrics, signalReady, stopSelfUnderPm2 } from '../../common/pm2.js';
import { startHttpServer } from '../../common/http-server.js';
import { metricsRoute } from '../../common/metrics.js';
import { claimDataDir, fail, loadConfigOrExit } from '../../common/start-app.js';
import { engineMetrics } from './metrics.js';
import { Ring } from './ring.js';
import { EngineRun } from './engine-run.js';
import { readSeqMark } from './seq-mark.js';
import { createCounters, Counter, type WorkerData, type WorkerMessage, type WorkerName } from './worker-protocol.js';

const APP = 'telemetry-engine';
// The workers allocate almost nothing per sample: small heaps keep the idle RSS low.
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 32 };
const { config, file } = await loadConfigOrExit(APP);
const { engine } = config;
claimDataDir(APP, config.data.dir, 'engine', import.meta.url);
const ring = Ring.create(engine.queue.capacity);
const countersBuffer = createCounters();
const counters = new Float64Array(countersBuffer);
const workers = new Map<WorkerName, Worker>();
const run = new EngineRun(Date.now());

function startWorker(name: WorkerName, startSeq: number): Promise<number> {
  const data: WorkerData = { config, ring: ring.buffer, counters: countersBuffer, startSeq };
  const worker = new Worker(new URL(`./${name}-worker.js`, import.meta.url), {
    workerData: data,
    resourceLimits: WORKER_LIMITS,
  });
  workers.set(name, worker);
  run.onStarted(name);
  return new Promise((resolve) => {
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'ready') resolve(m.lastSeq);
      else if (m.type === 'log') log[m.level](m.message, m.fields);
      // the writer gives up on a file it cannot write once a signal asked it to stop
      else if (m.type === 'fatal') {
        if (run.stopping) giveUp();
        else fail(APP, new WorkerFailedError(m.worker, m.message));
      } else finished(m.worker);
    });
    worker.on('error', (err) => fail(APP, new WorkerFailedError(name, err.stack ?? err.message)));
    worker.on('exit', (code) => {
      if (run.exitedUnexpectedly(name)) fail(APP, new WorkerFailedError(name, `exited unexpectedly with code ${code}`));
    });
  });
}

function counts(): {
  [
    K in
      | 'produced'
      | 'written'
      | 'bytes'
      | 'dropped'
      | 'depth'
      | 'skippedTicks'
      | 'blockedMs'
      | 'rotations'
      | 'writeErrors'
      | 'orphanedRows'
      | 'lastSeq'
  ]: number;
} {
  return {
    produced: counters[Counter.produced]!,
    written: counters[Counter.written]!,
    bytes: counters[Counter.bytes]!,
    dropped: counters[Counter.dropped]!,
    depth: ring.depth,
    skippedTicks: counters[Counter.skippedTicks]!,
    blockedMs: Math.round(counters[Counter.blockedMs]!),
    rotations: counters[Counter.rotations]!,
    writeErrors: counters[Counter.writeErrors]!,
    orphanedRows: counters[Counter.orphaned]!,
    lastSeq: counters[Counter.lastSeq]!,
  };
}

function finished(name: WorkerName): void {
  const next = run.onFinished(name);
  if (next === 'wait') return;
  const c = counts();
  log.info('engine stopped cleanly', { ...c, balanced: c.produced === c.written + c.dropped });
  if (next === 'exit') process.exit(0);
  // engine.limit reached: under PM2, ask to be stopped (PM2's SIGINT then ends the process)
  void stopSelfUnderPm2().then((asked) => {
    if (!asked) process.exit(0);
    setTimeout(() => process.exit(0), STOP_REQUEST_WAIT_MS).unref();
  });
}

// PM2 kills after kill_timeout (10 s): if the disk still refuses writes by then, say what is lost.
const SHUTDOWN_DEADLINE_MS = 8000;
// How long a finished engine waits for PM2 to act on its stop request.
const STOP_REQUEST_WAIT_MS = 5000;
const statsTimer = setInterval(() => {
  const c = counts();
  log.info('engine stats summary', { rowsPerSec: run.onStats(Date.now(), c.written), ...c });
}, engine.statsEveryMs);
// Installed before the workers start: a signal during start-up still drains and exits 0.
onShutdown((signal) => {
  if (run.onSignal() === 'exit') process.exit(0);
  log.info('engine stopping: draining the queue', { signal, depth: ring.depth });
  clearInterval(statsTimer);
  ring.close();
  workers.get('producer')?.postMessage({ type: 'stop' });
  setTimeout(giveUp, SHUTDOWN_DEADLINE_MS).unref();
});

/** Stopping while the file cannot be written: say what is lost, exit 1. */
function giveUp(): void {
  log.error('engine could not finish writing in time; exiting with samples unwritten', {
    ...counts(),
    unwritten: ring.depth,
  });
  process.exit(1);
}

// Samples lost in the queue at a kill keep their numbers (a gap the reader counts).
const lastSeq = Math.max(await startWorker('writer', 0), readSeqMark(config.data.dir));
if (!run.stopping) await startWorker('producer', lastSeq + 1);
else ring.end(); // stopped during start-up: no producer, nothing more comes
await startHttpServer(
  APP,
  engine.metrics.listen,
  new Map([['/metrics', metricsRoute(engineMetrics(counters, () => ring.depth))]]),
);
signalReady();
log.info('engine started', {
  config: file ?? 'defaults',
  source: engine.source,
  intervalMs: engine.intervalMs,
  csv: `${config.data.dir}/telemetry.csv`,
  nextSeq: lastSeq + 1,
});

publishMetrics({
  'rows/s': () => run.rate,
  written: () => counters[Counter.written]!,
  'queue depth': () => ring.depth,
  dropped: () => counters[Counter.dropped]!,
  'skipped ticks': () => counters[Counter.skippedTicks]!,
  'blocked ms': () => Math.round(counters[Counter.blockedMs]!),
});
