/**
 * Composes step latencies into serving metrics with the formulas of seed 002
 * ("How to calculate the performance metrics in aggregation mode" and
 * "... in PD ratio mode"). One `Deployment` is one instance: a model on
 * tp x dp x pp devices of one profile.
 */
import { attentionDpBalanceWaitMs } from './adp-balance.js';
import { memoryAt, memoryModel, kvBytesForContext, type MemoryModel } from './memory.js';
import { buildStepOps } from './ops/step.js';
import type { StepShape } from './ops/types.js';
import { priceStep, shares, type PricingOptions } from './perf.js';
import { prefillsPerLockstepIteration, queuedTtftMs, queueLawFor, SCHEDULERS, servesInWaves, steadyStateDecodeMs, waveTpotMs, waveTtftMs } from './scheduler.js';
import type { QuantPlan } from './quant.js';
import type { DeviceProfile, ModelSpec, ParallelConfig, ServingOptions, ServingPoint, StepLatency, Workload } from './types.js';
import { hasVisionEncoder } from './ops/vision.js';

/** Seed 002: the chunked-prefill scheduler keeps 15% of the token budget as slack. */
export const CHUNK_SLACK = 0.15;

export interface Deployment {
  spec: ModelSpec;
  device: DeviceProfile;
  par: ParallelConfig;
  quant: QuantPlan;
  workload: Workload;
  serving: ServingOptions;
}

export function numDevices(par: ParallelConfig): number {
  return par.tp * par.dp * par.pp;
}

/**
 * Attention-DP ranks that run their iterations in lockstep: those whose MoE
 * layers share experts (moeDp < dp) meet in the experts' collectives every
 * layer, so a prefill on any one of them stalls all. Ranks that each hold
 * whole experts (or a dense model's replicas) step independently.
 */
export function lockstepRanks(spec: ModelSpec, par: ParallelConfig): number {
  return spec.moe === undefined ? 1 : par.dp / par.moeDp;
}

/** Accepted tokens per decode step with k MTP drafts: 1 + r1 + ... + rk (seed 002 / issue 3). */
export function acceptedTokensPerStep(serving: ServingOptions): number {
  let a = 1;
  for (let i = 0; i < serving.numMtpTokens; i++) a += serving.mtpAcceptanceRates[i] ?? 0;
  return a;
}

/** Prompt tokens that must be computed: uncached part of the input plus vision tokens. */
export function effectiveInputLength(w: Workload, serving: ServingOptions): { effective: number; cached: number } {
  const cached = Math.floor(w.inputLength * w.prefixCacheHitRate);
  return { effective: Math.max(1, w.inputLength - cached) + serving.visionTokens, cached };
}

/**
 * Memoizes step latencies per deployment: a search evaluates many batches of
 * one layout, and the prefill step depends only on its own shape.
 */
export class StepPricer {
  readonly dep: Deployment;
  readonly pricing: PricingOptions;
  readonly memory: MemoryModel;
  private readonly cache = new Map<string, StepLatency>();

  constructor(dep: Deployment) {
    this.dep = dep;
    this.pricing = { compile: dep.serving.compile, compileAllowGraphBreak: dep.serving.compileAllowGraphBreak };
    const fullContext = dep.workload.inputLength + dep.workload.outputLength + dep.serving.visionTokens;
    this.memory = memoryModel(dep.spec, dep.par, dep.quant, dep.serving, dep.device.memoryBytes, fullContext);
  }

  step(shape: StepShape, keepOps = false): StepLatency {
    const key = JSON.stringify(shape) + (keepOps ? '+ops' : '');
    const hit = this.cache.get(key);
    if (hit) return hit;
    const ops = buildStepOps(this.dep.spec, this.dep.par, this.dep.quant, shape);
    const s = priceStep(ops, this.dep.device, this.pricing, keepOps);
    this.cache.set(key, s);
    return s;
  }

  kvBytesPerToken(): number {
    return kvBytesForContext(this.dep.spec, this.dep.par, this.dep.quant, 1, this.dep.serving.numMtpTokens > 0);
  }
}

