import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { userError } from './user-error.js';
import { loadDevice } from '../src/catalog/devices.js';
import { defaultQuantOptions, defaultServingOptions, makeParallel } from '../src/engine/defaults.js';
import { estimate } from '../src/engine/index.js';
import { kvBytesForContext, linearStateBytesPerSequence, memoryModel, weightBytesPerDevice } from '../src/engine/memory.js';
import { getCatalogModel, parseHfConfig } from '../src/engine/models/index.js';
import { countParameters, linearAttentionParams } from '../src/engine/models/params.js';
import { buildStepOps } from '../src/engine/ops/step.js';
import type { Op } from '../src/engine/ops/types.js';
import { priceStep } from '../src/engine/perf.js';
import { planQuant } from '../src/engine/quant.js';
import { idealDevice } from './engine-fixtures.js';

/**
 * A tiny Qwen3-Next-style hybrid: 4 layers, every 4th full attention (1 full, 3 linear),
 * MoE with a shared expert on every layer.
 *   GDN: 2 key heads x dk 4, 4 value heads x dv 8 -> key dim 8, value dim 32, conv dim 48.
 *   Full attention: 4 heads x 4, 2 KV heads, gated q.
 */
const TINY_HYBRID = {
  architectures: ['Qwen3NextForCausalLM'],
  model_type: 'qwen3_next',
  hidden_size: 16,
  num_hidden_layers: 4,
  full_attention_interval: 4,
  vocab_size: 32,
  max_position_embeddings: 128,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  head_dim: 4,
  linear_num_key_heads: 2,
  linear_num_value_heads: 4,
  linear_key_head_dim: 4,
  linear_value_head_dim: 8,
  linear_conv_kernel_dim: 4,
  intermediate_size: 32,
  num_experts: 4,
  num_experts_per_tok: 2,
  moe_intermediate_size: 8,
  shared_expert_intermediate_size: 8,
  decoder_sparse_step: 1,
  mlp_only_layers: [],
  tie_word_embeddings: false,
};

const tiny = () => parseHfConfig(TINY_HYBRID, 'tiny-hybrid.json');
const dev = idealDevice();
const bf16 = planQuant(defaultQuantOptions({ linear: 'DISABLED' }), dev);

function op(ops: Op[], name: string): Op {
  const found = ops.filter((o) => o.name === name);
  expect(found, name).toHaveLength(1);
  return found[0] as Op;
}

describe('parsing hybrid Gated DeltaNet configs', () => {
  it('full_attention_interval: layers 4, 8, ... are full attention; gated q by default', () => {
    const s = tiny();
    expect(s.linearAttention).toEqual({
      kind: 'gated-delta-net',
      numLayers: 3,
      numKeyHeads: 2,
      numValueHeads: 4,
      keyHeadDim: 4,
      valueHeadDim: 8,
      convKernel: 4,
      stateDtype: 'fp32',
    });
    expect(s.attention).toMatchObject({ kind: 'gqa', numHeads: 4, numKvHeads: 2, headDim: 4, qkNorm: true, outputGate: true });
    expect(s.family).toBe('moe');
  });

  it('layer_types counts linear layers; attn_output_gate false turns the gate off; mamba_ssm_dtype sets the state dtype', () => {
    const s = parseHfConfig(
      {
        ...TINY_HYBRID,
        layer_types: ['linear_attention', 'full_attention', 'linear_attention', 'full_attention'],
        attn_output_gate: false,
        mamba_ssm_dtype: 'bfloat16',
      },
      'x.json',
    );
    expect(s.linearAttention?.numLayers).toBe(2);
    expect(s.linearAttention?.stateDtype).toBe('bf16');
    expect(s.attention.kind === 'gqa' && s.attention.outputGate).toBeFalsy();
  });

  it('Qwen3.5-397B-A17B: 45 Gated DeltaNet + 15 gated full-attention layers', () => {
    const s = getCatalogModel('Qwen/Qwen3.5-397B-A17B');
    expect(s.linearAttention).toMatchObject({ numLayers: 45, numKeyHeads: 16, numValueHeads: 64, keyHeadDim: 128, valueHeadDim: 128, convKernel: 4, stateDtype: 'fp32' });
    expect(s.attention).toMatchObject({ numHeads: 32, numKvHeads: 2, headDim: 256, outputGate: true, qkNorm: true });
    expect(s.moe).toMatchObject({ numExperts: 512, topK: 10, expertIntermediateSize: 1024, numSharedExperts: 1, sharedExpertIntermediateSize: 1024 });
  });

  it('broken hybrid configs name the field', () => {
    const noHeads: Record<string, unknown> = { ...TINY_HYBRID };
    delete noHeads.linear_num_value_heads;
    let e = userError(() => parseHfConfig(noHeads, 'broken.json'));
    expect(e.message).toBe("missing field 'linear_num_value_heads'");
    expect(e.file).toBe('broken.json');

    e = userError(() => parseHfConfig({ ...TINY_HYBRID, linear_num_value_heads: 3 }, 'broken.json'));
    expect(e.message).toMatch(/linear_num_value_heads \(3\) must be a multiple of linear_num_key_heads \(2\)/);

    const noPattern: Record<string, unknown> = { ...TINY_HYBRID };
    delete noPattern.full_attention_interval;
    e = userError(() => parseHfConfig(noPattern, 'broken.json'));
    expect(e.message).toBe("missing field 'full_attention_interval'");
    expect(e.hint).toMatch(/layer_types/);

    e = userError(() => parseHfConfig({ ...TINY_HYBRID, layer_types: ['linear_attention', 'full_attention'] }, 'broken.json'));
    expect(e.message).toMatch(/layer_types has 2 entries but num_hidden_layers is 4/);

    e = userError(() => parseHfConfig({ ...TINY_HYBRID, mamba_ssm_dtype: 'int3' }, 'broken.json'));
    expect(e.message).toMatch(/mamba_ssm_dtype/);

    // Linear layers in a class that is not a Gated DeltaNet hybrid stay unsupported.
    e = userError(() =>
      parseHfConfig({ ...TINY_HYBRID, architectures: ['Qwen3MoeForCausalLM'], model_type: 'qwen3_moe', layer_types: ['linear_attention', 'full_attention', 'full_attention', 'full_attention'] }, 'x.json'),
    );
    expect(e.message).toMatch(/layer type "linear_attention"/);
  });
});

