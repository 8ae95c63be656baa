// `npm run bench`: every figure beside its reference, measured in the same run, as one table.
//   BENCH_ROWS (default 10M) rows for the burst and analyze runs; BENCH_IDLE_SECONDS (default 60).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { projectRoot } from '../common/config.js';
import { formatRow } from '../common/csv-format.js';
import { generateCsv } from './generate-csv.js';
import { measure, percentile, procStats, startNode, stopApp, waitFor, type Measured } from './proc.js';

// The apps run with the node arguments PM2 gives them (ecosystem.config.js).
const { apps } = (await import(pathToFileURL(join(projectRoot, 'ecosystem.config.js')).href)) as {
  apps: { script: string; node_args: string[] }[];
};
const appArgs = (script: string): string[] => [
  ...(apps.find((a) => a.script === `dist/${script}`)?.node_args ?? []),
  join(dist, script),
];
const ROWS = Number(process.env.BENCH_ROWS ?? 10_000_000);
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 60);
const dist = join(projectRoot, 'dist');
const ref = join(projectRoot, 'bench', 'reference');
const tmp = mkdtempSync(join(tmpdir(), 'telemetry-bench-'));
const rows: string[][] = [];
const MiB = (kib: number): string => `${(kib / 1024).toFixed(1)} MiB`;
const rate = (n: number, s: number): string => `${(n / s / 1e6).toFixed(2)} M rows/s`;
const say = (s: string): void => void process.stderr.write(`bench: ${s}\n`);
const row = (...cells: string[]): void => void rows.push(cells);

function config(dir: string, yaml: string): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'telemetry.yaml');
  writeFileSync(file, yaml);
  return file;
}

/** The run with the median wall time of three, ours and the reference taking turns (the disk and page cache are shared). */
function medianOfThree(...commands: (() => Measured)[]): Measured[] {
  const runs: Measured[][] = commands.map(() => []);
  for (let round = 0; round < 3; round++) commands.forEach((run, i) => runs[i]!.push(run()));
  return runs.map((r) => r.sort((a, b) => a.wall - b.wall)[1]!);
}

function buildReferences(): void {
  say('compiling the C++ engine and the C strtod scan');
  execFileSync('g++', ['-O2', '-std=c++17', '-pthread', '-o', join(tmp, 'engine-cpp'), join(ref, 'engine.cpp')]);
  execFileSync('cc', ['-O2', '-o', join(tmp, 'strtod-scan'), join(ref, 'strtod_scan.c')]);
}

function benchEngine(): void {
  say(`engine burst: ${ROWS} rows at intervalMs 0`);
  const dir = join(tmp, 'engine');
  const cfg = config(
    dir,
    `data: { dir: ${dir}/data }\nengine: { intervalMs: 0, limit: ${ROWS}, statsEveryMs: 600000 }\n`,
  );
  const [ours, cpp] = medianOfThree(
    () => {
      rmSync(join(dir, 'data'), { recursive: true, force: true });
      return measure([process.execPath, ...appArgs('apps/engine/main.js')], { TELEMETRY_CONFIG: cfg });
    },
    () => measure([join(tmp, 'engine-cpp'), join(tmp, 'engine-cpp.csv'), String(ROWS)]),
  ) as [Measured, Measured];
  row(
    'engine burst (time)',
    `${ours.wall.toFixed(2)} s (${rate(ROWS, ours.wall)})`,
    `${cpp.wall.toFixed(2)} s (C++ queue+mutex+ofstream)`,
    `${(ours.wall / cpp.wall).toFixed(2)}x time`,
    '<= 0.3x time',
  );
  row(
    'engine burst CPU / peak RSS',
    `${ours.cpu.toFixed(2)} s / ${MiB(ours.maxRssKiB)}`,
    `${cpp.cpu.toFixed(2)} s / ${MiB(cpp.maxRssKiB)}`,
    '',
    'RSS <= 100 MiB',
  );
  rmSync(dir, { recursive: true, force: true });
  rmSync(join(tmp, 'engine-cpp.csv'), { force: true });
}

