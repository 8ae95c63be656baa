import test from 'ava';
import { EngineRun } from '../../apps/engine/engine-run.js';

test('a signal drains first; the run exits once both threads are done', (t) => {
  const run = new EngineRun(0);
  run.onStarted('writer');
  run.onStarted('producer');
  t.is(run.onSignal(), 'drain');
  t.true(run.stopping);
  t.is(run.onFinished('producer'), 'wait');
  t.is(run.onFinished('writer'), 'exit');
  // a second signal after the final line exits at once
  t.is(run.onSignal(), 'exit');
});

test('engine.limit: both threads done without a signal asks PM2 to stop it', (t) => {
  const run = new EngineRun(0);
  run.onStarted('writer');
  run.onStarted('producer');
  t.false(run.stopping);
  t.is(run.onFinished('writer'), 'wait');
  t.is(run.onFinished('producer'), 'stop-self');
  t.is(run.onSignal(), 'exit');
});

test('a signal during start-up: only the writer ran, and its finish ends the run', (t) => {
  const run = new EngineRun(0);
  run.onStarted('writer');
  t.is(run.onSignal(), 'drain');
  t.true(run.stopping);
  t.is(run.onFinished('writer'), 'exit');
});

test('an exit is unexpected unless the thread said it was done', (t) => {
  const run = new EngineRun(0);
  run.onStarted('writer');
  t.true(run.exitedUnexpectedly('writer'));
  run.onFinished('writer');
  t.false(run.exitedUnexpectedly('writer'));
});

test('rows per second over each stats period', (t) => {
  const run = new EngineRun(1000);
  t.is(run.onStats(11_000, 100), 10);
  t.is(run.rate, 10);
  t.is(run.onStats(13_000, 105), 3); // 5 rows in 2 s, rounded
  t.is(run.onStats(13_000, 105), 0); // no time passed: no division by zero
});