describe('parameters of a hybrid, by hand', () => {
  it('tiny hybrid', () => {
    const s = tiny();
    // GDN layer: in_proj 16 x (48 + 32 + 2*4) = 1408, conv 48*4 = 192, A_log + dt_bias 8, norm 8, out 32*16 = 512 -> 2128
    expect(linearAttentionParams(s, s.linearAttention!)).toBe(2128);
    // Full attention: gated q 16*4*4*2 = 512, k+v 2*16*2*4 = 256, o 256, q/k norm 8 -> 1032
    // MoE: router 64 + 4 experts * 384 + shared 384 + its sigmoid gate 16 = 2000 total; 64 + 2*384 + 384 + 16 = 1232 active
    // base = 1*1032 + 3*2128 + 4 layers * 2 norms * 16 + final 16 = 7560
    // total = 2*32*16 (embedding + head) + 7560 + 4*2000 = 16584; active = 512 (head) + 7560 + 4*1232 = 13000
    expect(countParameters(s)).toEqual({ total: 16584, active: 13000, embedding: 1024, mtp: 0 });
  });

  it('Qwen3.5-style MTP (mtp_num_hidden_layers): fc over [embedding; hidden], norms, one full-attention MoE layer', () => {
    const shared = parseHfConfig({ ...TINY_HYBRID, mtp_num_hidden_layers: 1, mtp_use_dedicated_embeddings: false }, 'tiny-mtp.json');
    expect(shared.numMtpLayers).toBe(1);
    expect(shared.mtpSharesEmbeddings).toBe(true);
    // 3 norms x 16 + fc 2 x 16 x 16 + (attention 1032 + 2 norms 32 + MoE 2000) = 48 + 512 + 3064
    expect(countParameters(shared).mtp).toBe(3624);
    // Own copies of the embedding and head, as DeepSeek's checkpoints store them: + 2 x 32 x 16.
    const own = parseHfConfig({ ...TINY_HYBRID, mtp_num_hidden_layers: 1 }, 'tiny-mtp-own.json');
    expect(countParameters(own).mtp).toBe(3624 + 1024);
    expect(countParameters(shared).total).toBe(16584);
  });
});

