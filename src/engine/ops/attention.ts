/**
 * Attention blocks of one decoder layer: GQA (Llama, Qwen, gpt-oss, MiniMax)
 * and MLA (DeepSeek-V3, Kimi-K2). Heads are sharded by TP; GQA KV heads are
 * replicated when kv_heads < TP; the MLA latent cache is never sharded by TP.
 */
import { indexerQueryInput } from '../models/params.js';
import type { GqaAttentionSpec, MlaAttentionSpec, MlaIndexerSpec } from '../types.js';
import { ACT_BYTES, collective, linear, linearBf16, pushDefined, quantOverhead, vector } from './linear.js';
import type { BuildContext, Op } from './types.js';

/**
 * Query heads one TP rank computes. When TP does not divide the heads (engines
 * pad, e.g. DeepSeek at TP 36), the busiest rank sets the pace: ceil(heads / tp).
 */
export function headsPerRank(heads: number, tp: number): number {
  return Math.ceil(heads / tp);
}

export function kvHeadsPerRank(a: GqaAttentionSpec, tp: number): number {
  return Math.max(1, Math.ceil(a.numKvHeads / tp));
}

/**
 * Keys the new queries of one sequence attend to under a causal mask:
 * query i (1-based) sees prior + i keys, at most `window` of them, so the sum is
 * n x (prior + (n + 1) / 2) without a window; with one, the first k = clamp(window - prior, 0, n)
 * queries see prior + i keys and the other n - k see `window`.
 */
export function causalPairs(newTokens: number, priorContext: number, window?: number): number {
  if (window === undefined || window <= 0) return newTokens * (priorContext + (newTokens + 1) / 2);
  const k = Math.max(0, Math.min(newTokens, window - priorContext));
  return k * priorContext + (k * (k + 1)) / 2 + (newTokens - k) * window;
}

function effectiveContext(context: number, window?: number): number {
  return window !== undefined && window > 0 ? Math.min(context, window) : context;
}

export function gqaAttentionOps(ctx: BuildContext, a: GqaAttentionSpec, layers: number): Op[] {
  const { spec, par, quant, shape, tokens: t } = ctx;
  const h = spec.hiddenSize;
  const hpr = headsPerRank(a.numHeads, par.tp);
  const kvpr = kvHeadsPerRank(a, par.tp);
  const d = a.headDim;
  const ops: Op[] = [];
  // A gated q_proj (Qwen3-Next, Qwen3.5) also emits one output gate per query element.
  const qWidth = a.outputGate === true ? 2 * hpr : hpr;
  const qkvN = (qWidth + 2 * kvpr) * d;
  ops.push(vector('attn_norm', layers, t * h, 5));
  ops.push(linear('qkv_proj', layers, t, qkvN, h, quant));
  ops.push(...quantOverhead('qkv_proj', layers, t * h, qkvN * h, quant));
  ops.push(vector(a.qkNorm ? 'qk_norm_rope' : 'rope', layers, t * (hpr + kvpr) * d, a.qkNorm ? 10 : 6, true));
  // A norm over all heads needs every rank's share of the q and k variances: one fp32 pair per token.
  if (a.qkNormAcrossHeads === true) pushDefined(ops, collective('qk_norm_tp_all_reduce', layers, 'all_reduce', par.tp, t * 2 * 4));

  // Sliding-window layers and full layers differ only in how much context they see.
  const slidingLayers = Math.min(layers, Math.round((a.numSlidingLayers / spec.numLayers) * layers));
  const groups: Array<[string, number, number | undefined]> = [
    ['attention', layers - slidingLayers, undefined],
    ['attention_swa', slidingLayers, a.slidingWindow],
  ];
  for (const [name, count, window] of groups) {
    if (count <= 0) continue;
    if (shape.prefill) {
      const p = shape.prefill;
      const pairs = p.sequences * causalPairs(p.newTokens, p.priorContext, window);
      const kvRead = p.sequences * effectiveContext(p.priorContext, window) * 2 * kvpr * d * quant.kvBytes;
      const newTok = p.sequences * p.newTokens;
      ops.push({
        name: `${name}_prefill`,
        kind: 'attention_prefill',
        count,
        // QK^T and PV: 2 FLOPs per multiply-add each.
        flops: 4 * hpr * d * pairs,
        bytes: newTok * (2 * hpr * d * ACT_BYTES + 2 * kvpr * d * quant.kvBytes) + kvRead,
        dtype: quant.attentionDtype,
        seqLen: effectiveContext(p.priorContext + p.newTokens, window),
        queryRows: newTok * hpr,
        headDim: d,
      });
    }
    if (shape.decode) {
      const dd = shape.decode;
      const c = effectiveContext(dd.context, window);
      const queries = dd.sequences * dd.tokensPerSeq;
      ops.push({
        name: `${name}_decode`,
        kind: 'attention_decode',
        count,
        flops: 4 * hpr * d * c * queries,
        bytes: dd.sequences * c * 2 * kvpr * d * quant.kvBytes + queries * 2 * hpr * d * ACT_BYTES,
        dtype: quant.attentionDtype,
        seqLen: c,
        kvPairs: dd.sequences * kvpr,
        queryHeadsPerKv: hpr / kvpr,
      });
    }
  }
  if (a.outputGate === true) ops.push(vector('attn_output_gate', layers, t * hpr * d, 5, true));
  ops.push(linear('o_proj', layers, t, h, hpr * d, quant));
  ops.push(...quantOverhead('o_proj', layers, t * hpr * d, h * hpr * d, quant));
  pushDefined(ops, collective('attn_tp_all_reduce', layers, 'all_reduce', par.tp, t * h * ACT_BYTES));
  return ops;
}

