/**
 * Parameter counts from a ModelSpec: what weights exist (memory) and what one
 * token touches (decode bytes). Biases, attention sinks and router score biases
 * are left out: they are < 0.01% of any supported model.
 */
import type { LinearAttentionSpec, MlaAttentionSpec, MlaIndexerSpec, ModelSpec, ParameterCounts, VisionSpec } from '../types.js';

/** What the sparse-attention indexer's query projection reads: the q latent, or the hidden state without q LoRA. */
export function indexerQueryInput(a: MlaAttentionSpec, hidden: number): number {
  return a.qLoraRank > 0 ? a.qLoraRank : hidden;
}

/**
 * Weights of one layer's sparse-attention indexer: its projections (q from the query input,
 * the one shared key) stored like the other linears, and its per-head weights kept in bf16.
 * The key's LayerNorm (2 x headDim) is counted with the parameters, like the other norms.
 */
export function indexerWeights(a: MlaAttentionSpec, ix: MlaIndexerSpec, hidden: number): { linear: number; bf16: number } {
  return { linear: indexerQueryInput(a, hidden) * ix.numHeads * ix.headDim + hidden * ix.headDim, bf16: hidden * ix.numHeads };
}

/** Whether decoder layer `layer` (0-based) uses MoE; leading dense layers first, then every n-th. */
export function isMoeLayer(spec: ModelSpec, layer: number): boolean {
  const moe = spec.moe;
  if (moe === undefined || layer < moe.numDenseLayers || layer >= spec.numLayers) return false;
  return (layer - moe.numDenseLayers + 1) % moe.moeLayerFrequency === 0;
}

export function countMoeLayers(spec: ModelSpec): number {
  const moe = spec.moe;
  if (moe === undefined) return 0;
  return Math.floor((spec.numLayers - moe.numDenseLayers) / moe.moeLayerFrequency);
}

/** q, k, v, o projections (and MLA's low-rank factors with their norms) of one layer. */
export function attentionParams(spec: ModelSpec): number {
  const h = spec.hiddenSize;
  const a = spec.attention;
  if (a.kind === 'gqa') {
    // A gated q_proj emits the query and its output gate.
    const q = h * a.numHeads * a.headDim * (a.outputGate === true ? 2 : 1);
    const kv = 2 * h * a.numKvHeads * a.headDim;
    const o = a.numHeads * a.headDim * h;
    // q/k norm weights: one head's width each, or every head's when the norm spans the layer.
    const qkNorm = !a.qkNorm ? 0 : a.qkNormAcrossHeads === true ? (a.numHeads + a.numKvHeads) * a.headDim : 2 * a.headDim;
    return q + kv + o + qkNorm;
  }
  const qHead = a.qkNopeHeadDim + a.qkRopeHeadDim;
  // q_a_proj + q_a_layernorm + q_b_proj, or a plain q_proj when there is no q LoRA.
  const q = a.qLoraRank > 0 ? h * a.qLoraRank + a.qLoraRank + a.qLoraRank * a.numHeads * qHead : h * a.numHeads * qHead;
  // kv_a_proj_with_mqa emits the latent plus the shared rope key; kv_a_layernorm covers the latent.
  const kvA = h * (a.kvLoraRank + a.qkRopeHeadDim) + a.kvLoraRank;
  const kvB = a.kvLoraRank * a.numHeads * (a.qkNopeHeadDim + a.vHeadDim);
  const o = a.numHeads * a.vHeadDim * h;
  // Sparse attention's indexer, with its key's LayerNorm weight and bias.
  let indexer = 0;
  if (a.indexer) {
    const w = indexerWeights(a, a.indexer, h);
    indexer = w.linear + w.bf16 + 2 * a.indexer.headDim;
  }
  return q + kvA + kvB + o + indexer;
}

/** Layers that use `spec.attention`: all of them, less a hybrid's linear-attention layers. */
export function fullAttentionLayers(spec: ModelSpec): number {
  return spec.numLayers - (spec.linearAttention?.numLayers ?? 0);
}

/**
 * One Gated DeltaNet layer: in_proj_qkv (q, k, v), in_proj_z (output gate), in_proj_b
 * and in_proj_a (one beta and one decay per value head), the depthwise conv over q, k, v,
 * A_log and dt_bias per value head, the gated RMSNorm (one head's width), out_proj.
 */