/** The seed's own format, `timestamp,cpu,ram`: the same rows without seq, side by side with the C scan. */
function benchAnalyzeThreeColumns(csv: string): void {
  say("analyze of the seed's three-column format vs the C strtod scan");
  const three = join(tmp, 'bench-3col.csv');
  execFileSync('sh', ['-c', `cut -d, -f1-3 '${csv}' > '${three}'`]);
  const [ours, c] = medianOfThree(
    () => measure([process.execPath, join(dist, 'cli/telemetry.js'), 'analyze', three, '--json']),
    () => measure([join(tmp, 'strtod-scan'), three]),
  ) as [Measured, Measured];
  rmSync(three);
  row(
    `analyze timestamp,cpu,ram, ${cpus().length} threads`,
    `${ours.wall.toFixed(2)} s (${rate(ROWS, ours.wall)})`,
    `${c.wall.toFixed(2)} s (${rate(ROWS, c.wall)}) (C read+strtod, same file)`,
    `${(ours.wall / c.wall).toFixed(2)}x time`,
    '<= 0.5x time',
  );
}

function benchAnalyze(csv: string): void {
  say('analyze (one thread per core, and one thread) vs the C strtod scan and the Python csv reader');
  const analyze =
    (...args: string[]) =>
    (): Measured =>
      measure([process.execPath, join(dist, 'cli/telemetry.js'), 'analyze', csv, '--json', ...args]);
  const [ours, single, c, py] = medianOfThree(
    analyze(),
    analyze('--threads', '1'),
    () => measure([join(tmp, 'strtod-scan'), csv]),
    () => measure(['python3', join(ref, 'csv_reader.py'), csv]),
  ) as [Measured, Measured, Measured, Measured];
  const time = (m: Measured): string => `${m.wall.toFixed(2)} s (${rate(ROWS, m.wall)})`;
  row(
    `analyze, ${cpus().length} threads (time)`,
    time(ours),
    `${time(c)} (C read+strtod)`,
    `${(ours.wall / c.wall).toFixed(2)}x time`,
    '<= 0.5x time',
  );
  row(
    '  analyze --threads 1',
    time(single),
    `${time(c)} (C read+strtod)`,
    `${(single.wall / c.wall).toFixed(2)}x time`,
    '',
  );
  row('analyze vs Python csv', time(ours), `${time(py)} (Python csv)`, `${(ours.wall / py.wall).toFixed(2)}x time`, '');
  row(
    'analyze CPU / peak RSS',
    `${ours.cpu.toFixed(2)} s / ${MiB(ours.maxRssKiB)}`,
    `C ${c.cpu.toFixed(2)} s / ${MiB(c.maxRssKiB)}; Py ${py.cpu.toFixed(2)} s / ${MiB(py.maxRssKiB)}`,
    '',
    'RSS <= 100 MiB',
  );
  const rules = join(tmp, 'bench-rules.yaml');
  writeFileSync(
    rules,
    readFileSync(join(projectRoot, 'rules.yaml'), 'utf8') +
      '  - { name: cpu_minute, metric: cpu, above: 70, over: 1m, aggregate: avg }\n',
  );
  // The same rules with thresholds no sample crosses: the cost of judging every sample, without
  // the hundreds of thousands of transitions (and MiB of output) the spiky demo data produces.
  const quiet = join(tmp, 'quiet-rules.yaml');
  writeFileSync(
    quiet,
    'rules:\n  - { name: a, metric: cpu, above: 100 }\n  - { name: b, metric: ram, above: 100 }\n  - { name: c, absent: 10s }\n  - { name: d, metric: cpu, above: 100, over: 1m, aggregate: avg }\n',
  );
  // rules judge samples in order, on one thread: their cost is against plain analyze on one thread
  const [plain, withRules, quietRun] = medianOfThree(
    analyze('--threads', '1'),
    analyze('--rules', rules),
    analyze('--rules', quiet),
  ) as [Measured, Measured, Measured];
  const overhead = (m: Measured): string => `+${((100 * (m.wall - plain.wall)) / plain.wall).toFixed(1)}% time`;
  row(
    'analyze --rules (4 rules, one over 1m)',
    time(withRules),
    `${time(plain)} (analyze --threads 1)`,
    overhead(withRules),
    'reported',
  );
  row(
    '  same rules, never crossed (evaluation only)',
    time(quietRun),
    `${time(plain)} (analyze --threads 1)`,
    overhead(quietRun),
    'reported',
  );
  say(`  (the backtest printed ${(withRules.stdoutBytes / 1048576).toFixed(1)} MiB of transitions)`);
}

