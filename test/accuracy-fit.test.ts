/** Calibration fit on synthetic kernels: known efficiencies in, the same latencies out. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { loadDevice } from '../src/catalog/devices.js';
import { interpolateCurve, timeFallsAt } from '../src/engine/devices/curves.js';
import { fitProfile, gpuCalibrationTargets, gridFor, keepTimeMonotone } from '../src/accuracy/fit.js';
import { KERNEL_PRICING, kernelAccuracy, predictS, type KernelSample } from '../src/accuracy/kernels.js';
import { collective, linear } from '../src/engine/ops/linear.js';
import { planQuant } from '../src/engine/quant.js';
import { defaultQuantOptions } from '../src/engine/defaults.js';
import { priceOp } from '../src/engine/perf.js';
import type { DeviceProfile } from '../src/engine/types.js';

describe('gridFor', () => {
  it('covers the data range with powers of the factor', () => {
    // 3 .. 100 by 4: 4^0 = 1 <= 3, 4^4 = 256 >= 100 -> 1, 4, 16, 64, 256
    expect(gridFor([3, 50, 100], 4)).toEqual([1, 4, 16, 64, 256]);
    expect(gridFor([8], 2)).toEqual([8, 16]);
  });
});

describe('fitProfile on synthetic kernel samples', () => {
  // Ground truth: a profile whose bf16 GEMM and collective curves we set by hand.
  const truth: DeviceProfile = structuredClone(loadDevice('TEST_DEVICE'));
  truth.efficiency.gemmByM = { default: [[64, 0.3], [256, 0.5], [1024, 0.7], [4096, 0.8]] };
  truth.efficiency.gemmByNK = [[1024, 0.7], [2048, 0.85], [4096, 1], [8192, 1]];
  truth.efficiency.commByBytes = [[4096, 0.1], [65536, 0.3], [1048576, 0.6], [16777216, 0.9]];
  truth.efficiency.gemmByM.bf16 = truth.efficiency.gemmByM.default!;
  const plan = planQuant(defaultQuantOptions({ linear: 'DISABLED' }), truth);
  const samples: KernelSample[] = [];
  for (const m of [64, 128, 256, 512, 1024, 2048, 4096]) {
    for (const nk of [1024, 2048, 4096, 8192]) {
      const op = linear('gemm', 1, m, nk, nk, plan);
      samples.push({ family: 'gemm', group: 'bf16', op, measuredS: priceOp(op, truth, KERNEL_PRICING).timeS });
    }
  }
  for (const bytes of [4096, 16384, 65536, 262144, 1048576, 4194304, 16777216]) {
    for (const n of [2, 4, 8]) {
      const op = collective('all_reduce', 1, 'all_reduce', n, bytes)!;
      samples.push({ family: 'all_reduce', group: `${n} GPUs`, op, measuredS: priceOp(op, truth, KERNEL_PRICING).timeS });
    }
  }

  it('recovers the latencies from a flat start', () => {
    const start: DeviceProfile = structuredClone(truth);
    start.efficiency.gemmByM = { default: [[1, 0.5]], bf16: [[1, 0.5]] };
    start.efficiency.gemmByNK = [[1, 0.5]];
    start.efficiency.commByBytes = [[1, 0.5]];
    expect(kernelAccuracy(samples, start).families.every((f) => (f.medianApePct ?? 0) > 5)).toBe(true);
    const { curves, scalars } = gpuCalibrationTargets(samples, start);
    // Static costs are the truth's already; fit curves only.
    const fit = fitProfile(start, samples, curves, scalars.filter(() => false), interpolateCurve, { passes: 6 });
    const after = kernelAccuracy(samples, fit.profile);
    for (const f of after.families) expect(f.medianApePct, f.family).toBeLessThan(2);
    // A compute-bound shape pins the product gemmByM(1024) x gemmByNK(4096) = 0.7 x 1 = 0.7;
    // gemmByNK is fitted per dtype (the bf16 samples set gemmByNKByDtype.bf16).
    const e = fit.profile.efficiency;
    const byNK = e.gemmByNKByDtype?.bf16;
    expect(byNK).toBeDefined();
    expect(interpolateCurve(e.gemmByM.bf16!, 1024) * interpolateCurve(byNK!, 4096)).toBeCloseTo(0.7, 1);
    // Every fitted value stays in (0, 1].
    for (const c of [e.gemmByM.bf16!, byNK!, e.commByBytes]) for (const [, v] of c) expect(v > 0 && v <= 1).toBe(true);
    expect(predictS(samples[0]!, fit.profile)).toBeGreaterThan(0);
  });
});

describe('optional per-dtype and work-axis curves in priceOp', () => {
  const base: DeviceProfile = structuredClone(loadDevice('TEST_DEVICE'));
  base.efficiency.gemmByM = { default: [[1, 1]] };
  base.efficiency.gemmByNK = [[1, 1]];
  base.efficiency.attentionPrefillBySeq = [[1, 0.8]];
  const flops = 1e12;
  const gemm = (dtype: 'bf16' | 'fp8') => ({ name: 'g', kind: 'gemm' as const, count: 1, flops, bytes: 0, dtype, m: 4096, n: 4096, k: 4096 });
  const attn = (dtype: 'bf16' | 'fp8', queryRows?: number) => ({ name: 'a', kind: 'attention_prefill' as const, count: 1, flops, bytes: 0, dtype, seqLen: 4096, ...(queryRows === undefined ? {} : { queryRows }) });
  const eff = (p: DeviceProfile, op: Parameters<typeof priceOp>[0]) => op.flops / (priceOp(op, p, KERNEL_PRICING).computeS * p.matrixPeakFlopsPerS[op.dtype]!);

  it('without the optional keys, every dtype uses the single curves (other profiles unchanged)', () => {
    expect(eff(base, gemm('fp8'))).toBeCloseTo(1, 6);
    expect(eff(base, attn('fp8', 2048))).toBeCloseTo(0.8, 6);
  });
  it('a dtype key overrides the single curve for that dtype only; the work multiplier applies where the op says its rows', () => {
    const p = structuredClone(base);
    p.efficiency.gemmByNKByDtype = { fp8: [[1, 0.5]] };
    p.efficiency.attentionPrefillBySeqByDtype = { fp8: [[1, 0.4]] };
    // log2-interpolated: 2048 lies halfway between 1024 and 4096 -> 0.5 + 0.5 x (1 - 0.5) = 0.75.
    p.efficiency.attentionPrefillByWork = [[1024, 0.5], [4096, 1]];
    expect(eff(p, gemm('fp8'))).toBeCloseTo(0.5, 6);
    expect(eff(p, gemm('bf16'))).toBeCloseTo(1, 6);
    expect(eff(p, attn('fp8', 2048))).toBeCloseTo(0.4 * 0.75, 6); // 0.3
    expect(eff(p, attn('bf16', 2048))).toBeCloseTo(0.8 * 0.75, 6); // 0.6
    expect(eff(p, attn('bf16'))).toBeCloseTo(0.8, 6); // no queryRows: multiplier 1
  });
});

describe('keepTimeMonotone', () => {
  it('lowers a point whose efficiency grows faster than x, to the bound cut to 3 digits', () => {
    // 0.1 at x=1 allows at most 0.4 at x=4; 1/3 x 3 allows 0.999... -> 0.999, never above the bound.
    expect(keepTimeMonotone([[1, 0.1], [4, 0.9]])).toEqual([[1, 0.1], [4, 0.4]]);
    const cut = keepTimeMonotone([[3, 0.3337], [9, 1]])[1]![1];
    expect(cut).toBeLessThanOrEqual((0.3337 * 9) / 3);
    expect(cut).toBe(1);
    expect(keepTimeMonotone([[1, 0.30001], [3, 0.95]])[1]![1]).toBe(0.9);
  });

  it('property: the result keeps time monotone and never raises a point', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 1e-4, max: 1, noNaN: true }), { minLength: 1, maxLength: 12 }), (effs) => {
        const curve = effs.map((e, i) => [2 ** (2 * i), e] as [number, number]);
        const out = keepTimeMonotone(curve);
        return timeFallsAt(out) === undefined && out.every(([, e], i) => e <= curve[i]![1]);
      }),
    );
  });
});

describe('collective floors and hop latency', () => {
  const base: DeviceProfile = structuredClone(loadDevice('TEST_DEVICE'));
  // Floors as the GPU profiles keep them under graph replay: whole.
  base.staticCostS.graphReplayFraction = 1;
  const us = 1e-6;

  it("a ring (NCCL) collective pays ncclCollective, a direct one the engines' collective floor", () => {
    const p = structuredClone(base);
    p.staticCostS.collective = 10 * us;
    p.staticCostS.ncclCollective = 4 * us;
    p.commGrid[0] = { ...p.commGrid[0]!, latencyS: 1 * us };
    const tiny = 2; // bytes: the bandwidth term is ~0
    const ring = priceOp(collective('ar', 1, 'all_reduce', 8, tiny, 'ring')!, p, KERNEL_PRICING).timeS;
    const direct = priceOp(collective('ar', 1, 'all_reduce', 8, tiny)!, p, KERNEL_PRICING).timeS;
    // ring: 4 us + 2 x 7 hops x 1 us = 18 us; direct: 10 us + 2 hops x 1 us = 12 us
    expect(ring / us).toBeCloseTo(18, 3);
    expect(direct / us).toBeCloseTo(12, 3);
    delete p.staticCostS.ncclCollective;
    expect(priceOp(collective('ar', 1, 'all_reduce', 8, tiny, 'ring')!, p, KERNEL_PRICING).timeS / us).toBeCloseTo(24, 3);
  });

  it('the fit separates NCCL floor and hop latency from ring all-reduces of several group sizes', () => {
    const truth = structuredClone(base);
    truth.staticCostS.ncclCollective = 4.5 * us;
    truth.commGrid[0] = { ...truth.commGrid[0]!, latencyS: 0.8 * us };
    const samples: KernelSample[] = [];
    for (const n of [2, 4, 8]) {
      for (const bytes of [512, 4096, 32768]) {
        const op = collective('all_reduce', 1, 'all_reduce', n, bytes, 'ring')!;
        samples.push({ family: 'all_reduce', group: `${n} GPUs`, op, measuredS: priceOp(op, truth, KERNEL_PRICING).timeS });
      }
    }
    const start = structuredClone(base);
    start.commGrid[0] = { ...start.commGrid[0]!, latencyS: 2 * us };
    const { scalars } = gpuCalibrationTargets(samples, start);
    expect(scalars.map((t) => t.name).sort()).toEqual(['commGrid.0.latencyS', 'staticCostS.ncclCollective']);
    const fit = fitProfile(start, samples, [], scalars, interpolateCurve, { passes: 6 });
    // Within a step of the ladders (x1.15 each).
    expect(fit.profile.staticCostS.ncclCollective! / (4.5 * us)).toBeGreaterThan(0.85);
    expect(fit.profile.staticCostS.ncclCollective! / (4.5 * us)).toBeLessThan(1.15);
    expect(fit.profile.commGrid[0]!.latencyS / (0.8 * us)).toBeGreaterThan(0.85);
    expect(fit.profile.commGrid[0]!.latencyS / (0.8 * us)).toBeLessThan(1.15);
    // Starting without the key, the floor read for NCCL before the fit was the engines' one.
    expect(start.staticCostS.ncclCollective).toBeUndefined();
    // The engines' floor and the outer tiers are not the table's to set.
    expect(fit.profile.staticCostS.collective).toBe(start.staticCostS.collective);
    expect(fit.profile.commGrid.slice(1)).toEqual(start.commGrid.slice(1));
  });

  it('groups larger than the innermost tier do not inform its hop latency', () => {
    const inner = base.commGrid[0]!.devices;
    const op = collective('all_reduce', 1, 'all_reduce', inner * 2, 4096, 'ring')!;
    const { scalars } = gpuCalibrationTargets([{ family: 'all_reduce', group: 'x', op, measuredS: 1e-5 }], base);
    expect(scalars.map((t) => t.name)).toEqual(['staticCostS.ncclCollective']);
  });
});
