/**
 * The SLO-constrained search of seed 002: enumerate valid parallel layouts,
 * and for each find the largest batch that meets the limits by bisection on
 * the monotone latency curves (TTFT and TPOT grow with batch), not by a scan.
 */
import { OptixUserError } from '../errors.js';
import type { PhaseResult, SearchSpace, SloLimits } from './api.js';
import type { QuantPlan } from './quant.js';
import { StepPricer, effectiveInputLength, evaluate, type Deployment } from './serving.js';
import type { DeviceProfile, ModelSpec, ParallelConfig, ServingOptions, ServingPoint, Workload } from './types.js';

export function powersOfTwoUpTo(n: number): number[] {
  const out: number[] = [];
  for (let v = 1; v <= n; v *= 2) out.push(v);
  return out;
}

/**
 * Seed 002's search rules: no search flag -> TP-only search over powers of two;
 * a flag with no values -> powers of two up to the world size; dimensions not
 * searched take tp = ep = num_devices, moe-dp = 1.
 */
export function searchDimensions(space: SearchSpace, worldSize: number): { tp: number[]; ep: number[]; moeDp: number[] } {
  const none = space.tpSizes === undefined && space.epSizes === undefined && space.moeDpSizes === undefined;
  const dim = (values: number[] | undefined, fixed: number[]): number[] =>
    values === undefined ? fixed : values.length === 0 ? powersOfTwoUpTo(worldSize) : [...new Set(values)].sort((a, b) => a - b);
  for (const [flag, values] of [
    ['--tp-sizes', space.tpSizes],
    ['--ep-sizes', space.epSizes],
    ['--moe-dp-sizes', space.moeDpSizes],
  ] as const) {
    for (const v of values ?? []) {
      if (!Number.isInteger(v) || v <= 0) throw new OptixUserError(`${flag} values must be positive integers, got ${v}`);
      if (v > worldSize) throw new OptixUserError(`${flag} value ${v} exceeds the device count ${worldSize}`, { hint: `use values <= ${worldSize}` });
      if (worldSize % v !== 0) {
        throw new OptixUserError(`${flag} value ${v} does not divide the device count ${worldSize}`, { hint: `use divisors of ${worldSize}` });
      }
    }
  }
  return {
    tp: none ? powersOfTwoUpTo(worldSize) : dim(space.tpSizes, [worldSize]),
    ep: dim(space.epSizes, [worldSize]),
    moeDp: dim(space.moeDpSizes, [1]),
  };
}

export interface Candidate {
  par: ParallelConfig;
}

/** Valid layouts for `worldSize` devices; invalid ones are counted by reason. */
export function enumerateLayouts(spec: ModelSpec, worldSize: number, space: SearchSpace): { layouts: ParallelConfig[]; skipped: Record<string, number> } {
  const dims = searchDimensions(space, worldSize);
  const skipped: Record<string, number> = {};
  const skip = (reason: string): void => {
    skipped[reason] = (skipped[reason] ?? 0) + 1;
  };
  const layouts: ParallelConfig[] = [];
  const seen = new Set<string>();
  const heads = spec.attention.numHeads;
  for (const tp of dims.tp) {
    if (worldSize % tp !== 0) {
      skip(`tp does not divide ${worldSize} devices`);
      continue;
    }
    if (heads % tp !== 0) {
      skip(`attention heads (${heads}) not divisible by tp`);
      continue;
    }
    if (spec.attention.kind === 'gqa') {
      const kv = spec.attention.numKvHeads;
      if (kv % tp !== 0 && tp % kv !== 0) {
        skip(`kv heads (${kv}) and tp do not divide each other`);
        continue;
      }
    }
    const dp = worldSize / tp;
    const epValues = spec.moe ? dims.ep : [1];
    const moeDpValues = spec.moe ? dims.moeDp : [1];
    for (const ep of epValues) {
      for (const moeDp of moeDpValues) {
        if (spec.moe) {
          if (worldSize % (ep * moeDp) !== 0) {
            skip('ep x moe-dp does not divide the device count');
            continue;
          }
          if (spec.moe.numExperts % ep !== 0) {
            skip(`experts (${spec.moe.numExperts}) not divisible by ep`);
            continue;
          }
        }
        const moeTp = spec.moe ? worldSize / (ep * moeDp) : tp;
        const par: ParallelConfig = { tp, dp, pp: 1, ep, moeTp, moeDp };
        const key = `${tp}/${ep}/${moeDp}`;
        if (seen.has(key)) continue;
        seen.add(key);
        layouts.push(par);
      }
    }
  }
  return { layouts, skipped };
}

export interface PhaseSearchInput {
  spec: ModelSpec;
  device: DeviceProfile;
  quant: QuantPlan;
  workload: Workload;
  serving: ServingOptions;
  limits: SloLimits;
  phase: ServingPoint['mode'];
  worldSize: number;
  space: SearchSpace;
  batchRange?: [number, number];
  topK: number;
  /** Also evaluate a geometric batch sweep per layout (plots, --dump-original-results). */
  collectSweep: boolean;
}

export function meetsLimits(pt: ServingPoint, limits: SloLimits, phase: ServingPoint['mode']): boolean {
  // Seed 000: in disagg mode each phase is judged only by its own limit.
  const checkTtft = phase !== 'decode' && limits.ttftMs !== undefined;
  const checkTpot = phase !== 'prefill' && limits.tpotMs !== undefined;
  if (checkTtft && pt.ttftMs > limits.ttftMs!) return false;
  if (checkTpot && pt.tpotMs > limits.tpotMs!) return false;
  return !pt.oom;
}

