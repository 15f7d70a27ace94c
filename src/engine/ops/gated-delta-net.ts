/**
 * Gated DeltaNet linear-attention layers of hybrid models (Qwen3-Next, Qwen3.5/3.6).
 * Instead of a KV cache each sequence carries, per layer, a recurrent state of
 * numValueHeads x keyHeadDim x valueHeadDim (fp32) and a conv state of
 * convDim x (kernel - 1). Heads shard by TP like attention heads; key heads are
 * replicated when there are fewer than TP.
 *
 * Per value head, with dk, dv the head dims and C the chunk size:
 * - prefill runs the chunked delta rule (flash-linear-attention `chunk_gated_delta_rule`).
 *   Per chunk: K K^T (2C²dk), the triangular solve ((2/3)C³), W = A·K and U = A·V
 *   (2C²dk + 2C²dv), v_new = U - W S and S += K^T v_new (4C·dk·dv), O = Q S (2C·dk·dv)
 *   plus the masked intra-chunk (Q K^T) v_new (2C²dk + 2C²dv). Per token:
 *     6·dk·dv + C·(6·dk + 4·dv) + (2/3)·C²   FLOPs,
 *   with C = min(64, new tokens).
 * - decode updates the state token by token: decay S (dk·dv), S^T k (2dk·dv), the rank-1
 *   delta update (2dk·dv) and S^T q (2dk·dv): 7·dk·dv FLOPs per token, while it reads and
 *   writes the whole state of every sequence — memory-bound.
 */
import type { Dtype, LinearAttentionSpec } from '../types.js';
import { headsPerRank } from './attention.js';
import { ACT_BYTES, collective, linear, pushDefined, quantOverhead, vector } from './linear.js';
import type { BuildContext, Op } from './types.js';

/** Chunk length of flash-linear-attention's chunked delta-rule kernels (vLLM, SGLang). */
export const DELTA_RULE_CHUNK = 64;

const STATE_BYTES: Record<Dtype, number> = { fp32: 4, bf16: 2, fp16: 2, fp8: 1, int8: 1, int4: 0.5, fp4: 0.5 };

export interface GdnShard {
  keyHeads: number;
  valueHeads: number;
  /** Channels of the depthwise conv on this rank: q, k (key heads) and v (value heads). */
  convChannels: number;
}

export function gdnShard(la: LinearAttentionSpec, tp: number): GdnShard {
  const keyHeads = Math.max(1, Math.ceil(la.numKeyHeads / tp));
  const valueHeads = headsPerRank(la.numValueHeads, tp);
  return { keyHeads, valueHeads, convChannels: 2 * keyHeads * la.keyHeadDim + valueHeads * la.valueHeadDim };
}

/** Recurrent + conv state bytes of one sequence in one linear-attention layer on one device. */
export function gdnStateBytesPerLayer(la: LinearAttentionSpec, tp: number): number {
  const s = gdnShard(la, tp);
  // The conv state keeps the last kernel - 1 inputs in the activation dtype.
  return s.valueHeads * la.keyHeadDim * la.valueHeadDim * STATE_BYTES[la.stateDtype] + s.convChannels * (la.convKernel - 1) * ACT_BYTES;
}

/** FLOPs per token per value head of the chunked delta rule over `newTokens` tokens. */
export function chunkedDeltaRuleFlopsPerToken(la: LinearAttentionSpec, newTokens: number): number {
  const c = Math.max(1, Math.min(DELTA_RULE_CHUNK, newTokens));
  const dk = la.keyHeadDim;
  const dv = la.valueHeadDim;
  return 6 * dk * dv + c * (6 * dk + 4 * dv) + (2 / 3) * c * c;
}

/** FLOPs per token per value head of one recurrent (decode) state update. */
export function recurrentDeltaRuleFlopsPerToken(la: LinearAttentionSpec): number {
  return 7 * la.keyHeadDim * la.valueHeadDim;
}