export function mlaAttentionOps(ctx: BuildContext, a: MlaAttentionSpec, layers: number): Op[] {
  const { spec, par, quant, shape, tokens: t } = ctx;
  const h = spec.hiddenSize;
  const hpr = headsPerRank(a.numHeads, par.tp);
  const qkDim = a.qkNopeHeadDim + a.qkRopeHeadDim;
  const latent = a.kvLoraRank + a.qkRopeHeadDim;
  const ops: Op[] = [];
  ops.push(vector('attn_norm', layers, t * h, 5));
  if (a.qLoraRank > 0) {
    // The down-projections are small and replicated on every TP rank.
    ops.push(linear('q_a_proj', layers, t, a.qLoraRank, h, quant));
    ops.push(vector('q_a_norm', layers, t * a.qLoraRank, 5, true));
    ops.push(linear('q_b_proj', layers, t, hpr * qkDim, a.qLoraRank, quant));
  } else {
    ops.push(linear('q_proj', layers, t, hpr * qkDim, h, quant));
  }
  ops.push(linear('kv_a_proj', layers, t, latent, h, quant));
  ops.push(vector('kv_a_norm_rope', layers, t * (latent + hpr * a.qkRopeHeadDim), 6, true));
  ops.push(...quantOverhead('mla_proj', layers, t * h * 2, 0, quant));
  if (a.indexer) ops.push(...indexerOps(ctx, a, a.indexer, layers));
  // Sparse attention reads at most the indexer's top-k keys per query.
  const keyCap = a.indexer?.topK;

  if (shape.prefill) {
    const p = shape.prefill;
    // Prefill runs unabsorbed: expand the latent of every key (new and cached) to per-head K and V.
    const keys = p.sequences * (p.priorContext + p.newTokens);
    ops.push(linear('kv_b_proj', layers, keys, hpr * (a.qkNopeHeadDim + a.vHeadDim), a.kvLoraRank, quant));
    const pairs = p.sequences * causalPairs(p.newTokens, p.priorContext, keyCap);
    const newTok = p.sequences * p.newTokens;
    ops.push({
      name: 'mla_prefill',
      kind: 'attention_prefill',
      count: layers,
      flops: 2 * hpr * (qkDim + a.vHeadDim) * pairs,
      bytes:
        newTok * hpr * (qkDim + a.vHeadDim) * ACT_BYTES +
        keys * hpr * (qkDim + a.vHeadDim) * ACT_BYTES +
        newTok * latent * quant.kvBytes,
      dtype: quant.attentionDtype,
      seqLen: effectiveContext(p.priorContext + p.newTokens, keyCap),
      queryRows: newTok * hpr,
      headDim: qkDim,
    });
  }
  if (shape.decode) {
    const dd = shape.decode;
    const q = dd.sequences * dd.tokensPerSeq;
    const keys = effectiveContext(dd.context, keyCap);
    // Absorbed decode: queries move into the latent space, attention reads the shared latent cache.
    ops.push({
      ...linear('q_absorb', layers, q, a.kvLoraRank, a.qkNopeHeadDim, quant),
      flops: 2 * q * hpr * a.qkNopeHeadDim * a.kvLoraRank,
      bytes: hpr * a.qkNopeHeadDim * a.kvLoraRank * quant.linearWeightBytes + q * hpr * (a.qkNopeHeadDim + a.kvLoraRank) * ACT_BYTES,
    });
    ops.push({
      name: 'mla_decode',
      kind: 'attention_decode',
      count: layers,
      flops: 2 * q * hpr * keys * (latent + a.kvLoraRank),
      bytes: dd.sequences * keys * latent * quant.kvBytes + q * hpr * (latent + a.kvLoraRank) * ACT_BYTES,
      dtype: quant.attentionDtype,
      seqLen: keys,
    });
    ops.push({
      ...linear('v_up', layers, q, a.vHeadDim, a.kvLoraRank, quant),
      flops: 2 * q * hpr * a.kvLoraRank * a.vHeadDim,
      bytes: hpr * a.kvLoraRank * a.vHeadDim * quant.linearWeightBytes + q * hpr * (a.kvLoraRank + a.vHeadDim) * ACT_BYTES,
    });
  }
  ops.push(linear('o_proj', layers, t, h, hpr * a.vHeadDim, quant));
  ops.push(...quantOverhead('o_proj', layers, t * hpr * a.vHeadDim, 0, quant));
  pushDefined(ops, collective('attn_tp_all_reduce', layers, 'all_reduce', par.tp, t * h * ACT_BYTES));
  return ops;
}