async function benchLatency(): Promise<void> {
  say('live detection latency: 200 threshold-crossing rows appended one by one');
  const dir = join(tmp, 'latency');
  const cfg = config(
    dir,
    `data: { dir: ${dir}/data }\nanalytics: { rules: ${dir}/rules.yaml, summaryEveryMs: 600000 }\n`,
  );
  // flap: off: every one of the 200 crossings must print its own line
  writeFileSync(
    join(dir, 'rules.yaml'),
    'rules:\n  - { name: high_cpu, metric: cpu, above: 80, channels: [console], flap: off }\n',
  );
  mkdirSync(join(dir, 'data'));
  const csv = join(dir, 'data', 'telemetry.csv');
  writeFileSync(csv, 'timestamp,cpu,ram,seq\n');
  const app = startNode(appArgs('apps/analytics/main.js'), dir, { TELEMETRY_CONFIG: cfg });
  let seen: (() => void) | null = null;
  app.onLine((l) => l.includes(' ALERT ') && seen?.());
  await waitFor('analytics to start', () => app.output().includes('analytics started'));
  const latencies: number[] = [];
  for (let i = 0; i < 200; i++) {
    const alerted = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no ALERT line within 10 s')), 10_000);
      seen = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    const start = performance.now();
    appendFileSync(csv, formatRow(Date.now(), i % 2 === 0 ? 95 : 10, 50, i + 1));
    await alerted;
    latencies.push(performance.now() - start);
  }
  await stopApp(app);
  latencies.sort((a, b) => a - b);
  row(
    'live detection latency (append -> ALERT line)',
    `p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms`,
    '',
    '',
    'p99 < 50 ms',
  );
}

async function benchStorm(): Promise<void> {
  const stormRows = 2_000_000;
  say(`alert storm: ${stormRows} rows of demo data in a burst, the shipped rules, email to a server that is not there`);
  const dir = join(tmp, 'storm');
  const cfg = config(
    dir,
    `data: { dir: ${dir}/data }\nengine: { intervalMs: 0, limit: ${stormRows}, metrics: { listen: "" } }\nanalytics: { rules: ${join(projectRoot, 'rules.yaml')}, http: { listen: "" } }\nemail: { timeoutMs: 500 }\n`,
  );
  const env = {
    TELEMETRY_CONFIG: cfg,
    TELEMETRY_SMTP_URL: 'smtp://127.0.0.1:9',
    TELEMETRY_EMAIL_TO: 'ops@example.com',
  };
  const analytics = startNode(appArgs('apps/analytics/main.js'), dir, env);
  await waitFor('analytics to start', () => analytics.output().includes('analytics started'));
  const counted = (): number => {
    try {
      return (
        JSON.parse(readFileSync(join(dir, 'data', 'analytics-state.json'), 'utf8')) as {
          stats: { cpu: { count: number } };
        }
      ).stats.cpu.count;
    } catch {
      return -1;
    }
  };
  const engine = startNode(appArgs('apps/engine/main.js'), dir, env);
  await new Promise((r) => engine.child.once('exit', r));
  const engineDone = performance.now();
  await waitFor('every row counted', () => counted() === stormRows);
  const catchUp = (performance.now() - engineDone) / 1000;
  await stopApp(analytics);
  const log = analytics.output();
  const alerts = log.split('\n').filter((l) => l.includes(' ALERT ')).length;
  const outbox = readFileSync(join(dir, 'data', 'outbox.jsonl')).length;
  row(
    `alert storm (${stormRows / 1e6}M rows, shipped rules)`,
    `caught up ${catchUp.toFixed(2)} s after the engine; ${alerts} ALERT lines; log ${(log.length / 1024).toFixed(0)} KiB; outbox ${(outbox / 1024).toFixed(0)} KiB`,
    '',
    '',
    '<= 3 s, <= 200 lines, < 1 MiB each',
  );
  rmSync(dir, { recursive: true, force: true });
}

