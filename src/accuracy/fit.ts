/**
 * Fits a device profile's efficiency curves and static costs to measured
 * kernel samples by coordinate descent: for each curve point in turn, try a
 * ladder of efficiencies and keep the one that minimizes the median
 * |log(predicted / measured)| of the samples that point influences (those
 * whose x lies between its neighbours). Values stay in (0, 1]. Several passes
 * let neighbouring points and coupled curves (GEMM by M x by N/K, memory
 * bandwidth) settle together.
 */
import { maxEfficiencyAt } from '../engine/devices/curves.js';
import type { DeviceProfile, Dtype, EfficiencyCurve } from '../engine/types.js';
import type { Op } from '../engine/ops/types.js';
import { collectiveFloorS } from '../engine/perf.js';
import { predictS, type KernelFamily, type KernelSample } from './kernels.js';

/** Dtypes the GPU tables hold (fp16 and int8 take the nearest fitted curve, see calibrate.ts). */
const FITTED_DTYPES = ['bf16', 'fp8', 'fp4'] as const;

type Point = [number, number];
type MutableProfile = DeviceProfile & { efficiency: DeviceProfile['efficiency'] & Record<string, unknown> };

/** A fitted parameter family: a curve (x grid + getter/setter) or a scalar. */
export interface CurveTarget {
  /** e.g. 'gemmByM.fp8', 'attentionPrefillBySeq'. */
  name: string;
  get: (p: DeviceProfile) => EfficiencyCurve;
  set: (p: DeviceProfile, c: EfficiencyCurve) => void;
  /** The x a sample evaluates this curve at; undefined when the curve does not apply to it. */
  xOf: (s: KernelSample) => number | undefined;
  /** Families that inform it (for the profile's source note). */
  families: KernelFamily[];
  /** Points of the base curve below this x are kept as they are (not fitted). */
  fixedBelow?: number;
  /** Smallest efficiency tried (default: the ladder's 1e-5). */
  minEfficiency?: number;
}

export interface ScalarTarget {
  name: string;
  get: (p: DeviceProfile) => number;
  set: (p: DeviceProfile, v: number) => void;
  applies: (s: KernelSample) => boolean;
  candidates: number[];
  families: KernelFamily[];
}

export interface FitOptions {
  passes?: number;
  /** Most samples scored per parameter (a deterministic stride sample beyond it). */
  maxSamplesPerPoint?: number;
}

function logErr(s: KernelSample, p: DeviceProfile): number {
  return Math.abs(Math.log(predictS(s, p) / s.measuredS));
}

/**
 * Mean |log error|: the median is what is reported, but it is flat between
 * order statistics and leaves coordinate descent stuck; the mean moves with
 * every sample and has the same minimizer when errors are symmetric.
 */
function score(samples: readonly KernelSample[], p: DeviceProfile): number {
  let sum = 0;
  for (const s of samples) sum += logErr(s, p);
  return samples.length > 0 ? sum / samples.length : 0;
}

function stride<T>(list: readonly T[], max: number): T[] {
  if (list.length <= max) return [...list];
  const out: T[] = [];
  const step = list.length / max;
  for (let i = 0; i < max; i++) out.push(list[Math.floor(i * step)]!);
  return out;
}

/**
 * Efficiency ladder: geometric from 1e-5 to 1 (x1.2 a step). The low end lets a
 * bytes curve carry a kernel's fixed floor (efficiency proportional to bytes).
 */
const LADDER: number[] = Array.from({ length: 64 }, (_, i) => Math.min(1, 1e-5 * Math.pow(1e5, i / 63)));

/** Grid points factor^k covering [min, max] of the values (at least two points). */
export function gridFor(values: readonly number[], factor: number): number[] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v > 0) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  if (!Number.isFinite(lo)) return [1, factor];
  const k0 = Math.floor(Math.log(lo) / Math.log(factor));
  const k1 = Math.ceil(Math.log(hi) / Math.log(factor));
  const out: number[] = [];
  for (let k = k0; k <= Math.max(k1, k0 + 1); k++) out.push(Math.pow(factor, k));
  return out;
}

/**
 * Lowers, first to last, any point whose efficiency grows faster than x from the
 * point before (so that time would fall there): e_i <= e_(i-1) x x_i / x_(i-1).
 * Needed after re-gridding and after rounding; never raises a point.
 */
