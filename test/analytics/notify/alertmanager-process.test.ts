// The alertmanager channel against Debian's real Alertmanager and a webhook receiver.
import test from 'ava';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { nextBatch } from '../../../apps/analytics/notify/alertmanager.js';
import { BASIC_AUTH, startAlertmanager, startWebhook } from '../../alertmanager-fixture.js';
import { runNode, tempDir, waitFor, writeConfig, type Running } from '../../helpers.js';
import { freePort } from '../../smtp-fixture.js';
import { notice } from '../notice-fixture.js';

const RULES =
  'rules:\n  - { name: high_cpu, metric: cpu, above: 80, severity: critical, channels: [console, alertmanager], flap: off }\n';

async function analyticsWith(amUrl: string, extra = ''): Promise<{ app: Running; csv: string; dir: string }> {
  const dir = await tempDir();
  mkdirSync(join(dir, 'data'));
  const csv = join(dir, 'data', 'telemetry.csv');
  writeFileSync(csv, 'timestamp,cpu,ram,seq\n');
  writeFileSync(join(dir, 'rules.yaml'), RULES);
  const config = await writeConfig(
    dir,
    `analytics: { pollMs: 50, summaryEveryMs: 200, http: { listen: "" } }\nalertmanager: { timeoutMs: 1000${extra} }\n`,
  );
  const app = runNode('apps/analytics/main.js', [], dir, {
    TELEMETRY_CONFIG: config,
    TELEMETRY_ALERTMANAGER_URL: amUrl,
  });
  await waitFor('analytics to start', () => app.output().includes('analytics started'));
  return { app, csv, dir };
}

test('firing and resolved reach the webhook through Alertmanager with the labels of SPEC', async (t) => {
  const hook = await startWebhook();
  t.teardown(() => hook.close());
  const am = await startAlertmanager(hook.url);
  t.teardown(() => am.stop());
  const { app, csv } = await analyticsWith(am.url);
  t.teardown(() => app.child.kill('SIGKILL'));
  const now = Date.now();
  appendFileSync(csv, `${now},95.00,50.00,1\n`);
  const firing = await waitFor('the firing alert at the webhook', () => hook.alerts.find((a) => a.status === 'firing'));
  t.deepEqual(firing.labels, { alertname: 'high_cpu', severity: 'critical', host: hostname(), job: 'telemetry' });
  t.is(Date.parse(firing.startsAt), now);
  t.regex(firing.annotations.summary ?? '', /firing high_cpu cpu=95\.00 > 80/);
  t.truthy(firing.annotations.description);
  appendFileSync(csv, `${now + 1000},10.00,50.00,2\n`);
  const resolved = await waitFor('the resolved alert at the webhook', () =>
    hook.alerts.find((a) => a.status === 'resolved'),
  );
  t.deepEqual(resolved.labels, firing.labels);
  t.is(Date.parse(resolved.endsAt), now + 1000);
  app.child.kill('SIGINT');
  t.is(await app.exited, 0);
});

test('an episode that fires and resolves while Alertmanager is down arrives, firing then resolved, once it is back', async (t) => {
  const hook = await startWebhook();
  t.teardown(() => hook.close());
  const port = await freePort();
  const { app, csv } = await analyticsWith(`http://127.0.0.1:${port}`);
  t.teardown(() => app.child.kill('SIGKILL'));
  const now = Date.now();
  appendFileSync(csv, `${now},95.00,50.00,1\n${now + 1000},10.00,50.00,2\n`);
  await waitFor('a refused delivery', () =>
    /alertmanager not sent; kept in the outbox and retrying reason=refused/.test(app.output()),
  );
  t.regex(app.output(), /ALERT resolved high_cpu/);
  const am = await startAlertmanager(hook.url, port);
  t.teardown(() => am.stop());
  await waitFor('firing and resolved at the webhook', () => hook.alerts.some((a) => a.status === 'resolved'), 40_000);
  t.deepEqual(
    hook.alerts.map((a) => a.status),
    ['firing', 'resolved'],
  );
  t.is(Date.parse(hook.alerts[1]!.endsAt), now + 1000);
  await waitFor('the outbox to empty', () =>
    /alertmanagerOutbox=0/.test(app.output().slice(app.output().lastIndexOf('analytics summary'))),
  );
  app.child.kill('SIGINT');
  t.is(await app.exited, 0);
});

