import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { userError } from './user-error.js';
import { resolveModel } from '../src/catalog/models.js';
import { OptixUserError } from '../src/errors.js';
import {
  countMoeLayers,
  countParameters,
  getCatalogModel,
  isMoeLayer,
  listCatalogModels,
  MODEL_CATALOG,
  parseHfConfig,
  parseJsonText,
} from '../src/engine/models/index.js';
import type { ModelSpec } from '../src/engine/types.js';
import { TINY_VL } from './engine-fixtures.js';

const B = 1e9;

function params(id: string) {
  const spec = getCatalogModel(id);
  return { spec, p: countParameters(spec), inputEmbedding: spec.vocabSize * spec.hiddenSize };
}

function within(actual: number, published: number, tolerance = 0.02): void {
  expect(Math.abs(actual - published) / published, `${actual / B}B vs published ${published / B}B`).toBeLessThanOrEqual(tolerance);
}

/** Calls fn and returns the OptixUserError it throws (fails the test otherwise). */
// `active` counts what one token reads: all layers' attention, topK of the routed experts,
// shared experts, router, norms and the LM head, but not the input embedding table (a token
// reads one row of it). Vendors differ on this; each case below says which convention its
// published figure uses.
describe('countParameters matches published model sizes (within 2%)', () => {
  it('Qwen3-32B: 32.8B (Qwen3-32B model card, "Number of Parameters: 32.8B")', () => {
    within(params('Qwen/Qwen3-32B').p.total, 32.8 * B);
  });
  it('Qwen3-8B: 8.2B (Qwen3-8B model card)', () => {
    within(params('Qwen/Qwen3-8B').p.total, 8.2 * B);
  });
  it('Llama-3.1-8B: 8.03B (Hugging Face safetensors count of meta-llama/Llama-3.1-8B)', () => {
    within(params('meta-llama/Llama-3.1-8B').p.total, 8.03 * B);
  });
  it('Llama-3.1-70B: 70.6B (Hugging Face safetensors count)', () => {
    within(params('meta-llama/Llama-3.1-70B').p.total, 70.6 * B);
  });
  it('Llama-3.1-405B: 405.8B (Hugging Face safetensors count)', () => {
    within(params('meta-llama/Llama-3.1-405B').p.total, 405.8 * B);
  });
  it('DeepSeek-V3: 671B total, 37B active, MTP ~14B (DeepSeek-V3 model card: 685B = 671B main + 14B MTP)', () => {
    const { p } = params('deepseek-ai/DeepSeek-V3');
    within(p.total, 671 * B);
    within(p.active, 37 * B);
    // The card rounds the MTP module to 14B; ours is 13.46B (its own embedding + head copies included).
    within(p.total + p.mtp, 685 * B);
  });
  it('DeepSeek-R1 shares the V3 architecture', () => {
    expect(params('deepseek-ai/DeepSeek-R1').p).toEqual(params('deepseek-ai/DeepSeek-V3').p);
  });
  it('Qwen3-30B-A3B: 30.5B / 3.3B activated (model card; Qwen counts the embedding table as activated)', () => {
    const { p, inputEmbedding } = params('Qwen/Qwen3-30B-A3B');
    within(p.total, 30.5 * B);
    within(p.active + inputEmbedding, 3.3 * B);
  });
  it('Qwen3-235B-A22B: 235B / 22B activated (model card; embedding counted as activated)', () => {
    const { p, inputEmbedding } = params('Qwen/Qwen3-235B-A22B');
    within(p.total, 235 * B);
    within(p.active + inputEmbedding, 22 * B);
  });
  it('Mixtral-8x7B: 46.7B / 12.9B per token (Mistral AI, "Mixtral of experts" announcement)', () => {
    const { p } = params('mistralai/Mixtral-8x7B-v0.1');
    within(p.total, 46.7 * B);
    within(p.active, 12.9 * B);
  });
  it('gpt-oss-120b: 116.8B / 5.1B active (OpenAI gpt-oss model card: 116.83B total, 5.13B active)', () => {
    const { p } = params('openai/gpt-oss-120b');
    within(p.total, 116.8 * B);
    within(p.active, 5.13 * B);
  });
  it('Kimi-K2: 1.04T / 32B activated (Kimi K2 model card: "1 trillion total, 32 billion activated"; 1.04T per the task brief)', () => {
    const { p } = params('moonshotai/Kimi-K2-Instruct');
    within(p.total, 1040 * B);
    within(p.active, 32 * B);
  });
  it('Kimi-K2.5 keeps the Kimi-K2 text model, and adds a vision tower (MoonViT, ~0.4-0.5B)', () => {
    const { vision, ...text } = params('moonshotai/Kimi-K2.5').p;
    expect(text).toEqual(params('moonshotai/Kimi-K2-Instruct').p);
    expect(vision! / B).toBeGreaterThan(0.4);
    expect(vision! / B).toBeLessThan(0.5);
  });
  it('MiniMax-M2: 230B total / 10B active (MiniMax-M2 model card)', () => {
    const { p } = params('MiniMaxAI/MiniMax-M2');
    within(p.total, 230 * B);
    // "10B" is given to one significant figure, i.e. 9.5B..10.5B; ours is 10.42B.
    expect(p.active).toBeGreaterThanOrEqual(9.5 * B);
    expect(p.active).toBeLessThan(10.5 * B);
  });
  // Qwen3.5 / 3.6 (Gated DeltaNet hybrids). The model cards give "Number of Parameters: 397B in total
  // and 17B activated" (Qwen/Qwen3.5-397B-A17B), 122B / 10B (Qwen3.5-122B-A10B), 35B / 3B
  // (Qwen3.5-35B-A3B) and 27B (Qwen3.5-27B). Ours count the language model in `total`; the vision
  // encoder (~0.45B) and the MTP layer are counted apart (`vision`, `mtp`). Activated figures follow Qwen's convention
  // (input embedding counted) and are given to whole billions, so they are checked as
  // [n - 0.5, n + 0.5): 397B's 17.35B is 2.05% above 17B.
  it('Qwen3.5-397B-A17B: 397B total (model card); 17B activated (rounded)', () => {
    const { p, inputEmbedding } = params('Qwen/Qwen3.5-397B-A17B');
    within(p.total, 397 * B); // 396.35B
    expect(p.active + inputEmbedding).toBeGreaterThanOrEqual(16.5 * B); // 17.35B
    expect(p.active + inputEmbedding).toBeLessThan(17.5 * B);
  });
  it('Qwen3.5-122B-A10B: 122B total (model card); 10B activated (rounded)', () => {
    const { p, inputEmbedding } = params('Qwen/Qwen3.5-122B-A10B');
    within(p.total, 122 * B); // 122.11B
    expect(p.active + inputEmbedding).toBeGreaterThanOrEqual(9.5 * B); // 9.77B
    expect(p.active + inputEmbedding).toBeLessThan(10.5 * B);
  });
  it('Qwen3.5-35B-A3B: 35B total (model card); 3B activated (rounded)', () => {
    const { p, inputEmbedding } = params('Qwen/Qwen3.5-35B-A3B');
    within(p.total, 35 * B); // 34.66B
    expect(p.active + inputEmbedding).toBeGreaterThanOrEqual(2.5 * B); // 3.46B
    expect(p.active + inputEmbedding).toBeLessThan(3.5 * B);
  });
  it('Qwen3.5-27B: 27B (model card); the Qwen3.6 27B and 35B-A3B checkpoints keep the Qwen3.5 architectures', () => {
    within(params('Qwen/Qwen3.5-27B').p.total, 27 * B); // 26.90B
    expect(params('nvidia/Qwen3.6-27B-NVFP4').p).toEqual(params('Qwen/Qwen3.5-27B').p);
    expect(params('nvidia/Qwen3.6-35B-A3B-NVFP4').p).toEqual(params('Qwen/Qwen3.5-35B-A3B').p);
    expect(params('nvidia/Qwen3.5-397B-A17B-NVFP4').p).toEqual(params('Qwen/Qwen3.5-397B-A17B').p);
  });
  it('GLM-5: 744B total / 40B active (Z.ai GLM-5 announcement), with its DSA indexer', () => {
    const { spec, p } = params('zai-org/GLM-5');
    within(p.total, 744 * B);
    // Ours is 40.83B: 40.10B without the indexer's 0.73B, which every token runs; the announcement
    // gives whole billions, so this checks 2.5% rather than 2%.
    expect(Math.abs(p.active / (40 * B) - 1)).toBeLessThanOrEqual(0.025);
    // Indexer per layer: wq_b 2048 x 32 x 128 + wk 6144 x 128 + k_norm 2 x 128 + weights_proj 6144 x 32, x 78 layers.
    const perLayer = 2048 * 32 * 128 + 6144 * 128 + 2 * 128 + 6144 * 32;
    const dense = countParameters({ ...spec, attention: { ...(spec.attention as Extract<typeof spec.attention, { kind: 'mla' }>), indexer: undefined } });
    expect(p.total - dense.total).toBe(78 * perLayer);
  });
});

