const UNIT_MS: Record<string, bigint> = { ms: 1n, s: 1000n, m: 60_000n, h: 3_600_000n };

/** The longest duration Prometheus holds (an int64 of nanoseconds, ~292 years), in whole milliseconds. */
const MAX_DURATION_MS = 9_223_372_036_854;

/**
 * `<number><ms|s|m|h>` as an exact whole number of milliseconds; null when it is no duration at
 * all (the schema says so); else what is wrong: not a whole number of milliseconds (`0.5ms`), or
 * longer than Prometheus can hold.
 */
export function checkDuration(text: string): number | string | null {
  const m = /^(\d+)(?:\.(\d+))?(ms|s|m|h)$/.exec(text);
  if (!m) return null;
  const fraction = m[2] ?? '';
  const scaled = BigInt(m[1]! + fraction) * UNIT_MS[m[3]!]!;
  const scale = 10n ** BigInt(fraction.length);
  if (scaled % scale !== 0n) return `"${text}" is not a whole number of milliseconds`;
  const ms = scaled / scale;
  if (ms > BigInt(MAX_DURATION_MS))
    return `"${text}" is longer than Prometheus can hold (${MAX_DURATION_MS}ms, ~292 years)`;
  return Number(ms);
}

/** `<number><ms|s|m|h>` in milliseconds, or null when it is no valid duration (see checkDuration). */
export function parseDuration(text: string): number | null {
  const ms = checkDuration(text);
  return typeof ms === 'number' ? ms : null;
}

/** 95000 → "1m35s": for log lines. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  let s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  s %= 60;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s || (!h && !m) ? `${s}s` : ''}`;
}
