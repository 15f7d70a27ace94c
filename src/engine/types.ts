/**
 * Core value types shared by every part of the engine. The engine is pure: it
 * takes these values and returns values; it never reads files, env or the clock.
 *
 * Units: SI inside (seconds, bytes, FLOP/s, bytes/s); milliseconds only at the
 * edges (serving results and front doors), and named so (`ttftMs`).
 */

/** Numeric formats a matrix or vector unit can compute in, or a tensor can be stored in. */
export type Dtype = 'fp32' | 'bf16' | 'fp16' | 'fp8' | 'int8' | 'int4' | 'fp4';

/** The four buckets every op's time lands in (seed 000/002 report their shares). */
export type Bucket = 'cube' | 'vec' | 'mem' | 'comm';

// ---------------------------------------------------------------------------
// Model specs
// ---------------------------------------------------------------------------

export interface GqaAttentionSpec {
  kind: 'gqa';
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  /** Sliding-window size in tokens for the layers that use one (gpt-oss alternates). */
  slidingWindow?: number;
  /** How many of the decoder layers use the sliding window (0 when none). */
  numSlidingLayers: number;
  /** Extra learned bias/sink params etc. are ignored; q/k norms are vector work only. */
  qkNorm: boolean;
  /**
   * The q and k RMSNorms span all heads of the layer (MiniMax-M2 `qk_norm_type: per_layer`),
   * not one head: under TP each rank holds part of the heads, so the ranks all-reduce the
   * q and k variances (one small all-reduce per layer, vLLM/SGLang `MiniMaxText01RMSNormTP`).
   */
  qkNormAcrossHeads?: boolean;
  /**
   * Gated attention (Qwen3-Next / Qwen3.5 `attn_output_gate`): q_proj also emits a
   * per-head sigmoid gate on the attention output, so its width doubles.
   */
  outputGate?: boolean;
}

/**
 * Gated DeltaNet linear attention (Qwen3-Next, Qwen3.5/3.6): a fixed-size recurrent
 * state per sequence instead of a KV cache. q and k have `numKeyHeads` heads, v and
 * the state `numValueHeads` (each key head serves numValueHeads / numKeyHeads of them).
 */
export interface LinearAttentionSpec {
  kind: 'gated-delta-net';
  /** Decoder layers that use it; the `attention` spec applies to the others. */
  numLayers: number;
  numKeyHeads: number;
  numValueHeads: number;
  keyHeadDim: number;
  valueHeadDim: number;
  /** Depthwise causal conv over q, k, v (linear_conv_kernel_dim). */
  convKernel: number;
  /** Storage of the recurrent state (config `mamba_ssm_dtype`, fp32 in every reference). */
  stateDtype: Dtype;
}

export interface MlaAttentionSpec {
  kind: 'mla';
  numHeads: number;
  /** 0 means q is projected directly from hidden (no q LoRA). */
  qLoraRank: number;
  kvLoraRank: number;
  qkNopeHeadDim: number;
  qkRopeHeadDim: number;
  vHeadDim: number;
  /**
   * DeepSeek sparse attention (DeepSeek-V3.2, GLM-5; `index_n_heads`, `index_head_dim`,
   * `index_topk`): a lightning indexer scores every cached token for each query with its own
   * small fp8 MQA (`numHeads` heads of `headDim` over one key per token), and the attention
   * reads only the `topK` best keys. Absent = dense MLA.
   */
  indexer?: MlaIndexerSpec;
}

export interface MlaIndexerSpec {
  numHeads: number;
  headDim: number;
  topK: number;
}

export type AttentionSpec = GqaAttentionSpec | MlaAttentionSpec;