describe('countParameters by hand on tiny configs', () => {
  const tinyQwen3 = {
    architectures: ['Qwen3ForCausalLM'],
    model_type: 'qwen3',
    hidden_size: 8,
    num_hidden_layers: 2,
    vocab_size: 10,
    max_position_embeddings: 64,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    head_dim: 4,
    intermediate_size: 16,
    tie_word_embeddings: true,
  };

  it('dense GQA with qk-norm and tied embeddings', () => {
    const spec = parseHfConfig(tinyQwen3, 'tiny.json');
    // per layer: q 8*16=128, k+v 2*8*8=128, o 16*8=128, qk-norm 2*4=8, norms 2*8=16, mlp 3*8*16=384 -> 792
    // total: 2*792 + final norm 8 + tied table 10*8=80 = 1672; active = same (the tied table is the head)
    expect(countParameters(spec)).toEqual({ total: 1672, active: 1672, embedding: 80, mtp: 0 });
  });

  it('a gated shared expert (Qwen3.5) counts its hidden -> 1 gate once per MoE layer, in total and active', () => {
    const spec = getCatalogModel('Qwen/Qwen3.5-397B-A17B');
    const { sharedExpertGate, ...moe } = spec.moe!;
    expect(sharedExpertGate).toBe(true);
    const withGate = countParameters(spec);
    const without = countParameters({ ...spec, moe });
    // 60 MoE layers x 4096 hidden.
    expect(withGate.total - without.total).toBe(60 * 4096);
    expect(withGate.active - without.active).toBe(60 * 4096);
  });

  it('a q/k norm over all heads (qk_norm_type per_layer) weighs every head: (4 + 2) x 4 per layer, not 2 x 4', () => {
    const perLayer = parseHfConfig({ ...tinyQwen3, qk_norm_type: 'per_layer' }, 'tiny.json');
    expect(perLayer.attention).toMatchObject({ qkNorm: true, qkNormAcrossHeads: true });
    // 1672 above + 2 layers x (24 - 8).
    expect(countParameters(perLayer).total).toBe(1704);
    expect(parseHfConfig({ ...tinyQwen3, qk_norm_type: 'per_head' }, 'tiny.json').attention).not.toHaveProperty('qkNormAcrossHeads');
  });

  it('MLA + MoE with a leading dense layer, shared expert and one MTP module', () => {
    const spec = parseHfConfig(
      {
        architectures: ['DeepseekV3ForCausalLM'],
        hidden_size: 8,
        num_hidden_layers: 3,
        vocab_size: 10,
        max_position_embeddings: 64,
        num_attention_heads: 2,
        q_lora_rank: 4,
        kv_lora_rank: 4,
        qk_nope_head_dim: 2,
        qk_rope_head_dim: 2,
        v_head_dim: 3,
        intermediate_size: 16,
        moe_intermediate_size: 4,
        n_routed_experts: 4,
        num_experts_per_tok: 2,
        n_shared_experts: 1,
        first_k_dense_replace: 1,
        moe_layer_freq: 1,
        num_nextn_predict_layers: 1,
      },
      'tiny-mla.json',
    );
    // attention: q_a 8*4=32 + q_a_norm 4 + q_b 4*2*(2+2)=32; kv_a 8*(4+2)=48 + kv_a_norm 4;
    //            kv_b 4*2*(2+3)=40; o 2*3*8=48 -> 208; + layer norms 16 -> 224 per layer
    // dense MLP 3*8*16 = 384; expert 3*8*4 = 96; router 8*4 = 32; shared 96
    // MoE block: total 32 + 4*96 + 96 = 512, active 32 + 2*96 + 96 = 320
    // total = 3*224 + 8 (final norm) + 384 + 2*512 + 160 (embed + head) = 2248
    // active = 3*224 + 8 + 384 + 2*320 + 80 (head only) = 1784
    // MTP: 3 norms 24 + eh_proj 2*8*8=128 + layer (224 + 512) + embed+head 160 = 1048
    expect(countParameters(spec)).toEqual({ total: 2248, active: 1784, embedding: 160, mtp: 1048 });
    expect(countMoeLayers(spec)).toBe(2);
    expect([0, 1, 2].map((i) => isMoeLayer(spec, i))).toEqual([false, true, true]);
  });
});