describe('Gated DeltaNet ops', () => {
  it('decode: recurrent update reads and writes the fp32 state of every sequence', () => {
    const s = tiny();
    const ops = buildStepOps(s, makeParallel({ tp: 1 }), bf16, { decode: { sequences: 2, context: 100, tokensPerSeq: 1 } });
    const d = op(ops, 'gdn_recurrent_decode');
    expect(d.count).toBe(3);
    // 7 dk dv per token per value head: 2 tokens * 4 heads * 7*4*8 = 1792
    expect(d.flops).toBe(1792);
    // io: 2 tokens * (2*2*4 q,k + 2*32 v,o) * 2 B = 320; state: 2 seqs * 2 (read+write) * 4*4*8*4 B = 2048
    expect(d.bytes).toBe(2368);
    expect(op(ops, 'gdn_in_proj_qkvz')).toMatchObject({ m: 2, n: 80, k: 16, count: 3 });
    expect(op(ops, 'gdn_out_proj')).toMatchObject({ m: 2, n: 16, k: 32, count: 3 });
    // conv state: 48 channels * 3 taps * 2 B, read and written per sequence
    const conv = op(ops, 'gdn_conv1d');
    expect(conv.bytes).toBe(2 * 2 * 48 * 2 + 2 * 2 * 48 * 3 * 2);
    // The one full-attention layer: gated q (2*4 heads) + k + v (2*2 heads) of dim 4 = 48 columns.
    expect(op(ops, 'qkv_proj')).toMatchObject({ n: 48, count: 1 });
    expect(op(ops, 'attention_decode').count).toBe(1);
    expect(op(ops, 'attention_decode').bytes).toBe(2 * 100 * 2 * 2 * 4 * 2 + 2 * 2 * 4 * 4 * 2);
  });

  it('prefill: chunked delta rule, 6 dk dv + C (6 dk + 4 dv) + 2/3 C^2 FLOPs per token per value head', () => {
    const s = tiny();
    const ops = buildStepOps(s, makeParallel({ tp: 1 }), bf16, { prefill: { sequences: 1, newTokens: 10, priorContext: 0 } });
    const p = op(ops, 'gdn_chunk_prefill');
    // C = min(64, 10) = 10: 6*4*8 + 10*(24 + 32) + 2/3*100 = 192 + 560 + 66.67 = 818.67 per token per head; x 10 tokens x 4 heads
    expect(p.flops).toBeCloseTo(32746.67, 1);
    // io 10*160 = 1600; W, U, v_new 10*4*(4 + 16)*2*2 = 3200; one chunk state 4*4*8*2*2 = 512; initial + final state 2*512 = 1024
    expect(p.bytes).toBe(6336);
    expect(p.seqLen).toBe(10);
    expect(ops.some((o) => o.name === 'gdn_recurrent_decode')).toBe(false);
  });

  it('heads shard by TP; key heads replicate below TP', () => {
    const s = tiny();
    const ops = buildStepOps(s, makeParallel({ tp: 4 }), bf16, { decode: { sequences: 1, context: 10, tokensPerSeq: 1 } });
    // tp 4: 1 value head, max(1, ceil(2/4)) = 1 key head -> conv channels 2*4 + 8 = 16, qkvz = 16 + 8 = 24
    expect(op(ops, 'gdn_in_proj_qkvz').n).toBe(24);
    expect(op(ops, 'gdn_recurrent_decode').flops).toBe(7 * 4 * 8);
  });

  it('decode step time grows with the batch (property)', () => {
    const s = getCatalogModel('Qwen/Qwen3.5-397B-A17B');
    const b200 = loadDevice('B200_SXM_180G');
    const q = planQuant(defaultQuantOptions({ linear: 'FP8' }), b200);
    const par = makeParallel({ tp: 8, ep: 8 });
    const t = (b: number): number => priceStep(buildStepOps(s, par, q, { decode: { sequences: b, context: 2048, tokensPerSeq: 1 } }), b200, { compile: false, compileAllowGraphBreak: false }).timeS;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 512 }), fc.integer({ min: 1, max: 64 }), (b, extra) => t(b + extra) >= t(b)),
      { numRuns: 60 },
    );
  });
});

