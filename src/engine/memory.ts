/**
 * Per-device memory: weights sharded by TP/EP/PP per quantization, KV cache per
 * token (GQA heads sharded by TP, replicated when kv_heads < TP; MLA latent not
 * sharded), activation workspace and reserved memory -> the largest batch that fits.
 */
import { headsPerRank, indexKeyBytes, kvHeadsPerRank } from './ops/attention.js';
import { gdnShard, gdnStateBytesPerLayer } from './ops/gated-delta-net.js';
import { indexerWeights, visionEncoderParams } from './models/params.js';
import { attentionLayerSplit, layerSplit } from './ops/step.js';
import type { QuantPlan } from './quant.js';
import type { MemoryBreakdown, ModelSpec, ParallelConfig, ServingOptions } from './types.js';

function mlpMatrices(spec: ModelSpec): number {
  return spec.gatedMlp ? 3 : 2;
}

/** Weight bytes one device holds. */
export function weightBytesPerDevice(spec: ModelSpec, par: ParallelConfig, q: QuantPlan, mtpEnabled: boolean): number {
  const h = spec.hiddenSize;
  const a = spec.attention;
  let attention: number;
  if (a.kind === 'gqa') {
    const hpr = headsPerRank(a.numHeads, par.tp);
    const kvpr = kvHeadsPerRank(a, par.tp);
    // q (plus its output gate when gated) and o, then k and v.
    attention = (hpr * a.headDim * h * (a.outputGate === true ? 3 : 2) + 2 * kvpr * a.headDim * h) * q.linearWeightBytes;
  } else {
    const hpr = headsPerRank(a.numHeads, par.tp);
    const qk = a.qkNopeHeadDim + a.qkRopeHeadDim;
    const latent = a.kvLoraRank + a.qkRopeHeadDim;
    const qW = a.qLoraRank > 0 ? h * a.qLoraRank + a.qLoraRank * hpr * qk : h * hpr * qk;
    attention = (qW + h * latent + a.kvLoraRank * hpr * (a.qkNopeHeadDim + a.vHeadDim) + hpr * a.vHeadDim * h) * q.linearWeightBytes;
    if (a.indexer) {
      // The sparse-attention indexer is replicated on every rank.
      const w = indexerWeights(a, a.indexer, h);
      attention += w.linear * q.linearWeightBytes + w.bf16 * q.unquantizedWeightBytes;
    }
  }
  const norms = 2 * h * q.unquantizedWeightBytes;
  const dense = (mlpMatrices(spec) * h * spec.intermediateSize * q.linearWeightBytes) / par.tp;
  let moe = 0;
  if (spec.moe) {
    const m = spec.moe;
    const experts = ((m.numExperts / par.ep) * mlpMatrices(spec) * h * m.expertIntermediateSize * q.linearWeightBytes) / par.moeTp;
    const shared = (m.numSharedExperts * mlpMatrices(spec) * h * m.sharedExpertIntermediateSize * q.linearWeightBytes) / par.tp;
    moe = experts + shared + h * m.numExperts * q.unquantizedWeightBytes;
  }
  const split = layerSplit(spec);
  const mixers = attentionLayerSplit(spec);
  const layersPerStage = (n: number): number => Math.ceil(n / par.pp);
  let bytes =
    layersPerStage(mixers.full) * attention +
    layersPerStage(spec.numLayers) * norms +
    layersPerStage(split.dense) * dense +
    layersPerStage(split.moe) * moe;
  if (spec.linearAttention) bytes += layersPerStage(mixers.linear) * linearAttentionWeightBytes(spec, par, q);
  // Vocab-parallel embedding and LM head (tied heads share one matrix).
  const vocab = (spec.vocabSize * h * q.unquantizedWeightBytes) / par.tp;
  bytes += spec.tieWordEmbeddings ? vocab : 2 * vocab;
  if (mtpEnabled && spec.numMtpLayers > 0) {
    // One MTP module: [emb; hidden] projection, norms, one decoder layer (MoE when the model has experts).
    bytes += 2 * h * h * q.unquantizedWeightBytes + attention + norms + (spec.moe ? moe : dense);
  }
  // A VL model's vision tower is loaded beside it, in bf16, sharded over the TP ranks (ops/vision.ts).
  bytes += (visionEncoderParams(spec.vision) * q.unquantizedWeightBytes) / par.tp;
  return bytes;
}

/** One Gated DeltaNet layer's weights on one device: projections sharded by heads, conv and per-head scalars unquantized. */
function linearAttentionWeightBytes(spec: ModelSpec, par: ParallelConfig, q: QuantPlan): number {
  const la = spec.linearAttention;
  if (la === undefined) return 0;
  const s = gdnShard(la, par.tp);
  const valueWidth = s.valueHeads * la.valueHeadDim;
  const projections = spec.hiddenSize * (s.convChannels + valueWidth + 2 * s.valueHeads) + valueWidth * spec.hiddenSize;
  const small = s.convChannels * la.convKernel + 2 * s.valueHeads + la.valueHeadDim;
  return projections * q.linearWeightBytes + small * q.unquantizedWeightBytes;
}