export function keepTimeMonotone(curve: readonly (readonly [number, number])[]): Point[] {
  const out = curve.map(([x, e]) => [x, e] as Point);
  for (let i = 1; i < out.length; i++) {
    const [x0, e0] = out[i - 1]!;
    const cap = maxEfficiencyAt(x0, e0, out[i]![0]);
    if (out[i]![1] > cap) out[i] = [out[i]![0], floorSignificant(cap, 3)];
  }
  return out;
}

/** `v` cut (not rounded) to `digits` significant digits, so that it never exceeds `v`. */
function floorSignificant(v: number, digits: number): number {
  if (!(v > 0)) return v;
  const step = 10 ** (Math.floor(Math.log10(v)) - digits + 1);
  const cut = Number((Math.floor(v / step) * step).toPrecision(digits));
  return cut > v ? Number(((Math.floor(v / step) - 1) * step).toPrecision(digits)) : cut;
}

/** Re-grids a curve onto new x points, keeping its current shape as the start. */
function regrid(curve: EfficiencyCurve, xs: readonly number[], at: (c: EfficiencyCurve, x: number) => number): Point[] {
  return xs.map((x) => [x, Math.min(1, Math.max(1e-3, at(curve, x)))]);
}

export interface FitResult {
  profile: DeviceProfile;
  /** Curve/scalar name -> tables it was fitted to. */
  fitted: Record<string, KernelFamily[]>;
}

/**
 * Fits in place on a copy of `base`. Curves first get the x grid given by the
 * data (points where samples are), then passes of coordinate descent.
 */
export function fitProfile(
  base: DeviceProfile,
  samples: readonly KernelSample[],
  curves: readonly { target: CurveTarget; grid: number[] }[],
  scalars: readonly ScalarTarget[],
  interpolate: (c: EfficiencyCurve, x: number) => number,
  opts: FitOptions = {},
): FitResult {
  const p = structuredClone(base) as MutableProfile;
  const passes = opts.passes ?? 4;
  const cap = opts.maxSamplesPerPoint ?? 1500;
  const fitted: Record<string, KernelFamily[]> = {};

  // Which samples each curve point sees: x within (prev, next) of the point.
  const plans = curves.map(({ target, grid: wanted }) => {
    const withX: Array<{ s: KernelSample; x: number }> = [];
    for (const s of samples) {
      const x = target.xOf(s);
      if (x !== undefined && x > 0) withX.push({ s, x });
    }
    // Keep only grid points with samples between their neighbours: a point nothing informs stays a guess.
    let grid = wanted;
    for (;;) {
      const kept = grid.filter((_, i) => {
        const lo = i === 0 ? -Infinity : grid[i - 1]!;
        const hi = i === grid.length - 1 ? Infinity : grid[i + 1]!;
        return withX.some((w) => w.x > lo && w.x < hi);
      });
      if (kept.length === grid.length || kept.length === 0) break;
      grid = kept;
    }
    const kept = target.fixedBelow === undefined ? [] : target.get(p).filter(([x]) => x < target.fixedBelow!).map(([x, e]) => [x, e] as Point);
    target.set(p, keepTimeMonotone([...kept, ...regrid(target.get(p), grid, interpolate)]));
    const fixed = kept.length;
    const perPoint = [...kept.map(() => [] as KernelSample[]), ...grid.map((x, i) => {
      const lo = i === 0 ? -Infinity : grid[i - 1]!;
      const hi = i === grid.length - 1 ? Infinity : grid[i + 1]!;
      return stride(
        withX.filter((w) => w.x > lo && w.x < hi).map((w) => w.s),
        cap,
      );
    })];
    fitted[target.name] = target.families;
    const ladder = LADDER.filter((v) => v >= (target.minEfficiency ?? 0));
    return { target, perPoint, fixed, ladder };
  });
  const scalarPlans = scalars.map((t) => {
    fitted[t.name] = t.families;
    return { t, list: stride(samples.filter(t.applies), cap * 4) };
  });

  for (let pass = 0; pass < passes; pass++) {
    for (const { t, list } of scalarPlans) {
      if (list.length === 0) continue;
      let best = t.get(p);
      let bestScore = score(list, p);
      for (const v of t.candidates) {
        t.set(p, v);
        const sc = score(list, p);
        if (sc < bestScore - 1e-12) {
          bestScore = sc;
          best = v;
        }
      }
      t.set(p, best);
    }
    for (const { target, perPoint, ladder } of plans) {
      for (let i = 0; i < perPoint.length; i++) {
        const list = perPoint[i]!;
        if (list.length === 0) continue;
        const curve = target.get(p).map((q) => [q[0], q[1]] as Point);
        const tryValue = (v: number): number => {
          curve[i] = [curve[i]![0], v];
          target.set(p, curve.map((q) => [q[0], q[1]] as const));
          return score(list, p);
        };
        let best = curve[i]![1];
        let bestScore = tryValue(best);
        const refine = [0.8, 0.87, 0.93, 0.97, 1.03, 1.07, 1.15, 1.25].map((f) => Math.min(1, best * f));
        // Time (x / efficiency) must not fall from one point to the next (interpolateCurve, timeFallsAt).
        const x = curve[i]![0];
        const lo = i > 0 ? curve[i - 1]! : undefined;
        const hi = i + 1 < curve.length ? curve[i + 1]! : undefined;
        const allowed = (v: number): boolean => (lo === undefined || v <= maxEfficiencyAt(lo[0], lo[1], x)) && (hi === undefined || hi[1] <= maxEfficiencyAt(x, v, hi[0]));
        for (const v of [...ladder, ...refine]) {
          if (!allowed(v)) continue;
          const sc = tryValue(v);
          if (sc < bestScore - 1e-12) {
            bestScore = sc;
            best = v;
          }
        }
        tryValue(best);
      }
    }
  }
  // Round for a readable profile; 3 significant digits move predictions by < 0.5%.
  for (const { target } of plans) target.set(p, keepTimeMonotone(target.get(p).map(([x, e]) => [x, Number(e.toPrecision(3))] as Point)));
  for (const { t } of scalarPlans) t.set(p, Number(t.get(p).toPrecision(3)));
  return { profile: p, fitted };
}

