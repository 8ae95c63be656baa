#!/usr/bin/env node
// `telemetry` command line: analyze, validate, export-rules, test-email, test-alertmanager.
// Each command loads its own modules when it runs: `analyze` never pays for the mailer.
import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { loadConfig } from '../common/config.js';
import { EXIT_STATUS, RulesInvalidError, TelemetryError, UsageError } from '../common/errors.js';
import type { PrometheusVersion } from './export-rules.js';
import { inputFiles, timeOption } from './analyze-inputs.js';

/** `analyze` uses one thread per core up to this many by default (each costs ~13 MiB of memory). */
const DEFAULT_MAX_THREADS = 4;

const USAGE: Record<string, string> = {
  '': `Usage: telemetry <command> [options]

Commands:
  analyze FILE…|DIR [--rules PATH] [--json] [--threads N] [--from T] [--to T]
                                          one pass over CSV files: summary and alert transitions
  validate [PATH…]                        check rules files and configuration (default: the current ones)
  export-rules [RULES] [--prometheus-version 2|3]
                                          print the rules as a Prometheus rule file
  test-email                              send one test email with the current settings
  test-alertmanager                       send one test alert to Alertmanager with the current settings

Run 'telemetry <command> --help' for details.`,
  analyze: `Usage: telemetry analyze FILE…|DIR [--rules PATH] [--json] [--threads N] [--from T] [--to T]

Reads the CSV files in order, exactly as the live analytics app would (same parser, same
statistics; no state, no notifications) and prints a summary. With --rules, evaluates the rules
on every sample and lists every alert transition (a backtest). --json prints one JSON object.
Without --rules a large file (32 MiB and more) is read by N threads at once (default: one per
CPU core, at most 4) with the same result as one thread. A directory stands for its rotated chain,
oldest first (telemetry.csv.N … .1, telemetry.csv). --from and --to keep the samples stamped
within them: an ISO time (2026-12-04T10:00:00Z) or a duration back from now (2h, 30m).
Exit: 0 ok, 2 bad usage, unreadable file or invalid rules.`,
  validate: `Usage: telemetry validate [PATH…]

Checks rules files (a top-level 'rules:' key) and configuration files. Without PATH, checks the
configuration in effect and the rules file it names. Prints every error as file:line:col: message.
Exit: 0 valid, 1 invalid.`,
  'test-email': `Usage: telemetry test-email

Sends one test message with the current settings (config file and TELEMETRY_SMTP_URL,
TELEMETRY_EMAIL_FROM, TELEMETRY_EMAIL_TO) and says exactly what failed: DNS, refused, TLS, auth,
timeout. Exit: 0 sent, 1 failed.`,
  'test-alertmanager': `Usage: telemetry test-alertmanager

Sends one test alert (alertname=telemetry_test, ends by itself after 5 minutes) to the
Alertmanager of the current settings (alertmanager.url, TELEMETRY_ALERTMANAGER_URL) and says
exactly what failed: dns, refused, timeout, rejected. Exit: 0 sent, 1 failed.`,
  'export-rules': `Usage: telemetry export-rules [RULES] [--prometheus-version 2|3]

Prints RULES (default: the rules file of the current configuration) as a Prometheus rule file:
one group with interval 1s, one alert per rule, mapped so that on samples 1 s apart Prometheus
fires the same alerts at the same ticks as this app. --prometheus-version 2 writes ranges as
[D - 1ms], since Prometheus 2.x ranges include their left end (default: 3).
Exit: 0 printed, 1 invalid rules (file:line:col messages as validate), 2 bad usage.`,
};

/** The options each command takes (node:util parseArgs: `--rules=PATH`, `--rules PATH` and `--` work). */
const OPTIONS: Record<string, ParseArgsConfig['options']> = {
  analyze: {
    rules: { type: 'string' },
    json: { type: 'boolean' },
    threads: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
  },
  validate: {},
  'test-email': {},
  'test-alertmanager': {},
  'export-rules': { 'prometheus-version': { type: 'string' } },
};