export function gatedDeltaNetOps(ctx: BuildContext, la: LinearAttentionSpec, layers: number): Op[] {
  const { spec, par, quant, shape, tokens: t } = ctx;
  const h = spec.hiddenSize;
  const { keyHeads, valueHeads, convChannels } = gdnShard(la, par.tp);
  const dk = la.keyHeadDim;
  const dv = la.valueHeadDim;
  const valueWidth = valueHeads * dv;
  const stateBytes = valueHeads * dk * dv * STATE_BYTES[la.stateDtype];
  const convStateBytes = convChannels * (la.convKernel - 1) * ACT_BYTES;
  const sequences = (shape.prefill?.sequences ?? 0) + (shape.decode?.sequences ?? 0);
  const ops: Op[] = [];

  ops.push(vector('attn_norm', layers, t * h, 5));
  // in_proj_qkvz: q, k, v feed the conv; z gates the output.
  const qkvzN = convChannels + valueWidth;
  ops.push(linear('gdn_in_proj_qkvz', layers, t, qkvzN, h, quant));
  ops.push(linear('gdn_in_proj_ba', layers, t, 2 * valueHeads, h, quant));
  ops.push(...quantOverhead('gdn_in_proj', layers, t * h, (qkvzN + 2 * valueHeads) * h, quant));
  // Depthwise causal conv + SiLU; every sequence reads and writes its conv state.
  ops.push({
    name: 'gdn_conv1d',
    kind: 'vector',
    count: layers,
    flops: t * convChannels * (2 * la.convKernel + 4),
    bytes: 2 * t * convChannels * ACT_BYTES + 2 * sequences * convStateBytes,
    dtype: 'bf16',
  });
  // Decay g = -exp(A_log)·softplus(a + dt_bias) and beta = sigmoid(b), per value head.
  ops.push(vector('gdn_gating', layers, t * 2 * valueHeads, 10, true));

  // q, k on the key heads and v in; o out.
  const ioPerToken = (2 * keyHeads * dk + 2 * valueWidth) * ACT_BYTES;
  if (shape.prefill) {
    const p = shape.prefill;
    const tokens = p.sequences * p.newTokens;
    const chunks = p.sequences * Math.ceil(p.newTokens / DELTA_RULE_CHUNK);
    ops.push({
      name: 'gdn_chunk_prefill',
      kind: 'attention_prefill',
      count: layers,
      flops: tokens * valueHeads * chunkedDeltaRuleFlopsPerToken(la, p.newTokens),
      bytes:
        tokens * ioPerToken +
        // W, U and v_new are written and read back once each.
        tokens * valueHeads * (dk + 2 * dv) * 2 * ACT_BYTES +
        // The state at each chunk boundary is materialized (bf16), then read by the output pass.
        chunks * valueHeads * dk * dv * 2 * ACT_BYTES +
        // Initial state in, final state out.
        p.sequences * 2 * stateBytes,
      // The delta rule runs in bf16/fp32 whatever the KV or linear quantization.
      dtype: 'bf16',
      seqLen: p.newTokens,
    });
  }
  if (shape.decode) {
    const dd = shape.decode;
    const tokens = dd.sequences * dd.tokensPerSeq;
    // The recurrent update is a CUDA-core kernel (fla's fused_recurrent_gated_delta_rule
    // has no matrix-unit path): price it as a vector op, not with flash attention's curves.
    ops.push({
      name: 'gdn_recurrent_decode',
      kind: 'vector',
      count: layers,
      flops: tokens * valueHeads * recurrentDeltaRuleFlopsPerToken(la),
      bytes: tokens * ioPerToken + dd.sequences * 2 * stateBytes,
      dtype: 'bf16',
    });
  }
  // Gated RMSNorm: norm(o) · silu(z), reading o and z.
  ops.push({ ...vector('gdn_norm_gate', layers, t * valueWidth, 9), bytes: 3 * t * valueWidth * ACT_BYTES });
  ops.push(linear('gdn_out_proj', layers, t, h, valueWidth, quant));
  ops.push(...quantOverhead('gdn_out_proj', layers, t * valueWidth, h * valueWidth, quant));
  pushDefined(ops, collective('attn_tp_all_reduce', layers, 'all_reduce', par.tp, t * h * ACT_BYTES));
  return ops;
}