export interface MoeSpec {
  numExperts: number;
  topK: number;
  /** Intermediate size of one routed expert. */
  expertIntermediateSize: number;
  numSharedExperts: number;
  /** Intermediate size of one shared expert (0 when none). */
  sharedExpertIntermediateSize: number;
  /**
   * A per-token sigmoid gate scales the shared expert's output (Qwen2-MoE lineage: Qwen3-Next,
   * Qwen3.5 `shared_expert_gate`, a hidden -> 1 linear kept in bf16). Absent = no gate (DeepSeek).
   */
  sharedExpertGate?: boolean;
  /** Leading layers that use a dense MLP instead of MoE (DeepSeek first_k_dense_replace). */
  numDenseLayers: number;
  /** Every n-th layer is MoE (1 = all non-leading layers). */
  moeLayerFrequency: number;
}

export interface VisionSpec {
  patchSize: number;
  /** Spatial merge (tokens per side merged into one LLM token). */
  spatialMergeSize: number;
  hiddenSize: number;
  depth: number;
  /** The vision transformer's shape, when the config gives it (without it only the image tokens are modeled). */
  encoder?: VisionEncoderSpec;
}

/** A ViT over an image's patches (Qwen-VL, Kimi MoonViT), then patch mergers into the LLM's hidden size. */
export interface VisionEncoderSpec {
  numHeads: number;
  /** MLP hidden width (GELU, two matrices). */
  intermediateSize: number;
  /** Pixel values one patch embeds: in_channels x temporal_patch_size x patch_size^2. */
  patchInputs: number;
  /** Width the mergers project to (the language model's hidden size). */
  outHiddenSize: number;
  /** Patch mergers run over the encoder's output: 1, plus Qwen3-VL's DeepStack mergers. */
  mergers: number;
}

/** A normalized model architecture, independent of any device. */
export interface ModelSpec {
  /** Hugging Face id (or the path it was loaded from). */
  id: string;
  /** Where the numbers come from: a catalog entry's HF id + file, or a local path. */
  source: string;
  architecture: string; // HF `architectures[0]`, e.g. 'Qwen3ForCausalLM'
  family: 'dense' | 'moe' | 'mla-moe';
  hiddenSize: number;
  numLayers: number;
  vocabSize: number;
  tieWordEmbeddings: boolean;
  /** Dense-layer MLP intermediate size (also used by MoE models' leading dense layers). */
  intermediateSize: number;
  /** Gated MLP (SwiGLU: 3 matrices) vs plain (2 matrices). */
  gatedMlp: boolean;
  attention: AttentionSpec;
  /** Hybrid models: the layers that use linear attention instead of `attention`. */
  linearAttention?: LinearAttentionSpec;
  moe?: MoeSpec;
  /**
   * Multi-token-prediction modules (DeepSeek num_nextn_predict_layers, Qwen3-Next / Qwen3.5
   * mtp_num_hidden_layers, MiniMax-M2 num_mtp_modules); 0 when none.
   */
  numMtpLayers: number;
  /** The MTP modules use the main embedding and LM head instead of storing their own copies (Qwen3.5: mtp_use_dedicated_embeddings false). */
  mtpSharesEmbeddings?: boolean;
  maxPositionEmbeddings: number;
  /** The checkpoint's native weight dtype (bf16, or fp8 when quantization_config says so). */
  nativeWeightDtype: Dtype;
  vision?: VisionSpec;
}

export interface ParameterCounts {
  /** All weights, excluding MTP modules. */
  total: number;
  /** Weights touched by one token (routed experts counted topK of numExperts). */
  active: number;
  embedding: number;
  mtp: number;
  /** The vision encoder (VL models whose config describes it), not in `total`. */
  vision?: number;
}

// ---------------------------------------------------------------------------
// Device profiles
// ---------------------------------------------------------------------------

/** Points [x, efficiency] interpolated linearly in log2(x), clamped at both ends. */
export type EfficiencyCurve = ReadonlyArray<readonly [number, number]>;

export interface CommTier {
  name: string;
  /** Devices in one group of this tier, counting everything inside it (8 for a node of 8). */
  devices: number;
  /** One direction, per device. */
  bandwidthBytesPerS: number;
  latencyS: number;
  efficiency: number;
  topology?: string;
}