/**
 * The vision encoder's work for `requests` whole prompts, one image each (VL
 * models with --image-height/--image-width), to add to the step that prefills
 * them; nothing for text-only workloads or configs that do not describe the encoder.
 */
function visionFor(p: StepPricer, requests: number): Pick<StepShape, 'vision'> {
  const v = p.dep.spec.vision;
  const tokens = p.dep.serving.visionTokens;
  if (tokens <= 0 || requests <= 0 || !hasVisionEncoder(v)) return {};
  return { vision: { images: requests, patchesPerImage: tokens * v.spatialMergeSize * v.spatialMergeSize } };
}

/** One step prefilling `sequences` whole prompts (each within the token budget), their images encoded in it. */
export function wholePromptsStep(p: StepPricer, sequences: number, keepOps = false): StepLatency {
  const { effective, cached } = effectiveInputLength(p.dep.workload, p.dep.serving);
  return p.step({ prefill: { sequences, newTokens: effective, priorContext: cached }, ...visionFor(p, sequences) }, keepOps);
}

/** Encoding one prompt's image on its own (s): a prompt prefilled chunk by chunk encodes it once. */
function encodeOneS(p: StepPricer): number {
  const v = visionFor(p, 1);
  return v.vision ? p.step(v).timeS : 0;
}

/** Average context of a sequence over its generation (input plus half the output). */
function decodeContext(w: Workload, serving: ServingOptions): number {
  return w.inputLength + serving.visionTokens + Math.ceil(w.outputLength / 2);
}

interface PrefillTiming {
  /** Mean TTFT over the batch, ms. */
  ttftMs: number;
  /** Time to prefill the whole batch of one replica, s. */
  drainS: number;
  step: StepLatency;
}

/**
 * Seed 002 TTFT: requests are prefilled prefill_batch_size at a time,
 * prefill_batch_size = max_batched_tokens // effective_input_length, and
 * sum_for_ttft = (prefill_latency x pbs) x (1 + n) x n / 2 over n steps; ttft = sum / batch.
 * When the effective input exceeds max_batched_tokens, prefill is chunked by a
 * decode-first mixed scheduler: each step schedules the batch's decodes first
 * and gives the prompt the rest of the budget, never less than the 15% slack.
 */
function prefillTiming(p: StepPricer, batch: number, withDecodes: boolean): PrefillTiming {
  const { workload: w, serving } = p.dep;
  const { effective, cached } = effectiveInputLength(w, serving);
  const mbt = serving.maxBatchedTokens;
  if (effective <= mbt) {
    const pbs = Math.max(1, Math.min(batch, Math.floor(mbt / effective)));
    const step = wholePromptsStep(p, pbs);
    const n = Math.ceil(batch / pbs);
    const sum = step.timeS * pbs * (1 + n) * (n / 2);
    return { ttftMs: (sum / batch) * 1000, drainS: n * step.timeS, step };
  }
  const tokensPerSeq = 1 + serving.numMtpTokens;
  const decodeTokens = withDecodes ? Math.max(0, batch - 1) * tokensPerSeq : 0;
  const chunk = Math.min(effective, Math.max(mbt - decodeTokens, Math.ceil(CHUNK_SLACK * mbt), 1));
  const chunks = Math.ceil(effective / chunk);
  const shape: StepShape = { prefill: { sequences: 1, newTokens: chunk, priorContext: cached + Math.floor(effective / 2) } };
  if (decodeTokens > 0) shape.decode = { sequences: batch - 1, context: decodeContext(w, serving), tokensPerSeq };
  const step = p.step(shape);
  const perRequest = chunks * step.timeS + encodeOneS(p);
  // Requests are chunk-prefilled one after another: the i-th waits i x perRequest.
  return { ttftMs: ((perRequest * (batch + 1)) / 2) * 1000, drainS: batch * perRequest, step };
}

