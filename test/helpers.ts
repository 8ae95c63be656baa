// Shared test tools: temp dirs, condition waits with deadlines, child processes of the real apps.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { projectRoot } from '../common/config.js';

export const distRoot = resolve(projectRoot, 'dist');

/** What a save looks like after a restart: written as JSON and read back. */
export function roundTrip<T>(saved: T): T {
  return JSON.parse(JSON.stringify(saved)) as T;
}

export function tempDir(prefix = 'telemetry-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Runs `body` with what it logs (to stdout and stderr) collected (`lines`, also as it grows), each line without its time. Tests that use it run serially. */
export async function logged<T>(body: (lines: string[]) => T | Promise<T>): Promise<{ value: T; lines: string[] }> {
  const lines: string[] = [];
  const streams = [process.stdout, process.stderr];
  const writes = streams.map((s) => s.write.bind(s));
  for (const s of streams) s.write = (chunk: string) => (lines.push(chunk.replace(/^\S+ /, '')), true);
  try {
    return { value: await body(lines), lines };
  } finally {
    streams.forEach((s, i) => (s.write = writes[i]!));
  }
}

/** Polls `check` until it returns a truthy value; fails with `what` after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  timeoutMs = 20_000,
  everyMs = 20,
): Promise<Exclude<T, null | undefined | false | 0 | ''>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as Exclude<T, null | undefined | false | 0 | ''>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The complete (newline-terminated) lines of a file another process is writing; [] while it does not exist. */
export function completeLines(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return text.split('\n').slice(0, -1);
}

/** The port an app logged in `… HTTP listening url=http://127.0.0.1:PORT/`. */
export function loggedPort(output: string): number | null {
  const m = /HTTP listening url=http:\/\/127\.0\.0\.1:(\d+)\//.exec(output);
  return m ? Number(m[1]) : null;
}

export interface Running {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** Starts `node dist/<script>` in `cwd` and collects stdout+stderr. */
export function runNode(script: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Running {
  const child = spawn(process.execPath, [join(distRoot, script), ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  return { child, output: () => out, exited };
}

/** Writes a YAML config file into dir and returns its path. */
export async function writeConfig(dir: string, yaml: string): Promise<string> {
  const file = join(dir, 'telemetry.test.yaml');
  await writeFile(file, yaml);
  return file;
}

/** Parses `key=value` fields from the last log line containing `message`. */
export function lastFields(output: string, message: string): Record<string, string> {
  const line =
    output
      .split('\n')
      .filter((l) => l.includes(message))
      .at(-1) ?? '';
  return Object.fromEntries([...line.matchAll(/(\w+)=("[^"]*"|\S+)/g)].map((m) => [m[1]!, m[2]!]));
}
