/** Error statistics: absolute percentage error, median and percentiles. */

/** APE = |predicted - measured| / measured x 100. */
export function apePct(predicted: number, measured: number): number {
  return (Math.abs(predicted - measured) / measured) * 100;
}

/**
 * The q-quantile (0..1) with linear interpolation between order statistics
 * (position q x (n - 1), numpy's default); NaN for an empty list.
 */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const pos = q * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (pos - lo) * (s[hi]! - s[lo]!);
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** NaN -> null (JSON has no NaN); numbers rounded to 0.01 for stable output. */
export function jsonNumber(v: number): number | null {
  return Number.isFinite(v) ? Math.round(v * 100) / 100 : null;
}
