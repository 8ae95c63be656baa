// The apps' read-only HTTP endpoint (plain node:http): `/metrics` on both, the dashboard on
// analytics. Every route is GET/HEAD; on a loopback address a request naming another Host gets
// 403 (DNS rebinding); no path is ever built from the URL (routes are an exact-match table); no
// CORS headers; a strict Content-Security-Policy. A port that cannot be bound is one error line
// and the app runs on without it.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { BlockList, isIP } from 'node:net';
import { describeCause } from './errors.js';
import { log } from './log.js';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface Listen {
  host: string;
  port: number;
}

const SECURITY_HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

/** `host:port` (IPv6 in brackets); null for "" (off). Throws on anything else. */
export function parseListen(text: string): Listen | null {
  if (text === '') return null;
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const port = Number(m?.[3]);
  if (!m || port > 65535)
    throw new Error(`"${text}" is not host:port (e.g. 127.0.0.1:9471, [::1]:9471, or "" for off)`);
  return { host: m[1] ?? m[2]!, port };
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');
LOOPBACK.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');

/** localhost, 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104 (IPv4-mapped), in any spelling. */
export function isLoopback(host: string): boolean {
  const family = isIP(host);
  return host === 'localhost' || (family !== 0 && LOOPBACK.check(host, family === 4 ? 'ipv4' : 'ipv6'));
}

/** Host header values a loopback server answers to: its address or localhost, with its port. */
function allowedHosts(listen: Listen, port: number): Set<string> {
  const names = new Set([
    listen.host.includes(':') ? `[${listen.host}]` : listen.host,
    'localhost',
    '127.0.0.1',
    '[::1]',
  ]);
  return new Set([...names].flatMap((n) => [n, `${n}:${port}`]));
}

/**
 * Decides the answer to a request before any route sees it: null to go on, else status and
 * reason. `hosts`: every Host header it carries (more than one is malformed, and ambiguous).
 */
export function gate(
  method: string | undefined,
  hosts: string[] | undefined,
  allowed: Set<string> | null,
): { status: number; reason: string } | null {
  if (method !== 'GET' && method !== 'HEAD') return { status: 405, reason: 'only GET and HEAD' };
  if (hosts && hosts.length > 1) return { status: 400, reason: 'more than one Host header' };
  if (allowed && !allowed.has((hosts?.[0] ?? '').toLowerCase()))
    return { status: 403, reason: 'unknown Host (this server answers only to its loopback address)' };
  return null;
}

export interface HttpLimits {
  /** Response bytes a connection may have queued (its client not reading) before it is dropped. */
  perConnection: number;
  /** Response bytes queued for all connections together; past it the one with the most is dropped. */
  total: number;
  /** A connection that neither reads nor sends for this long is closed. */
  idleMs: number;
}

const LIMITS: HttpLimits = { perConnection: 4 << 20, total: 64 << 20, idleMs: 30_000 };

/**
 * Bounds what never-reading clients can make the app hold, when a request comes on `socket`: the
 * connection to drop, or null. Its own, when it has more than `perConnection` queued; past `total`
 * over all connections, the one holding most (on a tie, the one asking).
 */
export function toDrop<S extends { writableLength: number }>(
  socket: S,
  sockets: Iterable<S>,
  limits: HttpLimits,
): S | null {
  if (socket.writableLength > limits.perConnection) return socket;
  let total = 0;
  let worst = socket;
  for (const s of sockets) {
    total += s.writableLength;
    if (s.writableLength > worst.writableLength) worst = s;
  }
  return total > limits.total ? worst : null;
}

export interface HttpEndpoint {
  readonly port: number;
  close(): Promise<void>;
}

/** Starts the server, or logs one line and returns null when it cannot listen. */
export async function startHttpServer(
  app: string,
  listenText: string,
  routes: Map<string, Handler>,
  limits = LIMITS,
): Promise<HttpEndpoint | null> {
  let listen: Listen | null;
  try {
    listen = parseListen(listenText);
  } catch (err) {
    log.error(`${app} HTTP is off: ${(err as Error).message}`);
    return null;
  }
  if (!listen) return null;
  const loopback = isLoopback(listen.host);
  let allowed: Set<string> | null = null;
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const drop = toDrop(req.socket, sockets, limits);
    drop?.destroy();
    if (drop === req.socket) return;
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    const refused = gate(req.method, req.headersDistinct.host, allowed);
    const path = (req.url ?? '/').split('?')[0]!;
    const handler = routes.get(path);
    if (refused || !handler) {
      const { status, reason } = refused ?? { status: 404, reason: 'not found' };
      if (status === 405) res.setHeader('Allow', 'GET, HEAD');
      res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`${reason}\n`);
      return;
    }
    Promise.resolve(handler(req, res)).catch((err: unknown) => {
      log.error('HTTP request failed', { path, error: describeCause(err) });
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end();
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  server.setTimeout(limits.idleMs, (socket) => socket.destroy());
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const bound = await new Promise<boolean>((resolve) => {
    server.once('error', (err) => {
      log.error(`${app} HTTP is off: cannot listen on ${listenText}`, { error: describeCause(err) });
      resolve(false);
    });
    server.listen(listen.port, listen.host, () => resolve(true));
  });
  if (!bound) return null;
  const port = (server.address() as { port: number }).port;
  if (loopback) allowed = allowedHosts(listen, port);
  else log.warn(`${app} HTTP listens on a non-loopback address; every endpoint is read-only`, { listen: listenText });
  log.info(`${app} HTTP listening`, {
    url: `http://${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${port}/`,
  });
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
