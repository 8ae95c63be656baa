import test from 'ava';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runNode, tempDir, waitFor, writeConfig, type Running } from '../../helpers.js';
import { freePort, startSmtp } from '../../smtp-fixture.js';

test('kill -9 while an email is pending → delivered exactly once after restart; a delivered one is never resent', async (t) => {
  const dir = await tempDir();
  mkdirSync(join(dir, 'data'));
  const csv = join(dir, 'data', 'telemetry.csv');
  writeFileSync(csv, 'timestamp,cpu,ram,seq\n');
  writeFileSync(
    join(dir, 'rules.yaml'),
    'rules:\n  - { name: high_cpu, metric: cpu, above: 80, channels: [console, email] }\n',
  );
  const port = await freePort();
  const config = await writeConfig(
    dir,
    'analytics: { pollMs: 50, summaryEveryMs: 200, checkpointMs: 50 }\nemail: { digestMs: 50, timeoutMs: 500 }\n',
  );
  const env = {
    TELEMETRY_CONFIG: config,
    TELEMETRY_SMTP_URL: `smtp://127.0.0.1:${port}`,
    TELEMETRY_EMAIL_TO: 'ops@test.local',
  };
  let app: Running = runNode('apps/analytics/main.js', [], dir, env);
  t.teardown(() => app.child.kill('SIGKILL'));
  await waitFor('start', () => app.output().includes('analytics started'));
  const now = Date.now();
  appendFileSync(csv, `${now},95.00,50.00,1\n`);
  await waitFor(
    'the alert and a failed send (SMTP is down)',
    () => app.output().includes('ALERT firing high_cpu') && app.output().includes('reason=refused'),
  );
  app.child.kill('SIGKILL');
  await app.exited;

  const smtp = await startSmtp({ port });
  t.teardown(() => smtp.close());
  app = runNode('apps/analytics/main.js', [], dir, env);
  await waitFor('delivery after the restart', () => smtp.messages.length >= 1 && app.output().includes('outbox=0'));
  t.regex(app.output(), /email outbox holds undelivered notifications; sending them pending=1/);
  t.notRegex(app.output(), /ALERT firing/, 'the restarted app does not alert again');
  app.child.kill('SIGKILL');
  await app.exited;

  app = runNode('apps/analytics/main.js', [], dir, env);
  await waitFor('a summary after the second restart', () => app.output().includes('analytics summary'));
  t.notRegex(app.output(), /undelivered/);
  appendFileSync(csv, `${now + 1000},50.00,50.00,2\n`);
  await waitFor('the resolved notice by email', () => smtp.messages.length >= 2);
  const summaries = app.output().split('analytics summary').length;
  await waitFor('two more summaries', () => app.output().split('analytics summary').length >= summaries + 2);
  t.is(smtp.messages.length, 2, 'nothing else was sent');
  t.regex(smtp.messages[0]!.subject ?? '', /1 alert on .*: high_cpu/);
  t.regex(smtp.messages[1]!.subject ?? '', /RESOLVED: 1 alert/);
  app.child.kill('SIGINT');
  t.is(await app.exited, 0);
});
