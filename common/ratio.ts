// Percent → ratio by moving the decimal point, never by dividing in floating point: 80.3 / 100 is
// 0.8029999999999999, which flips comparisons with a threshold of exactly 0.803. Number("80.30e-2")
// is the double nearest to 0.803, the same one Prometheus parses from the literal `80.3e-2`.

/** A two-decimal percent (as the CSV holds it) as a ratio. */
export function percentToRatio(percent: number): number {
  return Number(`${percent.toFixed(2)}e-2`);
}

/** A number as a PromQL literal with the decimal point moved two places left: 80.3 → `80.3e-2`. */
export function ratioLiteral(percent: number): string {
  const [mantissa, exponent] = String(percent).split('e');
  return `${mantissa}e${Number(exponent ?? 0) - 2}`;
}