describe('parseHfConfig', () => {
  it('reads Qwen3 head_dim and qk-norm, Llama without them', () => {
    const qwen = getCatalogModel('Qwen/Qwen3-32B');
    expect(qwen.attention).toEqual({ kind: 'gqa', numHeads: 64, numKvHeads: 8, headDim: 128, numSlidingLayers: 0, qkNorm: true });
    const llama = getCatalogModel('meta-llama/Llama-3.1-8B');
    // head_dim absent: 4096 / 32 heads = 128
    expect(llama.attention).toEqual({ kind: 'gqa', numHeads: 32, numKvHeads: 8, headDim: 128, numSlidingLayers: 0, qkNorm: false });
    expect(llama.family).toBe('dense');
    expect(llama.moe).toBeUndefined();
  });

  it('gpt-oss: 18 of 36 layers use a 128-token window; mxfp4 weights', () => {
    const s = getCatalogModel('openai/gpt-oss-120b');
    expect(s.attention).toMatchObject({ kind: 'gqa', numHeads: 64, numKvHeads: 8, headDim: 64, slidingWindow: 128, numSlidingLayers: 18 });
    expect(s.moe).toMatchObject({ numExperts: 128, topK: 4, expertIntermediateSize: 2880, numSharedExperts: 0 });
    expect(s.nativeWeightDtype).toBe('fp4');
  });

  it('DeepSeek-V3: MLA fields, 3 leading dense layers, one shared expert, MTP, fp8', () => {
    const s = getCatalogModel('deepseek-ai/DeepSeek-V3');
    expect(s.family).toBe('mla-moe');
    expect(s.attention).toEqual({ kind: 'mla', numHeads: 128, qLoraRank: 1536, kvLoraRank: 512, qkNopeHeadDim: 128, qkRopeHeadDim: 64, vHeadDim: 128 });
    expect(s.moe).toEqual({
      numExperts: 256,
      topK: 8,
      expertIntermediateSize: 2048,
      numSharedExperts: 1,
      sharedExpertIntermediateSize: 2048,
      numDenseLayers: 3,
      moeLayerFrequency: 1,
    });
    expect(s.intermediateSize).toBe(18432);
    expect(s.numMtpLayers).toBe(1);
    expect(s.nativeWeightDtype).toBe('fp8');
  });

  it('Qwen3-MoE and Mixtral read their own expert field names', () => {
    expect(getCatalogModel('Qwen/Qwen3-30B-A3B').moe).toMatchObject({ numExperts: 128, topK: 8, expertIntermediateSize: 768, numDenseLayers: 0 });
    expect(getCatalogModel('mistralai/Mixtral-8x7B-v0.1').moe).toMatchObject({ numExperts: 8, topK: 2, expertIntermediateSize: 14336 });
    expect(getCatalogModel('Qwen/Qwen3-235B-A22B-FP8').nativeWeightDtype).toBe('fp8');
  });

  it('mixed-precision checkpoints take their narrowest weight group (fp8 attention, fp4 experts -> fp4)', () => {
    expect(getCatalogModel('nvidia/Qwen3.6-35B-A3B-NVFP4').nativeWeightDtype).toBe('fp4');
  });

  it('Qwen3-MoE mlp_only_layers as leading dense layers; sparse step as frequency', () => {
    const base = {
      architectures: ['Qwen3MoeForCausalLM'],
      hidden_size: 8,
      num_hidden_layers: 6,
      vocab_size: 10,
      max_position_embeddings: 64,
      num_attention_heads: 2,
      intermediate_size: 16,
      moe_intermediate_size: 4,
      num_experts: 4,
      num_experts_per_tok: 2,
    };
    const s = parseHfConfig({ ...base, mlp_only_layers: [0, 1], decoder_sparse_step: 2 }, 'x.json');
    expect(s.moe).toMatchObject({ numDenseLayers: 2, moeLayerFrequency: 2 });
    // layers 2..5, every 2nd: 3 and 5
    expect(countMoeLayers(s)).toBe(2);
    expect([0, 1, 2, 3, 4, 5].map((i) => isMoeLayer(s, i))).toEqual([false, false, false, true, false, true]);
    const e = userError(() => parseHfConfig({ ...base, mlp_only_layers: [3] }, 'x.json'));
    expect(e.message).toContain('mlp_only_layers');
  });

  it('multimodal wrappers: text model from text_config, vision from vision_config', () => {
    const kimi = getCatalogModel('moonshotai/Kimi-K2.5');
    expect(kimi.architecture).toBe('KimiK25ForConditionalGeneration');
    expect(kimi.family).toBe('mla-moe');
    // MoonViT's vt_* fields; 3 channels x 14 x 14 pixels per patch; merged into the LLM's 7168.
    expect(kimi.vision).toEqual({
      patchSize: 14,
      spatialMergeSize: 2,
      hiddenSize: 1152,
      depth: 27,
      encoder: { numHeads: 16, intermediateSize: 4304, patchInputs: 588, outHiddenSize: 7168, mergers: 1 },
    });
    // compressed-tensors int4 group quantization of the experts
    expect(kimi.nativeWeightDtype).toBe('int4');
    const vl = getCatalogModel('Qwen/Qwen3-VL-30B-A3B-Instruct');
    expect(vl.family).toBe('moe');
    expect(vl.attention).toMatchObject({ qkNorm: true, headDim: 128 });
    // 3 channels x 2 frames x 16 x 16 pixels per patch; the main merger plus 3 DeepStack mergers.
    expect(vl.vision).toEqual({
      patchSize: 16,
      spatialMergeSize: 2,
      hiddenSize: 1152,
      depth: 27,
      encoder: { numHeads: 16, intermediateSize: 4304, patchInputs: 1536, outHiddenSize: 2048, mergers: 4 },
    });
    // A vision_config without the encoder's heads and MLP width still gives the image tokens.
    const bare = parseHfConfig({ ...TINY_VL, vision_config: { patch_size: 16, spatial_merge_size: 2, hidden_size: 64, depth: 2 } }, 'bare.json');
    expect(bare.vision).toEqual({ patchSize: 16, spatialMergeSize: 2, hiddenSize: 64, depth: 2 });
  });

  it('vision encoder parameters by hand, and Qwen3-VL-8B adds up to its published 8.77B', () => {
    const s = parseHfConfig(TINY_VL, 'tiny-vl.json');
    // hv 8, 2 heads, MLP 16, patch 3 x 2 x 2 x 2 = 24 inputs, merge 2 -> m = 32, out = LLM hidden 16, 1 + 1 DeepStack mergers.
    // patch 24 x 8 = 192; layer 4 x 64 + 2 x 8 x 16 + 16 = 528, x 3 = 1584; merger 8 + 32 x 32 + 32 x 16 = 1544, x 2 = 3088.
    expect(countParameters(s).vision).toBe(192 + 1584 + 3088);
    const p = countParameters(getCatalogModel('Qwen/Qwen3-VL-8B-Instruct'));
    // Hugging Face lists 8.77B parameters for Qwen3-VL-8B-Instruct (language model + vision tower).
    expect((p.total + p.vision!) / 1e9).toBeCloseTo(8.77, 1);
    expect(countParameters(getCatalogModel('Qwen/Qwen3-8B')).vision).toBeUndefined();
  });

  it('GLM-5 is MLA + MoE', () => {
    const s = getCatalogModel('zai-org/GLM-5');
    expect(s.attention).toEqual({
      kind: 'mla',
      numHeads: 64,
      qLoraRank: 2048,
      kvLoraRank: 512,
      qkNopeHeadDim: 192,
      qkRopeHeadDim: 64,
      vHeadDim: 256,
      indexer: { numHeads: 32, headDim: 128, topK: 2048 },
    });
    // DeepSeek-V3 has no indexer; a config with only part of the index fields is refused.
    expect(getCatalogModel('deepseek-ai/DeepSeek-V3').attention).not.toHaveProperty('indexer');
    expect(s.moe).toMatchObject({ numExperts: 256, topK: 8, numDenseLayers: 3, numSharedExperts: 1 });
  });

  it('native weight dtype from quantization_config', () => {
    expect(getCatalogModel('nvidia/Kimi-K2.5-NVFP4').nativeWeightDtype).toBe('fp4');
    expect(getCatalogModel('MiniMaxAI/MiniMax-M2.5').nativeWeightDtype).toBe('fp8');
    expect(getCatalogModel('Qwen/Qwen3-32B-FP8-Static-PerTensor').nativeWeightDtype).toBe('fp8');
    expect(getCatalogModel('Qwen/Qwen3-32B').nativeWeightDtype).toBe('bf16');
  });

  describe('errors name the file, the field and what to do', () => {
    const llama = {
      architectures: ['LlamaForCausalLM'],
      hidden_size: 64,
      num_hidden_layers: 2,
      vocab_size: 100,
      max_position_embeddings: 128,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      intermediate_size: 128,
    };

    it('missing field', () => {
      const { num_attention_heads: _, ...noHeads } = llama;
      const e = userError(() => parseHfConfig(noHeads, 'my/config.json'));
      expect(e.file).toBe('my/config.json');
      expect(e.message).toContain("'num_attention_heads'");
      expect(e.hint).toBeTruthy();
      expect(e.format()).toMatch(/^my\/config\.json: missing field 'num_attention_heads'/);
    });

    it('wrong type', () => {
      const e = userError(() => parseHfConfig({ ...llama, hidden_size: '64' }, 'c.json'));
      expect(e.message).toContain("'hidden_size' must be a non-negative integer");
    });

    it('heads not a multiple of KV heads', () => {
      const e = userError(() => parseHfConfig({ ...llama, num_key_value_heads: 3 }, 'c.json'));
      expect(e.message).toContain('num_key_value_heads');
    });

    it('missing MoE and MLA fields', () => {
      const moe = { ...llama, architectures: ['MixtralForCausalLM'] };
      expect(userError(() => parseHfConfig(moe, 'c.json')).message).toContain("'n_routed_experts'");
      const mla = { ...llama, architectures: ['DeepseekV3ForCausalLM'], n_routed_experts: 4, num_experts_per_tok: 2 };
      expect(userError(() => parseHfConfig(mla, 'c.json')).message).toContain("'kv_lora_rank'");
      // Sparse attention takes its three index fields together.
      const dsa = { ...mla, kv_lora_rank: 16, qk_nope_head_dim: 8, qk_rope_head_dim: 8, v_head_dim: 8, index_n_heads: 4, index_topk: 64 };
      const e = userError(() => parseHfConfig(dsa, 'c.json'));
      expect(e.message).toContain("'index_head_dim'");
      expect(e.hint).toContain('index_n_heads, index_head_dim and index_topk');
    });

    it('missing field inside text_config is named with its prefix', () => {
      const e = userError(() => parseHfConfig({ architectures: ['Qwen3VLForConditionalGeneration'], text_config: { model_type: 'qwen3_vl_text' } }, 'vl.json'));
      expect(e.message).toContain("'text_config.hidden_size'");
    });

    it('hybrid linear attention (Qwen3.5 layer_types)', () => {
      const cfg = {
        architectures: ['Qwen3_5ForConditionalGeneration'],
        text_config: { ...llama, model_type: 'qwen3_5_text', layer_types: ['linear_attention', 'full_attention'] },
      };
      const e = userError(() => parseHfConfig(cfg, 'qwen35.json'));
      expect(e.file).toBe('qwen35.json');
      expect(e.message).toContain('linear_attention');
      expect(e.message).toContain('text_config.layer_types');
      expect(e.hint).toContain('supported');
    });

    it('Mamba hybrids and unknown architectures', () => {
      const nemo = { ...llama, architectures: ['NemotronHForCausalLM'], hybrid_override_pattern: 'M-M-M*-' };
      expect(userError(() => parseHfConfig(nemo, 'n.json')).message).toContain('Mamba');
      const unknown = userError(() => parseHfConfig({ ...llama, architectures: ['FalconForCausalLM'] }, 'f.json'));
      expect(unknown.message).toBe("unsupported architecture 'FalconForCausalLM'");
      expect(userError(() => parseHfConfig([1, 2], 'a.json')).message).toContain('JSON object');
      expect(userError(() => parseHfConfig({ hidden_size: 1 }, 'a.json')).message).toContain("'architectures'");
    });
  });
});

