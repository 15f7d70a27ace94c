/**
 * Steady-state prefill queueing of a closed-loop benchmark (B clients per
 * replica, each sending its next request when the last one ends), per serving
 * engine. The mean TTFT is
 *
 *   ttft = requestOverhead + P x (basePrefills + B / clientsPerPrefill)
 *
 * with P one request prefilled alone on the replica. `requestOverhead` is the
 * engine's time outside the GPU steps (HTTP and tokenizer front end, scheduler
 * loop, first-token detokenize and stream); `basePrefills` is the prefill plus
 * the decode iterations a new request waits for and shares its first step
 * with; `clientsPerPrefill` is how many clients it takes to add one prefill's
 * worth of queueing. Engines that keep a wave of arrivals together (SGLang runs
 * prefill batches apart from decode batches) queue faster than engines that
 * mix chunked prefills into decode iterations (vLLM, TensorRT-LLM). Clients whose
 * requests all have the same lengths run in waves on the first kind and in
 * trains on the second, which have a law of their own (queueLawFor).
 *
 * The TPOT (as benchmarks define it: (latency - TTFT) / (output - 1)) is
 *
 *   tpot = step x decodeStepScale + iterationOverhead + prefillInterleave x prefills x prefillCost
 *
 * per accepted token: the decode iteration, plus the prefill work of the other
 * requests that lands in it: prefills = B / output per iteration on one rank,
 * more when attention-DP ranks step in lockstep (prefillsPerLockstepIteration).
 *
 * The constants are fitted to shared/reference/silicon_calibration.csv by
 * scripts/fit-scheduler.ts (grid search for the least median |log error|; TTFT
 * over agg and disagg rows that give their whole deployment, the fixed-length
 * rows apart; TPOT over agg rows), with the built-in profiles of the same commit. That script also prints the errors on held-out systems and
 * model families, which chose the form: TTFT per engine, decode pooled. They
 * are the only serving-level numbers fitted to that data set.
 */
import type { RequestLengths, ServingEngine } from './types.js';

/**
 * The decode side is one law for every engine: per-engine decode constants fit
 * the sample better but predict held-out model families worse. The pooled fit
 * is close to the plain sum: 1.05 x the priced step, all prefill work
 * interleaved.
 */
const POOLED_DECODE = { decodeStepScale: 1.05, iterationOverheadMs: 0, prefillInterleave: 1 } as const;

export interface SchedulerModel {
  requestOverheadMs: number;
  basePrefills: number;
  clientsPerPrefill: number;
  /** Decode iteration = step x decodeStepScale + iterationOverheadMs (the engine's kernels and host work per iteration). */
  decodeStepScale: number;
  iterationOverheadMs: number;
  /** Share of each request's prefill cost that lands in the decode iterations of the others (TPOT). */
  prefillInterleave: number;
  /**
   * The TTFT law of closed-loop clients whose requests all have the same lengths,
   * on an engine that mixes prefill into decode iterations (queueLawFor); absent:
   * the varied-length law above.
   */
  fixedLengths?: QueueLaw;
}

/** The TTFT side and the decode side of a model (the fit searches them apart). */
export interface QueueLaw {
  requestOverheadMs: number;
  basePrefills: number;
  clientsPerPrefill: number;
}
export type DecodeLaw = Pick<SchedulerModel, 'decodeStepScale' | 'iterationOverheadMs' | 'prefillInterleave'>;

// The fit of the commit that split the fixed-length rows (aiconfigurator's eval) from
// the varied ones: SGLang's fixed-length rows run in lockstep waves and are not fitted;
// vLLM's and TensorRT-LLM's get their own law (a train: a higher base), and
// TensorRT-LLM's varied law is then its InferenceX rows' alone (it was 150 ms +
// P x (1 + B/16) for both kinds). docs/accuracy.md (items 19, 22) has the history.
export const SCHEDULERS: Readonly<Record<ServingEngine, Readonly<SchedulerModel>>> = {
  // One law fitted over every engine's rows: used when the engine is unknown.
  generic: { requestOverheadMs: 10, basePrefills: 2.75, clientsPerPrefill: 16, fixedLengths: { requestOverheadMs: 70, basePrefills: 2.5, clientsPerPrefill: 16 }, ...POOLED_DECODE },
  vllm: { requestOverheadMs: 10, basePrefills: 2, clientsPerPrefill: 12, fixedLengths: { requestOverheadMs: 0, basePrefills: 3, clientsPerPrefill: 16 }, ...POOLED_DECODE },
  sglang: { requestOverheadMs: 190, basePrefills: 1, clientsPerPrefill: 5, ...POOLED_DECODE },
  trtllm: { requestOverheadMs: 20, basePrefills: 1.75, clientsPerPrefill: 12, fixedLengths: { requestOverheadMs: 60, basePrefills: 3.5, clientsPerPrefill: 24 }, ...POOLED_DECODE },
};

