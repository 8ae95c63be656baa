// The product as a user runs it: PM2 with its own PM2_HOME, both apps, a real SMTP server.
import test from 'ava';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '../helpers.js';
import { createPm2Sandbox, listProcesses } from '../pm2-sandbox.js';
import { startSmtp } from '../smtp-fixture.js';
import { readChain, readState } from '../csv-chain.js';

const CONFIG = `engine: { intervalMs: 50, statsEveryMs: 1000 }
analytics: { summaryEveryMs: 500, checkpointMs: 100, pollMs: 100 }
email: { digestMs: 300, timeoutMs: 2000 }
`;

test('start, alert, email, live rules edit, restart without duplicates, clean stop with nothing lost', async (t) => {
  const smtp = await startSmtp();
  t.teardown(() => smtp.close());
  const sandbox = await createPm2Sandbox(CONFIG, {
    TELEMETRY_SMTP_URL: smtp.url,
    TELEMETRY_EMAIL_TO: 'ops@test.local',
  });
  t.teardown(() => sandbox.kill());
  const data = join(sandbox.dir, 'data');
  const log = (app: string): string => {
    const file = join(sandbox.dir, 'logs', `${app}.out.log`);
    return existsSync(file) ? readFileSync(file, 'utf8') : '';
  };
  const alertLines = (): string[] =>
    log('telemetry-analytics')
      .split('\n')
      .filter((l) => l.includes(' ALERT '));

  await sandbox.pm2('start', 'ecosystem.config.js');
  const procs = await listProcesses(sandbox);
  t.deepEqual(procs.map((p) => [p.name, p.pm2_env.status]).sort(), [
    ['telemetry-analytics', 'online'],
    ['telemetry-engine', 'online'],
  ]);
  t.regex(log('telemetry-engine'), /engine started/);
  t.regex(log('telemetry-analytics'), /analytics started/);

  const csv = join(data, 'telemetry.csv');
  await waitFor('the CSV to grow', () => existsSync(csv) && statSync(csv).size > 2000);
  await waitFor(
    'summary and alert lines',
    () =>
      log('telemetry-analytics').includes('analytics summary') &&
      alertLines().some((l) => l.includes('ALERT firing high_cpu')),
    60_000,
  );
  await waitFor('an email', () => smtp.messages.length > 0, 30_000);
  t.regex(smtp.messages[0]!.subject ?? '', /^\[telemetry\] /);

  const rules = join(sandbox.dir, 'rules.yaml');
  writeFileSync(rules, readFileSync(rules, 'utf8') + '\n  - name: ram_over_10\n    metric: ram\n    above: 10\n');
  await waitFor(
    'the new rule to fire',
    () => alertLines().some((l) => l.includes('ALERT firing ram_over_10 ram=')),
    30_000,
  );
  t.regex(log('telemetry-analytics'), /rules reloaded .*added=ram_over_10/);

  const startsBefore = log('telemetry-analytics').split('analytics started').length;
  await sandbox.pm2('restart', 'telemetry-analytics');
  await waitFor('the restarted app to summarise', () => {
    const text = log('telemetry-analytics');
    return (
      text.split('analytics started').length > startsBefore &&
      text.slice(text.lastIndexOf('analytics started')).includes('analytics summary')
    );
  });
  const afterRestart = log('telemetry-analytics').slice(log('telemetry-analytics').lastIndexOf('analytics started'));
  t.notRegex(afterRestart, /ALERT firing ram_over_10/, 'the firing rule is not announced again');
  t.is(alertLines().filter((l) => l.includes('ALERT firing ram_over_10')).length, 1);

  await sandbox.pm2('stop', 'telemetry-engine');
  await waitFor('the engine to stop cleanly', () => log('telemetry-engine').includes('engine stopped cleanly'));
  const facts = readChain(data);
  await waitFor('analytics to read every row', () => readState(data)?.stats.cpu.count === facts.rows);
  await sandbox.pm2('stop', 'telemetry-analytics');
  await waitFor('the analytics app to stop cleanly', () =>
    log('telemetry-analytics').includes('analytics stopped cleanly'),
  );
  const stopped = /engine stopped cleanly produced=(\d+) written=(\d+) .*dropped=0 .*balanced=true/.exec(
    log('telemetry-engine'),
  );
  t.truthy(stopped, log('telemetry-engine'));
  t.is(stopped?.[1], stopped?.[2], 'produced = written');
  t.is(Number(stopped?.[2]), facts.rows);
  t.is(facts.malformed, 0);
  t.is(facts.missing, 0);

  const transitions = smtp.messages.flatMap((m) =>
    (m.text ?? '').split('\n').filter((l) => / (firing|resolved|still firing) /.test(l)),
  );
  t.true(transitions.length > 0);
  t.is(new Set(transitions).size, transitions.length, 'no transition was emailed twice');
});
