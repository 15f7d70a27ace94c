/**
 * Flags shared by `estimate`, `optimize` and friends (seed 002's names and
 * defaults), and their conversion to engine values. Defaults live in
 * src/engine/defaults.ts; here only the parsing and the checks.
 */
import { Option, type Command } from 'commander';
import { OptixUserError } from '../errors.js';
import { defaultQuantOptions, defaultServingOptions, GIB } from '../engine/defaults.js';
import { TRTLLM_ATTENTION_DP_BALANCE } from '../engine/adp-balance.js';
import { ATTENTION_ACTIONS, LINEAR_ACTIONS, REQUEST_LENGTHS, type AttentionAction, type AttentionDpBalance, type LinearAction, type QuantOptions, type RequestLengths, type SchedulingModel, SERVING_ENGINES, type ServingEngine, type ServingOptions } from '../engine/types.js';

export function parseIntArg(flag: string): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n)) throw new OptixUserError(`${flag} expects an integer, got '${v}'`);
    return n;
  };
}

export function parseNumberArg(flag: string): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n)) throw new OptixUserError(`${flag} expects a number, got '${v}'`);
    return n;
  };
}

/** Variadic integer list (`--tp-sizes 1 2 4`); `true` when the flag is given with no values. */
export function parseIntList(flag: string): (v: string, prev: number[] | undefined) => number[] {
  const one = parseIntArg(flag);
  return (v, prev) => [...(prev ?? []), one(v)];
}

export function parseNumberList(flag: string): (v: string, prev: number[] | undefined) => number[] {
  const one = parseNumberArg(flag);
  return (v, prev) => [...(prev ?? []), one(v)];
}

/** Adds the model/quantization/serving flags of seed 002 to a command. */
export function addEngineOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--quantize-linear-action <action>', 'quantize all linear layers').choices([...LINEAR_ACTIONS]).default('W8A8_DYNAMIC'))
    .addOption(new Option('--quantize-attention-action <action>', 'quantize the KV cache').choices([...ATTENTION_ACTIONS]).default('DISABLED'))
    .option('--mxfp4-group-size <n>', 'group size for MXFP4 quantization', parseIntArg('--mxfp4-group-size'), 32)
    .option('--compile', 'model graph capture (torch.compile / CUDA graphs): lower per-op launch costs', false)
    .option('--compile-allow-graph-break', 'graph capture with graph breaks (fewer launches saved)', false)
    .addOption(new Option('--num-mtp-tokens <k>', 'MTP draft tokens per decode step (0 = off; models with MTP layers only)').argParser(parseIntArg('--num-mtp-tokens')).default(0))
    .option('--mtp-acceptance-rate <rates...>', 'acceptance rate of each draft token', parseNumberList('--mtp-acceptance-rate'))
    .option('--max-batched-tokens <n>', 'token budget of one prefill or mixed step', parseIntArg('--max-batched-tokens'), 8192)
    .option('--prefix-cache-hit-rate <r>', 'prefix cache hit rate in [0, 1)', parseNumberArg('--prefix-cache-hit-rate'), 0)
    .addOption(
      new Option('--scheduling <model>', "serving model: 'seed' (seed 002's formulas: a batch arrives at once) or 'steady-state' (closed-loop continuous batching, as benchmarks measure)")
        .choices(['seed', 'steady-state'])
        .default('seed'),
    )
    .addOption(
      new Option('--serving-engine <name>', "whose prefill queue --scheduling steady-state models (per-engine request overhead and queue growth; see docs/accuracy.md)")
        .choices([...SERVING_ENGINES])
        .default('generic'),
    )
    .addOption(
      new Option('--request-lengths <kind>', "under --scheduling steady-state: 'varied' request lengths (production traffic) or 'fixed' (every request exactly --input-length / --output-length, as fixed-length benchmarks send: lockstep waves on prefill-first engines such as sglang, a train of prefills and its own queue law on vllm / trtllm)")
        .choices([...REQUEST_LENGTHS])
        .default('varied'),
    )
    .option(
      '--attention-dp-balance <timeout,wait>',
      "under --scheduling steady-state with attention DP (--dp-size > 1): TensorRT-LLM's attention_dp_config.enable_balance, which holds a new prefill until every DP rank has one, at most <timeout> decode iterations, then <wait> more; 'trtllm' = its defaults 50,10",
      parseAttentionDpBalance,
    )
    .option('--reserved-memory-gb <gb>', 'device memory reserved for the system (GiB)', parseNumberArg('--reserved-memory-gb'), 10)
    .option('--image-height <px>', 'image height for VL models', parseIntArg('--image-height'))
    .option('--image-width <px>', 'image width for VL models', parseIntArg('--image-width'))
    .option('--device-file <paths...>', 'extra device profile files (YAML/JSON) to register')
    .option('--model-config-dir <dir>', 'directory of <org>--<name>.json Hugging Face configs to resolve model ids from')
    .option('--json', 'print machine-readable JSON', false);
}