function parse(
  command: string,
  args: string[],
): { positional: string[]; values: Record<string, string | boolean | undefined> } {
  try {
    const { positionals, values } = parseArgs({
      args,
      options: OPTIONS[command],
      allowPositionals: true,
      strict: true,
    });
    return { positional: positionals, values: values };
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${USAGE[command]}`);
  }
}

async function main(argv: string[]): Promise<number> {
  const [command = '', ...rest] = argv;
  if (command === '--help' || command === '-h' || command === 'help' || command === '') {
    process.stdout.write(USAGE['']! + '\n');
    return command === '' ? 2 : 0;
  }
  if (!(command in USAGE)) throw new UsageError(`unknown command '${command}'\n\n${USAGE['']}`);
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(USAGE[command]! + '\n');
    return 0;
  }
  const { positional, values } = parse(command, rest);
  switch (command) {
    case 'analyze': {
      if (positional.length === 0) throw new UsageError(`analyze needs at least one FILE\n\n${USAGE.analyze}`);
      const threads =
        values.threads === undefined ? Math.min(availableParallelism(), DEFAULT_MAX_THREADS) : Number(values.threads);
      if (!Number.isInteger(threads) || threads < 1)
        throw new UsageError(
          `--threads must be a whole number >= 1, not ${String(values.threads)}\n\n${USAGE.analyze}`,
        );
      const [{ config }, { analyze }] = await Promise.all([loadConfig(), import('./analyze.js')]);
      const now = Date.now();
      await analyze({
        files: inputFiles(positional),
        since: timeOption('from', values.from as string | undefined, now),
        until: timeOption('to', values.to as string | undefined, now),
        rules: values.rules as string | undefined,
        json: values.json === true,
        maxLineBytes: config.analytics.maxLineBytes,
        threads,
      });
      return 0;
    }
    case 'validate': {
      const { validate } = await import('./validate.js');
      const { ok, output } = await validate(positional);
      (ok ? process.stdout : process.stderr).write(output + '\n');
      return ok ? 0 : 1;
    }
    case 'export-rules': {
      if (positional.length > 1) throw new UsageError(`export-rules takes one RULES file\n\n${USAGE['export-rules']}`);
      const version = values['prometheus-version'] ?? '3';
      if (version !== '2' && version !== '3')
        throw new UsageError(`--prometheus-version must be 2 or 3, not ${String(version)}`);
      const file = positional[0] ?? (await loadConfig()).config.analytics.rules;
      const [{ loadRules }, { exportRulesText }] = await Promise.all([
        import('../apps/analytics/rules/load-rules.js'),
        import('./export-rules.js'),
      ]);
      let rules;
      try {
        rules = loadRules(file);
      } catch (err) {
        if (!(err instanceof RulesInvalidError)) throw err;
        process.stderr.write(err.message + '\n');
        return 1;
      }
      process.stdout.write(exportRulesText(rules, Number(version) as PrometheusVersion, basename(file)));
      return 0;
    }
    case 'test-alertmanager':
      if (positional.length > 0) throw new UsageError(USAGE['test-alertmanager']!);
      return (await import('./test-alertmanager.js')).testAlertmanager();
    default:
      if (positional.length > 0) throw new UsageError(USAGE['test-email']!);
      return (await import('./test-email.js')).testEmail();
  }
}

// `telemetry analyze … | head` closes the pipe early: that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => process.exit(err.code === 'EPIPE' ? 0 : 1));

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    if ((err as NodeJS.ErrnoException).code === 'EPIPE') return;
    if (err instanceof TelemetryError) {
      process.stderr.write(`telemetry: ${err.message}\n`);
      process.exitCode = EXIT_STATUS[err.code];
    } else {
      process.stderr.write(`telemetry: unexpected error: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
