import type { EfficiencyCurve } from '../types.js';

/**
 * Efficiency at `x` on a curve of [x, efficiency] points (x ascending, > 0):
 * linear in log2(x) between points, clamped to the first / last value outside.
 * Log spacing because shapes and message sizes grow by powers of two and the
 * measured efficiencies move roughly evenly per doubling.
 */
export function interpolateCurve(curve: EfficiencyCurve, x: number): number {
  const first = curve[0];
  if (first === undefined) throw new RangeError('interpolateCurve: empty efficiency curve');
  if (!(x > first[0])) return first[1]; // also catches NaN and x <= 0
  for (let i = 1; i < curve.length; i++) {
    const hi = curve[i]!;
    if (x <= hi[0]) {
      const lo = curve[i - 1]!;
      const t = (Math.log2(x) - Math.log2(lo[0])) / (Math.log2(hi[0]) - Math.log2(lo[0]));
      return lo[1] + t * (hi[1] - lo[1]);
    }
  }
  return curve[curve.length - 1]![1];
}

/** The curve's value at its largest x: the plateau reached by big shapes / messages. */
export function curvePlateau(curve: EfficiencyCurve): number {
  const last = curve[curve.length - 1];
  if (last === undefined) throw new RangeError('curvePlateau: empty efficiency curve');
  return last[1];
}
