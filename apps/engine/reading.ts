// One sample's values as every source produces them.

/** One sample's values, percent with two decimals. */
export interface Reading {
  cpu: number;
  ram: number;
}

/** Percent clamped to [0, 100] and rounded to the two decimals the file carries. */
export function roundPercent(value: number): number {
  return Math.round(Math.min(100, Math.max(0, value)) * 100) / 100;
}