/** collectd 5 (Debian collectd-core) doing the same job: cpu and memory every second, CSV, a threshold. */
function startCollectd(dir: string): ChildProcess | null {
  const bin = '/usr/sbin/collectd';
  if (!existsSync(bin)) return null;
  mkdirSync(dir, { recursive: true });
  const conf = join(dir, 'collectd.conf');
  writeFileSync(
    conf,
    `Interval 1\nBaseDir "${dir}"\nPIDFile "${dir}/collectd.pid"\nPluginDir "/usr/lib/collectd"\nTypesDB "/usr/share/collectd/types.db"\nLoadPlugin cpu\nLoadPlugin memory\nLoadPlugin csv\nLoadPlugin threshold\n<Plugin csv>\n  DataDir "${dir}/csv"\n</Plugin>\n<Plugin threshold>\n  <Plugin "cpu">\n    <Type "cpu">\n      Instance "user"\n      WarningMax 80\n    </Type>\n  </Plugin>\n</Plugin>\n`,
  );
  return spawn(bin, ['-f', '-C', conf], { stdio: 'ignore' });
}

/** A port the system picks, free a moment ago. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

/** Debian's Prometheus taking remote_write, for the backlog and idle rows. */
async function startPrometheus(
  dir: string,
): Promise<{ write: string; query(expr: string): Promise<number>; stop(): void }> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'prometheus.yml'), 'global: { scrape_interval: 1h }\n');
  const port = await freePort();
  const child = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-remote-write-receiver',
    ],
    { stdio: 'ignore' },
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (
    !(await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    ))
  ) {
    if (Date.now() > deadline) throw new Error('timed out waiting for Prometheus');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    write: `${url}/api/v1/write`,
    async query(expr) {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await res.json()) as { data: { result: { value: [number, string] }[] } };
      return Number(body.data.result[0]?.value[1] ?? 0);
    },
    stop: () => child.kill('SIGTERM'),
  };
}

async function benchRemoteWrite(): Promise<void> {
  const n = Math.min(ROWS, 1_000_000);
  say(`remote_write: a backlog of ${n} rows into a local Prometheus`);
  const dir = join(tmp, 'remote-write');
  const prom = await startPrometheus(join(dir, 'prometheus'));
  try {
    mkdirSync(join(dir, 'data'), { recursive: true });
    const end = Date.now() - 1000;
    const lines = ['timestamp,cpu,ram,seq'];
    for (let i = 0; i < n; i++) lines.push(`${end - (n - 1 - i)},${((i % 9000) / 100).toFixed(2)},50.00,${i + 1}`);
    writeFileSync(join(dir, 'data', 'telemetry.csv'), `${lines.join('\n')}\n`);
    const cfg = config(
      dir,
      `data: { dir: ${dir}/data }\nanalytics: { rules: ${join(projectRoot, 'rules.yaml')}, http: { listen: "" } }\nremoteWrite: { url: "${prom.write}", labels: { host: bench } }\n`,
    );
    const started = Date.now();
    const app = startNode(appArgs('apps/analytics/main.js'), dir, { TELEMETRY_CONFIG: cfg });
    // one query at a time, a fifth of a second apart: the store is busy enough taking the samples
    const deadline = Date.now() + 300_000;
    while ((await prom.query('count_over_time(telemetry_cpu_usage_ratio{host="bench"}[1h])').catch(() => 0)) !== n) {
      if (Date.now() > deadline) throw new Error('timed out waiting for the backlog to be shipped');
      await new Promise((r) => setTimeout(r, 200));
    }
    const seconds = (Date.now() - started) / 1000;
    await stopApp(app);
    row(
      'remote_write backlog to Prometheus',
      `${(n / seconds / 1000).toFixed(0)}k rows/s (${n} rows in ${seconds.toFixed(1)} s)`,
      '',
      '',
      '>= 100k rows/s',
    );
  } finally {
    prom.stop();
  }
}