/**
 * A lockstep wave of `batch` requests prefilled before any decode: prompts
 * that fit the token budget go max_batched_tokens // input per step, the
 * remainder in a last, smaller step; a prompt over the budget is chunked and
 * the requests follow one another. Returns the mean first-token wait and the
 * time until the whole wave is prefilled, both ms.
 */
function wavePrefill(p: StepPricer, batch: number): { meanWaitMs: number; drainMs: number } {
  const { workload: w, serving } = p.dep;
  const { effective } = effectiveInputLength(w, serving);
  if (effective > serving.maxBatchedTokens) {
    const chunked = prefillTiming(p, batch, false);
    return { meanWaitMs: chunked.ttftMs, drainMs: chunked.drainS * 1000 };
  }
  const stepMs = (sequences: number) => wholePromptsStep(p, sequences).timeS * 1000;
  const perStep = Math.max(1, Math.min(batch, Math.floor(serving.maxBatchedTokens / effective)));
  const fullSteps = Math.floor(batch / perStep);
  const rest = batch - fullSteps * perStep;
  const fullMs = stepMs(perStep);
  // The j-th full step's requests wait j x fullMs; the rest wait for every full step and their own.
  const drainMs = fullSteps * fullMs + (rest > 0 ? stepMs(rest) : 0);
  const waitSum = perStep * fullMs * ((fullSteps * (fullSteps + 1)) / 2) + rest * drainMs;
  return { meanWaitMs: waitSum / batch, drainMs };
}

/**
 * Prefill time one request costs an instance when prefills are batched as the
 * scheduler allows (max_batched_tokens // input per step, or chunk by chunk).
 */
export function prefillCostPerRequestS(p: StepPricer): number {
  const { workload: w, serving } = p.dep;
  const { effective, cached } = effectiveInputLength(w, serving);
  const mbt = serving.maxBatchedTokens;
  if (effective <= mbt) {
    const pbs = Math.max(1, Math.floor(mbt / effective));
    return wholePromptsStep(p, pbs).timeS / pbs;
  }
  const chunks = Math.ceil(effective / mbt);
  const chunk = Math.ceil(effective / chunks);
  return chunks * p.step({ prefill: { sequences: 1, newTokens: chunk, priorContext: cached + Math.floor(effective / 2) } }).timeS + encodeOneS(p);
}

function decodeStep(p: StepPricer, batch: number): StepLatency {
  const { workload: w, serving, par } = p.dep;
  // Pipeline stages each hold batch / pp sequences in flight; one token of a
  // sequence needs a full pass of its micro-batch through every stage.
  const seqs = Math.max(1, Math.ceil(batch / par.pp));
  return p.step({ decode: { sequences: seqs, context: decodeContext(w, serving), tokensPerSeq: 1 + serving.numMtpTokens } });
}

function basePoint(
  p: StepPricer,
  mode: ServingPoint['mode'],
  batch: number,
  resident = batch,
): Omit<ServingPoint, 'ttftMs' | 'tpotMs' | 'tokensPerS' | 'tokensPerSPerDevice' | 'tokensPerSPerUser' | 'prefillStepMs' | 'decodeStepMs' | 'attentionDpBalanceWaitMs' | 'shares' | 'qps'> {
  const memory = memoryAt(p.memory, resident, p.kvBytesPerToken());
  return {
    mode,
    parallel: p.dep.par,
    numDevices: numDevices(p.dep.par),
    concurrency: batch * p.dep.par.dp,
    batchSize: batch,
    memory,
    oom: memory.oom,
  };
}

/** One request prefilled alone, chunk by chunk when it exceeds max_batched_tokens. */
function singleRequestPrefillMs(p: StepPricer): number {
  const { workload: w, serving } = p.dep;
  const { effective, cached } = effectiveInputLength(w, serving);
  const chunks = Math.ceil(effective / serving.maxBatchedTokens);
  const single = p.step({ prefill: { sequences: 1, newTokens: Math.ceil(effective / chunks), priorContext: cached } });
  return (single.timeS * chunks + encodeOneS(p)) * 1000;
}