export interface DeviceProfile {
  name: string;
  vendor: string;
  description: string;
  /** Peak dense matrix throughput per dtype, FLOP/s. */
  matrixPeakFlopsPerS: Partial<Record<Dtype, number>>;
  /** Peak vector-unit throughput per dtype, FLOP/s (GPUs: CUDA-core rate). */
  vectorPeakFlopsPerS: Partial<Record<Dtype, number>>;
  memoryBytes: number;
  hbmBandwidthBytesPerS: number;
  /** Innermost tier first; the last tier's `devices` is the whole grid. */
  commGrid: CommTier[];
  staticCostS: {
    matrixOp: number;
    vectorOp: number;
    memoryOp: number;
    /** Floor of one collective of the serving engines' own kernels ('direct', see ops/types.ts). */
    collective: number;
    /**
     * Floor of one NCCL collective (the 'ring' algorithm the NCCL microbenchmarks time);
     * `collective` when absent. Calibrated profiles fit it to nccl_perf.csv: NCCL's kernels
     * are not the engines' all-reduce, whose floor no kernel table here measures.
     */
    ncclCollective?: number;
    /** A flash-attention kernel's own floor (prefill / decode); matrixOp when absent. Calibrated profiles fit them. */
    attentionPrefillOp?: number;
    attentionDecodeOp?: number;
    /**
     * Decode attention's time per (sequence, KV head) pair: with many short sequences the
     * kernel is bound by its work units, not by the bytes it reads. Absent: no such floor.
     */
    attentionDecodePerKvPair?: number;
    /** Share of the static costs left under graph capture (--compile); default 0.25. */
    graphReplayFraction?: number;
  };
  efficiency: {
    /** Matrix efficiency vs GEMM rows M (tokens); per dtype overrides `default`. */
    gemmByM: Partial<Record<Dtype | 'default', EfficiencyCurve>>;
    /** Multiplier vs min(N, K) of the GEMM: narrow shapes under-fill the machine. */
    gemmByNK: EfficiencyCurve;
    /** Optional per-dtype `gemmByNK` (calibrated profiles); a dtype without one uses `gemmByNK`. */
    gemmByNKByDtype?: Partial<Record<Dtype, EfficiencyCurve>>;
    /** Prefill (flash) attention matrix efficiency vs sequence length. */
    attentionPrefillBySeq: EfficiencyCurve;
    /** Optional per-math-dtype `attentionPrefillBySeq`; a dtype without one uses `attentionPrefillBySeq`. */
    attentionPrefillBySeqByDtype?: Partial<Record<Dtype, EfficiencyCurve>>;
    /**
     * Optional multiplier on prefill attention vs the op's parallel work, sequences x query
     * heads x sequence length (query rows the kernel tiles over): few rows under-fill the SMs.
     * Absent = 1.
     */
    attentionPrefillByWork?: EfficiencyCurve;
    /**
     * Optional multiplier on prefill attention vs head dim: flash-attention tiles get more
     * work per loaded K/V row as the head widens (measured: d64 runs well below d256). Absent = 1.
     */
    attentionPrefillByHeadDim?: EfficiencyCurve;
    /**
     * Optional multiplier on GQA decode attention's matrix efficiency vs query heads per KV
     * head: the tensor-core decode kernels take head groups up to a size, larger groups fall
     * back to a CUDA-core kernel (measured on H100 and B200: groups of 48+ run 5-10x below
     * the groups of 32). Not applied to MLA decode. Absent = 1.
     */
    attentionDecodeByGroup?: EfficiencyCurve;
    /**
     * Optional efficiency of decode attention's per-(sequence, KV head) work vs query heads per
     * KV head: the per-pair cost (`staticCostS.attentionDecodePerKvPair`, set by MHA) divided by
     * it. GQA kernels give a pair the whole head group (measured ~4x an MHA pair's time), and
     * groups past the GQA kernels' largest run as MHA over the query heads (~group x). Absent = 1.
     */
    attentionDecodePairByGroupByDtype?: Partial<Record<Dtype, EfficiencyCurve>>;
    /**
     * Optional bandwidth efficiency of prefill attention vs its bytes (Q, K, V, O): the memory
     * side of its roofline, which also carries the kernel's floor. Absent = `memoryByBytes`.
     */
    attentionPrefillByBytes?: EfficiencyCurve;
    /** Decode attention bandwidth efficiency vs KV bytes read per step per device. */
    attentionDecodeByBytes: EfficiencyCurve;
    /** Optional per-dtype (the KV cache's) `attentionDecodeByBytes`. */
    attentionDecodeByBytesByDtype?: Partial<Record<Dtype, EfficiencyCurve>>;
    /** Bandwidth efficiency of memory-bound ops vs bytes moved. */
    memoryByBytes: EfficiencyCurve;
    /**
     * Optional per-dtype bandwidth efficiency of GEMMs' memory side (weight reads of few-row
     * GEMMs): low-precision kernels with scales read HBM differently from bf16. Absent = memoryByBytes.
     */
    gemmMemoryByBytesByDtype?: Partial<Record<Dtype, EfficiencyCurve>>;
    /** Vector unit efficiency (flat). */
    vector: number;
    /** Collective bandwidth multiplier vs message bytes (on top of the tier's efficiency). */
    commByBytes: EfficiencyCurve;
  };
  /** Figure name -> where it comes from (spec sheet, calibration run, ...). */
  sources: Record<string, string>;
  /** 'specification' or 'calibrated from <tables>'. */
  calibration: string;
}

