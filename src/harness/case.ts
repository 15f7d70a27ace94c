/**
 * The shape of one YAML case (schemas/case.schema.json is the authority; these
 * types mirror it for the code that reads a case after the schema passed).
 * Keys keep the YAML's snake_case so a message can quote them as written.
 */

import type { RequestLengths, ServingEngine } from '../engine/types.js';

export interface SpeculativeConfig {
  decoding_type: string;
  num_nextn_predict_layers?: number;
}

export interface WorkerConfig {
  tensor_parallel_size?: number;
  pipeline_parallel_size?: number;
  moe_expert_parallel_size?: number;
  /** TensorRT-LLM's switch: attention runs data-parallel over the tensor_parallel_size ranks. */
  enable_attention_dp?: boolean;
  /** vLLM/SGLang style: that many attention replicas of tensor_parallel_size devices each. */
  attention_dp_size?: number;
  max_batch_size?: number;
  max_num_tokens?: number;
  max_seq_len?: number;
  /** TensorRT-LLM's attention-DP balancing (engine/adp-balance.ts); its defaults when a field is missing. */
  attention_dp_config?: { enable_balance?: boolean; timeout_iters?: number; batching_wait_iters?: number };
  speculative_config?: SpeculativeConfig;
  [other: string]: unknown;
}

export interface MetricsConfig {
  log_file?: string;
  extractor_pattern?: string | string[];
  metric_names?: string[];
  required?: string[];
}

export interface Bound {
  min?: number;
  max?: number;
  baseline?: number;
  tolerance_pct?: number;
}

/** metric -> bound for every point, plus `concurrency: {N: {metric: bound}}` for one point. */
export interface ExpectConfig {
  concurrency?: Record<string, Record<string, Bound>>;
  [metric: string]: Bound | Record<string, Record<string, Bound>> | undefined;
}

export interface SearchConfig {
  mode?: 'agg' | 'disagg';
  num_devices?: number;
  tp_sizes?: number[];
  ep_sizes?: number[];
  moe_dp_sizes?: number[];
  batch_range?: [number, number];
  ttft_limit_ms?: number;
  tpot_limit_ms?: number;
  top_k?: number;
}

export interface CaseConfig {
  metadata: {
    model?: string;
    model_name?: string;
    precision?: string;
    supported_gpus?: string[];
    tags?: string[];
    reference?: string;
    description?: string;
  };
  runner?: 'engine' | 'command' | 'slurm';
  benchmark: {
    mode?: 'e2e' | 'gen_only' | 'ctx_only';
    streaming?: boolean;
    concurrency_list: string | number[];
    input_length: number;
    output_length: number;
    prefix_cache_hit_rate?: number;
    scheduling?: 'steady-state' | 'seed';
    serving_engine?: ServingEngine;
    request_lengths?: RequestLengths;
    ttft_limit_ms?: number;
    tpot_limit_ms?: number;
    metrics?: MetricsConfig;
  };
  hardware: {
    device?: string;
    gpus_per_node?: number;
    num_ctx_servers?: number;
    num_gen_servers?: number;
  };
  worker_config?: { gen?: WorkerConfig; ctx?: WorkerConfig };
  quantization?: { linear?: string; attention?: string; mxfp4_group_size?: number };
  search?: SearchConfig;
  expect?: ExpectConfig;
  [other: string]: unknown;
}

/** `"1 2 4"` or `[1, 2, 4]` -> [1, 2, 4]; words that are not numbers become NaN for the validator to name. */
export function parseConcurrencyList(value: string | number[] | undefined): number[] {
  if (value === undefined) return [];
  if (Array.isArray(value)) return value.map((v) => Number(v));
  return value
    .trim()
    .split(/[\s,]+/)
    .filter((w) => w !== '')
    .map((w) => (/^-?\d+(\.\d+)?$/.test(w) ? Number(w) : Number.NaN));
}

/** MTP draft tokens per step: `num_nextn_predict_layers` when decoding_type is MTP, else 0. */
export function mtpSize(w: WorkerConfig | undefined): number {
  const spec = w?.speculative_config;
  if (spec === undefined || spec.decoding_type.toUpperCase() !== 'MTP') return 0;
  return spec.num_nextn_predict_layers ?? 0;
}

/** A case is disaggregated when it names context servers (seed 001's num_ctx_servers). */
export function isDisagg(c: CaseConfig): boolean {
  return (c.hardware.num_ctx_servers ?? 0) > 0;
}

/** One worker's parallel layout in the engine's terms. */
export interface WorkerLayout {
  /** Attention tensor parallel. */
  tp: number;
  /** Attention data-parallel replicas. */
  dp: number;
  pp: number;
  /** Expert parallel; undefined = the engine's default (all devices of a stage). */
  ep?: number;
  /** Devices one server (instance) of this worker occupies. */
  devices: number;
}

/**
 * TensorRT-LLM's `enable_attention_dp` keeps the world at tensor_parallel_size
 * and runs attention with tp 1 on every rank; `attention_dp_size` (vLLM/SGLang)
 * adds replicas of tensor_parallel_size devices each.
 */
export function workerLayout(w: WorkerConfig | undefined): WorkerLayout {
  const size = w?.tensor_parallel_size ?? 1;
  const pp = w?.pipeline_parallel_size ?? 1;
  const ep = w?.moe_expert_parallel_size;
  if (w?.enable_attention_dp === true) {
    return { tp: 1, dp: size, pp, devices: size * pp, ...(ep === undefined ? {} : { ep }) };
  }
  const dp = w?.attention_dp_size ?? 1;
  return { tp: size, dp, pp, devices: size * dp * pp, ...(ep === undefined ? {} : { ep }) };
}