/**
 * The attention-DP balancer's hold (adp-balance.ts) on a closed loop of `batch`
 * requests per rank: each comes back after its TTFT and (output - 1) TPOTs, and
 * the balancer counts decode iterations of TPOT x accepted tokens each.
 */
function balanceHoldMs(p: StepPricer, batch: number, ttftMs: number, tpotMs: number): number {
  const balance = p.dep.serving.attentionDpBalance;
  if (balance === null || p.dep.par.dp <= 1) return 0;
  const cycleMs = ttftMs + Math.max(0, p.dep.workload.outputLength - 1) * tpotMs;
  return attentionDpBalanceWaitMs(balance, p.dep.par.dp, batch / cycleMs, tpotMs * acceptedTokensPerStep(p.dep.serving));
}

/**
 * Aggregated serving: seed 002's formulas, or their steady-state form
 * (ServingOptions.scheduling): the engine's queue law, or lockstep waves for
 * fixed-length clients on a prefill-first engine (ServingOptions.requestLengths).
 */
export function evaluateAgg(p: StepPricer, batch: number): ServingPoint {
  const { workload: w, serving } = p.dep;
  const base = basePoint(p, 'agg', batch);
  const dec = decodeStep(p, batch);
  const osl = w.outputLength;
  let ttftMs: number;
  let tpotMs: number;
  let prefillStepMs: number;
  let balanceWaitMs = 0;
  if (serving.scheduling === 'steady-state' && servesInWaves(serving.servingEngine, serving.requestLengths)) {
    // Fixed-length clients on a prefill-first engine: the whole batch arrives,
    // is prefilled before any decode, and ends together (scheduler.ts, waveTtftMs).
    const sched = SCHEDULERS[serving.servingEngine];
    const wave = wavePrefill(p, batch);
    prefillStepMs = singleRequestPrefillMs(p);
    ttftMs = waveTtftMs(sched, wave.meanWaitMs);
    const iterationMs = steadyStateDecodeMs(sched, dec.timeS * 1000) / acceptedTokensPerStep(serving);
    tpotMs = waveTpotMs(iterationMs, wave.drainMs, wave.meanWaitMs, osl);
  } else if (serving.scheduling === 'steady-state') {
    const sched = SCHEDULERS[serving.servingEngine];
    // Every request's prefill runs inside some decode iteration: batch / output_length
    // prefills per iteration on a rank, so each output token carries that many
    // times the prefill cost per request. Ranks in lockstep wait for the rank with
    // the most (scheduler.ts, prefillsPerLockstepIteration).
    const prefills = prefillsPerLockstepIteration(batch / osl, lockstepRanks(p.dep.spec, p.dep.par));
    const interleavedMs = sched.prefillInterleave * prefills * prefillCostPerRequestS(p) * 1000;
    // Closed-loop TTFT of `batch` requests per replica: the engine's queue law for
    // the benchmark's request lengths (scheduler.ts, queueLawFor).
    prefillStepMs = singleRequestPrefillMs(p);
    ttftMs = queuedTtftMs(queueLawFor(serving.servingEngine, serving.requestLengths), prefillStepMs, batch);
    // A benchmark's TPOT is (latency - TTFT) / (output - 1): the first token is not in it.
    tpotMs = steadyStateDecodeMs(sched, dec.timeS * 1000) / acceptedTokensPerStep(serving) + interleavedMs;
    balanceWaitMs = balanceHoldMs(p, batch, ttftMs, tpotMs);
    ttftMs += balanceWaitMs;
  } else {
    const pre = prefillTiming(p, batch, true);
    ttftMs = pre.ttftMs;
    prefillStepMs = pre.step.timeS * 1000;
    // Seed 002: tpot = (ttft + decode_latency x output_length) / output_length.
    tpotMs = (ttftMs + ((dec.timeS * 1000) / acceptedTokensPerStep(serving)) * osl) / osl;
  }
  // Seed 002: output_throughput = 1000 x (output_length x concurrency) / (ttft + tpot x output_length).
  const tokensPerS = (1000 * osl * base.concurrency) / (ttftMs + tpotMs * osl);
  return {
    ...base,
    ttftMs,
    tpotMs,
    tokensPerS,
    tokensPerSPerDevice: tokensPerS / base.numDevices,
    tokensPerSPerUser: 1000 / tpotMs,
    prefillStepMs,
    decodeStepMs: dec.timeS * 1000,
    attentionDpBalanceWaitMs: balanceWaitMs,
    shares: shares(dec),
    qps: (base.concurrency / (ttftMs + tpotMs * osl)) * 1000,
  };
}

