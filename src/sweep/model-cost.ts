/**
 * Model FLOPs and model bytes of one forward pass: what the model needs to do,
 * independent of any device or kernel (the numerators of MFU and MBU). Both
 * `optix sweep` (predicted latencies) and `optix mfu` (measured latencies) use
 * these, so their utilisations are comparable.
 *
 * FLOPs, the standard dense count: 2 x (active parameters) x tokens + attention,
 * with one refinement: the LM head is counted for the rows that produce logits
 * (one per sequence in prefill, every token in decode), because inference
 * engines compute logits only there; counting it for every prompt token would
 * credit work no kernel does (~9% of Qwen3-30B-A3B's prefill FLOPs).
 * Attention: QK^T and PV, 2 FLOPs per multiply-add each, over the causal
 * (query, key) pairs actually visited, per head.
 *
 * Bytes, the standard MBU numerator: weights read once (routed experts: only
 * the expected number hit by the step's tokens) + KV cache read + KV written.
 * Activations and replicated weight reads (attention DP) are not counted.
 */
import { countParameters, attentionParams, fullAttentionLayers, linearAttentionParams } from '../engine/models/params.js';
import { chunkedDeltaRuleFlopsPerToken, gdnStateBytesPerLayer, recurrentDeltaRuleFlopsPerToken } from '../engine/ops/gated-delta-net.js';
import { causalPairs } from '../engine/ops/attention.js';
import { expectedExpertsHit } from '../engine/ops/ffn.js';
import type { StepShape } from '../engine/ops/types.js';
import { layerSplit } from '../engine/ops/step.js';
import type { QuantPlan } from '../engine/quant.js';
import type { ModelSpec } from '../engine/types.js';

export interface FlopCount {
  /** 2 x body parameters x tokens (projections, MLP/experts, router, norms). */
  linear: number;
  /** 2 x vocab x hidden x logit rows. */
  lmHead: number;
  attention: number;
  total: number;
}

export interface ByteCount {
  weights: number;
  kvRead: number;
  kvWrite: number;
  total: number;
}

function tokensOf(shape: StepShape): { tokens: number; logitRows: number } {
  const p = shape.prefill;
  const d = shape.decode;
  const tokens = (p ? p.sequences * p.newTokens : 0) + (d ? d.sequences * d.tokensPerSeq : 0);
  const logitRows = (p ? p.sequences : 0) + (d ? d.sequences * d.tokensPerSeq : 0);
  return { tokens, logitRows };
}

/** [full-attention layers, sliding-window layers, window]; linear-attention layers of hybrid models are neither. */
function attentionLayers(spec: ModelSpec): { full: number; sliding: number; window?: number } {
  const a = spec.attention;
  const softmax = fullAttentionLayers(spec);
  if (a.kind === 'mla' || !a.slidingWindow || a.numSlidingLayers <= 0) return { full: softmax, sliding: 0 };
  const sliding = Math.min(softmax, a.numSlidingLayers);
  return { full: softmax - sliding, sliding, window: a.slidingWindow };
}

/** Gated DeltaNet FLOPs of a hybrid model's linear-attention layers (chunked in prefill, recurrent in decode). */
function linearAttentionFlops(spec: ModelSpec, shape: StepShape): number {
  const la = spec.linearAttention;
  if (!la) return 0;
  let perLayer = 0;
  if (shape.prefill) {
    const p = shape.prefill;
    perLayer += p.sequences * p.newTokens * la.numValueHeads * chunkedDeltaRuleFlopsPerToken(la, p.newTokens);
  }
  if (shape.decode) {
    const d = shape.decode;
    perLayer += d.sequences * d.tokensPerSeq * la.numValueHeads * recurrentDeltaRuleFlopsPerToken(la);
  }
  return la.numLayers * perLayer;
}

/** (query, key) pairs of one layer, summed over the step's sequences. */
function pairsPerLayer(shape: StepShape, window?: number): number {
  let pairs = 0;
  if (shape.prefill) {
    const p = shape.prefill;
    pairs += p.sequences * causalPairs(p.newTokens, p.priorContext, window);
  }
  if (shape.decode) {
    const d = shape.decode;
    const keys = window !== undefined ? Math.min(d.context, window) : d.context;
    pairs += d.sequences * d.tokensPerSeq * keys;
  }
  return pairs;
}