// ---------------------------------------------------------------------------
// The targets of a GPU kernel-table calibration
// ---------------------------------------------------------------------------

type ByDtypeKey = 'gemmByNKByDtype' | 'gemmMemoryByBytesByDtype' | 'attentionPrefillBySeqByDtype' | 'attentionDecodeByBytesByDtype' | 'attentionDecodePairByGroupByDtype';

/**
 * One dtype's curve in a per-dtype map (`map.dtype`): read at `x` of the
 * samples of that kind and dtype; a profile without it prices the dtype by
 * the single curve `fallback` names, or by a fixed curve (a multiplier's 1).
 */
function byDtypeCurve(
  map: ByDtypeKey,
  dtype: Dtype,
  fallback: 'gemmByNK' | 'memoryByBytes' | 'attentionPrefillBySeq' | 'attentionDecodeByBytes' | EfficiencyCurve,
  kind: Op['kind'],
  x: (op: Op) => number | undefined,
  rest: Pick<CurveTarget, 'families'> & Partial<CurveTarget>,
): CurveTarget {
  return {
    name: `${map}.${dtype}`,
    get: (p) => p.efficiency[map]?.[dtype] ?? (typeof fallback === 'string' ? p.efficiency[fallback] : fallback),
    set: (p, c) => {
      p.efficiency[map] = { ...p.efficiency[map], [dtype]: c };
    },
    xOf: (s) => (s.op.kind === kind && s.op.dtype === dtype ? x(s.op) : undefined),
    ...rest,
  };
}

/** Few-row GEMMs of one dtype: their weight-read bandwidth vs bytes (the memory side of their roofline). */
function gemmMemoryByBytes(dtype: Dtype): CurveTarget {
  return byDtypeCurve('gemmMemoryByBytesByDtype', dtype, 'memoryByBytes', 'gemm', (op) => ((op.m ?? 1) <= 16 && op.bytes >= 1 << 20 ? op.bytes : undefined), {
    families: ['gemm'],
    fixedBelow: 1 << 20,
  });
}

