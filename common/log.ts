// Log lines are sentences with fields: `2026-11-28T00:00:00.000Z info rows written rows=10 depth=0`.

export type Fields = Record<string, string | number | boolean | null | undefined>;

function formatFields(fields: Fields): string {
  let out = '';
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    const text = String(value);
    out += ` ${key}=${/[\s"=]/.test(text) || text === '' ? JSON.stringify(text) : text}`;
  }
  return out;
}

function formatLine(level: string, message: string, fields: Fields = {}): string {
  return `${new Date().toISOString()} ${level} ${message}${formatFields(fields)}`;
}

export const log = {
  info(message: string, fields?: Fields): void {
    process.stdout.write(formatLine('info', message, fields) + '\n');
  },
  warn(message: string, fields?: Fields): void {
    process.stderr.write(formatLine('warn', message, fields) + '\n');
  },
  error(message: string, fields?: Fields): void {
    process.stderr.write(formatLine('error', message, fields) + '\n');
  },
};