export interface EngineFlags {
  quantizeLinearAction: string;
  quantizeAttentionAction: string;
  mxfp4GroupSize: number;
  compile: boolean;
  compileAllowGraphBreak: boolean;
  numMtpTokens: number;
  mtpAcceptanceRate?: number[];
  maxBatchedTokens: number;
  prefixCacheHitRate: number;
  reservedMemoryGb: number;
  scheduling: SchedulingModel;
  servingEngine: ServingEngine;
  requestLengths: RequestLengths;
  attentionDpBalance?: AttentionDpBalance;
  imageHeight?: number;
  imageWidth?: number;
  deviceFile?: string[];
  modelConfigDir?: string;
  json: boolean;
}

export function quantFromFlags(f: EngineFlags): QuantOptions {
  return defaultQuantOptions({
    linear: f.quantizeLinearAction as LinearAction,
    attention: f.quantizeAttentionAction as AttentionAction,
    mxfp4GroupSize: f.mxfp4GroupSize,
  });
}

export function servingFromFlags(f: EngineFlags, visionTokens: number): ServingOptions {
  if (f.numMtpTokens < 0 || f.numMtpTokens > 9) throw new OptixUserError(`--num-mtp-tokens must be in 0..9, got ${f.numMtpTokens}`);
  if (f.reservedMemoryGb < 0) throw new OptixUserError(`--reserved-memory-gb must be >= 0, got ${f.reservedMemoryGb}`);
  // The per-engine laws exist only in the steady-state model: under seed 002's formulas they would be silently ignored.
  if (f.scheduling === 'seed') {
    if (f.servingEngine !== 'generic') throw new OptixUserError(`--serving-engine ${f.servingEngine} has no effect under --scheduling seed (seed 002's formulas)`, { hint: 'add --scheduling steady-state' });
    if (f.requestLengths !== 'varied') throw new OptixUserError(`--request-lengths ${f.requestLengths} has no effect under --scheduling seed (seed 002's formulas)`, { hint: 'add --scheduling steady-state' });
    if (f.attentionDpBalance !== undefined) throw new OptixUserError("--attention-dp-balance has no effect under --scheduling seed (seed 002's formulas)", { hint: 'add --scheduling steady-state' });
  }
  const base = defaultServingOptions();
  return defaultServingOptions({
    maxBatchedTokens: f.maxBatchedTokens,
    reservedMemoryBytes: f.reservedMemoryGb * GIB,
    compile: f.compile || f.compileAllowGraphBreak,
    compileAllowGraphBreak: f.compileAllowGraphBreak,
    numMtpTokens: f.numMtpTokens,
    mtpAcceptanceRates: f.mtpAcceptanceRate ?? base.mtpAcceptanceRates,
    visionTokens,
    scheduling: f.scheduling,
    servingEngine: f.servingEngine,
    requestLengths: f.requestLengths,
    attentionDpBalance: f.attentionDpBalance ?? null,
  });
}

/** `--attention-dp-balance 60,0` (timeout_iters, batching_wait_iters) or `trtllm` (TensorRT-LLM's defaults). */
export function parseAttentionDpBalance(v: string): AttentionDpBalance {
  if (v.trim().toLowerCase() === 'trtllm') return { ...TRTLLM_ATTENTION_DP_BALANCE };
  const parts = v.split(',').map((x) => x.trim());
  const [timeoutIterations, batchingWaitIterations] = parts.map(Number);
  if (parts.length !== 2 || !Number.isInteger(timeoutIterations) || !Number.isInteger(batchingWaitIterations) || timeoutIterations! < 0 || batchingWaitIterations! < 0) {
    throw new OptixUserError(`--attention-dp-balance expects <timeout,wait> in decode iterations (two integers >= 0, e.g. 60,0) or 'trtllm', got '${v}'`);
  }
  return { timeoutIterations: timeoutIterations!, batchingWaitIterations: batchingWaitIterations! };
}