function gemmByM(dtype: Dtype): CurveTarget {
  return {
    name: `gemmByM.${dtype}`,
    get: (p) => p.efficiency.gemmByM[dtype] ?? p.efficiency.gemmByM.default ?? [[1, 1]],
    set: (p, c) => {
      p.efficiency.gemmByM[dtype] = c;
    },
    xOf: (s) => (s.op.kind === 'gemm' && s.op.dtype === dtype ? s.op.m : undefined),
    families: ['gemm'],
    // Below ~0.05 a few-row GEMM turns compute-priced, which the table cannot tell from
    // weight-read bound, but MoE expert GEMMs (few rows per expert, many experts' weights)
    // can: keep few-row GEMMs memory-bound and let memoryByBytes carry their time.
    minEfficiency: 0.05,
  };
}

/** Per-dtype tables get their own curve: bf16 and fp8 kernels fill the machine differently. */
function gemmByNK(dtype: Dtype): CurveTarget {
  return byDtypeCurve('gemmByNKByDtype', dtype, 'gemmByNK', 'gemm', (op) => Math.min(op.n ?? 1, op.k ?? 1), { families: ['gemm'] });
}

const memoryByBytes: CurveTarget = {
  name: 'memoryByBytes',
  get: (p) => p.efficiency.memoryByBytes,
  set: (p, c) => {
    p.efficiency.memoryByBytes = c;
  },
  // Weight-read-bound GEMMs (few rows) of 1 MiB and more measure achievable HBM bandwidth
  // vs bytes; below that their time is launch floor, and the curve also prices every small
  // vector op of a step, so the base profile's small-transfer points stay.
  xOf: (s) => (s.op.kind === 'gemm' && (s.op.m ?? 1) <= 16 && s.op.bytes >= 1 << 20 ? s.op.bytes : undefined),
  families: ['gemm'],
  fixedBelow: 1 << 20,
};

/** Per math dtype: fp8 FMHA runs well short of 2x bf16, so the two need their own curves. */
function attentionPrefillBySeq(dtype: Dtype): CurveTarget {
  return byDtypeCurve('attentionPrefillBySeqByDtype', dtype, 'attentionPrefillBySeq', 'attention_prefill', (op) => op.seqLen, { families: ['context_attention'] });
}

type MultiplierKey = 'attentionPrefillByWork' | 'attentionPrefillByHeadDim' | 'attentionDecodeByGroup';

/** An optional multiplier curve of one attention kernel (absent = 1), read at one of the op's fields. */
function multiplierCurve(name: MultiplierKey, kind: 'attention_prefill' | 'attention_decode', field: 'queryRows' | 'headDim' | 'queryHeadsPerKv'): CurveTarget {
  return {
    name,
    get: (p) => p.efficiency[name] ?? [[1, 1]],
    set: (p, c) => {
      p.efficiency[name] = c;
    },
    xOf: (s) => (s.op.kind === kind ? s.op[field] : undefined),
    families: [kind === 'attention_prefill' ? 'context_attention' : 'generation_attention'],
  };
}

/** The second axis of prefill attention: query rows (occupancy), shared by the dtypes. */
const attentionPrefillByWork = multiplierCurve('attentionPrefillByWork', 'attention_prefill', 'queryRows');
/** The third axis of prefill attention: head dim (tile efficiency), shared by the dtypes. */
const attentionPrefillByHeadDim = multiplierCurve('attentionPrefillByHeadDim', 'attention_prefill', 'headDim');
/** Decode attention's head-group axis: past the tensor-core kernels' largest group, a CUDA-core fallback. */
const attentionDecodeByGroup = multiplierCurve('attentionDecodeByGroup', 'attention_decode', 'queryHeadsPerKv');
/** The same axis of decode attention's per-pair work, per KV dtype: a GQA pair carries its whole head group. */
function attentionDecodePairByGroup(dtype: Dtype): CurveTarget {
  return byDtypeCurve('attentionDecodePairByGroupByDtype', dtype, [[1, 1]], 'attention_decode', (op) => op.queryHeadsPerKv, { families: ['generation_attention'] });
}