/** FLOPs per (query, key) pair per layer: 2 x heads x (qk dim + v dim). */
function attentionFlopsPerPair(spec: ModelSpec): number {
  const a = spec.attention;
  if (a.kind === 'gqa') return 2 * a.numHeads * (a.headDim + a.headDim);
  return 2 * a.numHeads * (a.qkNopeHeadDim + a.qkRopeHeadDim + a.vHeadDim);
}

export function modelFlops(spec: ModelSpec, shape: StepShape): FlopCount {
  const { tokens, logitRows } = tokensOf(shape);
  const headParams = spec.vocabSize * spec.hiddenSize;
  const bodyParams = countParameters(spec).active - headParams;
  const linear = 2 * bodyParams * tokens;
  const lmHead = 2 * headParams * logitRows;
  const layers = attentionLayers(spec);
  const perPair = attentionFlopsPerPair(spec);
  const attention =
    perPair * (layers.full * pairsPerLayer(shape) + layers.sliding * pairsPerLayer(shape, layers.window)) + linearAttentionFlops(spec, shape);
  return { linear, lmHead, attention, total: linear + lmHead + attention };
}

/** KV-cache elements of one token in one layer (GQA: K and V of every KV head; MLA: the latent and rope key). */
export function kvElementsPerTokenLayer(spec: ModelSpec): number {
  const a = spec.attention;
  return a.kind === 'gqa' ? 2 * a.numKvHeads * a.headDim : a.kvLoraRank + a.qkRopeHeadDim;
}

export type ByteWidths = Pick<QuantPlan, 'linearWeightBytes' | 'unquantizedWeightBytes' | 'kvBytes'>;

export function modelBytes(spec: ModelSpec, shape: StepShape, w: ByteWidths): ByteCount {
  const h = spec.hiddenSize;
  const { tokens } = tokensOf(shape);
  const split = layerSplit(spec);
  const mats = spec.gatedMlp ? 3 : 2;
  const la = spec.linearAttention;
  let weights = (fullAttentionLayers(spec) * attentionParams(spec) + (la ? la.numLayers * linearAttentionParams(spec, la) : 0)) * w.linearWeightBytes;
  weights += (spec.numLayers * 2 * h + h) * w.unquantizedWeightBytes; // RMSNorms
  weights += split.dense * mats * h * spec.intermediateSize * w.linearWeightBytes;
  if (spec.moe && split.moe > 0) {
    const m = spec.moe;
    const hit = expectedExpertsHit(m.numExperts, m.topK, tokens);
    const perLayer =
      h * m.numExperts * w.unquantizedWeightBytes +
      hit * mats * h * m.expertIntermediateSize * w.linearWeightBytes +
      m.numSharedExperts * mats * h * m.sharedExpertIntermediateSize * w.linearWeightBytes;
    weights += split.moe * perLayer;
  }
  // The LM head is read whole; the input embedding only at the step's rows.
  weights += (spec.vocabSize * h + tokens * h) * w.unquantizedWeightBytes;

  const perTokenLayer = kvElementsPerTokenLayer(spec) * w.kvBytes;
  const layers = attentionLayers(spec);
  const cachedKeys = (window?: number): number => {
    let keys = 0;
    const cap = (c: number): number => (window !== undefined ? Math.min(c, window) : c);
    if (shape.prefill) keys += shape.prefill.sequences * cap(shape.prefill.priorContext);
    if (shape.decode) keys += shape.decode.sequences * cap(shape.decode.context);
    return keys;
  };
  // Linear-attention layers read and write a fixed state per sequence instead of a KV cache.
  const sequences = (shape.prefill?.sequences ?? 0) + (shape.decode?.sequences ?? 0);
  const state = la ? la.numLayers * gdnStateBytesPerLayer(la, 1) * sequences : 0;
  const kvRead = perTokenLayer * (layers.full * cachedKeys() + layers.sliding * cachedKeys(layers.window)) + state;
  const kvWrite = perTokenLayer * (layers.full + layers.sliding) * tokens + state;
  return { weights, kvRead, kvWrite, total: weights + kvRead + kvWrite };
}
