// The README and docs/ as a user meets them: the README stays short, every link resolves, and every
// shell block runs as shown (in a scratch copy of the repository's inputs), unless its first line
// marks it `# example:` (commands that start daemons, need a mail server, or install things).
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { projectRoot } from '../common/config.js';
import { distRoot, tempDir } from './helpers.js';

const docs = [
  'README.md',
  ...readdirSync(join(projectRoot, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const text = (file: string): string => readFileSync(join(projectRoot, file), 'utf8');

/** The ```sh blocks of a markdown file, each as its lines. */
function shellBlocks(markdown: string): string[][] {
  return [...markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]!.trimEnd().split('\n'));
}

test('the README is short: at most 150 lines, the rest is in docs/', (t) => {
  t.true(text('README.md').split('\n').length <= 150);
});

test('every relative link of the README and docs/ names a file that exists', (t) => {
  for (const file of docs) {
    for (const [, target] of text(file).matchAll(/\]\(([^)#:]+)(?:#[^)]*)?\)/g)) {
      t.true(existsSync(join(projectRoot, dirname(file), target!)), `${file} links to ${target}`);
    }
  }
});

test('every shell block of the README and docs/ runs as shown, unless it says it is an example', async (t) => {
  const dir = await tempDir();
  for (const path of ['rules.yaml', 'config']) cpSync(join(projectRoot, path), join(dir, path), { recursive: true });
  mkdirSync(join(dir, 'data'));
  mkdirSync(join(dir, 'docs'));
  const rows = Array.from(
    { length: 30 },
    (_, i) => `${Date.now() - (30 - i) * 1000},${i % 10 === 5 ? 91 : 20},50,${i + 1}`,
  );
  writeFileSync(join(dir, 'data', 'telemetry.csv'), `timestamp,cpu,ram,seq\n${rows.join('\n')}\n`);
  let ran = 0;
  for (const file of docs) {
    for (const block of shellBlocks(text(file))) {
      if (block[0]?.startsWith('# example')) continue;
      // `npx telemetry` and `node dist/…` as an installed checkout runs them
      const script = block
        .join('\n')
        .replaceAll('npx telemetry', `node ${join(distRoot, 'cli', 'telemetry.js')}`)
        .replaceAll('node dist/', `node ${distRoot}/`);
      try {
        execFileSync('sh', ['-ec', script], { cwd: dir, encoding: 'utf8', timeout: 30_000, stdio: 'pipe' });
      } catch (err) {
        const e = err as { stdout?: string; stderr?: string };
        t.fail(`${file}: this block failed:\n${block.join('\n')}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
      }
      ran++;
    }
  }
  t.true(ran >= 3, `${ran} blocks ran`);
  // the refresh commands of docs/development.md give the files as committed
  t.is(readFileSync(join(dir, 'docs', 'configuration.md'), 'utf8'), text('docs/configuration.md'));
  t.is(readFileSync(join(dir, 'config', 'telemetry.schema.json'), 'utf8'), text('config/telemetry.schema.json'));
  t.is(readFileSync(join(dir, 'config', 'prometheus', 'rules.yml'), 'utf8'), text('config/prometheus/rules.yml'));
});
