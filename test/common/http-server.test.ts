// The apps' HTTP endpoint: listen parsing, the request gate, and a real server on 127.0.0.1.
import test from 'ava';
import { request } from 'node:http';
import { connect, createServer, type Socket } from 'node:net';
import { gate, isLoopback, parseListen, startHttpServer, toDrop, type Handler } from '../../common/http-server.js';
import { percentToRatio, ratioLiteral } from '../../common/ratio.js';
import { logged, waitFor } from '../helpers.js';

test('listen addresses: host:port, [v6]:port, "" for off; anything else is refused', (t) => {
  t.deepEqual(parseListen('127.0.0.1:9471'), { host: '127.0.0.1', port: 9471 });
  t.deepEqual(parseListen('[::1]:0'), { host: '::1', port: 0 });
  t.deepEqual(parseListen('localhost:80'), { host: 'localhost', port: 80 });
  t.is(parseListen(''), null);
  t.deepEqual(parseListen('127.0.0.1:65535'), { host: '127.0.0.1', port: 65535 });
  for (const bad of [
    '9471',
    '127.0.0.1',
    '127.0.0.1:65536',
    '127.0.0.1:9471x',
    'a:b',
    '::1:9471',
    'http://127.0.0.1:9471',
  ])
    t.throws(() => parseListen(bad), {
      message: `"${bad}" is not host:port (e.g. 127.0.0.1:9471, [::1]:9471, or "" for off)`,
    });
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

test.serial('a port in use is one error line and no server; "" is off', async (t) => {
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

const statusOf = (answer: string): number => Number(/^HTTP\/1\.1 (\d+)/.exec(answer)?.[1]);

/** One raw request (so a test can send what clients would not: two Host headers): the answer as it came. */
function rawGet(host: string, port: number, headers: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port }, () =>
      socket.end(`GET /metrics HTTP/1.1\r\n${headers}Connection: close\r\n\r\n`),
    );
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString()));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}

for (const [listen, connectTo] of [
  ['127.0.0.2:0', '127.0.0.2'],
  ['[::1]:0', '::1'],
  ['[::ffff:127.0.0.1]:0', '127.0.0.1'],
] as const) {
  test.serial(
    `a server on ${listen} is a loopback one: its own Host, localhost, 127.0.0.1 and [::1]; other Hosts get 403, two Host headers 400`,
    async (t) => {
      const { value: server, lines } = await logged(() =>
        startHttpServer('test', listen, new Map([['/metrics', (_req, res) => void res.end('ok')]])),
      );
      if (!server) return t.fail(`cannot listen on ${listen}`);
      t.teardown(() => server.close());
      const own = listen.replace(/:0$/, `:${server.port}`);
      t.deepEqual(lines, [`info test HTTP listening url=http://${own}/\n`]);
      t.is(statusOf(await rawGet(connectTo, server.port, `Host: ${own}\r\n`)), 200);
      for (const name of ['localhost', '127.0.0.1', '[::1]'])
        t.is(statusOf(await rawGet(connectTo, server.port, `Host: ${name}:${server.port}\r\n`)), 200, name);
      t.is(statusOf(await rawGet(connectTo, server.port, 'Host: evil.com\r\n')), 403);
      t.is(statusOf(await rawGet(connectTo, server.port, `Host: localhost.attacker.example:${server.port}\r\n`)), 403);
      const twice = await rawGet(connectTo, server.port, `Host: ${own}\r\nHost: evil.com\r\n`);
      t.is(statusOf(twice), 400);
      t.true(twice.includes('\r\nmore than one Host header\n'), twice);
    },
  );
}

const KiB = 1024;
const LIMITS = { perConnection: 64 * KiB, total: 256 * KiB, idleMs: 30_000 };

test('never-reading clients: a connection past its own bound is dropped; past the total, the one holding most', (t) => {
  const conn = (name: string, writableLength: number) => ({ name, writableLength });
  const a = conn('a', 64 * KiB);
  const b = conn('b', 100 * KiB);
  const c = conn('c', 64 * KiB);
  t.is(toDrop(a, [a], LIMITS), null, 'exactly its bound: kept');
  const over = conn('over', 64 * KiB + 1);
  t.is(toDrop(over, [over], LIMITS), over);
  t.is(toDrop(a, [a, b, c], LIMITS), null, '228 KiB in all: within the total');
  const d = conn('d', 28 * KiB);
  t.is(toDrop(a, [a, b, c, d], LIMITS), null, 'exactly the total: kept');
  const e = conn('e', 1);
  t.is(toDrop(a, [a, b, c, d, e], LIMITS)?.name, 'b', 'past the total: the one holding most, not the one asking');
  t.is(toDrop(e, [e, a, b, c, d], LIMITS)?.name, 'b');
  t.is(toDrop(a, [c, a, conn('f', 64 * KiB), conn('g', 64 * KiB), e], LIMITS)?.name, 'a', 'a tie: the one asking');
});

