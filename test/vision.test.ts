/**
 * The vision encoder of VL models (src/engine/ops/vision.ts): its ops by hand, where the
 * serving model adds it (with the prefill of the prompts that carry the images), and its
 * weights in device memory.
 */
import { describe, expect, it } from 'vitest';
import { loadDevice } from '../src/catalog/devices.js';
import { defaultQuantOptions, defaultServingOptions, makeParallel } from '../src/engine/defaults.js';
import { weightBytesPerDevice } from '../src/engine/memory.js';
import { countParameters, getCatalogModel, parseHfConfig } from '../src/engine/models/index.js';
import type { Op } from '../src/engine/ops/types.js';
import { hasVisionEncoder, visionEncoderOps } from '../src/engine/ops/vision.js';
import { planQuant } from '../src/engine/quant.js';
import { evaluate, StepPricer } from '../src/engine/serving.js';
import { estimate } from '../src/engine/index.js';
import { visionTokens } from '../src/engine/vision.js';
import { TINY_VL } from './engine-fixtures.js';

function op(ops: Op[], name: string): Op {
  const found = ops.filter((o) => o.name === name);
  expect(found, name).toHaveLength(1);
  return found[0]!;
}

describe('vision encoder ops', () => {
  const spec = parseHfConfig(TINY_VL, 'tiny-vl.json');
  const vision = spec.vision!;
  if (!hasVisionEncoder(vision)) throw new Error('tiny VL config must describe its encoder');

  it('by hand at TP 1: 2 images of 16 patches', () => {
    const ops = visionEncoderOps(vision, makeParallel({ tp: 1 }), { images: 2, patchesPerImage: 16 });
    // 32 patches of 3 x 2 x 2 x 2 = 24 pixel values into 8 wide.
    expect(op(ops, 'vit_patch_embed')).toMatchObject({ count: 1, m: 32, n: 8, k: 24, flops: 2 * 32 * 8 * 24 });
    expect(op(ops, 'vit_qkv_proj')).toMatchObject({ count: 3, m: 32, n: 24, k: 8 });
    // Bidirectional within each image: 2 x 16^2 pairs, 2 heads of 4 dims, QK^T and PV.
    expect(op(ops, 'vit_attention')).toMatchObject({ count: 3, flops: 4 * 2 * 4 * 512, seqLen: 16, queryRows: 64, headDim: 4, dtype: 'bf16' });
    expect(op(ops, 'vit_mlp_fc1')).toMatchObject({ count: 3, m: 32, n: 16, k: 8 });
    expect(op(ops, 'vit_mlp_fc2')).toMatchObject({ count: 3, m: 32, n: 8, k: 16 });
    // 2 x 2 patches per LLM token: 8 tokens of 32 values, to the LLM's 16; the main and one DeepStack merger.
    expect(op(ops, 'vit_merger_fc1')).toMatchObject({ count: 2, m: 8, n: 32, k: 32 });
    expect(op(ops, 'vit_merger_fc2')).toMatchObject({ count: 2, m: 8, n: 16, k: 32 });
    expect(ops.filter((o) => o.kind === 'collective')).toEqual([]);
  });

  it('TP 2 shards heads, MLP and mergers and all-reduces after each', () => {
    const ops = visionEncoderOps(vision, makeParallel({ tp: 2 }), { images: 2, patchesPerImage: 16 });
    expect(op(ops, 'vit_qkv_proj')).toMatchObject({ n: 12 });
    expect(op(ops, 'vit_attention').flops).toBe(4 * 1 * 4 * 512);
    expect(op(ops, 'vit_mlp_fc1')).toMatchObject({ n: 8 });
    expect(op(ops, 'vit_merger_fc1')).toMatchObject({ n: 16 });
    expect(ops.filter((o) => o.kind === 'collective').map((o) => [o.name, o.count])).toEqual([
      ['vit_attn_tp_all_reduce', 3],
      ['vit_mlp_tp_all_reduce', 3],
      ['vit_merger_tp_all_reduce', 2],
    ]);
  });
});

describe('the encoder in serving', () => {
  const model = getCatalogModel('Qwen/Qwen3-VL-8B-Instruct');
  const device = loadDevice('H100_SXM_80G');
  const quant = planQuant(defaultQuantOptions({ linear: 'FP8' }), device);
  // 448 x 448 px: 28 x 28 patches of 16 px, merged 2 x 2 into 196 tokens.
  const imageTokens = visionTokens(model, 448, 448);
  const pricer = (maxBatchedTokens = 8192, tp = 1) =>
    new StepPricer({
      spec: model,
      device,
      par: makeParallel({ tp }),
      quant,
      workload: { inputLength: 1000, outputLength: 100, prefixCacheHitRate: 0 },
      serving: defaultServingOptions({ visionTokens: imageTokens, maxBatchedTokens, scheduling: 'steady-state' }),
    });

  it('a prompt prefilled whole encodes its image in the same step', () => {
    expect(imageTokens).toBe(196);
    const p = pricer();
    const alone = p.step({ prefill: { sequences: 1, newTokens: 1196, priorContext: 0 } }).timeS;
    const encode = p.step({ vision: { images: 1, patchesPerImage: 784 } }).timeS;
    expect(encode).toBeGreaterThan(0);
    expect(evaluate(p, 'agg', 4).prefillStepMs).toBeCloseTo((alone + encode) * 1000, 9);
  });

  it('a prompt over the token budget is prefilled in chunks and encodes its image once', () => {
    const p = pricer(512);
    // 1196 tokens in chunks of at most 512: 3 chunks of 399.
    const chunk = p.step({ prefill: { sequences: 1, newTokens: 399, priorContext: 0 } }).timeS;
    const encode = p.step({ vision: { images: 1, patchesPerImage: 784 } }).timeS;
    expect(evaluate(p, 'agg', 4).prefillStepMs).toBeCloseTo((3 * chunk + encode) * 1000, 9);
  });

  it('the vision tower sits in every device\'s memory in bf16, sharded by TP', () => {
    const vision = countParameters(model).vision!;
    // The same model with a vision_config that does not describe the encoder: image tokens only.
    const { patchSize, spatialMergeSize, hiddenSize, depth } = model.vision!;
    const text = { ...model, vision: { patchSize, spatialMergeSize, hiddenSize, depth } };
    for (const tp of [1, 2]) {
      const par = makeParallel({ tp });
      expect(weightBytesPerDevice(model, par, quant, false) - weightBytesPerDevice(text, par, quant, false)).toBeCloseTo((vision * 2) / tp, 0);
    }
  });

  it('a vision_config without the encoder\'s shape gives the image tokens and says the encoder is not modeled', () => {
    const { patchSize, spatialMergeSize, hiddenSize, depth } = model.vision!;
    const request = (spec: typeof model) =>
      estimate({
        model: spec,
        device,
        parallel: makeParallel({ tp: 1 }),
        quant: defaultQuantOptions({ linear: 'FP8' }),
        workload: { inputLength: 1000, outputLength: 100, prefixCacheHitRate: 0 },
        serving: defaultServingOptions({ visionTokens: imageTokens }),
        concurrency: 4,
      });
    const bare = request({ ...model, vision: { patchSize, spatialMergeSize, hiddenSize, depth } });
    expect(bare.warnings).toContain("196 image tokens added to every prompt; the vision encoder's own compute is not modeled (its vision_config lacks num_heads / intermediate_size)");
    const full = request(model);
    expect(full.warnings).toEqual([]);
    expect(full.point.ttftMs).toBeGreaterThan(bare.point.ttftMs);
  });
});
