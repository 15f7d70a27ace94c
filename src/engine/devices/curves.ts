import type { EfficiencyCurve } from '../types.js';

/**
 * Efficiency at `x` on a curve of [x, efficiency] points (x ascending, > 0):
 * linear in log2(x) between points, clamped to the first / last value outside.
 * Log spacing because shapes and message sizes grow by powers of two and the
 * measured efficiencies move roughly evenly per doubling.
 *
 * Every curve prices work that grows with its x (bytes, rows, key length), so
 * the time, work / efficiency, must not fall as x grows. Within a segment the
 * efficiency is capped at e_lo x x / x_lo, which keeps the time at or above the
 * segment's left point; between points, profiles keep e_hi / e_lo <= x_hi / x_lo
 * (checked when a profile loads, kept by the calibration fit). A fitted
 * kernel floor (efficiency climbing as fast as x) then prices as a flat time.
 * Curves that rise gently are unchanged.
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
      return Math.min(lo[1] + t * (hi[1] - lo[1]), maxEfficiencyAt(lo[0], lo[1], x));
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

/**
 * The first pair of neighbouring points between which the time (x / efficiency)
 * falls, e_hi / e_lo > x_hi / x_lo, as indices; undefined when there is none.
 */
export function timeFallsAt(curve: EfficiencyCurve): number | undefined {
  for (let i = 1; i < curve.length; i++) {
    const [x0, e0] = curve[i - 1]!;
    const [x1, e1] = curve[i]!;
    // A relative slack of 1e-9 lets a point sit exactly on the bound after rounding.
    if (e1 > maxEfficiencyAt(x0, e0, x1) * (1 + 1e-9)) return i;
  }
  return undefined;
}

/**
 * The most efficiency x may have, given point (x0, e0) below it, for the time
 * (x / efficiency) not to fall: e0 x x / x0.
 */
export function maxEfficiencyAt(x0: number, e0: number, x: number): number {
  return (e0 * x) / x0;
}