/** How far a point is from the limits (1 = exactly at them); for the "closest attempt". */
function violation(pt: ServingPoint, limits: SloLimits, phase: ServingPoint['mode']): number {
  let v = 0;
  if (phase !== 'decode' && limits.ttftMs !== undefined) v = Math.max(v, pt.ttftMs / limits.ttftMs);
  if (phase !== 'prefill' && limits.tpotMs !== undefined) v = Math.max(v, pt.tpotMs / limits.tpotMs);
  return v;
}

/** Default upper bound on the batch when neither memory nor --batch-range bounds it. */
export const MAX_BATCH = 1 << 16;

/**
 * Largest batch in [lo, hi] whose point meets the limits, by bisection
 * (O(log(hi - lo)) evaluations), or undefined when even `lo` fails.
 */
export function largestFeasibleBatch(lo: number, hi: number, ok: (batch: number) => boolean): number | undefined {
  if (hi < lo || !ok(lo)) return undefined;
  let good = lo;
  let bad = hi + 1;
  if (ok(hi)) return hi;
  bad = hi;
  while (bad - good > 1) {
    const mid = Math.floor((good + bad) / 2);
    if (ok(mid)) good = mid;
    else bad = mid;
  }
  return good;
}

/**
 * Seed 002's TTFT is not monotone in the batch: requests are prefilled `pbs`
 * at a time, and within one block of steps ((n-1) x pbs, n x pbs] the mean
 * TTFT falls as the batch grows. Returns pbs when that formula is in force
 * under a TTFT limit, so the search bisects over blocks instead.
 */
function seedPrefillBlocks(input: PhaseSearchInput): number | undefined {
  if (input.serving.scheduling !== 'seed' || input.phase === 'decode' || input.limits.ttftMs === undefined) return undefined;
  const effective = effectiveInputLength(input.workload, input.serving).effective;
  if (effective > input.serving.maxBatchedTokens) return undefined;
  const pbs = Math.floor(input.serving.maxBatchedTokens / effective);
  return pbs > 1 ? pbs : undefined;
}

/**
 * Largest feasible batch when feasibility is monotone across blocks of `pbs`
 * (judged at block ends, where TTFT is lowest within a block) and `okNoTtft`
 * (every limit but TTFT) is monotone in the batch. Bisects over block ends,
 * then over the next block for the largest batch the other limits allow,
 * whose TTFT is the lowest of that block's candidates.
 */
export function largestFeasibleBatchInBlocks(
  lo: number,
  hi: number,
  pbs: number,
  ok: (batch: number) => boolean,
  okNoTtft: (batch: number) => boolean,
): number | undefined {
  if (hi < lo) return undefined;
  const blockEnd = (n: number): number => Math.min(hi, Math.max(lo, n * pbs));
  const lastBlock = Math.ceil(hi / pbs);
  const firstBlock = Math.max(1, Math.ceil(lo / pbs));
  const n = largestFeasibleBatch(firstBlock, lastBlock, (k) => ok(blockEnd(k)));
  let best = n === undefined ? undefined : blockEnd(n);
  const next = n === undefined ? firstBlock : n + 1;
  if (next <= lastBlock) {
    const start = Math.max(lo, (next - 1) * pbs + 1);
    const end = blockEnd(next);
    const b = largestFeasibleBatch(start, end, okNoTtft);
    if (b !== undefined && ok(b) && (best === undefined || b > best)) best = b;
  }
  // Below the first block end only smaller batches remain; their TTFT is higher still.
  return best;
}

export function searchPhase(input: PhaseSearchInput): PhaseResult {
  const { layouts, skipped } = enumerateLayouts(input.spec, input.worldSize, input.space);
  const best: ServingPoint[] = [];
  const sweep: ServingPoint[] = [];
  let closest: ServingPoint | undefined;
  let closestV = Infinity;
  const [minB, maxB] = input.batchRange ?? [1, MAX_BATCH];
  for (const par of layouts) {
    const dep: Deployment = { spec: input.spec, device: input.device, par, quant: input.quant, workload: input.workload, serving: input.serving };
    const pricer = new StepPricer(dep);
    const hi = Math.min(maxB, pricer.memory.maxSequencesPerReplica);
    if (hi < minB) {
      skipped['out of memory'] = (skipped['out of memory'] ?? 0) + 1;
      continue;
    }
    const cache = new Map<number, ServingPoint>();
    const at = (b: number): ServingPoint => {
      let pt = cache.get(b);
      if (!pt) {
        pt = evaluate(pricer, input.phase, b);
        cache.set(b, pt);
      }
      return pt;
    };
    const ok = (x: number): boolean => meetsLimits(at(x), input.limits, input.phase);
    const b = seedPrefillBlocks(input) ? largestFeasibleBatchInBlocks(minB, hi, seedPrefillBlocks(input)!, ok, (x) => meetsLimits(at(x), { ...input.limits, ttftMs: undefined }, input.phase)) : largestFeasibleBatch(minB, hi, ok);
    if (b !== undefined) {
      best.push(at(b));
    } else {
      const pt = at(minB);
      const v = violation(pt, input.limits, input.phase);
      if (v < closestV) {
        closestV = v;
        closest = pt;
      }
    }
    if (input.collectSweep) {
      const batches = new Set<number>();
      for (let x = minB; x <= hi; x *= 2) batches.add(x);
      batches.add(hi);
      if (b !== undefined) batches.add(b);
      for (const x of [...batches].sort((p, q) => p - q)) sweep.push(at(x));
    }
  }
  best.sort((a, b) => b.tokensPerS - a.tokensPerS);
  const result: PhaseResult = { phase: input.phase, top: best.slice(0, input.topK), sweep, skipped };
  if (best[0]) result.best = best[0];
  else if (closest) result.closest = closest;
  return result;
}
