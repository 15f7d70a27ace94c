/**
 * Maps the names of measured-data CSVs (aiconfigurator's silicon layout) onto
 * the project's: systems -> device profiles, quant modes -> quantization
 * actions, the data's parallel columns -> ParallelConfig. Pure functions; each
 * returns a reason string instead of throwing, so a row it cannot map is
 * counted by reason rather than dropped.
 */
import { TRTLLM_ATTENTION_DP_BALANCE } from '../engine/adp-balance.js';
import type { AttentionAction, AttentionDpBalance, LinearAction, ModelSpec, ParallelConfig, RequestLengths } from '../engine/types.js';

/** The data's system names -> built-in profile names. */
export const SYSTEM_PROFILES: Readonly<Record<string, string>> = {
  h100_sxm: 'H100_SXM_80G',
  h200_sxm: 'H200_SXM_141G',
  b200_sxm: 'B200_SXM_180G',
  b300_sxm: 'B300_SXM_288G',
  gb200: 'GB200',
  gb300: 'GB300',
  a100_sxm: 'A100_SXM_80G',
  mi300x: 'MI300X',
};

/** A profile name for a data system name (case-insensitive), or undefined. */
export function mapSystem(system: string): string | undefined {
  return SYSTEM_PROFILES[system.trim().toLowerCase()];
}

export type Mapped<T> = { ok: true; value: T } | { ok: false; reason: string };

export interface LinearQuant {
  linear: LinearAction;
  mxfp4GroupSize: number;
}

/** NVFP4: 4-bit elements with one scale per 16 (the engine's MXFP4 action at group size 16). */
export const NVFP4_GROUP_SIZE = 16;

const QUANT_MODES: Readonly<Record<string, LinearQuant>> = {
  fp8: { linear: 'FP8', mxfp4GroupSize: 32 },
  fp8_block: { linear: 'FP8', mxfp4GroupSize: 32 },
  nvfp4: { linear: 'MXFP4', mxfp4GroupSize: NVFP4_GROUP_SIZE },
  fp4: { linear: 'MXFP4', mxfp4GroupSize: NVFP4_GROUP_SIZE },
  mxfp4: { linear: 'MXFP4', mxfp4GroupSize: 32 },
  bfloat16: { linear: 'DISABLED', mxfp4GroupSize: 32 },
  bf16: { linear: 'DISABLED', mxfp4GroupSize: 32 },
  float16: { linear: 'DISABLED', mxfp4GroupSize: 32 },
  fp16: { linear: 'DISABLED', mxfp4GroupSize: 32 },
};

/**
 * The linear-layer quantization of a row: `gemm_quant_mode`, else the
 * `precision` column, else the checkpoint's own weight dtype (a model whose
 * config carries an fp8 quantization_config runs FP8; otherwise bf16).
 */
export function mapQuant(gemmQuantMode: string, precision: string, model?: ModelSpec): Mapped<LinearQuant> {
  for (const [column, v] of [
    ['gemm_quant_mode', gemmQuantMode],
    ['precision', precision],
  ] as const) {
    const key = v.trim().toLowerCase();
    if (key === '') continue;
    const hit = QUANT_MODES[key];
    if (hit === undefined) return { ok: false, reason: `unsupported quantization (${column} ${key})` };
    return { ok: true, value: hit };
  }
  if (model !== undefined) {
    return { ok: true, value: model.nativeWeightDtype === 'fp8' ? QUANT_MODES.fp8! : QUANT_MODES.bf16! };
  }
  return { ok: true, value: QUANT_MODES.bf16! };
}

/**
 * KV-cache dtype. Assumption (the data has no KV column): TensorRT-LLM
 * deployments of quantized checkpoints (fp8 / nvfp4) run an fp8 KV cache, as
 * its recipes for these models do; SGLang and vLLM default to the model dtype
 * (`kv_cache_dtype auto`), i.e. bf16.
 */
export function mapKvCache(backend: string, linear: LinearAction): AttentionAction {
  const quantized = linear === 'FP8' || linear === 'MXFP4';
  return backend.trim().toLowerCase() === 'trtllm' && quantized ? 'FP8' : 'DISABLED';
}

/** The data's per-worker parallel columns (already parsed to numbers; NaN = empty). */
export interface DataLayout {
  tp: number;
  pp: number;
  attentionDp: number;
  moeTp: number;
  moeEp: number;
}

/**
 * tp_size = attention TP, attention_dp_size = DP, pp_size = PP,
 * moe_tp_size / moe_ep_size = moeTp / ep, moeDp = tp x dp / (moeTp x ep).
 * Empty columns default to 1 (PP, DP) or to the plain-TP MoE layout.
 */