/** The analytics app's listening port, from its log line. */
const portOf = (out: string): number | null =>
  Number(/HTTP listening url=http:\/\/127\.0\.0\.1:(\d+)\//.exec(out)?.[1]) || null;

async function timedFetch(url: string): Promise<number> {
  const start = Date.now();
  await fetch(url).then((r) => r.arrayBuffer());
  return Date.now() - start;
}

/**
 * Hostile load (docs/security.md): 300 never-reading connections pipelining 20 GET /api/state
 * over an hour of history; and two `over: 1h` rules under a burst at intervalMs 0 with the
 * dashboard open. Peak RSS, and how long others wait meanwhile.
 */
async function benchHostile(): Promise<void> {
  say('hostile load: 300 never-reading connections; two over: 1h rules under a 10 s burst');
  const dir = join(tmp, 'hostile');
  mkdirSync(join(dir, 'data'), { recursive: true });
  const start = Date.now() - 3600_000;
  const lines = ['timestamp,cpu,ram,seq'];
  for (let i = 0; i < 36_000; i++) lines.push(`${start + i * 100},${(20 + (i % 50)).toFixed(2)},40.00,${i + 1}`);
  writeFileSync(join(dir, 'data', 'telemetry.csv'), `${lines.join('\n')}\n`);
  const cfg = config(
    dir,
    `data: { dir: ${dir}/data }\nanalytics: { rules: ${join(projectRoot, 'rules.yaml')}, http: { listen: "127.0.0.1:0" } }\n`,
  );
  const app = startNode(appArgs('apps/analytics/main.js'), dir, { TELEMETRY_CONFIG: cfg });
  const port = await waitFor('the dashboard', () => portOf(app.output()));
  const base = `http://127.0.0.1:${port}`;
  let peak = 0;
  const sampling = setInterval(() => (peak = Math.max(peak, procStats(app.child.pid!).rssKiB)), 100);
  const request = `GET /api/state HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`.repeat(20);
  const attackers: Socket[] = [];
  for (let i = 0; i < 300; i++) {
    const s = connect({ host: '127.0.0.1', port });
    s.on('error', () => undefined);
    s.pause();
    s.write(request);
    attackers.push(s);
  }
  let slowest = 0;
  for (const until = Date.now() + 8000; Date.now() < until;)
    slowest = Math.max(slowest, await timedFetch(`${base}/metrics`), await timedFetch(`${base}/api/state`));
  attackers.forEach((s) => s.destroy());
  clearInterval(sampling);
  await stopApp(app);
  row(
    'hostile: 300 never-reading connections',
    `peak RSS ${MiB(peak)}; others served within ${slowest} ms`,
    '',
    '',
    'RSS <= 250 MiB, <= 2 s',
  );

  const burstDir = join(tmp, 'burst');
  mkdirSync(burstDir, { recursive: true });
  writeFileSync(
    join(burstDir, 'rules.yaml'),
    'rules:\n  - { name: a, metric: cpu, above: 70, over: 1h, aggregate: avg }\n  - { name: m, metric: ram, above: 99, over: 1h, aggregate: max }\n',
  );
  const burstCfg = config(
    burstDir,
    `data: { dir: ${burstDir}/data }\nengine: { intervalMs: 0, metrics: { listen: "" }, rotate: { keep: 20 } }\nanalytics: { rules: ${join(burstDir, 'rules.yaml')}, http: { listen: "127.0.0.1:0" } }\n`,
  );
  const env = { TELEMETRY_CONFIG: burstCfg };
  const analytics = startNode(appArgs('apps/analytics/main.js'), burstDir, env);
  const burstPort = await waitFor('the dashboard', () => portOf(analytics.output()));
  const stream = await fetch(`http://127.0.0.1:${burstPort}/events`);
  const reader = stream.body!.getReader();
  void (async () => {
    while (!(await reader.read()).done);
  })().catch(() => undefined);
  let burstPeak = 0;
  let metricsSlowest = 0;
  const burstSampling = setInterval(
    () => (burstPeak = Math.max(burstPeak, procStats(analytics.child.pid!).rssKiB)),
    100,
  );
  const engine = startNode(appArgs('apps/engine/main.js'), burstDir, env);
  for (const until = Date.now() + 10_000; Date.now() < until;)
    metricsSlowest = Math.max(metricsSlowest, await timedFetch(`http://127.0.0.1:${burstPort}/metrics`));
  await stopApp(engine);
  clearInterval(burstSampling);
  void reader.cancel();
  await stopApp(analytics);
  row(
    'hostile: two over: 1h rules, 10 s burst, dashboard open',
    `peak RSS ${MiB(burstPeak)}; /metrics within ${metricsSlowest} ms`,
    '',
    '',
    'RSS <= 250 MiB, <= 2 s',
  );
}

async function benchIdle(): Promise<void> {
  say(`idle at 1 Hz for ${IDLE_SECONDS} s: engine, analytics and a bare node process side by side`);
  const dir = join(tmp, 'idle');
  // this host sampled for real, HTTP (metrics, dashboard) on, on ports of their own
  const cfg = config(
    dir,
    `data: { dir: ${dir}/data }\nengine: { source: system, metrics: { listen: "127.0.0.1:0" } }\nanalytics: { rules: ${join(projectRoot, 'rules.yaml')}, http: { listen: "127.0.0.1:0" } }\n`,
  );
  const env = { TELEMETRY_CONFIG: cfg };
  const engine = startNode(appArgs('apps/engine/main.js'), dir, env);
  const analytics = startNode(appArgs('apps/analytics/main.js'), dir, env);
  // the same pair beside it, its analytics app sending every sample to a local Prometheus
  const prom = await startPrometheus(join(dir, 'prometheus'));
  const rwDir = join(dir, 'rw');
  const rwEnv = {
    TELEMETRY_CONFIG: config(
      rwDir,
      `data: { dir: ${rwDir}/data }\nengine: { source: system, metrics: { listen: "" } }\nanalytics: { rules: ${join(projectRoot, 'rules.yaml')}, http: { listen: "127.0.0.1:0" } }\nremoteWrite: { url: "${prom.write}" }\n`,
    ),
  };
  const rwEngine = startNode(appArgs('apps/engine/main.js'), rwDir, rwEnv);
  const rwAnalytics = startNode(appArgs('apps/analytics/main.js'), rwDir, rwEnv);
  const bare = startNode(['-e', 'setInterval(()=>{},1000)'], dir);
  const collectd = startCollectd(join(dir, 'collectd'));
  await waitFor(
    'both apps to start',
    () =>
      [engine, rwEngine].every((e) => e.output().includes('engine started')) &&
      [analytics, rwAnalytics].every((a) => a.output().includes('analytics started')),
  );
  const pids = [
    engine.child.pid!,
    analytics.child.pid!,
    bare.child.pid!,
    rwAnalytics.child.pid!,
    ...(collectd ? [collectd.pid!] : []),
  ];
  const before = pids.map(procStats);
  await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
  const after = pids.map(procStats);
  await Promise.all([engine, analytics, bare, rwEngine, rwAnalytics].map(stopApp));
  prom.stop();
  collectd?.kill('SIGTERM');
  const cpu = (i: number): number => after[i]!.cpu - before[i]!.cpu;
  const bareCpu = `${cpu(2).toFixed(2)} s CPU, ${MiB(after[2]!.rssKiB)} RSS (a bare node process)`;
  const collectdCpu = collectd
    ? `${cpu(4).toFixed(2)} s CPU, ${MiB(after[4]!.rssKiB)} RSS (collectd)`
    : 'collectd not installed';
  const memory = (i: number): string =>
    `${MiB(after[i]!.rssKiB)} RSS (${MiB(after[i]!.anonKiB)} private, peak ${MiB(after[i]!.hwmKiB)})`;
  row(
    `engine idle at 1 Hz over ${IDLE_SECONDS} s (HTTP on)`,
    `${cpu(0).toFixed(2)} s CPU, ${memory(0)}`,
    bareCpu,
    '',
    'RSS <= 55 MiB',
  );
  row(
    `analytics idle at 1 Hz over ${IDLE_SECONDS} s (HTTP on)`,
    `${cpu(1).toFixed(2)} s CPU, ${memory(1)}`,
    bareCpu,
    '',
    'RSS <= 55 MiB',
  );
  row(
    '  both apps vs collectd, same job',
    `${(cpu(0) + cpu(1)).toFixed(2)} s CPU`,
    collectdCpu,
    collectd ? `${((cpu(0) + cpu(1)) / Math.max(cpu(4), 0.01)).toFixed(1)}x` : '',
    '<= 2x',
  );
  row(
    '  analytics idle with remote_write on',
    `${cpu(3).toFixed(2)} s CPU`,
    `${cpu(1).toFixed(2)} s CPU (remote_write off)`,
    `${(cpu(3) / Math.max(cpu(1), 0.01)).toFixed(2)}x`,
    '<= 1.2x',
  );
}

/** `listen`: the analytics HTTP server (and with it the dashboard's live feed), or "" for off. */
async function followerCpuPerRow(existingRows: number, listen = '127.0.0.1:0'): Promise<number> {
  const dir = join(tmp, `follow-${existingRows}-${listen ? 'http' : 'nohttp'}`);
  const cfg = config(
    dir,
    `data: { dir: ${dir}/data }\nanalytics: { rules: ${join(projectRoot, 'rules.yaml')}, summaryEveryMs: 600000, http: { listen: "${listen}" } }\n`,
  );
  mkdirSync(join(dir, 'data'));
  const csv = join(dir, 'data', 'telemetry.csv');
  generateCsv(csv, existingRows);
  const app = startNode(appArgs('apps/analytics/main.js'), dir, { TELEMETRY_CONFIG: cfg });
  const state = (): number => {
    try {
      return (
        JSON.parse(readFileSync(join(dir, 'data', 'analytics-state.json'), 'utf8')) as {
          stats: { cpu: { count: number } };
        }
      ).stats.cpu.count;
    } catch {
      return -1;
    }
  };
  await waitFor('the backlog to be read', () => state() === existingRows, 300_000);
  const appended = 1_000_000;
  let next = existingRows;
  const append = async (): Promise<void> => {
    for (let chunk = 0; chunk < 200; chunk++) {
      let text = '';
      for (let i = 0; i < appended / 200; i++, next++)
        text += formatRow(1_760_000_000_000 + next * 1000, 40, 50, next + 1);
      appendFileSync(csv, text);
      await new Promise((r) => setTimeout(r, 5));
    }
    await waitFor('the appended rows to be read', () => state() === next, 60_000);
  };
  await append(); // warm-up: the same code paths compiled in both cases
  const before = procStats(app.child.pid!).cpu;
  await append();
  const cpu = procStats(app.child.pid!).cpu - before;
  await stopApp(app);
  rmSync(dir, { recursive: true, force: true });
  return (cpu * 1e6) / appended;
}

async function benchFollower(): Promise<void> {
  say('follower CPU per appended row: 1 MB file vs 1 GB file');
  const small = await followerCpuPerRow(30_000);
  const large = await followerCpuPerRow(30_000_000);
  // the dashboard's feed sees every sample: its cost on ingestion, same file, feed off vs on
  const off = await followerCpuPerRow(30_000, '');
  row(
    'dashboard feed on the ingestion path',
    `${small.toFixed(2)} µs per row (dashboard on)`,
    `${off.toFixed(2)} µs per row (HTTP off)`,
    `${(small / off).toFixed(2)}x`,
    '~1x',
  );
  row(
    'follower CPU per appended row',
    `${large.toFixed(2)} µs (1 GB file)`,
    `${small.toFixed(2)} µs (1 MB file)`,
    `${(large / small).toFixed(2)}x`,
    '~1x',
  );
}

const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`;
try {
  buildReferences();
  benchEngine();
  const csv = join(tmp, 'bench.csv');
  say(`generating ${ROWS} rows`);
  generateCsv(csv, ROWS);
  benchAnalyze(csv);
  benchAnalyzeThreeColumns(csv);
  rmSync(csv);
  await benchLatency();
  await benchStorm();
  await benchFollower();
  await benchRemoteWrite();
  await benchHostile();
  await benchIdle();
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
const widths = [0, 1, 2, 3, 4].map((i) =>
  Math.max(
    ...[['measure', 'ours', 'reference (same run)', 'ratio', 'target'], ...rows].map((r) => (r[i] ?? '').length),
  ),
);
const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
console.log(`Machine: ${machine}; ${ROWS} rows`);
console.log(line(['measure', 'ours', 'reference (same run)', 'ratio', 'target']));
console.log(line(widths.map((w) => '-'.repeat(w))));
for (const r of rows) console.log(line(r));