/** Bytes one token's index key takes in the indexer's cache: fp8 values and one fp32 scale. */
export function indexKeyBytes(ix: MlaIndexerSpec): number {
  return ix.headDim + 4;
}

/**
 * DeepSeek sparse attention's lightning indexer, replicated on every TP rank (its
 * weights are small): q from the q latent, one shared key and per-head weights from
 * the hidden state, then fp8 logits of every query against every cached index key
 * (written in fp32) and a top-k over them. Each is its own kernel in the engines.
 */
function indexerOps(ctx: BuildContext, a: MlaAttentionSpec, ix: MlaIndexerSpec, layers: number): Op[] {
  const { spec, quant, shape, tokens: t } = ctx;
  const h = spec.hiddenSize;
  const ops: Op[] = [
    linear('indexer_q_proj', layers, t, ix.numHeads * ix.headDim, indexerQueryInput(a, h), quant),
    linear('indexer_k_proj', layers, t, ix.headDim, h, quant),
    linearBf16('indexer_weights_proj', layers, t, ix.numHeads, h, 'bf16'),
    vector('indexer_norm_rope', layers, t * (ix.numHeads + 1) * ix.headDim, 8),
    vector('indexer_quant', layers, t * (ix.numHeads + 1) * ix.headDim, 4),
  ];
  const logitsOp = (kind: 'attention_prefill' | 'attention_decode', queries: number, sequences: number, scored: number, context: number): Op => ({
    name: `indexer_logits_${kind === 'attention_prefill' ? 'prefill' : 'decode'}`,
    kind,
    count: layers,
    flops: 2 * ix.numHeads * ix.headDim * scored,
    bytes: queries * ix.numHeads * ix.headDim + sequences * context * indexKeyBytes(ix) + scored * 4,
    dtype: 'fp8',
    seqLen: context,
  });
  if (shape.prefill) {
    const p = shape.prefill;
    const scored = p.sequences * causalPairs(p.newTokens, p.priorContext);
    const newTok = p.sequences * p.newTokens;
    ops.push({ ...logitsOp('attention_prefill', newTok, p.sequences, scored, p.priorContext + p.newTokens), queryRows: newTok * ix.numHeads, headDim: ix.headDim });
    ops.push(vector('indexer_topk_prefill', layers, scored, 2));
  }
  if (shape.decode) {
    const dd = shape.decode;
    const q = dd.sequences * dd.tokensPerSeq;
    ops.push(logitsOp('attention_decode', q, dd.sequences, q * dd.context, dd.context));
    ops.push(vector('indexer_topk_decode', layers, q * dd.context, 2));
  }
  return ops;
}
