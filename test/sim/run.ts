// `npm run sim`: the seeded simulation outside the suite, for long runs and replays.
//   npm run sim -- --scenarios 100000     scenarios from a fresh run seed (printed)
//   SIM_SEED=123456 npm run sim           replays that one scenario exactly, shortened to the
//                                         fewest steps that still fail, with the app's log
import { parseArgs } from 'node:util';
import { runScenario, seeded, type Outcome } from './sim-world.js';

const { values } = parseArgs({
  options: { scenarios: { type: 'string', default: '1000' }, steps: { type: 'string', default: '60' } },
});
const steps = Number(values.steps);

/** The shortest prefix of the scenario that still fails. */
async function shorten(failed: Outcome): Promise<Outcome> {
  let lo = 1;
  let hi = failed.steps;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((await runScenario(failed.seed, mid)).error) hi = mid;
    else lo = mid + 1;
  }
  return runScenario(failed.seed, lo);
}

function report(o: Outcome): void {
  console.log(`FAILED: SIM_SEED=${o.seed} npm run sim -- --steps ${o.steps}\n${o.error?.message ?? ''}`);
  console.log(`events:\n  ${o.events.map((e) => e.replaceAll('\n', ' | ')).join('\n  ')}`);
  console.log(`the app's log:\n  ${o.log.join('\n  ')}`);
}

if (process.env.SIM_SEED) {
  const outcome = await runScenario(Number(process.env.SIM_SEED), steps);
  if (outcome.error) report(await shorten(outcome));
  console.log(outcome.error ? '0 passed, 1 failed' : '1 passed, 0 failed');
  process.exitCode = outcome.error ? 1 : 0;
} else {
  const runSeed = Date.now() % 2 ** 31;
  const next = seeded(runSeed);
  const total = Number(values.scenarios);
  console.log(`run seed ${runSeed}: ${total} scenarios of ${steps} events`);
  let passed = 0;
  for (let i = 0; i < total; i++) {
    const outcome = await runScenario(Math.floor(next() * 2 ** 31), steps);
    if (outcome.error) {
      report(await shorten(outcome));
      break;
    }
    passed++;
    if (passed % 10_000 === 0) console.log(`${passed} scenarios without a failure`);
  }
  console.log(`${passed} passed, ${passed === total ? 0 : 1} failed`);
  process.exitCode = passed === total ? 0 : 1;
}
