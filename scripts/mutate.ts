// Mutation testing (npm run mutate; not in CI): StrykerJS over the decision modules, one run per
// module with only the ava files that guard it (StrykerJS has no ava runner, so its command runner
// runs them once per mutant after one build of the mutated sources). Prints each module's score.
//   npm run mutate                                       every module (about an hour on 2 cores)
//   npm run mutate -- apps/analytics/notify/outbox.ts    the modules named
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';

const SIM = 'dist/test/sim/sim.test.js';
const RULES_TESTS = [
  'dist/test/analytics/rules/*.test.js',
  'dist/test/analytics/notify/announce.test.js',
  'dist/test/analytics/notify/notifier.test.js',
];

/** Each decision module and the tests that guard it. */
const MODULES: Record<string, string[]> = {
  'apps/analytics/rules/alerting.ts': [...RULES_TESTS, 'dist/test/analytics/app.test.js', SIM],
  'apps/analytics/rules/describe-rule.ts': [...RULES_TESTS, 'dist/test/analytics/notify/email.test.js'],
  'apps/analytics/rules/duration.ts': RULES_TESTS,
  'apps/analytics/rules/evaluate.ts': RULES_TESTS,
  'apps/analytics/rules/load-rules.ts': RULES_TESTS,
  'apps/analytics/rules/rule.ts': RULES_TESTS,
  'apps/analytics/rules/watch-rules.ts': RULES_TESTS,
  'apps/analytics/rules/window-aggregate.ts': RULES_TESTS,
  'apps/analytics/notify/announce.ts': [...RULES_TESTS, 'dist/test/analytics/app.test.js', SIM],
  'apps/analytics/notify/outbox.ts': [
    'dist/test/analytics/notify/outbox.test.js',
    'dist/test/analytics/notify/email.test.js',
    'dist/test/analytics/saved-files.test.js',
  ],
  'apps/analytics/notify/queued-channel.ts': [
    'dist/test/analytics/notify/queued-channel.test.js',
    'dist/test/analytics/notify/email.test.js',
    SIM,
  ],
  'apps/analytics/source/tail-file.ts': ['dist/test/analytics/source/tail-file.test.js'],
  'common/http-server.ts': ['dist/test/common/http-server.test.js'],
  'apps/analytics/app.ts': ['dist/test/analytics/app.test.js', SIM],
};

interface Report {
  files: Record<string, { mutants: { status: string }[] }>;
}

const named = process.argv.slice(2);
const unknown = named.filter((m) => !(m in MODULES));
if (unknown.length > 0) {
  console.error(`mutate: not a decision module: ${unknown.join(', ')} (known: ${Object.keys(MODULES).join(', ')})`);
  process.exit(2);
}
mkdirSync('reports/mutation', { recursive: true });
const rows: string[] = [];
for (const module of named.length > 0 ? named : Object.keys(MODULES)) {
  const name = module.replace(/^.*\//, '').replace(/\.ts$/, '');
  const report = `reports/mutation/${name}.json`;
  const config = `reports/mutation/${name}.config.json`;
  writeFileSync(
    config,
    JSON.stringify({
      testRunner: 'command',
      buildCommand: 'npm run build',
      commandRunner: { command: `npx ava --fail-fast --timeout=60s ${MODULES[module]!.join(' ')}` },
      mutate: [module],
      coverageAnalysis: 'off',
      concurrency: 2,
      timeoutMS: 10_000,
      reporters: ['clear-text', 'progress', 'json'],
      jsonReporter: { fileName: report },
      tempDirName: '.stryker-tmp',
      ignorePatterns: ['dist', 'reports', '.stryker-tmp', 'data', 'logs'],
    }),
  );
  const run = spawnSync('npx', ['stryker', 'run', config], { stdio: 'inherit' });
  if (run.status !== 0) {
    console.error(`mutate: StrykerJS failed on ${module} (exit ${String(run.status)})`);
    process.exit(1);
  }
  const statuses = (JSON.parse(readFileSync(report, 'utf8')) as Report).files[module]!.mutants.map((m) => m.status);
  const count = (s: string): number => statuses.filter((x) => x === s).length;
  const killed = count('Killed') + count('Timeout');
  const survived = count('Survived') + count('NoCoverage');
  rows.push(
    `| \`${module}\` | ${((100 * killed) / (killed + survived)).toFixed(1)} % (${String(killed)} killed, ${String(survived)} survived) |`,
  );
}
console.log(['', '| module | mutation score |', '| --- | --- |', ...rows].join('\n'));
