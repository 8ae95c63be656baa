// Debian's real Alertmanager on 127.0.0.1 with its own storage and no cluster, and a webhook
// receiver that records what Alertmanager notifies.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, waitFor } from './helpers.js';
import { freePort } from './smtp-fixture.js';

export interface WebhookAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
}

export interface Webhook {
  url: string;
  alerts: WebhookAlert[];
  close(): Promise<void>;
}

export async function startWebhook(): Promise<Webhook> {
  const alerts: WebhookAlert[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      alerts.push(...(JSON.parse(body) as { alerts: WebhookAlert[] }).alerts);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}/`, alerts, close: () => new Promise((r) => server.close(() => r())) };
}

export interface Alertmanager {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** A user whose password is `p@ss:w rd` (bcrypt, cost 4), for an Alertmanager that requires basic auth. */
export const BASIC_AUTH = {
  user: 'ops',
  pass: 'p@ss:w rd',
  hash: '$2b$04$C6Adt9ZsLfwqt7/8xZvjy.rs1oPqZBNYIR39N9tLFXtrM.6O.iF2O',
};

/**
 * Starts Alertmanager routing every alert to `webhookUrl` at once (short group_wait and interval);
 * with `basicAuth`, its API requires BASIC_AUTH (--web.config.file).
 */
export async function startAlertmanager(
  webhookUrl: string,
  port?: number,
  resolveTimeout = '5m',
  basicAuth = false,
): Promise<Alertmanager> {
  const dir = await tempDir('telemetry-am-');
  const listen = port ?? (await freePort());
  writeFileSync(
    join(dir, 'alertmanager.yml'),
    `global:\n  resolve_timeout: ${resolveTimeout}\nroute:\n  receiver: hook\n  group_by: [alertname, host]\n  group_wait: 100ms\n  group_interval: 500ms\n  repeat_interval: 1h\nreceivers:\n  - name: hook\n    webhook_configs:\n      - url: ${webhookUrl}\n        send_resolved: true\n`,
  );
  writeFileSync(join(dir, 'web.yml'), `basic_auth_users:\n  ${BASIC_AUTH.user}: '${BASIC_AUTH.hash}'\n`);
  const child: ChildProcess = spawn(
    'prometheus-alertmanager',
    [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${listen}`,
      '--cluster.listen-address=',
      ...(basicAuth ? [`--web.config.file=${join(dir, 'web.yml')}`] : []),
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const url = `http://127.0.0.1:${listen}`;
  await waitFor('Alertmanager to be ready', () =>
    fetch(`${url}/-/ready`, {
      headers: { Authorization: `Basic ${Buffer.from(`${BASIC_AUTH.user}:${BASIC_AUTH.pass}`).toString('base64')}` },
    }).then(
      (r) => r.ok,
      () => false,
    ),
  );
  return {
    url,
    port: listen,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
