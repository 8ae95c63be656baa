// The Alertmanager channel: notifications as Alertmanager alerts, `POST <url>/api/v2/alerts`.
// Labels alertname (the rule), severity, host, job="telemetry"; annotations summary and
// description; firing → startsAt, resolved → the same labels with endsAt. Queued in its own
// durable outbox like email. Firing alerts are re-sent every `resendMs` (≤ 60 s) from the alert
// state, so Alertmanager's resolve_timeout never ends one early.
import { hostname } from 'node:os';
import { iso } from '../../../common/clock.js';
import type { Config } from '../../../common/config.js';
import { AlertmanagerConfigInvalidError, AlertmanagerSendError, describeCause } from '../../../common/errors.js';
import { httpAuth, readCapped } from '../../../common/credentials.js';
import { log } from '../../../common/log.js';
import { redact } from '../../../common/redact.js';
import type { Transition } from '../rules/alerting.js';
import { describeRule } from '../rules/describe-rule.js';
import type { AlertState } from '../rules/evaluate.js';
import type { Rule } from '../rules/rule.js';
import { formatAlert } from './console.js';
import type { Outbox, OutboxItem } from './outbox.js';
import { QueuedChannel, type Delivery, type QueuePorts } from './queued-channel.js';

export interface AlertmanagerSettings {
  /** Without credentials: safe to show. */
  url: string;
  /** Basic auth from the URL's user:pass, or a bearer token (TELEMETRY_ALERTMANAGER_TOKEN); never shown. */
  authorization: string | null;
  timeoutMs: number;
  resendMs: number;
  maxAgeMs: number;
}

/** The alert as Alertmanager's API v2 takes it. */
export interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt?: string;
}

/**
 * null when off (no url); throws AlertmanagerConfigInvalidError on a url that is not http(s).
 * `user:pass@` in the URL is basic auth, TELEMETRY_ALERTMANAGER_TOKEN a bearer token.
 */
export function readAlertmanagerSettings(
  am: Config['alertmanager'],
  env: NodeJS.ProcessEnv = process.env,
): AlertmanagerSettings | null {
  if (!am.url) return null;
  let protocol: string;
  try {
    protocol = new URL(am.url).protocol;
  } catch {
    throw new AlertmanagerConfigInvalidError(
      `TELEMETRY_ALERTMANAGER_URL / alertmanager.url is not a URL: ${redact(am.url)}`,
    );
  }
  if (protocol !== 'http:' && protocol !== 'https:')
    throw new AlertmanagerConfigInvalidError(`alertmanager.url must start with http:// or https://, not ${protocol}//`);
  const { url, authorization } = httpAuth(am.url, env.TELEMETRY_ALERTMANAGER_TOKEN);
  return {
    url: url.replace(/\/+$/, ''),
    authorization,
    timeoutMs: am.timeoutMs,
    resendMs: am.resendMs,
    maxAgeMs: am.maxAgeMs,
  };
}

/** Labels of a rule's alert: the same for firing, resolved and every re-send. */
function labelsOf(rule: string, severity: string, host: string): Record<string, string> {
  return { alertname: rule, severity, host, job: 'telemetry' };
}

/** One notification as an alert; ended (endsAt) when it says the rule is no longer firing. */
function toAlert(t: Transition, host: string): AmAlert {
  const firing = t.flap ? t.flap.firing : t.kind !== 'resolved';
  const alert: AmAlert = {
    labels: labelsOf(t.rule, t.severity, host),
    annotations: {
      summary: formatAlert(t).replace(/^ALERT /, ''),
      description: `${t.rule} fires when ${describeRule(t)} (${t.severity}) on ${host}`,
    },
    startsAt: iso(t.firedAt || t.timestamp),
  };
  if (!firing) alert.endsAt = iso(Math.max(t.timestamp, t.firedAt));
  return alert;
}

/** A firing rule re-sent from the alert state. */
function firingAlert(rule: Rule, state: AlertState, host: string): AmAlert {
  const r =
    rule.kind === 'threshold'
      ? { op: rule.op, metric: rule.metric, threshold: rule.threshold }
      : { op: 'absent' as const, metric: null, threshold: rule.absentMs };
  return {
    labels: labelsOf(rule.name, rule.severity, host),
    annotations: {
      summary: `firing ${rule.name} since ${iso(state.firedAt)}`,
      description: `${rule.name} fires when ${describeRule(r)} (${rule.severity}) on ${host}`,
    },
    startsAt: iso(state.firedAt),
  };
}