test.serial(
  'answers: refusals say why in plain text, 405 names the methods, a failing handler is a 500 and one error line',
  async (t) => {
    const { value: server, lines } = await logged(() =>
      startHttpServer(
        'test',
        '127.0.0.2:0',
        new Map([
          ['/fails', () => Promise.reject(new Error('boom'))],
          ['/fails-late', (_req, res) => (res.writeHead(200).write('part'), Promise.reject(new Error('late boom')))],
        ]),
      ),
    );
    if (!server) return t.fail('cannot listen on 127.0.0.2');
    t.teardown(() => server.close());
    t.deepEqual(lines, [`info test HTTP listening url=http://127.0.0.2:${server.port}/\n`]);
    const at = (path: string, method = 'GET', host = `127.0.0.2:${server.port}`) =>
      new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.2', port: server.port, path, method, headers: { Host: host }, agent: false },
          (res) => {
            let body = '';
            res.on('data', (d: Buffer) => (body += d.toString()));
            res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
          },
        );
        req.on('error', reject);
        req.end();
      });
    const notFound = await at('/nothing');
    t.deepEqual([notFound.status, notFound.body], [404, 'not found\n']);
    t.is(notFound.headers['content-type'], 'text/plain; charset=utf-8');
    t.is(notFound.headers['referrer-policy'], 'no-referrer');
    t.is(notFound.headers['x-frame-options'], 'DENY');
    const post = await at('/fails', 'POST');
    t.deepEqual([post.status, post.body, post.headers.allow], [405, 'only GET and HEAD\n', 'GET, HEAD']);
    t.is(notFound.headers.allow, undefined);
    const foreign = await at('/fails', 'GET', 'evil.example');
    t.deepEqual(
      [foreign.status, foreign.body],
      [403, 'unknown Host (this server answers only to its loopback address)\n'],
    );
    const { value: failed, lines: errors } = await logged(() => at('/fails'));
    t.deepEqual([failed.status, failed.headers['content-type'], failed.body], [500, 'text/plain; charset=utf-8', '']);
    t.deepEqual(errors, ['error HTTP request failed path=/fails error=boom\n']);
    const { value: late } = await logged(() => at('/fails-late'));
    t.deepEqual([late.status, late.body], [200, 'part'], 'headers already sent: the answer ends as it began');
  },
);

test.serial('a listen address that is not host:port is one error line and no server', async (t) => {
  const { value, lines } = await logged(() => startHttpServer('test', 'nonsense', new Map()));
  t.is(value, null);
  t.deepEqual(lines, [
    'error test HTTP is off: "nonsense" is not host:port (e.g. 127.0.0.1:9471, [::1]:9471, or "" for off)\n',
  ]);
});

test('a connection that neither reads nor sends is closed after idleMs; one holding more than its bound is dropped at its next request', async (t) => {
  const big = Buffer.alloc(32 << 20, 'x'); // more than the kernel's socket buffers take
  const server = await startHttpServer('test', '127.0.0.1:0', new Map([['/big', (_req, res) => void res.end(big)]]), {
    ...LIMITS,
    perConnection: 1 << 20,
    idleMs: 300,
  });
  if (!server) return t.fail('cannot listen');
  t.teardown(() => server.close());
  const opened = (): Promise<{ socket: Socket; received: () => number; closed: () => boolean }> =>
    new Promise((resolve) => {
      let closed = false;
      let received = 0;
      const socket = connect({ host: '127.0.0.1', port: server.port }, () =>
        resolve({ socket, received: () => received, closed: () => closed }),
      );
      socket.on('data', (d: Buffer) => (received += d.length));
      socket.on('close', () => (closed = true));
      socket.on('error', () => undefined);
    });
  const idle = await opened();
  await waitFor('the idle connection closed', idle.closed, 5000);
  // three pipelined requests in one packet: the second finds the first's 32 MiB answer queued
  const greedy = await opened();
  const ask = `GET /big HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n\r\n`;
  greedy.socket.write(ask + ask + ask);
  await waitFor('the greedy connection dropped', greedy.closed, 10_000);
  t.true(greedy.received() < big.length, `${greedy.received()} bytes: not even the first answer whole`);
});

test('past the total bound, the connection holding most is dropped and the one asking is served', async (t) => {
  const big = Buffer.alloc(32 << 20, 'x');
  const server = await startHttpServer(
    'test',
    '127.0.0.1:0',
    new Map<string, Handler>([
      ['/big', (_req, res) => void res.end(big)],
      ['/small', (_req, res) => void res.end('ok')],
    ]),
    { perConnection: 64 << 20, total: 1 << 20, idleMs: 30_000 },
  );
  if (!server) return t.fail('cannot listen');
  t.teardown(() => server.close());
  const greedy = connect({ host: '127.0.0.1', port: server.port });
  let closed = false;
  greedy.on('close', () => (closed = true));
  greedy.on('error', () => undefined);
  greedy.pause(); // reads nothing: the answer stays queued in the server
  let first = '';
  let received = 0;
  greedy.once('data', (d: Buffer) => (first = d.toString()));
  greedy.on('data', (d: Buffer) => (received += d.length));
  greedy.write(`GET /big HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n\r\n`);
  greedy.resume();
  await waitFor('the answer to start', () => first.startsWith('HTTP/1.1 200'), 5000);
  greedy.pause();
  const small = await rawGet('127.0.0.1', server.port, `Host: 127.0.0.1:${server.port}\r\n`);
  t.is(statusOf(small), 404, 'served (GET /metrics is not a route here)');
  greedy.resume();
  await waitFor('the greedy connection closed', () => closed, 10_000);
  t.true(received < big.length, `${received} bytes: dropped before its answer was whole`);
});
