import test from 'ava';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '../helpers.js';
import { createPm2Sandbox, listProcesses } from '../pm2-sandbox.js';

test('pm2 start ecosystem.config.js runs the engine; pm2 stop leaves a clean exit in its log', async (t) => {
  const sandbox = await createPm2Sandbox('engine: { intervalMs: 10, statsEveryMs: 500 }\n');
  t.teardown(() => sandbox.kill());
  await sandbox.pm2('start', 'ecosystem.config.js', '--only', 'telemetry-engine');
  const engine = (await listProcesses(sandbox)).find((p) => p.name === 'telemetry-engine');
  t.is(engine?.pm2_env.status, 'online');
  const csv = join(sandbox.dir, 'data', 'telemetry.csv');
  await waitFor('the CSV to grow', () => existsSync(csv) && statSync(csv).size > 1000);
  const before = statSync(csv).size;
  await waitFor('the CSV to keep growing', () => statSync(csv).size > before);
  await sandbox.pm2('stop', 'telemetry-engine');
  const log = join(sandbox.dir, 'logs', 'telemetry-engine.out.log');
  const line = await waitFor('the clean exit line', () =>
    readFileSync(log, 'utf8')
      .split('\n')
      .find((l) => l.includes('engine stopped cleanly')),
  );
  t.regex(line, /balanced=true/);
  const rows = readFileSync(csv, 'utf8').split('\n').length - 2;
  t.is(Number(/written=(\d+)/.exec(line)?.[1]), rows);
  t.is((await listProcesses(sandbox))[0]?.pm2_env.status, 'stopped');
});