// ---------------------------------------------------------------------------
// Quantization
// ---------------------------------------------------------------------------

export const LINEAR_ACTIONS = [
  'DISABLED',
  'W8A16_STATIC',
  'W8A8_STATIC',
  'W4A8_STATIC',
  'W8A16_DYNAMIC',
  'W8A8_DYNAMIC',
  'W4A8_DYNAMIC',
  'FP8',
  'MXFP4',
] as const;
export type LinearAction = (typeof LINEAR_ACTIONS)[number];

export const ATTENTION_ACTIONS = ['DISABLED', 'INT8', 'FP8'] as const;
export type AttentionAction = (typeof ATTENTION_ACTIONS)[number];

export interface QuantOptions {
  linear: LinearAction;
  attention: AttentionAction;
  mxfp4GroupSize: number;
}

// ---------------------------------------------------------------------------
// Deployment
// ---------------------------------------------------------------------------

/**
 * One instance's parallel layout. Attention: tp x dp x pp = devices.
 * Experts: ep x moeTp x moeDp = tp x dp (the devices of one pipeline stage).
 */
export interface ParallelConfig {
  tp: number;
  dp: number;
  pp: number;
  ep: number;
  moeTp: number;
  moeDp: number;
}

export interface Workload {
  inputLength: number;
  outputLength: number;
  prefixCacheHitRate: number;
}