/** A disaggregated prefill instance: TTFT as above, input tokens/s, P QPS = concurrency / ttft x 1000. */
export function evaluatePrefill(p: StepPricer, batch: number): ServingPoint {
  const { serving, workload } = p.dep;
  // In steady state the queued requests wait outside the instance; only a prefill
  // step's worth of sequences holds KV cache at once (the rest is handed to decode).
  const stepSeqs = Math.max(1, Math.floor(serving.maxBatchedTokens / effectiveInputLength(workload, serving).effective));
  const base = basePoint(p, 'prefill', batch, serving.scheduling === 'steady-state' ? Math.min(batch, stepSeqs) : batch);
  const pre = prefillTiming(p, batch, false);
  const tokensPerS = (batch * p.dep.workload.inputLength * p.dep.par.dp) / pre.drainS;
  // Steady state: `batch` requests in flight on a replica queue for it as in aggregated serving.
  const steady = serving.scheduling === 'steady-state';
  const prefillStepMs = steady ? singleRequestPrefillMs(p) : pre.step.timeS * 1000;
  const ttftMs = steady ? queuedTtftMs(queueLawFor(serving.servingEngine, serving.requestLengths), prefillStepMs, batch) : pre.ttftMs;
  return {
    ...base,
    ttftMs,
    tpotMs: 0,
    tokensPerS,
    tokensPerSPerDevice: tokensPerS / base.numDevices,
    tokensPerSPerUser: tokensPerS / base.concurrency,
    prefillStepMs,
    decodeStepMs: 0,
    // A prefill-only worker has no generation requests, which releases every held prefill at once.
    attentionDpBalanceWaitMs: 0,
    shares: shares(pre.step),
    qps: (base.concurrency / ttftMs) * 1000,
  };
}

/** A disaggregated decode instance: TPOT = step / accepted tokens, D QPS = concurrency / (tpot x max(osl - 1, 1)) x 1000. */
export function evaluateDecode(p: StepPricer, batch: number): ServingPoint {
  const base = basePoint(p, 'decode', batch);
  const dec = decodeStep(p, batch);
  const { serving } = p.dep;
  const stepMs = serving.scheduling === 'steady-state' ? steadyStateDecodeMs(SCHEDULERS[serving.servingEngine], dec.timeS * 1000) : dec.timeS * 1000;
  const tpotMs = stepMs / acceptedTokensPerStep(serving);
  const tokensPerS = (base.concurrency * 1000) / tpotMs;
  return {
    ...base,
    ttftMs: 0,
    tpotMs,
    tokensPerS,
    tokensPerSPerDevice: tokensPerS / base.numDevices,
    tokensPerSPerUser: 1000 / tpotMs,
    prefillStepMs: 0,
    decodeStepMs: dec.timeS * 1000,
    attentionDpBalanceWaitMs: 0,
    shares: shares(dec),
    qps: (base.concurrency / (tpotMs * Math.max(p.dep.workload.outputLength - 1, 1))) * 1000,
  };
}

export function evaluate(p: StepPricer, mode: ServingPoint['mode'], batch: number): ServingPoint {
  if (mode === 'prefill') return evaluatePrefill(p, batch);
  if (mode === 'decode') return evaluateDecode(p, batch);
  return evaluateAgg(p, batch);
}
