import type { Dtype, ModelSpec, ParallelConfig } from '../types.js';
import type { QuantPlan } from '../quant.js';

export type CollectiveKind = 'all_reduce' | 'all_gather' | 'reduce_scatter' | 'all_to_all' | 'p2p';

/**
 * One kernel (or a fused group) of a step, as seen by one device after
 * sharding. `flops` and `bytes` are per repetition; `count` repeats it (layers).
 */
export interface Op {
  name: string;
  kind: 'gemm' | 'attention_prefill' | 'attention_decode' | 'vector' | 'memory' | 'collective';
  count: number;
  flops: number;
  bytes: number;
  dtype: Dtype;
  /** GEMM rows (tokens), columns and reduction size, for the efficiency curves. */
  m?: number;
  n?: number;
  k?: number;
  /** Attention: the (effective) key length that sets flash-attention efficiency. */
  seqLen?: number;
  /** Prefill attention: new tokens x query heads on this device, the rows the kernel tiles over. */
  queryRows?: number;
  /** Prefill attention: the query/key head dim (MLA: nope + rope). */
  headDim?: number;
  /** Decode attention: (sequence, KV head) pairs on the device, one flash-decoding work unit each. */
  kvPairs?: number;
  /** GQA decode attention: query heads sharing one KV head (the kernels' head group); absent for MLA. */
  queryHeadsPerKv?: number;
  collective?: {
    kind: CollectiveKind;
    groupSize: number;
    messageBytes: number;
    /**
     * How the data moves: 'direct' (default) — the serving engines' own kernels, every
     * device reading and writing its peers directly (one hop, two for an all-reduce, at
     * any group size); 'ring' — NCCL's ring, 2(n-1) hops for an all-reduce and n-1 for the
     * others, each with the tier's latency (the NCCL microbenchmarks).
     */
    algorithm?: 'direct' | 'ring';
  };
  /** Fused into a neighbouring kernel: no launch cost of its own. */
  fused?: boolean;
}

/**
 * What one DP replica processes in one step. A step may mix a prefill chunk
 * with decodes (chunked prefill), so both parts are optional.
 */
export interface StepShape {
  prefill?: {
    sequences: number;
    /** New tokens per sequence in this step. */
    newTokens: number;
    /** Tokens already in the KV cache per sequence (prefix-cache hits, earlier chunks). */
    priorContext: number;
  };
  decode?: {
    sequences: number;
    /** KV length per sequence. */
    context: number;
    /** Tokens verified per sequence per step (1 + MTP draft tokens). */
    tokensPerSeq: number;
  };
  /** Images the vision encoder turns into tokens in this step (VL models), before the prefill uses them. */
  vision?: VisionWork;
}

export interface VisionWork {
  images: number;
  patchesPerImage: number;
}

export interface BuildContext {
  spec: ModelSpec;
  par: ParallelConfig;
  quant: QuantPlan;
  shape: StepShape;
  /** Tokens this device's DP replica pushes through the GEMMs in the step. */
  tokens: number;
}