describe('hybrid memory: KV for full-attention layers, fixed state for linear layers', () => {
  it('tiny hybrid by hand', () => {
    const s = tiny();
    const par = makeParallel({ tp: 1 });
    // KV: 1 full layer * 2 (k, v) * 2 KV heads * 4 * 2 B = 32 B per token
    expect(kvBytesForContext(s, par, bf16, 1, false)).toBe(32);
    expect(kvBytesForContext(s, par, bf16, 1000, false)).toBe(32000);
    // State per linear layer: 4 heads * 4*8 fp32 = 512 B + conv 48 * 3 * 2 B = 288 B -> 800; 3 layers = 2400
    expect(linearStateBytesPerSequence(s, par)).toBe(2400);
    // tp 2: 2 value heads, 1 key head: 2*4*8*4 = 256 + (2*4 + 16) * 3 * 2 = 144 -> 400 per layer
    expect(linearStateBytesPerSequence(s, makeParallel({ tp: 2 }))).toBe(1200);
    const m = memoryModel(s, par, bf16, defaultServingOptions(), 1e12, 1000);
    expect(m.kvBytesPerSequence).toBe(32000 + 2400);
  });

  it('MTP: the MTP layer caches KV, and verify keeps a state per verified token beside the running one', () => {
    const s = parseHfConfig({ ...TINY_HYBRID, mtp_num_hidden_layers: 1, mtp_use_dedicated_embeddings: false }, 'tiny-mtp.json');
    const par = makeParallel({ tp: 1 });
    // k = 2 drafts: 1 running + 3 verified-token states = 4 x 2400; KV over 1 + 1 (MTP) full layers = 64 B per token.
    expect(linearStateBytesPerSequence(s, par, 2)).toBe(4 * 2400);
    const m = memoryModel(s, par, bf16, defaultServingOptions({ numMtpTokens: 2 }), 1e12, 1000);
    expect(m.kvBytesPerSequence).toBe(64000 + 9600);
  });

  it('models without linear attention are unchanged: no state, KV over every layer', () => {
    const q3 = getCatalogModel('Qwen/Qwen3-32B');
    const par = makeParallel({ tp: 8 });
    expect(linearStateBytesPerSequence(q3, par)).toBe(0);
    // 64 layers * 2 * 1 KV head per rank * 128 * 2 B = 32768 B per token
    expect(kvBytesForContext(q3, par, bf16, 1, false)).toBe(32768);
  });

  it('Qwen3.5-397B-A17B at TP 8: 15 KV layers, 45 fixed states', () => {
    const s = getCatalogModel('Qwen/Qwen3.5-397B-A17B');
    const par = makeParallel({ tp: 8 });
    // 15 layers * 2 * max(1, 2/8) KV heads * 256 * 2 B = 15360 B per token
    expect(kvBytesForContext(s, par, bf16, 1, false)).toBe(15360);
    // 45 * (8 heads * 128*128*4 B + (2*2*128 + 8*128) * 3 * 2 B) = 45 * (524288 + 9216)
    expect(linearStateBytesPerSequence(s, par)).toBe(45 * 533504);
    // The weights on one device hold a gated q (3 attention matrices of q width) and the GDN projections.
    const w = weightBytesPerDevice(s, par, bf16, false);
    expect(w / 1e9).toBeGreaterThan((2 * 396.35) / 8 - 2);
    expect(w / 1e9).toBeLessThan((2 * 396.35) / 8 + 2);
  });
});

describe('estimate on a hybrid model', () => {
  it('Qwen3.5-397B-A17B on 8 x B200 runs and is not OOM', () => {
    const r = estimate({
      model: getCatalogModel('Qwen/Qwen3.5-397B-A17B'),
      device: loadDevice('B200_SXM_180G'),
      parallel: makeParallel({ tp: 8, ep: 8 }),
      quant: defaultQuantOptions({ linear: 'FP8' }),
      workload: { inputLength: 1024, outputLength: 1024, prefixCacheHitRate: 0 },
      serving: defaultServingOptions(),
      concurrency: 16,
    });
    expect(r.point.oom).toBe(false);
    expect(r.point.ttftMs).toBeGreaterThan(0);
    expect(r.point.tpotMs).toBeGreaterThan(0);
    expect(r.decodeStep.ops.some((o) => o.name === 'gdn_recurrent_decode')).toBe(true);
  });

  it('Qwen3.5-397B-A17B with MTP: drafts run a full-attention layer, and 2 drafts at 0.8 / 0.6 acceptance cut TPOT', () => {
    const run = (numMtpTokens: number) =>
      estimate({
        model: getCatalogModel('Qwen/Qwen3.5-397B-A17B'),
        device: loadDevice('B200_SXM_180G'),
        parallel: makeParallel({ tp: 8, ep: 8 }),
        quant: defaultQuantOptions({ linear: 'FP8' }),
        workload: { inputLength: 1024, outputLength: 1024, prefixCacheHitRate: 0 },
        serving: defaultServingOptions({ numMtpTokens, mtpAcceptanceRates: [0.8, 0.6] }),
        concurrency: 16,
      });
    const [plain, mtp] = [run(0), run(2)];
    const mtpOps = mtp.decodeStep.ops.filter((o) => o.name.startsWith('mtp_'));
    expect(mtpOps.some((o) => o.name.startsWith('mtp_attention') || o.name.startsWith('mtp_qkv'))).toBe(true);
    expect(mtpOps.some((o) => o.name.startsWith('mtp_gdn'))).toBe(false);
    expect(mtpOps.every((o) => o.count === 2)).toBe(true);
    // Each step verifies 3 tokens and accepts 1 + 0.8 + 0.6 = 2.4 of them.
    expect(mtp.decodeStep.timeS).toBeGreaterThan(plain.decodeStep.timeS);
    expect(mtp.point.tpotMs).toBeLessThan(plain.point.tpotMs);
    expect(mtp.point.memory.weightsBytes).toBeGreaterThan(plain.point.memory.weightsBytes);
  });
});
