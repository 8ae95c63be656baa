// Small tools for the benchmark: run-and-measure via getrusage, /proc readings of live processes,
// child processes of the real apps, and waits with deadlines.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../common/config.js';

export interface Measured {
  code: number;
  wall: number;
  cpu: number;
  maxRssKiB: number;
  stdoutBytes: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion and returns wall time, CPU seconds and peak RSS. */
export function measure(cmd: string[], env: NodeJS.ProcessEnv = {}): Measured {
  const out = execFileSync('python3', [join(projectRoot, 'bench', 'measure.py'), ...cmd], {
    env: { ...process.env, ...env },
    maxBuffer: 1 << 24,
  });
  const m = JSON.parse(out.toString()) as Measured;
  if (m.code !== 0) throw new Error(`${cmd.join(' ')} exited ${m.code}: ${m.stderr}`);
  return m;
}

const TICKS = 100; // USER_HZ on Linux

/** CPU seconds so far, resident memory (all of it, the private part, the peak) of a process. */
export function procStats(pid: number): { cpu: number; rssKiB: number; anonKiB: number; hwmKiB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpu = (Number(fields[11]) + Number(fields[12])) / TICKS;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
  return { cpu, rssKiB: kib('VmRSS'), anonKiB: kib('RssAnon'), hwmKiB: kib('VmHWM') };
}

export interface App {
  child: ChildProcess;
  output: () => string;
  onLine: (fn: (line: string) => void) => void;
}

export function startNode(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): App {
  const child = spawn(process.execPath, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let partial = '';
  const listeners: ((line: string) => void)[] = [];
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop()!;
    for (const line of lines) for (const fn of listeners) fn(line);
  });
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return { child, output: () => out, onLine: (fn) => listeners.push(fn) };
}

/** SIGINT, then wait for the exit (the apps save their state on the way out). */
export function stopApp(app: App): Promise<void> {
  if (app.child.exitCode !== null) return Promise.resolve();
  const exited = new Promise<void>((r) => app.child.once('exit', () => r()));
  app.child.kill('SIGINT');
  return exited;
}

export async function waitFor<T>(what: string, check: () => T, timeoutMs = 120_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
