/** Small hand-made specs and configs and an ideal device, so tests can work numbers by hand. */
import type { DeviceProfile, ModelSpec } from '../src/engine/types.js';

/** A 2-layer dense GQA model: h=1024, 8 heads x 128, 2 KV heads, MLP 4096, vocab 32000. */
export function tinyDense(overrides: Partial<ModelSpec> = {}): ModelSpec {
  return {
    id: 'test/tiny-dense',
    source: 'hand-made test fixture',
    architecture: 'LlamaForCausalLM',
    family: 'dense',
    hiddenSize: 1024,
    numLayers: 2,
    vocabSize: 32000,
    tieWordEmbeddings: false,
    intermediateSize: 4096,
    gatedMlp: true,
    attention: { kind: 'gqa', numHeads: 8, numKvHeads: 2, headDim: 128, numSlidingLayers: 0, qkNorm: false },
    numMtpLayers: 0,
    maxPositionEmbeddings: 8192,
    nativeWeightDtype: 'bf16',
    ...overrides,
  };
}

/** The same trunk with 8 experts (top-2, 512 wide) and one 1024-wide shared expert, no dense layers. */
export function tinyMoe(overrides: Partial<ModelSpec> = {}): ModelSpec {
  return tinyDense({
    id: 'test/tiny-moe',
    family: 'moe',
    moe: {
      numExperts: 8,
      topK: 2,
      expertIntermediateSize: 512,
      numSharedExperts: 1,
      sharedExpertIntermediateSize: 1024,
      numDenseLayers: 0,
      moeLayerFrequency: 1,
    },
    ...overrides,
  });
}

/**
 * An ideal device: 100 TFLOP/s bf16, 200 int8/fp8, 1 TFLOP/s vector, 1 TB/s HBM,
 * 80 GB, every efficiency 1 and no static cost, one 8-device tier at 100 GB/s, 0 latency.
 */
export function idealDevice(overrides: Partial<DeviceProfile> = {}): DeviceProfile {
  const one: Array<[number, number]> = [[1, 1]];
  return {
    name: 'IDEAL',
    vendor: 'test',
    description: 'ideal test device',
    matrixPeakFlopsPerS: { bf16: 100e12, fp16: 100e12, int8: 200e12, fp8: 200e12 },
    vectorPeakFlopsPerS: { bf16: 1e12 },
    memoryBytes: 80e9,
    hbmBandwidthBytesPerS: 1e12,
    commGrid: [{ name: 'node', devices: 8, bandwidthBytesPerS: 100e9, latencyS: 0, efficiency: 1 }],
    staticCostS: { matrixOp: 0, vectorOp: 0, memoryOp: 0, collective: 0 },
    efficiency: {
      gemmByM: { default: one },
      gemmByNK: one,
      attentionPrefillBySeq: one,
      attentionDecodeByBytes: one,
      memoryByBytes: one,
      vector: 1,
      commByBytes: one,
    },
    sources: {},
    calibration: 'test',
    ...overrides,
  };
}

/** A tiny Qwen3-VL-style wrapper: a 2-layer text model and a 3-layer ViT with one DeepStack merger. */
export const TINY_VL = {
  architectures: ['Qwen3VLForConditionalGeneration'],
  tie_word_embeddings: false,
  text_config: {
    model_type: 'qwen3_vl_text',
    hidden_size: 16,
    num_hidden_layers: 2,
    vocab_size: 32,
    max_position_embeddings: 128,
    num_attention_heads: 2,
    num_key_value_heads: 1,
    head_dim: 8,
    intermediate_size: 32,
  },
  vision_config: {
    depth: 3,
    hidden_size: 8,
    num_heads: 2,
    intermediate_size: 16,
    in_channels: 3,
    temporal_patch_size: 2,
    patch_size: 2,
    spatial_merge_size: 2,
    deepstack_visual_indexes: [1],
  },
};
