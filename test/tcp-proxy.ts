// A TCP proxy in front of a local HTTP server whose connections a test can drop at will. It
// rewrites the Host header to the server's, as a browser talking to the server itself would send.
import { createConnection, createServer, type Socket } from 'node:net';

export interface Proxy {
  port: number;
  /** Destroys every open connection (both sides), like a network that drops them. */
  dropAll(): number;
  close(): Promise<void>;
}

export async function startProxy(targetPort: number): Promise<Proxy> {
  const sockets = new Set<Socket>();
  let port = 0;
  const server = createServer((client) => {
    const upstream = createConnection(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    client.on('data', (chunk: Buffer) =>
      upstream.write(
        chunk.toString('latin1').replaceAll(`Host: 127.0.0.1:${port}\r\n`, `Host: 127.0.0.1:${targetPort}\r\n`),
        'latin1',
      ),
    );
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
  return {
    port,
    dropAll: () => {
      const n = sockets.size;
      for (const s of sockets) s.destroy();
      return n;
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
}