describe('built-in catalog', () => {
  it('holds the required ids and aliases, case-insensitively', () => {
    const required = [
      'Qwen/Qwen3-8B',
      'Qwen/Qwen3-32B',
      'Qwen/Qwen3-30B-A3B',
      'Qwen/Qwen3-235B-A22B',
      'meta-llama/Llama-3.1-8B',
      'meta-llama/Llama-3.1-70B',
      'meta-llama/Llama-3.1-405B',
      'meta-llama/Llama-3.3-70B-Instruct',
      'mistralai/Mixtral-8x7B-v0.1',
      'deepseek-ai/DeepSeek-V3',
      'deepseek-ai/DeepSeek-R1',
      'openai/gpt-oss-120b',
      'MiniMaxAI/MiniMax-M2.5',
      'moonshotai/Kimi-K2.5',
    ];
    for (const id of required) expect(getCatalogModel(id.toUpperCase()).id).toBe(id);
    expect(MODEL_CATALOG['meta-llama/Llama-3.3-70B-Instruct']?.note).toContain('3.1 70B');
    expect(countParameters(getCatalogModel('meta-llama/Llama-3.3-70B-Instruct'))).toEqual(countParameters(getCatalogModel('meta-llama/Llama-3.1-70B')));
  });

  it('resolves the model_path ids of silicon_calibration.csv that the parser supports', () => {
    // Distinct model_path values of ../shared/reference/silicon_calibration.csv, transcribed.
    // Qwen/Qwen3.5-397B-A17B is left out: hybrid linear attention is not supported.
    const ids = [
      'MiniMaxAI/MiniMax-M2.5',
      'moonshotai/Kimi-K2.5',
      'deepseek-ai/DeepSeek-V3',
      'nvidia/DeepSeek-R1-NVFP4',
      'nvidia/DeepSeek-V3.1-NVFP4',
      'nvidia/Qwen3-32B-NVFP4',
      'deepseek-ai/DeepSeek-R1',
      'Qwen/Qwen3-32B',
      'Qwen/Qwen3-235B-A22B-FP8',
      'meta-llama/Llama-3.1-8B-Instruct',
      'openai/gpt-oss-120b',
      'zhipuai/GLM-5',
      'meta-llama/Llama-3.1-70B',
    ];
    for (const id of ids) expect(getCatalogModel(id).id).toBe(id);
    expect(getCatalogModel('nvidia/DeepSeek-R1-NVFP4').nativeWeightDtype).toBe('fp4');
    expect(getCatalogModel('nvidia/DeepSeek-V3.1-NVFP4').nativeWeightDtype).toBe('fp4');
    expect(getCatalogModel('deepseek-ai/DeepSeek-V3.1').nativeWeightDtype).toBe('fp8');
    expect(getCatalogModel('Qwen/Qwen3.5-397B-A17B').linearAttention?.numLayers).toBe(45);
    expect(() => getCatalogModel('MiniMaxAI/MiniMax-M3')).toThrow(OptixUserError);
  });

  it('unknown id lists close ids', () => {
    const e = userError(() => getCatalogModel('Qwen/Qwen3-8b-instruct'));
    expect(e.message).toBe("unknown model 'Qwen/Qwen3-8b-instruct'");
    expect(e.hint).toContain('Qwen/Qwen3-8B');
    expect(e.hint).toContain('optix models list');
  });

  it('every entry parses and lists', () => {
    const all = listCatalogModels();
    expect(all.length).toBe(Object.keys(MODEL_CATALOG).length);
    for (const m of all) {
      const p = countParameters(m.spec);
      expect(p.active).toBeGreaterThan(0);
      expect(p.active).toBeLessThanOrEqual(p.total);
    }
  });
});

