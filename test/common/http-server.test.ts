// The apps' HTTP endpoint: listen parsing, the request gate, and a real server on 127.0.0.1.
import test from 'ava';
import { request } from 'node:http';
import { connect, createServer } from 'node:net';
import { gate, isLoopback, parseListen, startHttpServer } from '../../common/http-server.js';
import { percentToRatio, ratioLiteral } from '../../common/ratio.js';

test('listen addresses: host:port, [v6]:port, "" for off; anything else is refused', (t) => {
  t.deepEqual(parseListen('127.0.0.1:9471'), { host: '127.0.0.1', port: 9471 });
  t.deepEqual(parseListen('[::1]:0'), { host: '::1', port: 0 });
  t.deepEqual(parseListen('localhost:80'), { host: 'localhost', port: 80 });
  t.is(parseListen(''), null);
  for (const bad of ['9471', '127.0.0.1', '127.0.0.1:99999', 'a:b', '::1:9471', 'http://127.0.0.1:9471'])
    t.throws(() => parseListen(bad), undefined, bad);
});

test('the gate: GET/HEAD only; on loopback only its own Host, matched whole; one Host header only', (t) => {
  const allowed = new Set(['127.0.0.1:9471', 'localhost:9471', 'localhost']);
  t.is(gate('GET', ['127.0.0.1:9471'], allowed), null);
  t.is(gate('HEAD', ['localhost:9471'], allowed), null);
  t.is(gate('GET', ['LOCALHOST:9471'], allowed), null);
  t.is(gate('POST', ['127.0.0.1:9471'], allowed)?.status, 405);
  t.is(gate('OPTIONS', ['127.0.0.1:9471'], allowed)?.status, 405);
  t.is(gate('GET', ['evil.example:9471'], allowed)?.status, 403);
  t.is(gate('GET', ['localhost.attacker.example'], allowed)?.status, 403, 'never a prefix');
  t.is(gate('GET', ['localhost.attacker.example:9471'], allowed)?.status, 403);
  t.is(gate('GET', undefined, allowed)?.status, 403);
  t.is(gate('GET', ['127.0.0.1:9471', 'evil.example'], allowed)?.status, 400);
  t.is(gate('GET', ['evil.example', '127.0.0.1:9471'], allowed)?.status, 400);
  t.is(gate('GET', ['anything'], null), null, 'a non-loopback listener cannot know its names');
});

test('loopback is localhost, 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104, in any spelling', (t) => {
  for (const host of [
    'localhost',
    '127.0.0.1',
    '127.0.0.2',
    '127.255.255.254',
    '::1',
    '0:0:0:0:0:0:0:1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
  ])
    t.true(isLoopback(host), host);
  for (const host of [
    '0.0.0.0',
    '10.0.0.1',
    '128.0.0.1',
    '::',
    '::2',
    '::ffff:10.0.0.1',
    'example.com',
    '126.255.255.255',
  ])
    t.false(isLoopback(host), host);
});

test('percent to ratio shifts the decimal point: 80.3 is 0.803, never 0.8029999999999999', (t) => {
  t.is(80.3 / 100, 0.8029999999999999, 'the trap this guards against');
  t.is(percentToRatio(80.3), 0.803);
  t.is(percentToRatio(19.7), 0.197);
  t.is(percentToRatio(100), 1);
  t.is(percentToRatio(0), 0);
  t.is(ratioLiteral(80.3), '80.3e-2');
  t.is(ratioLiteral(80), '80e-2');
  t.is(ratioLiteral(1e-7), '1e-9');
  t.is(Number(ratioLiteral(80.3)), percentToRatio(80.3), 'the literal Prometheus parses is the gauge value');
});

function get(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('a real server on 127.0.0.1: routes by exact path, refuses other Hosts, methods and paths, sends the security headers', async (t) => {
  const server = await startHttpServer(
    'test',
    '127.0.0.1:0',
    new Map([['/hello', (_req, res) => void res.writeHead(200, { 'Content-Type': 'text/plain' }).end('hi')]]),
  );
  t.truthy(server);
  t.teardown(() => server!.close());
  const port = server!.port;
  const ok = await get(port, '/hello?x=1');
  t.deepEqual([ok.status, ok.body], [200, 'hi']);
  t.is(ok.headers['x-content-type-options'], 'nosniff');
  t.regex(String(ok.headers['content-security-policy']), /default-src 'none'; script-src 'self'/);
  t.is(ok.headers['access-control-allow-origin'], undefined, 'no CORS');
  t.is((await get(port, '/hello', { Host: 'attacker.example' })).status, 403);
  t.is((await get(port, '/hello', { Host: `localhost:${port}` })).status, 200);
  t.is((await get(port, '/hello', {}, 'POST')).status, 405);
  t.is((await get(port, '/../../etc/passwd')).status, 404);
  t.is((await get(port, '/%2e%2e/etc/passwd')).status, 404);
  t.is((await get(port, '/Hello')).status, 404);
});

test('a port in use is one error line and no server; "" is off', async (t) => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  t.teardown(() => blocker.close());
  const port = (blocker.address() as { port: number }).port;
  const lines: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = (chunk: string) => (lines.push(chunk), true);
  try {
    t.is(await startHttpServer('test', `127.0.0.1:${port}`, new Map()), null);
  } finally {
    process.stderr.write = write;
  }
  t.is(lines.length, 1);
  t.regex(lines[0]!, /error test HTTP is off: cannot listen on 127\.0\.0\.1:\d+ error=".*EADDRINUSE/);
  t.is(await startHttpServer('test', '', new Map()), null);
});

/** One raw request (so a test can send what clients would not: two Host headers). */
function rawGet(host: string, port: number, headers: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port }, () =>
      socket.end(`GET /metrics HTTP/1.1\r\n${headers}Connection: close\r\n\r\n`),
    );
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString()));
    socket.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1])));
    socket.on('error', reject);
  });
}

for (const [listen, connectTo] of [
  ['127.0.0.2:0', '127.0.0.2'],
  ['[::1]:0', '::1'],
  ['[::ffff:127.0.0.1]:0', '127.0.0.1'],
] as const) {
  test(`a server on ${listen} is a loopback one: other Hosts get 403, two Host headers 400`, async (t) => {
    const server = await startHttpServer('test', listen, new Map([['/metrics', (_req, res) => void res.end('ok')]]));
    if (!server) return t.fail(`cannot listen on ${listen}`);
    t.teardown(() => server.close());
    const own = listen.replace(/:0$/, `:${server.port}`);
    t.is(await rawGet(connectTo, server.port, `Host: ${own}\r\n`), 200);
    t.is(await rawGet(connectTo, server.port, `Host: localhost:${server.port}\r\n`), 200);
    t.is(await rawGet(connectTo, server.port, 'Host: evil.com\r\n'), 403);
    t.is(await rawGet(connectTo, server.port, `Host: localhost.attacker.example:${server.port}\r\n`), 403);
    t.is(await rawGet(connectTo, server.port, `Host: ${own}\r\nHost: evil.com\r\n`), 400);
  });
}
