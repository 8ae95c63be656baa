// The seeded whole-app simulation in the suite: at least 300 scenarios of 60 events each, seeds
// drawn from the run's seed (SIM_SEED pins it), every invariant after every step.
import test from 'ava';
import { runScenario, seeded } from './sim-world.js';

const SCENARIOS = 300;

test(`${SCENARIOS} seeded scenarios of the whole analytics app: every invariant holds after every step`, async (t) => {
  t.timeout(120_000);
  const runSeed = Number(process.env.SIM_SEED ?? Date.now() % 2 ** 31);
  const next = seeded(runSeed);
  for (let i = 0; i < SCENARIOS; i++) {
    const seed = Math.floor(next() * 2 ** 31);
    const outcome = await runScenario(seed);
    if (outcome.error) {
      t.fail(
        `scenario ${i} failed: replay (shortened, with the app's log) with SIM_SEED=${seed} npm run sim\n${outcome.error.message}\nevents:\n  ${outcome.events.join('\n  ')}`,
      );
      return;
    }
  }
  t.pass();
});