/** POSTs alerts; rejects with an AlertmanagerSendError that names what went wrong. */
export async function postAlerts(settings: AlertmanagerSettings, alerts: AmAlert[]): Promise<void> {
  const url = `${settings.url}/api/v2/alerts`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        ...(settings.authorization ? { Authorization: settings.authorization } : {}),
      },
      body: JSON.stringify(alerts),
      signal: AbortSignal.timeout(settings.timeoutMs),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
    if (cause === 'ECONNREFUSED')
      throw new AlertmanagerSendError('refused', `refused: nothing accepts connections at ${url}`, err);
    if (cause === 'ENOTFOUND' || cause === 'EAI_AGAIN')
      throw new AlertmanagerSendError('dns', `DNS: cannot resolve the host of ${url}`, err);
    if (cause === 'TimeoutError' || cause === 'UND_ERR_CONNECT_TIMEOUT')
      throw new AlertmanagerSendError('timeout', `timeout: ${url} did not answer within ${settings.timeoutMs} ms`, err);
    throw new AlertmanagerSendError('other', `POST ${url} failed: ${describeCause(err)}`, err);
  }
  // at most 64 KiB of any answer is read, after its status
  const body = await readCapped(res);
  if (!res.ok)
    throw new AlertmanagerSendError('rejected', `rejected: ${url} answered ${res.status} ${body.slice(0, 200).trim()}`);
}

/** Firing and resolved of one episode never share a POST, so Alertmanager sees the firing first. */
export function nextBatch(items: OutboxItem[]): OutboxItem[] {
  const episodes = new Set<string>();
  const batch: OutboxItem[] = [];
  for (const item of items) {
    const episode = `${item.transition.rule}:${item.transition.episode}`;
    if (episodes.has(episode) || batch.length === 500) break;
    episodes.add(episode);
    batch.push(item);
  }
  return batch;
}

/** How alerts reach Alertmanager: an HTTP POST, or the simulation's stand-in; `keys` names the notifications. */
export type PostAlerts = (alerts: AmAlert[], keys: string[]) => Promise<void>;

function alertmanagerDelivery(settings: AlertmanagerSettings, post: PostAlerts): Delivery {
  const host = hostname();
  return {
    name: 'alertmanager',
    accepts: () => true,
    render: (t) => void toAlert(t, host),
    batch: nextBatch,
    async deliver(batch) {
      await post(
        batch.map((i) => toAlert(i.transition, host)),
        batch.map((i) => i.key),
      );
      return `to ${settings.url}`;
    },
    close: () => undefined,
  };
}

export interface AlertmanagerChannel {
  channel: QueuedChannel;
  /** Re-sends what fires now; the shell calls it every `resendMs`. */
  resend(firing: { rule: Rule; state: AlertState }[]): Promise<void>;
}

// Notifications go out within BATCH_MS; the next POST waits SPACING_MS, so that a resolve queued
// behind its own firing (an outage) reaches Alertmanager after the firing was seen.
const BATCH_MS = 100;
const SPACING_MS = 1000;

export function createAlertmanagerChannel(
  settings: AlertmanagerSettings,
  outbox: Outbox,
  ports: QueuePorts & { post?: PostAlerts },
): AlertmanagerChannel {
  const post = ports.post ?? ((alerts) => postAlerts(settings, alerts));
  const channel = new QueuedChannel(
    alertmanagerDelivery(settings, post),
    { batchMs: BATCH_MS, spacingMs: SPACING_MS, maxAgeMs: settings.maxAgeMs },
    outbox,
    ports,
  );
  const host = hostname();
  let failing = false;
  return {
    channel,
    async resend(firing) {
      const alerts = firing
        .filter((f) => f.rule.channels.includes('alertmanager'))
        .map((f) => firingAlert(f.rule, f.state, host));
      if (alerts.length === 0) return;
      try {
        await post(alerts, []);
        if (failing) log.info('alertmanager re-send works again', { alerts: alerts.length });
        failing = false;
      } catch (err) {
        if (!failing)
          log.warn('alertmanager re-send of firing alerts failed; retrying every resendMs', {
            error: describeCause(err),
          });
        failing = true;
      }
    },
  };
}