/** The memory side of prefill attention's roofline; its small-bytes end carries the kernel's floor. */
const attentionPrefillByBytes: CurveTarget = {
  name: 'attentionPrefillByBytes',
  get: (p) => p.efficiency.attentionPrefillByBytes ?? p.efficiency.memoryByBytes,
  set: (p, c) => {
    p.efficiency.attentionPrefillByBytes = c;
  },
  xOf: (s) => (s.op.kind === 'attention_prefill' ? s.op.bytes : undefined),
  families: ['context_attention'],
};

/** Per KV-cache dtype: fp8 and bf16 caches have different floors and bandwidth efficiency. */
function attentionDecodeByBytes(dtype: Dtype): CurveTarget {
  return byDtypeCurve('attentionDecodeByBytesByDtype', dtype, 'attentionDecodeByBytes', 'attention_decode', (op) => op.bytes, { families: ['generation_attention'] });
}

/** Collectives at least this large inform the bandwidth curve; below it their time is floor and hops. */
const COMM_BANDWIDTH_FROM_BYTES = 1 << 16;

/**
 * Link bandwidth vs message size. Small messages are latency (floor and hops,
 * fitted apart below), which a bandwidth curve would only mimic: their points
 * stay the base profile's.
 */
const commByBytes: CurveTarget = {
  name: 'commByBytes',
  get: (p) => p.efficiency.commByBytes,
  set: (p, c) => {
    p.efficiency.commByBytes = c;
  },
  xOf: (s) => {
    const bytes = s.op.kind === 'collective' ? s.op.collective?.messageBytes : undefined;
    return bytes !== undefined && bytes >= COMM_BANDWIDTH_FROM_BYTES ? bytes : undefined;
  },
  families: ['all_reduce'],
  fixedBelow: COMM_BANDWIDTH_FROM_BYTES,
};

/** Static costs: eager per-op seconds (graph replay keeps a share of them, see KERNEL_PRICING). */
const US = 1e-6;
const STATIC_LADDER = Array.from({ length: 40 }, (_, i) => Number((0.5 * US * Math.pow(200, i / 39)).toPrecision(3)));

const matrixStatic: ScalarTarget = {
  name: 'staticCostS.matrixOp',
  get: (p) => p.staticCostS.matrixOp,
  set: (p, v) => {
    p.staticCostS.matrixOp = v;
  },
  // GEMMs only: they are most of a step's ops, and their floor (~2-3 us) is far below the
  // attention kernels' (5-13 us), which one shared static cannot match; the attention
  // curves absorb their own floor at short sequences / small reads instead.
  applies: (s) => s.op.kind === 'gemm',
  candidates: STATIC_LADDER,
  families: ['gemm'],
};

/**
 * Flash-attention kernels have their own floor (context ~11-13 us, generation
 * ~5-9 us on H100/B200), far above a GEMM's: with it as a static cost the
 * attention curves need not bend to express it.
 */
function attentionStatic(kind: 'attention_prefill' | 'attention_decode'): ScalarTarget {
  const key = kind === 'attention_prefill' ? 'attentionPrefillOp' : 'attentionDecodeOp';
  return {
    name: `staticCostS.${key}`,
    get: (p) => p.staticCostS[key] ?? p.staticCostS.matrixOp,
    set: (p, v) => {
      p.staticCostS[key] = v;
    },
    applies: (s) => s.op.kind === kind,
    candidates: STATIC_LADDER,
    families: [kind === 'attention_prefill' ? 'context_attention' : 'generation_attention'],
  };
}

/** 0, then 0.25 ns .. 100 ns per (sequence, KV head) pair, log-spaced. */
const PER_PAIR_LADDER = [0, ...Array.from({ length: 40 }, (_, i) => Number((0.25e-9 * Math.pow(400, i / 39)).toPrecision(3)))];

const decodePerKvPair: ScalarTarget = {
  name: 'staticCostS.attentionDecodePerKvPair',
  get: (p) => p.staticCostS.attentionDecodePerKvPair ?? 0,
  set: (p, v) => {
    p.staticCostS.attentionDecodePerKvPair = v;
  },
  applies: (s) => s.op.kind === 'attention_decode' && s.op.kvPairs !== undefined,
  candidates: PER_PAIR_LADDER,
  families: ['generation_attention'],
};

/**
 * NCCL's own floor: the table times NCCL's ring kernels, not the engines'
 * direct all-reduce (whose `collective` floor no table here measures).
 */
