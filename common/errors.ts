// One error catalogue: callers match on `code`, never on message text (listed in docs/operations.md).

/** A place in an input file, for messages of the form `file:line:col: message`. */
export interface Problem {
  file: string;
  line?: number;
  col?: number;
  message: string;
}

export function formatProblem(p: Problem): string {
  const where = p.line === undefined ? p.file : `${p.file}:${p.line}:${p.col ?? 1}`;
  return `${where}: ${p.message}`;
}

/**
 * Every code, with the exit status the command line gives it (2: the input or usage is wrong,
 * 1: it failed). A code missing here does not compile.
 */
export const EXIT_STATUS = {
  TELEMETRY_CONFIG_INVALID: 2,
  TELEMETRY_RULES_INVALID: 2,
  TELEMETRY_USAGE: 2,
  TELEMETRY_FILE_UNREADABLE: 2,
  TELEMETRY_DATA_DIR_UNUSABLE: 1,
  TELEMETRY_ENGINE_LOCKED: 1,
  TELEMETRY_ANALYTICS_LOCKED: 1,
  TELEMETRY_WORKER_FAILED: 1,
  TELEMETRY_EMAIL_CONFIG_INVALID: 1,
  TELEMETRY_EMAIL_SEND_FAILED: 1,
  TELEMETRY_ALERTMANAGER_CONFIG_INVALID: 1,
  TELEMETRY_ALERTMANAGER_SEND_FAILED: 1,
  TELEMETRY_BUILD_INCOMPLETE: 1,
} as const satisfies Record<string, 1 | 2>;

export type ErrorCode = keyof typeof EXIT_STATUS;

export class TelemetryError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** An input file with one or more located problems; the message lists them all. */
export class ProblemsError extends TelemetryError {
  readonly problems: Problem[];
  constructor(code: ErrorCode, problems: Problem[]) {
    super(code, problems.map(formatProblem).join('\n'));
    this.problems = problems;
  }
}

export class ConfigInvalidError extends ProblemsError {
  constructor(problems: Problem[]) {
    super('TELEMETRY_CONFIG_INVALID', problems);
  }
}

export class RulesInvalidError extends ProblemsError {
  constructor(problems: Problem[]) {
    super('TELEMETRY_RULES_INVALID', problems);
  }
}

export class UsageError extends TelemetryError {
  constructor(message: string) {
    super('TELEMETRY_USAGE', message);
  }
}

export class FileUnreadableError extends TelemetryError {
  constructor(file: string, cause: unknown) {
    super('TELEMETRY_FILE_UNREADABLE', `${file}: cannot read: ${describeCause(cause)}`, { cause });
  }
}

export class DataDirUnusableError extends TelemetryError {
  constructor(dir: string, cause: unknown) {
    super('TELEMETRY_DATA_DIR_UNUSABLE', `cannot use the data directory ${dir}: ${describeCause(cause)}`, { cause });
  }
}

export class EngineLockedError extends TelemetryError {
  constructor(dir: string, pid: number, lock: string) {
    super(
      'TELEMETRY_ENGINE_LOCKED',
      `another engine (pid ${pid}) is writing to ${dir}: one engine per data directory (lock ${lock}; stop that engine, or give this one its own data.dir)`,
    );
  }
}

export class BuildIncompleteError extends TelemetryError {
  constructor(file: string, cause: unknown) {
    super(
      'TELEMETRY_BUILD_INCOMPLETE',
      `${file} is missing: build with \`npm run build\` (tsc alone does not generate the schema validators)`,
      { cause },
    );
  }
}

export class AnalyticsLockedError extends TelemetryError {
  constructor(dir: string, pid: number, lock: string) {
    super(
      'TELEMETRY_ANALYTICS_LOCKED',
      `another analytics app (pid ${pid}) follows ${dir}: one analytics app per data directory, or every alert is sent twice (lock ${lock}; stop that app, or give this one its own data.dir)`,
    );
  }
}

export class WorkerFailedError extends TelemetryError {
  constructor(worker: string, message: string) {
    super('TELEMETRY_WORKER_FAILED', `${worker} worker failed: ${message}`);
  }
}

export class EmailConfigInvalidError extends TelemetryError {
  constructor(message: string) {
    super('TELEMETRY_EMAIL_CONFIG_INVALID', message);
  }
}

export class EmailSendError extends TelemetryError {
  /** dns | refused | tls | auth | timeout | rejected | other */
  readonly kind: string;
  constructor(kind: string, message: string, cause: unknown) {
    super('TELEMETRY_EMAIL_SEND_FAILED', message, { cause });
    this.kind = kind;
  }
}

/** One POST to Alertmanager failed; `kind` is dns, refused, timeout, rejected or other. */
export class AlertmanagerSendError extends TelemetryError {
  readonly kind: string;
  constructor(kind: string, message: string, cause?: unknown) {
    super('TELEMETRY_ALERTMANAGER_SEND_FAILED', message, { cause });
    this.kind = kind;
  }
}

export class AlertmanagerConfigInvalidError extends TelemetryError {
  constructor(message: string) {
    super('TELEMETRY_ALERTMANAGER_CONFIG_INVALID', message);
  }
}

export function describeCause(cause: unknown): string {
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return code && !cause.message.includes(code) ? `${code} ${cause.message}` : cause.message;
  }
  return String(cause);
}
