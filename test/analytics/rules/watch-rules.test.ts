import test from 'ava';
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { RulesChange } from '../../../apps/analytics/rules/alerting.js';
import type { Rule } from '../../../apps/analytics/rules/rule.js';
import { watchRules } from '../../../apps/analytics/rules/watch-rules.js';
import { logged, tempDir, waitFor } from '../../helpers.js';

test('a burst of saves is debounced into one reload with the final text; an invalid save keeps the rules', async (t) => {
  const dir = await tempDir();
  const file = join(dir, 'rules.yaml');
  writeFileSync(file, 'rules: []\n');
  const applied: string[][] = [];
  const apply = (rules: Rule[]): RulesChange => {
    applied.push(rules.map((r) => r.name));
    return { added: rules.map((r) => r.name), changed: [], removed: [] };
  };
  const stop = watchRules(file, apply, 150);
  t.teardown(stop);
  // an editor saving in pieces: five writes within the debounce window
  for (let i = 1; i <= 5; i++)
    writeFileSync(
      file,
      `rules:\n${Array.from({ length: i }, (_, k) => `  - { name: r${k}, metric: cpu, above: 80 }`).join('\n')}\n`,
    );
  await waitFor('the reload', () => applied.length >= 1);
  const settled = applied.length;
  writeFileSync(file, 'rules:\n  - { name: bad, metric: cpu, above: lots }\n');
  writeFileSync(join(dir, 'marker.txt'), 'x'); // unrelated files are ignored
  writeFileSync(file, 'rules:\n  - { name: ok, metric: cpu, above: 80 }\n');
  await waitFor('the last reload', () => applied.at(-1)?.[0] === 'ok');
  t.is(settled, 1, 'five saves, one reload');
  t.deepEqual(applied[0], ['r0', 'r1', 'r2', 'r3', 'r4'], 'with the final text');
  t.false(
    applied.some((names) => names.includes('bad')),
    'the invalid text was never applied',
  );
});

test('a rules file that is a symlink: an edit of its target reloads, and so does one of a target it was re-pointed to', async (t) => {
  const dir = await tempDir();
  const etc = await tempDir('telemetry-etc-');
  const file = join(dir, 'rules.yaml');
  const first = join(etc, 'first.yaml');
  const second = join(etc, 'other', 'second.yaml');
  mkdirSync(join(etc, 'other'));
  writeFileSync(first, 'rules: []\n');
  writeFileSync(second, 'rules: []\n');
  symlinkSync(first, file);
  const applied: string[][] = [];
  const stop = watchRules(
    file,
    (rules) => {
      applied.push(rules.map((r) => r.name));
      return { added: [], changed: rules.map((r) => r.name), removed: [] };
    },
    50,
  );
  t.teardown(stop);
  writeFileSync(first, 'rules:\n  - { name: edited_target, metric: cpu, above: 80 }\n');
  await waitFor('the target edit reloaded', () => applied.at(-1)?.[0] === 'edited_target');
  // re-pointed (as `ln -sfn` does: a new link renamed over the old one)
  symlinkSync(second, join(dir, 'rules.yaml.tmp'));
  renameSync(join(dir, 'rules.yaml.tmp'), file);
  await waitFor('the re-pointed link reloaded', () => applied.at(-1)?.length === 0);
  writeFileSync(second, 'rules:\n  - { name: edited_second, metric: cpu, above: 80 }\n');
  await waitFor('the new target edit reloaded', () => applied.at(-1)?.[0] === 'edited_second');
  t.deepEqual(applied.at(-1), ['edited_second']);
});

test.serial(
  'what a reload says: what changed, nothing when nothing did; an invalid file once until it changes',
  async (t) => {
    const dir = await tempDir();
    const file = join(dir, 'rules.yaml');
    writeFileSync(file, 'rules: []\n');
    const changes: RulesChange[] = [
      { added: ['a', 'b'], changed: [], removed: [] },
      { added: [], changed: [], removed: [] },
      { added: [], changed: ['a', 'c'], removed: ['b', 'd'] },
    ];
    let applied = 0;
    const { lines } = await logged(async (said) => {
      const stop = watchRules(file, () => changes[applied++]!, 20);
      try {
        const rule = (name: string) => `  - { name: ${name}, metric: cpu, above: 80 }`;
        const save = async (text: string, what: string, until: () => boolean): Promise<void> => {
          writeFileSync(file, text);
          await waitFor(what, until);
        };
        await save(`rules:\n${rule('a')}\n${rule('b')}\n`, 'the first reload', () => applied === 1);
        await save(`rules:\n${rule('a')}\n${rule('b')}\n`, 'the same again', () => applied === 2);
        const invalid = 'rules:\n  - { name: bad, metric: cpu, above: lots }\n';
        await save(invalid, 'the invalid save said', () => said.length === 2);
        await save(`rules:\n${rule('a')}\n`, 'the edit', () => applied === 3);
        await save(invalid, 'the invalid save said again', () => said.length === 4);
      } finally {
        stop();
      }
    });
    const invalid = `error rules file is invalid; keeping the running rules:\n${file}:2:38: rule "bad": above: must be number code=TELEMETRY_RULES_INVALID\n`;
    t.deepEqual(lines, [
      `info rules reloaded file=${file} rules=2 added=a,b\n`,
      invalid,
      `info rules reloaded file=${file} rules=1 changed=a,c removed=b,d\n`,
      invalid,
    ]);
  },
);

test.serial('a rules file deleted (said once) and written again (as some editors save) is reloaded', async (t) => {
  const dir = await tempDir();
  const file = join(dir, 'rules.yaml');
  writeFileSync(file, 'rules: []\n');
  const applied: string[][] = [];
  const { lines } = await logged(async (said) => {
    const stop = watchRules(
      file,
      (rules) => {
        applied.push(rules.map((r) => r.name));
        return { added: [], changed: [], removed: [] };
      },
      20,
    );
    try {
      rmSync(file);
      await waitFor('the file gone said', () => said.length === 1);
      writeFileSync(file, 'rules:\n  - { name: back, metric: cpu, above: 80 }\n');
      await waitFor('the new file reloaded', () => applied.at(-1)?.[0] === 'back');
    } finally {
      stop();
    }
  });
  t.regex(lines[0]!, /^error rules file is invalid; keeping the running rules:\n.*cannot read: .*ENOENT/);
});

/** The inotify watches this process holds (libuv's, one per directory watched). */
function watches(): number {
  let n = 0;
  const linkOf = (fd: string): string => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      return ''; // closed meanwhile
    }
  };
  for (const fd of readdirSync('/proc/self/fd')) {
    if (linkOf(fd) === 'anon_inode:inotify')
      n += readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('inotify wd:')).length;
  }
  return n;
}

test.serial('stop() lets go of every watch, the target of a link too', async (t) => {
  const dir = await tempDir();
  const etc = await tempDir('telemetry-etc-');
  writeFileSync(join(etc, 'target.yaml'), 'rules: []\n');
  symlinkSync(join(etc, 'target.yaml'), join(dir, 'rules.yaml'));
  const before = watches();
  const stop = watchRules(join(dir, 'rules.yaml'), () => ({ added: [], changed: [], removed: [] }), 20);
  t.is(watches(), before + 2, 'the directory of the link and that of its target');
  stop();
  await waitFor('the watches closed', () => watches() === before, 5000);
});