export interface ServingOptions {
  maxBatchedTokens: number;
  reservedMemoryBytes: number;
  compile: boolean;
  compileAllowGraphBreak: boolean;
  numMtpTokens: number;
  mtpAcceptanceRates: number[];
  /** Extra prompt tokens per request from images (VL models); 0 when none. */
  visionTokens: number;
  /**
   * How aggregated serving turns step latencies into TTFT/TPOT:
   * 'seed' — seed 002's formulas as written (a batch arrives at once, prefilled
   * max_batched_tokens // input at a time); 'steady-state' — closed-loop
   * continuous batching as benchmarks measure it (see serving.ts).
   */
  scheduling: SchedulingModel;
  /**
   * Whose scheduler queues the prefills under 'steady-state' (engine/scheduler.ts):
   * the serving engines differ in per-request overhead and in how fast the
   * prefill queue grows with the clients. 'generic' when unknown.
   */
  servingEngine: ServingEngine;
  /**
   * The clients' request lengths under 'steady-state': 'varied' (production
   * traffic, or a benchmark that draws lengths from a range) or 'fixed' (every
   * request exactly inputLength / outputLength tokens, as fixed-length
   * benchmarks send). Fixed lengths keep closed-loop clients in lockstep waves
   * on prefill-first engines (engine/scheduler.ts, servesInWaves).
   */
  requestLengths: RequestLengths;
  /**
   * Under 'steady-state' with attention DP: TensorRT-LLM's attention-DP
   * balancing (`attention_dp_config.enable_balance`), which holds new prefills
   * until every rank has one (engine/adp-balance.ts); null when off.
   */
  attentionDpBalance: AttentionDpBalance | null;
}

/** TensorRT-LLM's `attention_dp_config` with `enable_balance: true`. */
export interface AttentionDpBalance {
  /** `timeout_iters`: the most decode iterations a prefill is held for the other ranks (TensorRT-LLM's default 50). */
  timeoutIterations: number;
  /** `batching_wait_iters`: iterations it is held once every rank has one (default 10). */
  batchingWaitIterations: number;
}

export type SchedulingModel = 'seed' | 'steady-state';

export const REQUEST_LENGTHS = ['varied', 'fixed'] as const;
export type RequestLengths = (typeof REQUEST_LENGTHS)[number];

export const SERVING_ENGINES = ['generic', 'vllm', 'sglang', 'trtllm'] as const;
export type ServingEngine = (typeof SERVING_ENGINES)[number];

// ---------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------

export interface MemoryBreakdown {
  /** Per device. */
  weightsBytes: number;
  kvCacheBytes: number;
  activationBytes: number;
  reservedBytes: number;
  totalBytes: number;
  capacityBytes: number;
  /** KV bytes one token of context costs on one device. */
  kvBytesPerToken: number;
  /** Largest number of sequences per DP replica that fit at the workload's full context. */
  maxSequencesPerReplica: number;
  oom: boolean;
}

export type BucketShares = Record<Bucket, number>;

/** One priced op of a step (per device), for `--detail` tables. */
export interface PricedOp {
  name: string;
  bucket: Bucket;
  /** Seconds for all repetitions of this op in the step. */
  timeS: number;
  count: number;
  flops: number;
  bytes: number;
}

export interface StepLatency {
  timeS: number;
  /** Seconds per bucket (sum = timeS). */
  bucketS: BucketShares;
  ops: PricedOp[];
  flops: number;
  bytes: number;
}

/** Metrics of one deployment at one operating point (ms at this edge). */
export interface ServingPoint {
  mode: 'agg' | 'prefill' | 'decode';
  parallel: ParallelConfig;
  numDevices: number;
  /** Requests in flight on the whole instance (batch x DP). */
  concurrency: number;
  /** Sequences per DP replica. */
  batchSize: number;
  ttftMs: number;
  tpotMs: number;
  /** Output tokens/s of the instance (agg, decode); input tokens/s for prefill. */
  tokensPerS: number;
  tokensPerSPerDevice: number;
  tokensPerSPerUser: number;
  /** One prefill step; under 'steady-state', one request prefilled alone (what the TTFT queue law multiplies). */
  prefillStepMs: number;
  decodeStepMs: number;
  /** Of ttftMs, the mean time a prefill is held for the other attention-DP ranks (ServingOptions.attentionDpBalance); 0 when off. */
  attentionDpBalanceWaitMs: number;
  /** Time shares of the dominant step (decode for agg/decode, prefill for prefill). */
  shares: BucketShares;
  memory: MemoryBreakdown;
  oom: boolean;
  /** Requests/s one instance sustains (PD-ratio mode). */
  qps: number;
}
