import test from 'ava';
import { runNode, tempDir } from '../helpers.js';
import { freePort, makeCertificate, startSmtp } from '../smtp-fixture.js';

async function testEmail(env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  const p = runNode('cli/telemetry.js', ['test-email'], await tempDir(), {
    TELEMETRY_EMAIL_FROM: 'telemetry@test.local',
    TELEMETRY_EMAIL_TO: 'ops@test.local',
    ...env,
  });
  return { code: await p.exited, out: p.output() };
}

test('STARTTLS with a certificate made here, and AUTH: sent, over TLS', async (t) => {
  const cert = makeCertificate(await tempDir());
  const smtp = await startSmtp({ user: 'alice', pass: 's3cret', starttls: true, tls: cert });
  t.teardown(() => smtp.close());
  const r = await testEmail({ TELEMETRY_SMTP_URL: smtp.url, NODE_EXTRA_CA_CERTS: cert.certFile });
  t.is(r.code, 0, r.out);
  t.regex(r.out, /sent a test email to ops@test\.local via smtp:\/\/alice:\*\*\*@127\.0\.0\.1/);
  t.is(smtp.messages.length, 1);
  t.true(smtp.messages[0]!.secure, 'the session was upgraded with STARTTLS');
  t.regex(smtp.messages[0]!.subject ?? '', /^\[telemetry\] test email from /);
});

test('says exactly what failed: tls (untrusted certificate), auth, refused, not configured', async (t) => {
  const cert = makeCertificate(await tempDir());
  const smtp = await startSmtp({ user: 'alice', pass: 's3cret', starttls: true, tls: cert });
  t.teardown(() => smtp.close());
  const tls = await testEmail({ TELEMETRY_SMTP_URL: smtp.url });
  t.is(tls.code, 1);
  t.regex(
    tls.out,
    /test email failed \(tls\): TLS: secure connection to smtp:\/\/alice:\*\*\*@127\.0\.0\.1:\d+ failed/,
  );
  const auth = await testEmail({
    TELEMETRY_SMTP_URL: `smtp://alice:nope@127.0.0.1:${smtp.port}`,
    NODE_EXTRA_CA_CERTS: cert.certFile,
  });
  t.is(auth.code, 1);
  t.regex(auth.out, /test email failed \(auth\): auth: the SMTP server refused the login \(535/);
  t.notRegex(auth.out, /nope/);
  const refused = await testEmail({ TELEMETRY_SMTP_URL: `smtp://127.0.0.1:${await freePort()}` });
  t.is(refused.code, 1);
  t.regex(refused.out, /test email failed \(refused\)/);
  const off = await testEmail({ TELEMETRY_SMTP_URL: '', TELEMETRY_EMAIL_TO: '' });
  t.is(off.code, 1);
  t.regex(off.out, /email is not configured/);
  const bad = await testEmail({ TELEMETRY_SMTP_URL: 'http://example.test', TELEMETRY_EMAIL_TO: '' });
  t.is(bad.code, 1);
  t.regex(bad.out, /must start with smtp:\/\/ or smtps:\/\/.*names no recipient/);
});
