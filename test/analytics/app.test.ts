// The app core (app.ts) on simulated timers, for what one scenario shows best: which firings are
// re-sent to Alertmanager every resendMs.
import test from 'ava';
import * as nodeFs from 'node:fs';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AnalyticsApp } from '../../apps/analytics/app.js';
import type { AmAlert } from '../../apps/analytics/notify/alertmanager.js';
import { parseRules } from '../../apps/analytics/rules/load-rules.js';
import type { AnalyticsState } from '../../apps/analytics/state-file.js';
import { checkConfig } from '../../common/config.js';
import { log } from '../../common/log.js';
import { tempDir } from '../helpers.js';
import { settle, SimTimers } from '../sim/sim-timers.js';

const NOW = Date.UTC(2026, 5, 1);
const MIN = 60_000;

test('only a firing that was told is re-sent to Alertmanager: one held back as history is not, until it is told', async (t) => {
  const dir = await tempDir();
  mkdirSync(join(dir, 'data'));
  const csv = join(dir, 'data', 'telemetry.csv');
  // cpu 95 an hour ago: that firing is history
  writeFileSync(csv, `timestamp,cpu,ram,seq\n${NOW - 60 * MIN},95,50,1\n`);
  const timers = new SimTimers(NOW);
  const resent: string[][] = [];
  const posted: string[] = [];
  const saved = { ...log };
  log.info = log.warn = log.error = () => undefined;
  t.teardown(() => Object.assign(log, saved));
  let state: AnalyticsState | null = null;
  const app = new AnalyticsApp(
    { dataDir: join(dir, 'data'), analytics: checkConfig({}, 'defaults').analytics, resendMs: MIN },
    parseRules('rules.yaml', 'rules: [{ name: hot, metric: cpu, above: 80, channels: [alertmanager], flap: off }]'),
    {
      clock: { now: () => timers.now },
      timers,
      random: () => 0.5,
      fs: nodeFs,
      state: { load: () => state, save: (s) => void (state = s) },
      watchCsv: () => ({ retarget: () => undefined, watching: true, close: () => undefined }),
      console: { name: 'console', sent: 0, send: () => undefined },
      email: null,
      alertmanager: {
        settings: {
          url: 'http://127.0.0.1:1',
          authorization: null,
          timeoutMs: 1000,
          resendMs: MIN,
          maxAgeMs: 60 * MIN,
        },
        post: (alerts: AmAlert[], keys: string[]) => {
          if (keys.length === 0) resent.push(alerts.map((a) => a.labels.alertname!));
          else posted.push(...keys);
          return Promise.resolve();
        },
      },
      remoteWrite: null,
      dashboard: null,
    },
  );
  t.teardown(() => app.stop());
  app.start();
  await timers.advance(NOW + 2 * MIN + 1);
  t.is(app.alerting.firingCount, 1, 'it fires (on a sample an hour old)');
  t.deepEqual(posted, [], 'never told: history');
  t.deepEqual(resent, [], 'and never re-sent');
  // a current sample: the firing is told now, and re-sent from then on
  nodeFs.appendFileSync(csv, `${timers.now},96,50,2\n`);
  app.onCsvEvent();
  await timers.advance(timers.now + 2 * MIN + 1);
  await settle();
  t.is(posted.length, 1);
  t.true(resent.length >= 1 && resent.every((names) => names.join() === 'hot'));
});