/**
 * Linear-attention state one device holds for one sequence: a fixed recurrent and conv
 * state per linear layer of the stage, whatever the context (0 for models without one).
 * Under MTP the verify step keeps one more state per verified token (1 + k), so that the
 * state after the last accepted token can be committed: SGLang's MambaPool allocates
 * `intermediate_ssm_state_cache` / `intermediate_conv_window_cache` of
 * speculative_num_draft_tokens states per running request beside its running state.
 */
export function linearStateBytesPerSequence(spec: ModelSpec, par: ParallelConfig, numMtpTokens = 0): number {
  const la = spec.linearAttention;
  if (la === undefined) return 0;
  const states = numMtpTokens > 0 ? 2 + numMtpTokens : 1;
  return states * Math.ceil(la.numLayers / par.pp) * gdnStateBytesPerLayer(la, par.tp);
}

/**
 * KV-cache bytes one device holds for one sequence at `context` tokens, over the
 * full-attention layers (a hybrid's linear layers keep a fixed state instead:
 * linearStateBytesPerSequence). Sliding-window layers keep at most `window` tokens.
 */
export function kvBytesForContext(spec: ModelSpec, par: ParallelConfig, q: QuantPlan, context: number, mtpEnabled: boolean): number {
  const a = spec.attention;
  const layers = Math.ceil(attentionLayerSplit(spec).full / par.pp) + (mtpEnabled && spec.numMtpLayers > 0 ? 1 : 0);
  if (a.kind === 'mla') {
    // Sparse attention also caches one fp8 index key per token per layer.
    const indexBytes = a.indexer ? indexKeyBytes(a.indexer) : 0;
    return layers * ((a.kvLoraRank + a.qkRopeHeadDim) * q.kvBytes + indexBytes) * context;
  }
  const perTokenLayer = 2 * kvHeadsPerRank(a, par.tp) * a.headDim * q.kvBytes;
  const sliding = Math.min(layers, Math.round((a.numSlidingLayers / spec.numLayers) * layers));
  const windowed = a.slidingWindow && a.slidingWindow > 0 ? Math.min(context, a.slidingWindow) : context;
  return perTokenLayer * ((layers - sliding) * context + sliding * windowed);
}

/**
 * Workspace for one step of `maxBatchedTokens` tokens: the widest activation
 * of a layer (input, QKV or MLP up-projection, output) double-buffered in bf16,
 * plus fp32 logits for the step's sequences. An estimate, stated as such.
 */
export function activationBytes(spec: ModelSpec, par: ParallelConfig, serving: ServingOptions): number {
  const h = spec.hiddenSize;
  const widest = Math.max(
    (2 * spec.intermediateSize) / par.tp,
    spec.moe ? (2 * spec.moe.expertIntermediateSize * spec.moe.topK) / par.moeTp : 0,
    3 * h,
  );
  const tokens = serving.maxBatchedTokens;
  return tokens * (2 * h + widest) * 2 * 2 + Math.min(tokens, 1024) * (spec.vocabSize / par.tp) * 4;
}

export interface MemoryModel {
  weightsBytes: number;
  activationBytes: number;
  reservedBytes: number;
  capacityBytes: number;
  kvBytesPerSequence: number;
  maxSequencesPerReplica: number;
}

export function memoryModel(
  spec: ModelSpec,
  par: ParallelConfig,
  q: QuantPlan,
  serving: ServingOptions,
  capacityBytes: number,
  fullContext: number,
): MemoryModel {
  const mtp = serving.numMtpTokens > 0;
  const weightsBytes = weightBytesPerDevice(spec, par, q, mtp);
  const act = activationBytes(spec, par, serving);
  const kvBytesPerSequence = kvBytesForContext(spec, par, q, fullContext, mtp) + linearStateBytesPerSequence(spec, par, serving.numMtpTokens);
  const free = capacityBytes - weightsBytes - act - serving.reservedMemoryBytes;
  const maxSequencesPerReplica = free > 0 && kvBytesPerSequence > 0 ? Math.floor(free / kvBytesPerSequence) : 0;
  return { weightsBytes, activationBytes: act, reservedBytes: serving.reservedMemoryBytes, capacityBytes, kvBytesPerSequence, maxSequencesPerReplica };
}

export function memoryAt(m: MemoryModel, sequencesPerReplica: number, kvBytesPerToken: number): MemoryBreakdown {
  const kvCacheBytes = m.kvBytesPerSequence * sequencesPerReplica;
  const totalBytes = m.weightsBytes + m.activationBytes + m.reservedBytes + kvCacheBytes;
  return {
    weightsBytes: m.weightsBytes,
    kvCacheBytes,
    activationBytes: m.activationBytes,
    reservedBytes: m.reservedBytes,
    totalBytes,
    capacityBytes: m.capacityBytes,
    kvBytesPerToken,
    maxSequencesPerReplica: m.maxSequencesPerReplica,
    oom: totalBytes > m.capacityBytes || sequencesPerReplica > m.maxSequencesPerReplica,
  };
}
