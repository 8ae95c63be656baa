#!/usr/bin/env node
// `telemetry` command line: analyze, validate, test-email.
import { loadConfig } from '../common/config.js';
import { TelemetryError, UsageError } from '../common/errors.js';
import { analyze } from './analyze.js';
import { validate } from './validate.js';
import { testEmail } from './test-email.js';

const USAGE: Record<string, string> = {
  '': `Usage: telemetry <command> [options]

Commands:
  analyze FILE… [--rules PATH] [--json]   one pass over CSV files: summary and alert transitions
  validate [PATH…]                        check rules files and configuration (default: the current ones)
  test-email                              send one test email with the current settings

Run 'telemetry <command> --help' for details.`,
  analyze: `Usage: telemetry analyze FILE… [--rules PATH] [--json]

Reads the CSV files in order, exactly as the live analytics app would (same parser, same
statistics; no state, no notifications) and prints a summary. With --rules, evaluates the rules
on every sample and lists every alert transition (a backtest). --json prints one JSON object.
Exit: 0 ok, 2 bad usage, unreadable file or invalid rules.`,
  validate: `Usage: telemetry validate [PATH…]

Checks rules files (a top-level 'rules:' key) and configuration files. Without PATH, checks the
configuration in effect and the rules file it names. Prints every error as file:line:col: message.
Exit: 0 valid, 1 invalid.`,
  'test-email': `Usage: telemetry test-email

Sends one test message with the current settings (config file and TELEMETRY_SMTP_URL,
TELEMETRY_EMAIL_FROM, TELEMETRY_EMAIL_TO) and says exactly what failed: DNS, refused, TLS, auth,
timeout. Exit: 0 sent, 1 failed.`,
};

function parseArgs(args: string[], flags: string[], valued: string[]): { positional: string[]; options: Record<string, string | true> } {
  const positional: string[] = [];
  const options: Record<string, string | true> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--')) positional.push(a);
    else if (flags.includes(a)) options[a] = true;
    else if (valued.includes(a)) {
      const v = args[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      options[a] = v;
    } else throw new UsageError(`unknown option ${a}`);
  }
  return { positional, options };
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
  if (command === 'analyze') {
    const { positional, options } = parseArgs(rest, ['--json'], ['--rules']);
    if (positional.length === 0) throw new UsageError(`analyze needs at least one FILE\n\n${USAGE.analyze}`);
    const { config } = await loadConfig();
    const rules = options['--rules'];
    analyze({ files: positional, rules: typeof rules === 'string' ? rules : undefined, json: options['--json'] === true, maxLineBytes: config.analytics.maxLineBytes });
    return 0;
  }
  if (command === 'validate') {
    const { positional } = parseArgs(rest, [], []);
    const { ok, output } = await validate(positional);
    (ok ? process.stdout : process.stderr).write(output + '\n');
    return ok ? 0 : 1;
  }
  parseArgs(rest, [], []);
  return testEmail();
}

// `telemetry analyze … | head` closes the pipe early: that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => process.exit(err.code === 'EPIPE' ? 0 : 1));

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    if ((err as NodeJS.ErrnoException).code === 'EPIPE') return;
    if (err instanceof TelemetryError) {
      process.stderr.write(`telemetry: ${err.message}\n`);
      process.exitCode = err.code === 'TELEMETRY_USAGE' || err.code === 'TELEMETRY_FILE_UNREADABLE' || err.code === 'TELEMETRY_RULES_INVALID' || err.code === 'TELEMETRY_CONFIG_INVALID' ? 2 : 1;
    } else {
      process.stderr.write(`telemetry: unexpected error: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
