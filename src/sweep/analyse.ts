/**
 * MFU/MBU of measured latencies, with the engine's prediction for the same
 * point beside each, so a real run of seed 004's benchmark can be read with
 * the same model FLOP/byte counts as `optix sweep`.
 */
import type { ByteCount, FlopCount } from './model-cost.js';
import type { MeasuredRow } from './measured.js';
import { predictStep, utilisation, type Phase, type PreparedSweep } from './runner.js';

export interface MeasuredPoint {
  line: number;
  phase: Phase;
  batchSize: number;
  seqLen: number;
  measuredMs: number;
  tokensPerS: number;
  mfu: number;
  mbu: number;
  modelFlops: FlopCount;
  modelBytes: ByteCount;
  predictedMs: number;
  predictedMfu: number;
  predictedMbu: number;
  /** (predicted - measured) / measured, as a fraction. */
  error: number;
}

export function analyseMeasured(p: PreparedSweep, rows: MeasuredRow[]): MeasuredPoint[] {
  return rows.map((r) => {
    const measured = utilisation(p, r.phase, r.batchSize, r.seqLen, r.latencyMs / 1000);
    const predictedS = predictStep(p, r.phase, r.batchSize, r.seqLen).timeS;
    const predicted = utilisation(p, r.phase, r.batchSize, r.seqLen, predictedS);
    return {
      line: r.line,
      phase: r.phase,
      batchSize: r.batchSize,
      seqLen: r.seqLen,
      measuredMs: r.latencyMs,
      tokensPerS: measured.tokensPerS,
      mfu: measured.mfu,
      mbu: measured.mbu,
      modelFlops: measured.modelFlops,
      modelBytes: measured.modelBytes,
      predictedMs: predictedS * 1000,
      predictedMfu: predicted.mfu,
      predictedMbu: predicted.mbu,
      error: (predictedS * 1000 - r.latencyMs) / r.latencyMs,
    };
  });
}

/** Mean absolute relative error of the predictions (0 for no rows). */
export function meanAbsError(points: MeasuredPoint[]): number {
  if (points.length === 0) return 0;
  return points.reduce((s, x) => s + Math.abs(x.error), 0) / points.length;
}
