import test from 'ava';
import { checkDuration, formatDuration, parseDuration } from '../../../apps/analytics/rules/duration.js';

test('durations parse as <number><ms|s|m|h>, fractions included; anything else is null', (t) => {
  const table: [string, number | null][] = [
    ['500ms', 500],
    ['10s', 10_000],
    ['1.5s', 1500],
    ['1.25s', 1250],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['0s', 0],
    ['0.0005s', null], // not a whole number of milliseconds
    ['0.5ms', null],
    ['1.0005s', null],
    ['9223372036854ms', 9223372036854], // the most Prometheus holds
    ['9223372036855ms', null],
    ['9007199254740993ms', null],
    ['2562047h', 9223369200000],
    ['2562048h', null],
    ['10', null],
    ['s', null],
    ['-1s', null],
    ['1d', null],
    ['1 s', null],
    ['', null],
    ['1.s', null],
    ['10sx', null],
  ];
  for (const [text, ms] of table) t.is(parseDuration(text), ms, text);
});

test('durations print compactly for log lines', (t) => {
  const table: [number, string][] = [
    [0, '0ms'],
    [999, '999ms'],
    [1000, '1s'],
    [95_000, '1m35s'],
    [3_600_000, '1h'],
    [3_661_000, '1h1m1s'],
    [600_000, '10m'],
    [7_200_500, '2h1s'],
  ];
  for (const [ms, text] of table) t.is(formatDuration(ms), text, String(ms));
});

test('what is wrong with a duration, said as validate says it', (t) => {
  t.is(checkDuration('0.5ms'), '"0.5ms" is not a whole number of milliseconds');
  t.is(
    checkDuration('9223372036855ms'),
    '"9223372036855ms" is longer than Prometheus can hold (9223372036854ms, ~292 years)',
  );
  t.is(checkDuration('5x'), null, 'no duration at all: the schema says so');
});
