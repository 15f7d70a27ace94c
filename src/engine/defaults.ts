/** The one place the engine's defaults live (seed 002's CLI defaults). */
import type { ParallelConfig, QuantOptions, ServingOptions, Workload } from './types.js';

export const GIB = 1024 ** 3;

/** Seed 002: --max-batched-tokens 8192, --reserved-memory-gb 10, --mtp-acceptance-rate 0.9 0.6 0.4 0.2. */
export function defaultServingOptions(overrides: Partial<ServingOptions> = {}): ServingOptions {
  return {
    maxBatchedTokens: 8192,
    reservedMemoryBytes: 10 * GIB,
    compile: false,
    compileAllowGraphBreak: false,
    numMtpTokens: 0,
    mtpAcceptanceRates: [0.9, 0.6, 0.4, 0.2],
    visionTokens: 0,
    scheduling: 'seed',
    servingEngine: 'generic',
    requestLengths: 'varied',
    attentionDpBalance: null,
    ...overrides,
  };
}

/** Seed 002: --quantize-linear-action W8A8_DYNAMIC, --quantize-attention-action DISABLED, --mxfp4-group-size 32. */
export function defaultQuantOptions(overrides: Partial<QuantOptions> = {}): QuantOptions {
  return { linear: 'W8A8_DYNAMIC', attention: 'DISABLED', mxfp4GroupSize: 32, ...overrides };
}

export function defaultWorkload(inputLength: number, outputLength: number, prefixCacheHitRate = 0): Workload {
  return { inputLength, outputLength, prefixCacheHitRate };
}

/**
 * A parallel layout from the usual knobs. Experts default to EP over every
 * device of the stage (seed 002: ep = num_devices, moe-dp = 1).
 */
export function makeParallel(p: { tp: number; dp?: number; pp?: number; ep?: number; moeDp?: number }): ParallelConfig {
  const dp = p.dp ?? 1;
  const pp = p.pp ?? 1;
  const stage = p.tp * dp;
  const ep = p.ep ?? stage;
  const moeDp = p.moeDp ?? 1;
  const moeTp = Math.max(1, Math.floor(stage / (ep * moeDp)));
  return { tp: p.tp, dp, pp, ep, moeTp, moeDp };
}