export function mapLayout(l: DataLayout, model: ModelSpec): Mapped<ParallelConfig> {
  const tp = orDefault(l.tp, NaN);
  if (!Number.isInteger(tp) || tp < 1) return { ok: false, reason: 'invalid layout (tp_size missing)' };
  const dp = orDefault(l.attentionDp, 1);
  const pp = orDefault(l.pp, 1);
  const stage = tp * dp;
  let ep = orDefault(l.moeEp, NaN);
  let moeTp = orDefault(l.moeTp, NaN);
  if (!model.moe) {
    ep = 1;
    moeTp = stage;
  } else {
    if (Number.isNaN(ep) && Number.isNaN(moeTp)) {
      ep = 1;
      moeTp = stage;
    } else if (Number.isNaN(ep)) ep = stage / moeTp;
    else if (Number.isNaN(moeTp)) moeTp = stage / ep;
  }
  const moeDp = stage / (moeTp * ep);
  const par: ParallelConfig = { tp, dp, pp, ep, moeTp, moeDp };
  for (const [k, v] of Object.entries(par)) {
    if (!Number.isInteger(v) || v < 1) return { ok: false, reason: `invalid layout (${k} = ${fmt(v)})` };
  }
  return { ok: true, value: par };
}

/**
 * Some exports in the reference data write an expert-parallel worker's sizes
 * multiplied by its EP: a 4-GPU worker with attention TP 4 and EP 4 appears as
 * tp_size 16, moe_tp_size 4, moe_ep_size 4 (and DP 8 x EP 8 as
 * attention_dp_size 64). The sample holds both spellings of the same runs:
 * every such row on b200_sxm whose measurement appears twice has, as its twin,
 * the same TTFT and TPOT to the last digit under tp (or dp) / ep, moe_tp 1, and
 * no other layout. So a worker whose stage (tp x dp) is ep x ep, whose moe_tp
 * equals its ep, and which would span more devices than one scale-up domain
 * holds, is read as the stage / ep devices it ran on. Anything that fits the
 * domain is taken as written: a real moe_tp x ep split there cannot be told
 * apart from an inflated one.
 *
 * The same exports write a TP-k expert-parallel vLLM worker (EP k, which vLLM
 * spans over TP x DP) with its TP folded into DP as well: tp k, attention_dp k,
 * moe_tp 1, moe_ep k x k (a 4-GPU TP 4 / EP 4 Kimi-K2.5 or MiniMax-M2.5 run as
 * tp 4 / dp 4 / ep 16). Their twins (the Kimi-K2.5 gap-analysis export) list
 * the same TTFT and TPOT at tp 4 / ep 4 with 4x the batch size, the clients
 * both spellings imply, and the benchmark's launch script runs one node at
 * `--tensor-parallel-size $TP --enable-expert-parallel` with no data parallel
 * (SemiAnalysisAI/InferenceX benchmarks/single_node/fixed_seq_len/kimik2.5_fp4_b200.sh).
 * Such a worker beyond one scale-up domain is read as tp k, ep k.
 */
export function undoEpMultipliedSizes(l: DataLayout, scaleUpDevices: number): DataLayout {
  const tp = orDefault(l.tp, 1);
  const dp = orDefault(l.attentionDp, 1);
  const ep = l.moeEp;
  const stage = tp * dp;
  if (!(ep > 1) || stage <= scaleUpDevices) return l;
  if (l.moeTp === ep && stage === ep * ep) {
    if (dp === 1) return { ...l, tp: tp / ep, moeTp: 1 };
    if (tp === 1) return { ...l, attentionDp: dp / ep, moeTp: 1 };
    return l;
  }
  if (tp > 1 && dp === tp && ep === stage && orDefault(l.moeTp, 1) === 1) return { ...l, attentionDp: 1, moeEp: tp };
  return l;
}

function orDefault(v: number, d: number): number {
  return Number.isNaN(v) ? d : v;
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(3);
}

/**
 * How the benchmark behind a row drew its request lengths: each prompt and
 * each output uniformly in [floor(rangeRatio x L), L] tokens for the row's
 * isl / osl L. rangeRatio 1 means every request is exactly L.
 */
export interface LengthSampling {
  /** Which benchmark the rule comes from, for reports. */
  benchmark: string;
  rangeRatio: number;
  /**
   * 'fixed' when the benchmark is known to send every request at exactly isl
   * prompt and osl output tokens (ServingOptions.requestLengths: lockstep
   * waves on prefill-first engines); 'varied' otherwise, including when the
   * benchmark is unknown.
   */
  requestLengths: RequestLengths;
}