/**
 * Engines that run a prefill batch whenever requests wait, before any decode
 * iteration (SGLang's scheduler: a new prefill batch first, else decode), and
 * never mix prefill chunks into decode iterations. Closed-loop clients whose
 * requests all have the same input and output length stay in lockstep waves on
 * such an engine (waveTtftMs). Engines that mix chunked prefills into decode
 * iterations (vLLM, TensorRT-LLM) stagger a wave into max-batched-tokens groups
 * within one cycle, which the steady-state queue law already prices.
 */
export const PREFILL_FIRST_ENGINES: ReadonlySet<ServingEngine> = new Set<ServingEngine>(['sglang']);

/** Whether fixed-length closed-loop clients run in lockstep waves on this engine. */
export function servesInWaves(engine: ServingEngine, requestLengths: RequestLengths): boolean {
  return requestLengths === 'fixed' && PREFILL_FIRST_ENGINES.has(engine);
}

/**
 * The queue law behind a steady-state TTFT. Fixed-length closed-loop clients on
 * an engine that mixes prefill chunks into decode iterations come back as a
 * train (see PREFILL_FIRST_ENGINES): the groups of a wave, staggered by one
 * iteration each, so nearly every iteration carries some group's prefill, and a
 * new request's wait for the iteration in flight and the one that returns its
 * token (TensorRT-LLM's overlap scheduler, vLLM's async scheduling) costs a
 * prefill each. With varied lengths prefills land at random, most iterations
 * are decode-only, and the wait is a decode step. So the fixed-length law has
 * its own base (fitted: ~3-3.5 prefills against ~1.75-2), where the engine has
 * one (SchedulerModel.fixedLengths); otherwise, and for varied lengths, the
 * engine's law.
 */
export function queueLawFor(engine: ServingEngine, requestLengths: RequestLengths): QueueLaw {
  const m = SCHEDULERS[engine];
  return requestLengths === 'fixed' && m.fixedLengths !== undefined ? m.fixedLengths : m;
}

/**
 * Lockstep waves: every client's request arrives together (they all ended
 * together), the engine prefills the whole wave max_batched_tokens at a time
 * before decoding any of it, then decodes all of it to the same last token.
 * From the wave's prefill schedule (serving.ts, wavePrefill: mean first-token
 * wait `waveMeanPrefillMs`, all prefilled after `waveDrainMs`):
 *
 *   ttft = requestOverhead + waveMeanPrefillMs
 *   tpot = decode iteration + (waveDrainMs - waveMeanPrefillMs) / (output - 1)
 *
 * the second term being the mean wait between a request's first token and the
 * wave's first decode iteration, which a benchmark's TPOT
 * ((latency - TTFT) / (output - 1)) carries. No constant is fitted for it: the
 * request overhead is the engine's own (SCHEDULERS).
 */
export function waveTtftMs(model: QueueLaw, waveMeanPrefillMs: number): number {
  return model.requestOverheadMs + waveMeanPrefillMs;
}

/** TPOT (ms) in a lockstep wave: one decode iteration per accepted token plus the wait for the wave's prefill to drain. */
export function waveTpotMs(decodeIterationMs: number, waveDrainMs: number, waveMeanPrefillMs: number, outputLength: number): number {
  return decodeIterationMs + Math.max(0, waveDrainMs - waveMeanPrefillMs) / Math.max(1, outputLength - 1);
}

/** Mean TTFT (ms) of `inFlight` closed-loop requests per replica, given one request's prefill alone (ms). */
export function queuedTtftMs(model: QueueLaw, singlePrefillMs: number, inFlight: number): number {
  return model.requestOverheadMs + singlePrefillMs * (model.basePrefills + inFlight / model.clientsPerPrefill);
}

/** One steady-state decode iteration (ms) from the priced step (ms). */
export function steadyStateDecodeMs(model: DecodeLaw, stepMs: number): number {
  return stepMs * model.decodeStepScale + model.iterationOverheadMs;
}

/**
 * Prefills per decode iteration that a group of `ranks` lockstep ranks waits for,
 * each rank starting `meanPerRank` new prefills per iteration on average
 * (requests per rank / output length). Arrivals are independent (Poisson) per
 * rank and an iteration lasts as long as its busiest rank, so this is the
 * expected maximum of `ranks` Poisson(meanPerRank) counts: sum over k >= 0 of
 * 1 - F(k)^ranks. One rank gives the mean itself; many ranks with rare prefills
 * approach ranks x mean (they seldom coincide); frequent prefills approach the
 * mean (every rank has some in every iteration).
 */
export function prefillsPerLockstepIteration(meanPerRank: number, ranks: number): number {
  if (ranks <= 1 || meanPerRank <= 0) return Math.max(0, meanPerRank);
  let expectedMax = 0;
  let pmf = Math.exp(-meanPerRank);
  let cdf = pmf;
  // Past mean + 12 sigma + 30 the tail term is below 1e-12 for any rank count used here.
  const last = Math.ceil(meanPerRank + 12 * Math.sqrt(meanPerRank) + 30);
  for (let k = 0; k <= last; k++) {
    const tail = 1 - cdf ** ranks;
    if (tail < 1e-12) break;
    expectedMax += tail;
    pmf *= meanPerRank / (k + 1);
    cdf += pmf;
  }
  return expectedMax;
}
