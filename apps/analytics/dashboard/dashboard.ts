// The dashboard's routes on the analytics HTTP server: `/` and `/static/…` from a fixed in-memory
// list (no path is ever built from the URL), `/api/state` (JSON) and `/events` (Server-Sent
// Events: a snapshot first, then points, transitions and stats; resumable with Last-Event-ID).
//
//   flush(): LiveFeed.flush() (the app calls it at most every 100 ms while rows arrive) ─▶ each client's socket
//   a client that cannot keep up (its buffer over SLOW_CLIENT_BYTES) is dropped; it reconnects
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { projectRoot } from '../../../common/config.js';
import type { Handler } from '../../../common/http-server.js';
import type { FeedEvent, LiveFeed } from './live-feed.js';
import type { StateView } from './wire.js';

const STATS_MS = 1000;
/** How old the shared /api/state body may be. */
const STATE_MS = 250;
const HEARTBEAT_MS = 15_000;
export const MAX_CLIENTS = 16;
const SLOW_CLIENT_BYTES = 4 << 20;
/** Tells browsers how soon to reconnect after the connection drops. */
const RETRY_MS = 1000;

/** The dashboard's view of the app, built on request: the shell supplies it. */
export type StateOf = () => StateView;

interface StaticFile {
  type: string;
  body: Buffer;
}

/** Every file the dashboard serves, read once at start. */
function staticFiles(): Map<string, StaticFile> {
  const require = createRequire(import.meta.url);
  const own = (name: string): Buffer =>
    readFileSync(join(projectRoot, 'apps', 'analytics', 'dashboard', 'static', name));
  return new Map([
    ['/', { type: 'text/html; charset=utf-8', body: own('index.html') }],
    // built from browser/app.ts by `npm run build`
    [
      '/static/app.js',
      { type: 'text/javascript; charset=utf-8', body: readFileSync(new URL('browser/app.js', import.meta.url)) },
    ],
    ['/static/style.css', { type: 'text/css; charset=utf-8', body: own('style.css') }],
    [
      '/static/uPlot.iife.min.js',
      { type: 'text/javascript; charset=utf-8', body: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js')) },
    ],
    [
      '/static/uPlot.min.css',
      { type: 'text/css; charset=utf-8', body: readFileSync(require.resolve('uplot/dist/uPlot.min.css')) },
    ],
  ]);
}

function sse(res: ServerResponse, id: string | null, type: string, data: unknown): void {
  res.write(`${id ? `id: ${id}\n` : ''}event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
}

export interface Dashboard {
  routes: Map<string, Handler>;
  /** Sends what the feed gathered since the last flush to every client. */
  flush(): void;
  clients(): number;
  stop(): void;
}

export function createDashboard(feed: LiveFeed, stateOf: StateOf): Dashboard {
  const clients = new Set<ServerResponse>();
  let statsTimer: NodeJS.Timeout | undefined;
  let heartbeat: NodeJS.Timeout | undefined;

  const send = (res: ServerResponse, e: FeedEvent): void => sse(res, `${feed.boot}-${e.id}`, e.type, e.data);
  const drop = (res: ServerResponse): void => {
    clients.delete(res);
    res.destroy();
  };
  const broadcast = (write: (res: ServerResponse) => void): void => {
    for (const res of clients) {
      if (res.writableLength > SLOW_CLIENT_BYTES) drop(res);
      else write(res);
    }
  };
  const flush = (): void => {
    state = null;
    const events = feed.flush();
    broadcast((res) => events.forEach((e) => send(res, e)));
  };
  const snapshot = (res: ServerResponse): void => {
    sse(res, feed.lastId, 'snapshot', { boot: feed.boot, ...feed.view(), ...stateOf() });
  };

  const files = staticFiles();
  const routes = new Map<string, Handler>();
  for (const [path, file] of files) {
    routes.set(path, (req, res) => {
      res.writeHead(200, {
        'Content-Type': file.type,
        'Content-Length': file.body.length,
        'Cache-Control': 'no-cache',
      });
      res.end(req.method === 'HEAD' ? undefined : file.body);
    });
  }
  // browsers ask for it on their own; there is none
  routes.set('/favicon.ico', (_req, res) => void res.writeHead(204).end());
  // The rules, statistics and recent transitions (the points come through /events): one body for
  // every client of a moment (built at most once per STATE_MS, or after a flush), a few KiB.
  let state: { at: number; body: Buffer } | null = null;
  routes.set('/api/state', (req, res) => {
    const now = Date.now();
    if (!state || now - state.at >= STATE_MS)
      state = {
        at: now,
        body: Buffer.from(JSON.stringify({ boot: feed.boot, transitions: feed.view().transitions, ...stateOf() })),
      };
    res.writeHead(200, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': state.body.length,
      'Cache-Control': 'no-store',
    });
    res.end(req.method === 'HEAD' ? undefined : state.body);
  });
  routes.set('/events', (req, res) => {
    if (clients.size >= MAX_CLIENTS) {
      res
        .writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8', 'Retry-After': '5' })
        .end('too many dashboard clients\n');
      return;
    }
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    if (req.method === 'HEAD') return void res.end();
    res.write(`retry: ${RETRY_MS}\n\n`);
    // a browser's own reconnect sends the header; the page's manual reconnect sends ?lastEventId=
    const query = new URL(req.url ?? '/', 'http://x').searchParams.get('lastEventId') ?? undefined;
    const last = (req.headers['last-event-id'] as string | undefined) ?? query;
    flush();
    const missed = feed.since(last);
    if (missed) missed.forEach((e) => send(res, e));
    else snapshot(res);
    sse(res, null, 'stats', stateOf());
    clients.add(res);
    req.on('close', () => clients.delete(res));
    statsTimer ??= setInterval(
      () => (clients.size > 0 ? broadcast((r) => sse(r, null, 'stats', stateOf())) : stopIdle()),
      STATS_MS,
    );
    heartbeat ??= setInterval(() => broadcast((r) => r.write(': heartbeat\n\n')), HEARTBEAT_MS);
  });

  /** No client left: the periodic timers stop, so an unwatched dashboard costs nothing. */
  function stopIdle(): void {
    clearInterval(statsTimer);
    clearInterval(heartbeat);
    statsTimer = heartbeat = undefined;
  }

  return {
    routes,
    flush,
    clients: () => clients.size,
    stop: () => {
      stopIdle();
      for (const res of clients) res.end();
      clients.clear();
    },
  };
}