test('a batch never carries the firing and the resolve of one episode together', (t) => {
  const items = [
    notice({ rule: 'a', episode: 1 }),
    notice({ rule: 'b', episode: 1 }),
    notice({ rule: 'a', episode: 1, kind: 'resolved' }),
    notice({ rule: 'a', episode: 2 }),
  ].map((n) => ({ key: n.key, at: 0, transition: n }));
  t.deepEqual(
    nextBatch(items).map((i) => `${i.transition.rule}${i.transition.episode}${i.transition.kind}`),
    ['a1firing', 'b1firing'],
  );
  t.deepEqual(
    nextBatch(items.slice(2)).map((i) => `${i.transition.rule}${i.transition.episode}${i.transition.kind}`),
    ['a1resolved', 'a2firing'],
  );
});

test('telemetry test-alertmanager: sends one test alert, or says exactly what failed', async (t) => {
  const hook = await startWebhook();
  t.teardown(() => hook.close());
  const am = await startAlertmanager(hook.url);
  t.teardown(() => am.stop());
  const dir = await tempDir();
  const ok = runNode('cli/telemetry.js', ['test-alertmanager'], dir, { TELEMETRY_ALERTMANAGER_URL: am.url });
  t.is(await ok.exited, 0, ok.output());
  t.regex(ok.output(), /sent a test alert \(alertname=telemetry_test\) to http:\/\/127\.0\.0\.1:\d+/);
  const active = (await (await fetch(`${am.url}/api/v2/alerts`)).json()) as { labels: Record<string, string> }[];
  t.deepEqual(
    active.map((a) => a.labels.alertname),
    ['telemetry_test'],
  );
  const refused = runNode('cli/telemetry.js', ['test-alertmanager'], dir, {
    TELEMETRY_ALERTMANAGER_URL: `http://127.0.0.1:${await freePort()}`,
  });
  t.is(await refused.exited, 1);
  t.regex(
    refused.output(),
    /test alert failed \(refused\): refused: nothing accepts connections at http:\/\/127\.0\.0\.1:\d+\/api\/v2\/alerts/,
  );
  const rejected = runNode('cli/telemetry.js', ['test-alertmanager'], dir, {
    TELEMETRY_ALERTMANAGER_URL: `${am.url}/no/such/prefix`,
  });
  t.is(await rejected.exited, 1);
  t.regex(rejected.output(), /test alert failed \(rejected\): rejected: .* answered 404/);
  const unset = runNode('cli/telemetry.js', ['test-alertmanager'], dir, { TELEMETRY_ALERTMANAGER_URL: '' });
  t.is(await unset.exited, 1);
  t.regex(unset.output(), /not configured: set TELEMETRY_ALERTMANAGER_URL/);
});

