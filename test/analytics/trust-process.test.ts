// Trustworthy notifications with the real apps: an alert storm stays bounded, a restart while
// `absent` fires notifies nothing new, a corrupt state file does not crash-loop PM2.
import test from 'ava';
import {
  appendFileSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { readChain, readState } from '../csv-chain.js';
import { runNode, tempDir, waitFor, writeConfig } from '../helpers.js';
import { createPm2Sandbox, listProcesses } from '../pm2-sandbox.js';
import { projectRoot } from '../../common/config.js';
import { freePort } from '../smtp-fixture.js';

const ANALYTICS = 'apps/analytics/main.js';
const alertLines = (output: string): string[] => output.split('\n').filter((l) => l.includes(' ALERT '));
const summaries = (output: string): number => output.split('analytics summary').length - 1;

test('alert storm: 2M rows of demo data in a burst, shipped rules, email unreachable: every row counted, few notifications, small log and outbox', async (t) => {
  const dir = await tempDir();
  copyFileSync(join(projectRoot, 'rules.yaml'), join(dir, 'rules.yaml'));
  const config = await writeConfig(
    dir,
    'engine: { intervalMs: 0, limit: 2000000 }\nanalytics: { summaryEveryMs: 1000 }\nemail: { timeoutMs: 500 }\n',
  );
  const env = {
    TELEMETRY_CONFIG: config,
    TELEMETRY_SMTP_URL: `smtp://127.0.0.1:${await freePort()}`,
    TELEMETRY_EMAIL_TO: 'ops@test.local',
  };
  const analytics = runNode(ANALYTICS, [], dir, env);
  t.teardown(() => analytics.child.kill('SIGKILL'));
  await waitFor('analytics to start', () => analytics.output().includes('analytics started'));
  const engine = runNode('apps/engine/main.js', [], dir, env);
  t.is(await engine.exited, 0, engine.output());
  const rows = readChain(join(dir, 'data')).rows;
  t.is(rows, 2_000_000);
  await waitFor('analytics to count every row', () => readState(join(dir, 'data'))?.stats.cpu.count === rows, 60_000);
  analytics.child.kill('SIGINT');
  t.is(await analytics.exited, 0);
  const log = analytics.output();
  const alerts = alertLines(log);
  t.true(alerts.length > 0 && alerts.length <= 200, `${alerts.length} ALERT lines`);
  t.true(
    alerts.some((l) => / ALERT flapping high_cpu changed state 6 times within 10m/.test(l)),
    'the storm is announced as flapping',
  );
  t.true(Buffer.byteLength(log) < 1 << 20, `log ${Buffer.byteLength(log)} bytes`);
  t.true(statSync(join(dir, 'data', 'outbox.jsonl')).size < 1 << 20, 'outbox under 1 MiB');
  t.is(readState(join(dir, 'data'))!.stats.gaps, 0);
});

test('restart while `absent` fires: nothing is notified until a sample arrives, then exactly one resolved', async (t) => {
  const dir = await tempDir();
  mkdirSync(join(dir, 'data'));
  const csv = join(dir, 'data', 'telemetry.csv');
  writeFileSync(csv, `timestamp,cpu,ram,seq\n${Date.now()},10.00,10.00,1\n`);
  writeFileSync(join(dir, 'rules.yaml'), 'rules:\n  - { name: no_data, absent: 1s, severity: critical }\n');
  const config = await writeConfig(dir, 'analytics: { pollMs: 50, checkpointMs: 20, summaryEveryMs: 200 }\n');
  const env = { TELEMETRY_CONFIG: config };
  const first = runNode(ANALYTICS, [], dir, env);
  t.teardown(() => first.child.kill('SIGKILL'));
  await waitFor('no_data to fire', () => alertLines(first.output()).length === 1);
  t.regex(alertLines(first.output())[0]!, /ALERT firing no_data/);
  await waitFor(
    'the firing state saved',
    () =>
      (readState(join(dir, 'data')) as { alerts?: { rules: Record<string, { state: { phase: string } }> } } | null)
        ?.alerts?.rules.no_data?.state.phase === 'firing',
  );
  first.child.kill('SIGKILL');
  await first.exited;

  const second = runNode(ANALYTICS, [], dir, env);
  t.teardown(() => second.child.kill('SIGKILL'));
  // ten summary lines at 200 ms: the restarted app has judged `absent` on its clock (its deadline
  // had passed before the restart; a loaded machine may take long to start the app: a generous deadline)
  await waitFor('ticks after the restart', () => summaries(second.output()) >= 10, 60_000);
  t.deepEqual(alertLines(second.output()), [], 'the restart itself notifies nothing');
  appendFileSync(csv, `${Date.now()},10.00,10.00,2\n`);
  await waitFor('the resolve', () => alertLines(second.output()).length === 1);
  t.regex(alertLines(second.output())[0]!, /ALERT resolved no_data samples again/);
  const after = summaries(second.output());
  await waitFor('more ticks', () => summaries(second.output()) >= after + 10);
  // (a new firing after 1 s without samples is the rule working; a second resolve would be a duplicate)
  t.is(alertLines(second.output()).filter((l) => l.includes('ALERT resolved')).length, 1, 'exactly one resolved');
  second.child.kill('SIGINT');
  t.is(await second.exited, 0);
});

test('under PM2 a corrupt state file is moved aside once; the app runs on without a restart', async (t) => {
  const sandbox = await createPm2Sandbox('analytics: { checkpointMs: 50 }\n');
  t.teardown(() => sandbox.kill());
  const data = join(sandbox.dir, 'data');
  mkdirSync(data);
  writeFileSync(join(data, 'telemetry.csv'), `timestamp,cpu,ram,seq\n${Date.now()},10.00,10.00,1\n`);
  writeFileSync(join(data, 'analytics-state.json'), '{"version":1,"position":null}');
  await sandbox.pm2('start', 'ecosystem.config.js', '--only', 'telemetry-analytics');
  await waitFor('the state saved anew', () => readState(data)?.stats.cpu.count === 1);
  const errLog = join(sandbox.dir, 'logs', 'telemetry-analytics.err.log');
  await waitFor(
    'the error line',
    () => existsSync(errLog) && readFileSync(errLog, 'utf8').includes('analytics state file is unusable; moved aside'),
  );
  t.is(readdirSync(data).filter((f) => f.startsWith('analytics-state.json.corrupt-')).length, 1);
  const app = (await listProcesses(sandbox)).find((p) => p.name === 'telemetry-analytics')!;
  t.is(app.pm2_env.status, 'online');
  t.is(app.pm2_env.restart_time, 0);
});

test('under PM2 an engine that reached engine.limit (exit 0) is not restarted', async (t) => {
  const sandbox = await createPm2Sandbox('engine: { intervalMs: 0, limit: 500 }\n');
  t.teardown(() => sandbox.kill());
  await sandbox.pm2('start', 'ecosystem.config.js', '--only', 'telemetry-engine');
  await waitFor('the engine to stop', async () =>
    (await listProcesses(sandbox)).find(
      (p) => p.name === 'telemetry-engine' && p.pm2_env.status === 'stopped' && p.pid === 0,
    ),
  );
  const engine = (await listProcesses(sandbox)).find((p) => p.name === 'telemetry-engine')!;
  t.is(engine.pm2_env.restart_time, 0);
  t.is(readChain(join(sandbox.dir, 'data')).rows, 500, 'exactly `limit` rows, not another `limit` after a restart');
});

test('a signal hovering around the threshold, live: at most changes + 2 notifications over the flap window', async (t) => {
  // the flap window scaled down: 6 changes within 10 s; rows every 40 ms, so the ~21 changes fall
  // within the window even when a loaded machine stretches the test's own pace 2.5 times
  const dir = await tempDir();
  mkdirSync(join(dir, 'data'));
  const csv = join(dir, 'data', 'telemetry.csv');
  writeFileSync(csv, 'timestamp,cpu,ram,seq\n');
  writeFileSync(
    join(dir, 'rules.yaml'),
    'rules:\n  - { name: high_cpu, metric: cpu, above: 80, flap: { changes: 6, window: 10s } }\n',
  );
  const config = await writeConfig(dir, 'analytics: { pollMs: 50, checkpointMs: 100, http: { listen: "" } }\n');
  const app = runNode(ANALYTICS, [], dir, { TELEMETRY_CONFIG: config });
  t.teardown(() => app.child.kill('SIGKILL'));
  await waitFor('analytics to start', () => app.output().includes('analytics started'));
  for (let i = 1; i <= 100; i++) {
    appendFileSync(csv, `${Date.now()},${(80 + 2 * Math.sin(i / 1.5)).toFixed(2)},50.00,${i}\n`);
    await new Promise((r) => setTimeout(r, 40)); // the signal's own pace, not a wait for a result
  }
  await waitFor('every row counted', () => readState(join(dir, 'data'))?.stats.cpu.count === 100);
  const lines = alertLines(app.output());
  t.log(lines.map((l) => l.slice(l.indexOf('ALERT'), l.indexOf('ALERT') + 60)).join('\n'));
  t.true(lines.length <= 6 + 2, `${lines.length} notifications`);
  t.true(lines.some((l) => / ALERT flapping high_cpu changed state 6 times within 10s/.test(l)));
  app.child.kill('SIGINT');
  t.is(await app.exited, 0);
});