export function linearAttentionParams(spec: ModelSpec, la: LinearAttentionSpec): number {
  const h = spec.hiddenSize;
  const keyDim = la.numKeyHeads * la.keyHeadDim;
  const valueDim = la.numValueHeads * la.valueHeadDim;
  const convDim = 2 * keyDim + valueDim;
  const inProj = h * (convDim + valueDim + 2 * la.numValueHeads);
  return inProj + convDim * la.convKernel + 2 * la.numValueHeads + la.valueHeadDim + valueDim * h;
}

function mlpParams(spec: ModelSpec, intermediate: number): number {
  return (spec.gatedMlp ? 3 : 2) * spec.hiddenSize * intermediate;
}

/** Parameters of one MoE block: all of them, and those one token uses. */
export function moeBlockParams(spec: ModelSpec): { total: number; active: number } {
  const moe = spec.moe;
  if (moe === undefined) return { total: 0, active: 0 };
  const router = spec.hiddenSize * moe.numExperts;
  const expert = mlpParams(spec, moe.expertIntermediateSize);
  const shared = moe.numSharedExperts * mlpParams(spec, moe.sharedExpertIntermediateSize) + (moe.sharedExpertGate === true ? spec.hiddenSize : 0);
  return {
    total: router + moe.numExperts * expert + shared,
    active: router + moe.topK * expert + shared,
  };
}

/** Input embedding plus, when untied, the LM head. */
export function embeddingParams(spec: ModelSpec): number {
  const table = spec.vocabSize * spec.hiddenSize;
  return spec.tieWordEmbeddings ? table : 2 * table;
}

export function countParameters(spec: ModelSpec): ParameterCounts {
  const h = spec.hiddenSize;
  const norms = 2 * h; // input + post-attention RMSNorm
  const attn = attentionParams(spec);
  const dense = mlpParams(spec, spec.intermediateSize);
  const moe = moeBlockParams(spec);
  const moeLayers = countMoeLayers(spec);
  const denseLayers = spec.numLayers - moeLayers;

  const embedding = embeddingParams(spec);
  const linear = spec.linearAttention ? spec.linearAttention.numLayers * linearAttentionParams(spec, spec.linearAttention) : 0;
  const base = fullAttentionLayers(spec) * attn + linear + spec.numLayers * norms + h; // + final norm
  const total = embedding + base + denseLayers * dense + moeLayers * moe.total;
  // A token reads one row of the input table, not the table: only the LM head counts as
  // active (OpenAI's gpt-oss convention, and what a decode step streams). A tied table is the head.
  const head = spec.vocabSize * h;
  const active = head + base + denseLayers * dense + moeLayers * moe.active;

  // A DeepSeek MTP module: enorm + hnorm + eh_proj (2h -> h) + one decoder layer shaped like
  // the last one + shared_head norm, and its own copies of the embedding and head as the
  // checkpoint stores them (this is how DeepSeek-V3's 685B = 671B + 14B MTP adds up), unless
  // the model says its MTP shares the main ones (Qwen3.5).
  const lastIsMoe = isMoeLayer(spec, spec.numLayers - 1);
  const mtpLayer = attn + norms + (lastIsMoe ? moe.total : dense);
  const mtpModule = 3 * h + 2 * h * h + mtpLayer + (spec.mtpSharesEmbeddings ? 0 : 2 * spec.vocabSize * h);
  const mtp = spec.numMtpLayers * mtpModule;

  const vision = visionEncoderParams(spec.vision);
  return { total, active, embedding, mtp, ...(vision > 0 ? { vision } : {}) };
}

/**
 * The vision tower's weights (ops/vision.ts): the patch embedding, `depth` layers of
 * q/k/v/o and a two-matrix MLP with their two norms, and each merger's norm and MLP
 * from merge^2 x hidden to the language model's width. Biases are left out.
 */
export function visionEncoderParams(vision: VisionSpec | undefined): number {
  const e = vision?.encoder;
  if (vision === undefined || e === undefined) return 0;
  const hv = vision.hiddenSize;
  const m = vision.spatialMergeSize * vision.spatialMergeSize * hv;
  const layer = 4 * hv * hv + 2 * hv * e.intermediateSize + 2 * hv;
  const merger = hv + m * m + m * e.outHiddenSize;
  return e.patchInputs * hv + vision.depth * layer + e.mergers * merger;
}
