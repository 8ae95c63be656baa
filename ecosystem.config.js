// PM2 loads this file with require(): in this "type": "module" package only named exports work
// (`export default` would start nothing). `pm2 start ecosystem.config.js` from the repo root.
const common = {
  cwd: import.meta.dirname,
  exec_mode: 'fork',
  // One of each: two engines would interleave seqs in one CSV (a second one refuses to start:
  // data/engine.lock), and two analytics apps would notify everything twice.
  instances: 1,
  autorestart: true,
  wait_ready: true,
  listen_timeout: 10000,
  // The engine drains its queue and fsyncs; the analytics app saves its state and outbox.
  kill_timeout: 10000,
  exp_backoff_restart_delay: 200,
  max_memory_restart: '200M',
  // V8's memory reducer runs garbage collections whenever an app is idle to hand memory back: at
  // 1 Hz that is half of both apps' CPU (0.1 s a minute each) for ~4 MiB of RSS. Off: a heap that
  // grew in a burst shrinks at its next ordinary collection instead.
  node_args: ['--no-memory-reducer'],
  merge_logs: true,
  time: false,
  env: { NODE_ENV: 'production' },
};

export const apps = [
  {
    ...common,
    name: 'telemetry-engine',
    script: 'dist/apps/engine/main.js',
    out_file: 'logs/telemetry-engine.out.log',
    error_file: 'logs/telemetry-engine.err.log',
  },
  {
    ...common,
    name: 'telemetry-analytics',
    script: 'dist/apps/analytics/main.js',
    out_file: 'logs/telemetry-analytics.out.log',
    error_file: 'logs/telemetry-analytics.err.log',
  },
];