describe('resolveModel (front door)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'optix-models-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const qwen = MODEL_CATALOG['Qwen/Qwen3-8B']?.config as Record<string, unknown>;

  it('reads a model directory, a .json path, a config dir, then the catalog', () => {
    const modelDir = path.join(dir, 'my-model');
    mkdirSync(modelDir);
    writeFileSync(path.join(modelDir, 'config.json'), JSON.stringify({ ...qwen, num_hidden_layers: 7 }));
    const fromDir: ModelSpec = resolveModel(modelDir);
    expect(fromDir.numLayers).toBe(7);
    expect(fromDir.source).toBe(path.join(modelDir, 'config.json'));

    const file = path.join(dir, 'cfg.json');
    writeFileSync(file, JSON.stringify({ ...qwen, num_hidden_layers: 5 }));
    expect(resolveModel(file).numLayers).toBe(5);

    const configDir = path.join(dir, 'configs');
    mkdirSync(configDir);
    writeFileSync(path.join(configDir, 'acme--Tiny-1B.json'), JSON.stringify({ ...qwen, num_hidden_layers: 3 }));
    const tiny = resolveModel('acme/Tiny-1B', { modelConfigDir: configDir });
    expect(tiny.numLayers).toBe(3);
    expect(tiny.id).toBe('acme/Tiny-1B');
    // Not in the config dir: falls through to the catalog.
    expect(resolveModel('Qwen/Qwen3-8B', { modelConfigDir: configDir }).numLayers).toBe(36);
  });

  it('bad JSON names the file with line and column', () => {
    const file = path.join(dir, 'bad.json');
    writeFileSync(file, '{\n  "hidden_size": 8,\n  "vocab_size": ,\n}\n');
    const e = userError(() => resolveModel(file));
    expect(e.file).toBe(file);
    expect(e.line).toBe(3);
    expect(e.column).toBeGreaterThan(1);
    expect(e.message).toContain('invalid JSON');
  });

  it('accepts the bare Infinity that Python writes', () => {
    const v = parseJsonText('{"a": Infinity, "b": "Infinity", "c": -Infinity, "d": NaN}', 'x.json');
    expect(v).toEqual({ a: Infinity, b: 'Infinity', c: -Infinity, d: null });
  });

  it('missing path and empty directory', () => {
    expect(userError(() => resolveModel(path.join(dir, 'nope.json'))).message).toContain('not found');
    const empty = path.join(dir, 'empty');
    mkdirSync(empty);
    expect(userError(() => resolveModel(empty)).message).toContain('no config.json');
  });
});
