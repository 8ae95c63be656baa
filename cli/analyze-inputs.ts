// What `telemetry analyze` reads: files as named, a directory as its rotated chain oldest first
// (telemetry.csv.N … .1, telemetry.csv), and --from/--to as an ISO time or a duration back from now.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseDuration } from '../apps/analytics/rules/duration.js';
import { UsageError } from '../common/errors.js';

const CHAIN = /^telemetry\.csv(?:\.(\d+))?$/;

/** The files to read, in order: a directory stands for its rotated chain, oldest first. */
export function inputFiles(paths: string[]): string[] {
  return paths.flatMap((path) => {
    let dir: boolean;
    try {
      dir = statSync(path).isDirectory();
    } catch {
      return [path]; // analyze says it cannot read it
    }
    if (!dir) return [path];
    const chain = readdirSync(path)
      .map((name) => ({ name, m: CHAIN.exec(name) }))
      .filter((f) => f.m !== null)
      .sort((a, b) => Number(b.m![1] ?? 0) - Number(a.m![1] ?? 0));
    if (chain.length === 0) throw new UsageError(`${path} holds no telemetry.csv files`);
    return chain.map((f) => join(path, f.name));
  });
}

/** `--from`/`--to`: an ISO time (2026-12-04T10:00:00Z), or a duration back from `now` (2h, 30m). */
export function timeOption(name: string, text: string | undefined, now: number): number | undefined {
  if (text === undefined) return undefined;
  const back = parseDuration(text);
  if (back !== null) return now - back;
  const at = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(at))
    throw new UsageError(
      `--${name} must be an ISO time (2026-12-04T10:00:00Z) or a duration back from now (2h), not ${JSON.stringify(text)}`,
    );
  return at;
}
