// A copy of the repo in a temp dir (symlinks to dist/ and node_modules/) driven by a real PM2
// daemon with its own PM2_HOME, so tests never touch the user's PM2 or the repo's data/.
import { execFile } from 'node:child_process';
import { copyFileSync, readFileSync, symlinkSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../common/config.js';
import { tempDir } from './helpers.js';

const run = promisify(execFile);

export interface Pm2Sandbox {
  dir: string;
  env: NodeJS.ProcessEnv;
  pm2(...args: string[]): Promise<string>;
  kill(): Promise<void>;
}

/** `patchEcosystem` may change the copied ecosystem.config.js (e.g. a faster restart for chaos tests). */
export async function createPm2Sandbox(
  configYaml: string,
  env: NodeJS.ProcessEnv = {},
  patchEcosystem: (text: string) => string = (t) => t,
): Promise<Pm2Sandbox> {
  const dir = await tempDir('telemetry-pm2-');
  for (const name of ['dist', 'node_modules', 'config']) symlinkSync(join(projectRoot, name), join(dir, name));
  for (const name of ['package.json', 'rules.yaml']) copyFileSync(join(projectRoot, name), join(dir, name));
  await writeFile(
    join(dir, 'ecosystem.config.js'),
    patchEcosystem(readFileSync(join(projectRoot, 'ecosystem.config.js'), 'utf8')),
  );
  await writeFile(join(dir, 'telemetry.config.yaml'), configYaml);
  const fullEnv = {
    ...process.env,
    PM2_HOME: join(dir, '.pm2'),
    PM2_DISABLE_VERSION_CHECK: 'true',
    PM2_DISCRETE_MODE: 'true',
    ...env,
  };
  const pm2 = async (...args: string[]): Promise<string> => {
    const { stdout } = await run(process.execPath, [join(projectRoot, 'node_modules', 'pm2', 'bin', 'pm2'), ...args], {
      cwd: dir,
      env: fullEnv,
    });
    return stdout;
  };
  return {
    dir,
    env: fullEnv,
    pm2,
    kill: async () => {
      await pm2('kill').catch(() => '');
    },
  };
}

export interface Pm2Process {
  name: string;
  pid: number;
  pm2_env: { status: string; restart_time: number; pm_uptime: number };
}

export async function listProcesses(sandbox: Pm2Sandbox): Promise<Pm2Process[]> {
  return JSON.parse(await sandbox.pm2('jlist')) as Pm2Process[];
}