test('a firing alert is re-sent every resendMs, so Alertmanager never ends it by resolve_timeout', async (t) => {
  const hook = await startWebhook();
  t.teardown(() => hook.close());
  const am = await startAlertmanager(hook.url, undefined, '2s');
  t.teardown(() => am.stop());
  const { app, csv } = await analyticsWith(am.url, ', resendMs: 1000');
  t.teardown(() => app.child.kill('SIGKILL'));
  appendFileSync(csv, `${Date.now()},95.00,50.00,1\n`);
  await waitFor('the firing alert at the webhook', () => hook.alerts.some((a) => a.status === 'firing'));
  // each POST of a firing alert moves its endsAt to now + resolve_timeout: watch it move
  const ends = new Set<string>();
  await waitFor(
    'five re-sends seen by Alertmanager',
    async () => {
      const active = (await (await fetch(`${am.url}/api/v2/alerts`)).json()) as {
        endsAt: string;
        status: { state: string };
      }[];
      for (const a of active) if (a.status.state === 'active') ends.add(a.endsAt);
      return ends.size >= 5;
    },
    30_000,
    200,
  );
  t.false(
    hook.alerts.some((a) => a.status === 'resolved'),
    'never ended by resolve_timeout (2 s) while firing',
  );
  app.child.kill('SIGINT');
  t.is(await app.exited, 0);
});

test('an Alertmanager behind basic auth: user:pass in the URL is sent as basic auth, and the password shows nowhere', async (t) => {
  const hook = await startWebhook();
  t.teardown(() => hook.close());
  const am = await startAlertmanager(hook.url, undefined, '5m', true);
  t.teardown(() => am.stop());
  const secret = encodeURIComponent(BASIC_AUTH.pass);
  const withAuth = am.url.replace('http://', `http://${BASIC_AUTH.user}:${secret}@`);
  // without credentials it is refused: the test would pass for the wrong reason otherwise
  t.is((await fetch(`${am.url}/api/v2/alerts`)).status, 401);
  const { app, csv, dir } = await analyticsWith(withAuth);
  t.teardown(() => app.child.kill('SIGKILL'));
  appendFileSync(csv, `${Date.now()},95.00,50.00,1\n`);
  await waitFor('the firing alert at the webhook', () => hook.alerts.find((a) => a.status === 'firing'));
  // a wrong password: refused, retried, and said without the password
  const cli = runNode('cli/telemetry.js', ['test-alertmanager'], dir, {
    TELEMETRY_ALERTMANAGER_URL: withAuth.replace(secret, 'wrong%20pass'),
  });
  t.is(await cli.exited, 1);
  t.regex(cli.output(), /rejected: .* answered 401/);
  app.child.kill('SIGINT');
  t.is(await app.exited, 0);
  for (const text of [app.output(), cli.output()]) {
    t.false(text.includes(BASIC_AUTH.pass) || text.includes(secret) || text.includes('wrong'), text);
  }
});

test('TELEMETRY_ALERTMANAGER_TOKEN is sent as a bearer token; an answer of any size is read up to 64 KiB', async (t) => {
  const seen: string[] = [];
  let sentAtClose = -1;
  const port = await freePort();
  const server = createServer((req, res) => {
    seen.push(req.headers.authorization ?? '');
    req.resume();
    // 500 with a body of 50 MiB: the app reads 64 KiB of it and lets the rest go
    res.writeHead(500, { 'Content-Type': 'text/plain' });
    const chunk = Buffer.alloc(1 << 20, 'x');
    let sent = 0;
    res.on('close', () => (sentAtClose = sent));
    const pump = (): void => {
      while (sent < 50 && res.write(chunk)) sent++;
      if (sent < 50) res.once('drain', pump);
      else res.end();
    };
    pump();
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())).then(() => server.closeAllConnections()));
  const dir = await tempDir();
  const cli = runNode('cli/telemetry.js', ['test-alertmanager'], dir, {
    TELEMETRY_ALERTMANAGER_URL: `http://127.0.0.1:${port}`,
    TELEMETRY_ALERTMANAGER_TOKEN: 's3cr3t-token',
  });
  t.is(await cli.exited, 1);
  t.deepEqual(seen, ['Bearer s3cr3t-token']);
  t.regex(cli.output(), /rejected: .* answered 500 x{10}/);
  t.false(cli.output().includes('s3cr3t-token'));
  await waitFor('the server to see the connection end', () => sentAtClose >= 0);
  t.true(sentAtClose < 50, `the client left after ${sentAtClose} of 50 MiB`);
});