/**
 * What a row says when its source names no benchmark whose sampling is known:
 * priced at its nominal lengths, but not assumed to be a fixed-length run (a
 * lockstep wave is a strong claim that only a known benchmark backs).
 */
export const EXACT_LENGTHS: LengthSampling = { benchmark: 'as given', rangeRatio: 1, requestLengths: 'varied' };

/**
 * InferenceX (SemiAnalysis): utils/bench_serving/benchmark_serving.py's random
 * dataset draws input and output lengths with
 * `np.random.randint(int(L * range_ratio), L + 1)`, and its runs pass
 * RANDOM_RANGE_RATIO = 0.8. Its rows in the reference data are the dashboard's
 * exports, `source_file=YYYY-MM-DD.csv` and `db-dump/...` in silicon_data_source,
 * and the `source_file=<model>-gap-analysis.csv` files, which re-export its runs:
 * 82 of their 83 rows repeat an InferenceX row's TTFT and TPOT to the second
 * decimal.
 */
export const INFERENCEX_LENGTHS: LengthSampling = { benchmark: 'InferenceX', rangeRatio: 0.8, requestLengths: 'varied' };

/**
 * aiconfigurator's `eval` (ai-dynamo/aiconfigurator, src/aiconfigurator/eval/benchmarks):
 * genai_perf_runner.py sends `--synthetic-input-tokens-stddev 0
 * --output-tokens-stddev 0` with `min_tokens` = `max_tokens` = osl and
 * `ignore_eos`, bench_serving_runner.py `--random-range-ratio 1`: every request
 * exactly isl / osl. tools/automation/launch_eval.sh drives it; its rows in the
 * reference data come from that automation's data tree,
 * `source_file=.../aic-auto-gap-analysis/data/<system>/<backend>/<version>/<model>.csv`.
 */
export const AICONFIGURATOR_EVAL_LENGTHS: LengthSampling = { benchmark: 'aiconfigurator eval', rangeRatio: 1, requestLengths: 'fixed' };

const INFERENCEX_SOURCE = /(?:^|;\s*)source_file=(?:\d{4}-\d{2}-\d{2}|[\w.-]+-gap-analysis)\.csv(?:;|$)|^db-dump\//;
const AICONFIGURATOR_EVAL_SOURCE = /(?:^|;\s*)source_file=[^;]*\/aic-auto-gap-analysis\/data\//;

/** The length sampling of a row, from its silicon_data_source. */
export function lengthSamplingOf(source: string): LengthSampling {
  const s = source.trim();
  if (INFERENCEX_SOURCE.test(s)) return INFERENCEX_LENGTHS;
  if (AICONFIGURATOR_EVAL_SOURCE.test(s)) return AICONFIGURATOR_EVAL_LENGTHS;
  return EXACT_LENGTHS;
}

/**
 * The attention-DP balancer an aggregated row ran with, from its benchmark's
 * launch scripts (engine/adp-balance.ts). InferenceX's single-node
 * TensorRT-LLM scripts (SemiAnalysisAI/InferenceX benchmarks/dsr1_fp4_b200_trt.sh,
 * dsr1_fp8_b200_trt.sh, gptoss_fp4_b200_trt_slurm.sh) add
 * `attention_dp_config.enable_balance: true` whenever DP attention is on: with
 * `timeout_iters: 60, batching_wait_iters: 0` for DeepSeek-R1, TensorRT-LLM's
 * defaults (50 / 10) for gpt-oss. Every other benchmark and engine: none known.
 */
export function attentionDpBalanceOf(row: { backend: string; lengthSampling: LengthSampling }, model: Pick<ModelSpec, 'architecture'>): AttentionDpBalance | null {
  if (row.backend.trim().toLowerCase() !== 'trtllm' || row.lengthSampling.benchmark !== INFERENCEX_LENGTHS.benchmark) return null;
  return model.architecture === 'DeepseekV3ForCausalLM' ? INFERENCEX_DEEPSEEK_ATTENTION_DP_BALANCE : TRTLLM_ATTENTION_DP_BALANCE;
}

/** InferenceX's DeepSeek-R1 TensorRT-LLM scripts: `timeout_iters: 60`, `batching_wait_iters: 0`. */
export const INFERENCEX_DEEPSEEK_ATTENTION_DP_BALANCE: Readonly<AttentionDpBalance> = { timeoutIterations: 60, batchingWaitIterations: 0 };

/** The mean of integers uniform in [floor(rangeRatio x L), L], to the nearest token. */
export function meanLength(length: number, rangeRatio: number): number {
  if (rangeRatio >= 1) return length;
  return Math.round((Math.floor(length * rangeRatio) + length) / 2);
}