const ncclStatic: ScalarTarget = {
  name: 'staticCostS.ncclCollective',
  get: (p) => collectiveFloorS(p.staticCostS, 'ring'),
  set: (p, v) => {
    p.staticCostS.ncclCollective = v;
  },
  applies: (s) => s.op.kind === 'collective' && s.op.collective?.algorithm === 'ring',
  candidates: STATIC_LADDER,
  families: ['all_reduce'],
};

/** 0.05 us .. 10 us, log-spaced. */
const HOP_LADDER = Array.from({ length: 40 }, (_, i) => Number((0.05 * US * Math.pow(200, i / 39)).toPrecision(3)));

/** The fit target that sets the innermost tier's latency (the profile writer puts it back in `commGrid`). */
export const HOP_LATENCY_TARGET = 'commGrid.0.latencyS';

/**
 * The innermost tier's latency per hop: a ring all-reduce of n devices crosses
 * 2(n - 1) of them, so tables with several group sizes separate it from the
 * floor. It is the link's, and prices the engines' direct collectives too.
 */
function innermostHopLatency(base: DeviceProfile): ScalarTarget {
  const inner = base.commGrid[0]!.devices;
  return {
    name: HOP_LATENCY_TARGET,
    get: (p) => p.commGrid[0]!.latencyS,
    set: (p, v) => {
      p.commGrid[0] = { ...p.commGrid[0]!, latencyS: v };
    },
    // Larger groups span an outer tier, whose latency this is not.
    applies: (s) => s.op.kind === 'collective' && s.op.collective !== undefined && s.op.collective.groupSize <= inner,
    candidates: HOP_LADDER,
    families: ['all_reduce'],
  };
}

/**
 * The standard GPU calibration: every curve issue 4 names, gridded where the
 * samples are (GEMM M and N/K by 4x, bytes by 4x, sequence length by 2x);
 * `base` is the profile fitted (its innermost tier bounds the hop-latency fit).
 */
export function gpuCalibrationTargets(samples: readonly KernelSample[], base: DeviceProfile): { curves: { target: CurveTarget; grid: number[] }[]; scalars: ScalarTarget[] } {
  const curves: { target: CurveTarget; grid: number[] }[] = [];
  const xsOf = (t: CurveTarget): number[] => {
    const xs: number[] = [];
    for (const s of samples) {
      const x = t.xOf(s);
      if (x !== undefined) xs.push(x);
    }
    return xs;
  };
  const add = (t: CurveTarget, factor: number): void => {
    const xs = xsOf(t);
    if (xs.length > 0) curves.push({ target: t, grid: gridFor(xs, factor) });
  };
  const dtypesOf = (kind: Op['kind']): Set<Dtype> => new Set(samples.filter((s) => s.op.kind === kind).map((s) => s.op.dtype));
  const gemmDtypes = dtypesOf('gemm');
  for (const d of FITTED_DTYPES) if (gemmDtypes.has(d)) add(gemmByM(d), 4);
  for (const d of FITTED_DTYPES) if (gemmDtypes.has(d)) add(gemmByNK(d), 2);
  add(memoryByBytes, 4);
  for (const d of FITTED_DTYPES) if (gemmDtypes.has(d)) add(gemmMemoryByBytes(d), 4);
  const prefillDtypes = dtypesOf('attention_prefill');
  for (const d of FITTED_DTYPES) if (prefillDtypes.has(d)) add(attentionPrefillBySeq(d), 2);
  add(attentionPrefillByWork, 2);
  add(attentionPrefillByHeadDim, 2);
  add(attentionPrefillByBytes, 4);
  const decodeDtypes = dtypesOf('attention_decode');
  for (const d of FITTED_DTYPES) if (decodeDtypes.has(d)) add(attentionDecodeByBytes(d), 4);
  add(attentionDecodeByGroup, 2);
  for (const d of FITTED_DTYPES) if (decodeDtypes.has(d)) add(attentionDecodePairByGroup(d), 2);
  add(commByBytes, 4);
  const scalars = [matrixStatic, attentionStatic('attention_prefill'), attentionStatic('attention_decode'), decodePerKvPair, ncclStatic, innermostHopLatency(base)].filter((t) =>
    samples.some(t.applies),
  );
  return { curves, scalars };
}

