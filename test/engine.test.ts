import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { estimate } from '../src/engine/index.js';
import { defaultQuantOptions, defaultServingOptions, makeParallel } from '../src/engine/defaults.js';
import { planQuant } from '../src/engine/quant.js';
import { linear } from '../src/engine/ops/linear.js';
import { causalPairs, gqaAttentionOps } from '../src/engine/ops/attention.js';
import { expectedExpertsHit } from '../src/engine/ops/ffn.js';
import { buildStepOps } from '../src/engine/ops/step.js';
import { collectiveHops, priceOp, priceStep } from '../src/engine/perf.js';
import { kvBytesForContext, weightBytesPerDevice } from '../src/engine/memory.js';
import { acceptedTokensPerStep, StepPricer } from '../src/engine/serving.js';
import { loadDevice } from '../src/catalog/devices.js';
import { getCatalogModel } from '../src/engine/models/index.js';
import { OptixUserError } from '../src/errors.js';
import { idealDevice, tinyDense, tinyMoe } from './engine-fixtures.js';

const eager = { compile: false, compileAllowGraphBreak: false };

describe('quantization plans', () => {
  const dev = idealDevice();
  it('maps the seed actions to weight bytes and compute dtype', () => {
    expect(planQuant(defaultQuantOptions({ linear: 'DISABLED' }), dev)).toMatchObject({ linearWeightBytes: 2, gemmDtype: 'bf16', gemmActivationBytes: 2 });
    expect(planQuant(defaultQuantOptions({ linear: 'FP8' }), dev)).toMatchObject({ linearWeightBytes: 1, gemmDtype: 'fp8', gemmActivationBytes: 1 });
    expect(planQuant(defaultQuantOptions({ linear: 'W8A8_DYNAMIC' }), dev)).toMatchObject({ linearWeightBytes: 1, gemmDtype: 'int8', activationQuantFlopsPerElement: 4 });
    expect(planQuant(defaultQuantOptions({ linear: 'W8A8_STATIC' }), dev)).toMatchObject({ activationQuantFlopsPerElement: 0 });
    expect(planQuant(defaultQuantOptions({ linear: 'W4A8_STATIC' }), dev)).toMatchObject({ linearWeightBytes: 0.5, gemmDtype: 'int8' });
    expect(planQuant(defaultQuantOptions({ linear: 'W8A16_STATIC' }), dev)).toMatchObject({ linearWeightBytes: 1, gemmDtype: 'bf16', dequantFlopsPerWeight: 2 });
  });
  it('MXFP4: 4-bit elements + one 8-bit scale per group; falls back to fp8 math without an fp4 peak', () => {
    // (4 + 8/32) / 8 = 0.53125 bytes per weight.
    const p = planQuant(defaultQuantOptions({ linear: 'MXFP4', mxfp4GroupSize: 32 }), dev);
    expect(p.linearWeightBytes).toBeCloseTo(0.53125, 10);
    expect(p.gemmDtype).toBe('fp8');
    expect(p.warnings.join()).toMatch(/no fp4 matrix peak/);
  });
  it('KV cache bytes per attention action', () => {
    expect(planQuant(defaultQuantOptions({ attention: 'DISABLED' }), dev).kvBytes).toBe(2);
    expect(planQuant(defaultQuantOptions({ attention: 'INT8' }), dev).kvBytes).toBe(1);
    expect(planQuant(defaultQuantOptions({ attention: 'FP8' }), dev).kvBytes).toBe(1);
  });
  it('a device without 8-bit peaks runs FP8 as bf16 and says so', () => {
    const bf16Only = idealDevice({ matrixPeakFlopsPerS: { bf16: 100e12 } });
    const p = planQuant(defaultQuantOptions({ linear: 'FP8' }), bf16Only);
    expect(p.gemmDtype).toBe('bf16');
    expect(p.gemmActivationBytes).toBe(2);
    expect(p.warnings[0]).toMatch(/IDEAL has no fp8 matrix peak/);
  });
});

describe('op shapes and prices (ideal device, hand-computed)', () => {
  const dev = idealDevice();
  const bf16 = planQuant(defaultQuantOptions({ linear: 'DISABLED' }), dev);

  it('a linear layer: FLOPs 2mnk, bytes = weights + input + output', () => {
    // qkv of tinyDense at tp 1: n = (8 + 2 x 2) x 128 = 1536, k = 1024, m = 10 tokens.
    const op = linear('qkv_proj', 2, 10, 1536, 1024, bf16);
    expect(op.flops).toBe(2 * 10 * 1536 * 1024); // 31,457,280
    // 1536 x 1024 x 2 + 10 x 1024 x 2 + 10 x 1536 x 2 = 3,145,728 + 20,480 + 30,720
    expect(op.bytes).toBe(3_196_928);
    // compute 31,457,280 / 100e12 = 0.31 us < memory 3,196,928 / 1e12 = 3.2 us: memory-bound.
    const t = priceOp(op, dev, eager);
    expect(t.bucket).toBe('mem');
    expect(t.timeS).toBeCloseTo(3.196928e-6, 12);
  });

  it('a large GEMM is compute-bound: 2 x 4096^3 / 100e12 s', () => {
    const op = linear('big', 1, 4096, 4096, 4096, bf16);
    const t = priceOp(op, dev, eager);
    expect(t.bucket).toBe('cube');
    expect(t.timeS).toBeCloseTo((2 * 4096 ** 3) / 100e12, 12);
  });

  it('an all-reduce over 4 devices of 1 MB moves 2 x 3/4 of it: 2 x 3/4 x 1e6 / 100e9 s', () => {
    const op = { name: 'ar', kind: 'collective' as const, count: 1, flops: 0, bytes: 0, dtype: 'bf16' as const, collective: { kind: 'all_reduce' as const, groupSize: 4, messageBytes: 1e6 } };
    expect(priceOp(op, dev, eager).timeS).toBeCloseTo(1.5e-5, 12);
  });

  it('a reduction over whole nodes runs hierarchically: the message inside each node, message / g across them', () => {
    // Two tiers: 8 devices at 100 GB/s, then 16 at 10 GB/s (no latency, efficiency 1, flat comm curve).
    const twoTier = { ...dev, commGrid: [dev.commGrid[0]!, { name: 'scale-out', devices: 16, bandwidthBytesPerS: 10e9, latencyS: 0, efficiency: 1 }] };
    const op = (kind: 'all_reduce' | 'all_gather' | 'reduce_scatter' | 'all_to_all', groupSize: number) => ({ name: 'c', kind: 'collective' as const, count: 1, flops: 0, bytes: 0, dtype: 'bf16' as const, collective: { kind, groupSize, messageBytes: 8e6 } });
    // All-reduce of 8 MB over 16 = 2 x 8: inside a node 2 x 7/8 x 8e6 / 100e9 = 140 us; across the 2 nodes
    // each device all-reduces its 1 MB share: 2 x 1/2 x 1e6 / 10e9 = 100 us. A flat ring at 10 GB/s: 1,500 us.
    expect(priceOp(op('all_reduce', 16), twoTier, eager).timeS).toBeCloseTo(140e-6 + 100e-6, 12);
    // All-gather of an 8 MB output: 7/8 x 8e6 / 100e9 = 70 us inside, 1/2 x 1e6 / 10e9 = 50 us across.
    expect(priceOp(op('all_gather', 16), twoTier, eager).timeS).toBeCloseTo(70e-6 + 50e-6, 12);
    expect(priceOp(op('reduce_scatter', 16), twoTier, eager).timeS).toBeCloseTo(70e-6 + 50e-6, 12);
    // All-to-all: each device sends 8/16 of its 8 MB to the other node over its own link
    // (400 us) while 7/16 stays inside (35 us): the slower of the two.
    expect(priceOp(op('all_to_all', 16), twoTier, eager).timeS).toBeCloseTo(400e-6, 12);
    // Inside one node nothing changes: 2 x 7/8 x 8e6 / 100e9.
    expect(priceOp(op('all_reduce', 8), twoTier, eager).timeS).toBeCloseTo(140e-6, 12);
    // A group that is not whole nodes (12 of 8-device nodes) stays a flat collective at the outer tier.
    expect(priceOp(op('all_reduce', 12), twoTier, eager).timeS).toBeCloseTo((2 * 11 / 12) * 8e6 / 10e9, 12);
  });

  it("a collective's latency terms: direct kernels take one hop per phase at any size, NCCL's ring n - 1", () => {
    expect(collectiveHops('all_reduce', 8, 'direct')).toBe(2);
    expect(collectiveHops('all_reduce', 8, 'ring')).toBe(14);
    expect(collectiveHops('all_gather', 8, 'direct')).toBe(1);
    expect(collectiveHops('all_gather', 8, 'ring')).toBe(7);
    expect(collectiveHops('p2p', 2, 'ring')).toBe(1);
    // Priced: 1 us a hop on the ideal device's tier, no bytes.
    const slow = { ...dev, commGrid: dev.commGrid.map((t) => ({ ...t, latencyS: 1e-6 })) };
    const ar = (algorithm?: 'direct' | 'ring') => ({ name: 'ar', kind: 'collective' as const, count: 1, flops: 0, bytes: 0, dtype: 'bf16' as const, collective: { kind: 'all_reduce' as const, groupSize: 4, messageBytes: 1, ...(algorithm ? { algorithm } : {}) } });
    const bytesS = priceOp(ar(), dev, eager).timeS;
    expect(priceOp(ar(), slow, eager).timeS - bytesS).toBeCloseTo(2e-6, 12);
    expect(priceOp(ar('ring'), slow, eager).timeS - bytesS).toBeCloseTo(6e-6, 12);
  });

  it('a few-row GEMM reads its weights at its dtype\'s bandwidth curve when the profile has one', () => {
    const half = [[1, 0.5]] as const;
    const withCurve = { ...dev, efficiency: { ...dev.efficiency, gemmMemoryByBytesByDtype: { bf16: half } } };
    // 1 x 4096 x 4096 bf16: 33.6 MB of weights (+ tiny activations) at 1 TB/s, or at half of it.
    const op = linear('g', 1, 1, 4096, 4096, planQuant(defaultQuantOptions({ linear: 'DISABLED' }), dev));
    const full = priceOp(op, dev, eager).timeS;
    expect(full).toBeCloseTo(op.bytes / 1e12, 12);
    expect(priceOp(op, withCurve, eager).timeS).toBeCloseTo(op.bytes / 0.5e12, 12);
    // Another dtype keeps memoryByBytes.
    const fp8 = linear('g', 1, 1, 4096, 4096, planQuant(defaultQuantOptions({ linear: 'FP8' }), dev));
    expect(priceOp(fp8, withCurve, eager).timeS).toBeCloseTo(priceOp(fp8, dev, eager).timeS, 15);
  });

  it('prefill attention efficiency is multiplied by the head-dim curve when the profile has one', () => {
    const byHeadDim = { ...dev, efficiency: { ...dev.efficiency, attentionPrefillByHeadDim: [[64, 0.5], [128, 1]] as Array<[number, number]> } };
    const op = { name: 'p', kind: 'attention_prefill' as const, count: 1, flops: 1e12, bytes: 0, dtype: 'bf16' as const, seqLen: 1024, headDim: 64 };
    const plain = priceOp(op, dev, eager).timeS;
    // Half the efficiency at d64: twice the compute time; d128 and an op without a head dim: unchanged.
    expect(priceOp(op, byHeadDim, eager).timeS).toBeCloseTo(2 * plain, 12);
    expect(priceOp({ ...op, headDim: 128 }, byHeadDim, eager).timeS).toBeCloseTo(plain, 12);
    expect(priceOp({ ...op, headDim: undefined }, byHeadDim, eager).timeS).toBeCloseTo(plain, 12);
  });

  it('GQA decode attention efficiency is multiplied by the head-group curve; MLA decode (no group) is not', () => {
    const byGroup = { ...dev, efficiency: { ...dev.efficiency, attentionDecodeByGroup: [[32, 1], [64, 0.1]] as Array<[number, number]> } };
    // Compute-bound: 1 TFLOP, no bytes.
    const op = { name: 'd', kind: 'attention_decode' as const, count: 1, flops: 1e12, bytes: 0, dtype: 'bf16' as const, seqLen: 1024, queryHeadsPerKv: 64 };
    const plain = priceOp(op, dev, eager).timeS;
    // A group of 64 falls back to a kernel at a tenth of the efficiency: ten times the compute time.
    expect(priceOp(op, byGroup, eager).timeS).toBeCloseTo(10 * plain, 12);
    expect(priceOp({ ...op, queryHeadsPerKv: 8 }, byGroup, eager).timeS).toBeCloseTo(plain, 12);
    expect(priceOp({ ...op, queryHeadsPerKv: undefined }, byGroup, eager).timeS).toBeCloseTo(plain, 12);
  });

  it('attention kernels take their own floor when the profile has one, else matrixOp', () => {
    const withFloors = { ...dev, staticCostS: { ...dev.staticCostS, matrixOp: 5e-6, attentionPrefillOp: 17e-6, attentionDecodeOp: 9e-6 } };
    const noFloors = { ...dev, staticCostS: { ...dev.staticCostS, matrixOp: 5e-6 } };
    const base = { count: 1, flops: 0, bytes: 0, dtype: 'bf16' as const, seqLen: 1 };
    const pre = { ...base, name: 'p', kind: 'attention_prefill' as const };
    const dec = { ...base, name: 'd', kind: 'attention_decode' as const };
    // No work: the time is the static cost alone (eager pricing keeps all of it).
    expect(priceOp(pre, withFloors, eager).timeS).toBeCloseTo(17e-6, 12);
    expect(priceOp(dec, withFloors, eager).timeS).toBeCloseTo(9e-6, 12);
    expect(priceOp(pre, noFloors, eager).timeS).toBeCloseTo(5e-6, 12);
    expect(priceOp(dec, noFloors, eager).timeS).toBeCloseTo(5e-6, 12);
  });

  it('decode attention takes the larger of its read time and its (sequence, KV head) pairs x the per-pair time', () => {
    const perPair = { ...dev, staticCostS: { ...dev.staticCostS, attentionDecodePerKvPair: 10e-9 } };
    // 1 MB at the ideal device's HBM vs 4096 pairs x 10 ns = 41 us.
    const op = { name: 'd', kind: 'attention_decode' as const, count: 1, flops: 0, bytes: 1e6, dtype: 'bf16' as const, seqLen: 16, kvPairs: 4096 };
    const bytesOnly = priceOp({ ...op, kvPairs: undefined }, perPair, eager).timeS;
    expect(bytesOnly).toBeLessThan(40.96e-6);
    expect(priceOp(op, perPair, eager).timeS).toBeCloseTo(40.96e-6, 12);
    // Few pairs: the read time stands.
    expect(priceOp({ ...op, kvPairs: 1 }, perPair, eager).timeS).toBeCloseTo(bytesOnly, 15);
    // A profile without the figure prices bytes alone.
    expect(priceOp(op, dev, eager).timeS).toBeCloseTo(bytesOnly, 15);
  });

  it('a GQA pair costs the MHA pair divided by the per-KV-dtype group curve; MLA (no group) and other dtypes keep the MHA pair', () => {
    const byGroup = {
      ...dev,
      staticCostS: { ...dev.staticCostS, attentionDecodePerKvPair: 10e-9 },
      efficiency: { ...dev.efficiency, attentionDecodePairByGroupByDtype: { bf16: [[1, 1], [8, 0.25]] as Array<[number, number]> } },
    };
    // Pair-bound: 4096 pairs, 1 kB read. MHA: 4096 x 10 ns = 40.96 us.
    const op = { name: 'd', kind: 'attention_decode' as const, count: 1, flops: 0, bytes: 1e3, dtype: 'bf16' as const, seqLen: 16, kvPairs: 4096, queryHeadsPerKv: 8 };
    // Groups of 8 at a quarter of the pair efficiency: 4096 x 40 ns = 163.84 us.
    expect(priceOp(op, byGroup, eager).timeS).toBeCloseTo(163.84e-6, 12);
    expect(priceOp({ ...op, queryHeadsPerKv: 1 }, byGroup, eager).timeS).toBeCloseTo(40.96e-6, 12);
    expect(priceOp({ ...op, queryHeadsPerKv: undefined }, byGroup, eager).timeS).toBeCloseTo(40.96e-6, 12);
    expect(priceOp({ ...op, dtype: 'fp8' as const }, byGroup, eager).timeS).toBeCloseTo(40.96e-6, 12);
  });

  it('a q/k norm over all heads (MiniMax-M2) all-reduces the variances across TP ranks: 2 fp32 per token', () => {
    const minimax = getCatalogModel('MiniMaxAI/MiniMax-M2');
    const a = minimax.attention as Parameters<typeof gqaAttentionOps>[1];
    expect(a).toMatchObject({ qkNorm: true, qkNormAcrossHeads: true });
    const ctx = (tp: number) => ({ spec: minimax, par: makeParallel({ tp }), quant: bf16, shape: { decode: { sequences: 16, context: 1000, tokensPerSeq: 1 } }, tokens: 16 });
    const norm = gqaAttentionOps(ctx(4), a, 62).find((o) => o.name === 'qk_norm_tp_all_reduce');
    expect(norm?.collective).toMatchObject({ kind: 'all_reduce', groupSize: 4, messageBytes: 16 * 2 * 4 });
    expect(norm?.count).toBe(62);
    // One rank holds every head: nothing to reduce. A per-head norm (Qwen3) never reduces.
    expect(gqaAttentionOps(ctx(1), a, 62).some((o) => o.name === 'qk_norm_tp_all_reduce')).toBe(false);
    const qwen = getCatalogModel('Qwen/Qwen3-32B');
    expect(qwen.attention).not.toHaveProperty('qkNormAcrossHeads');
    expect(gqaAttentionOps({ ...ctx(4), spec: qwen }, qwen.attention as typeof a, 64).some((o) => o.name === 'qk_norm_tp_all_reduce')).toBe(false);
  });

  it('a gated shared expert (Qwen3.5) adds its hidden -> 1 bf16 gate and the scaling pass; DeepSeek has neither', () => {
    const qwen = getCatalogModel('Qwen/Qwen3.5-397B-A17B');
    expect(qwen.moe).toMatchObject({ numSharedExperts: 1, sharedExpertGate: true });
    const shape = { decode: { sequences: 8, context: 1000, tokensPerSeq: 1 } };
    const ops = buildStepOps(qwen, makeParallel({ tp: 8 }), bf16, shape);
    const gate = ops.find((o) => o.name === 'shared_expert_gate')!;
    // One per MoE layer (60), 8 tokens x 1 output x 4096 inputs, replicated on every rank.
    expect(gate).toMatchObject({ kind: 'gemm', count: 60, m: 8, n: 1, k: 4096, flops: 2 * 8 * 4096, dtype: 'bf16' });
    const scale = ops.find((o) => o.name === 'shared_gate_scale')!;
    expect(scale).toMatchObject({ kind: 'vector', count: 60, flops: 8 * 4096 * 2 });
    expect(scale.fused).toBeFalsy();
    const ds = getCatalogModel('deepseek-ai/DeepSeek-V3');
    expect(ds.moe).not.toHaveProperty('sharedExpertGate');
    expect(buildStepOps(ds, makeParallel({ tp: 8 }), bf16, shape).some((o) => o.name.startsWith('shared_expert_gate'))).toBe(false);
  });

  it('DeepSeek sparse attention (GLM-5): the indexer scores every cached token, the attention reads the top-k', () => {
    const glm = getCatalogModel('zai-org/GLM-5-FP8');
    const a = glm.attention;
    expect(a).toMatchObject({ kind: 'mla', indexer: { numHeads: 32, headDim: 128, topK: 2048 } });
    const par = makeParallel({ tp: 8, ep: 1 });
    const decode = (context: number) => buildStepOps(glm, par, bf16, { decode: { sequences: 4, context, tokensPerSeq: 1 } });
    const find = (ops: ReturnType<typeof decode>, name: string) => ops.find((o) => o.name === name)!;
    const long = decode(8192);
    // Logits: 4 queries x 32 heads x 128 x 8192 keys x 2 FLOPs; reads 4 x 8192 index keys of 128 fp8 + 4 B,
    // writes 4 x 8192 fp32 logits, plus the 4 x 32 x 128 fp8 queries.
    const logits = find(long, 'indexer_logits_decode');
    expect(logits).toMatchObject({ kind: 'attention_decode', dtype: 'fp8', seqLen: 8192, flops: 2 * 32 * 128 * 4 * 8192 });
    expect(logits.bytes).toBe(4 * 32 * 128 + 4 * 8192 * 132 + 4 * 8192 * 4);
    expect(find(long, 'indexer_topk_decode').fused).toBeFalsy();
    // Past 2048 tokens the latent attention reads 2048 keys a sequence; below, all of them.
    expect(find(long, 'mla_decode').seqLen).toBe(2048);
    expect(find(decode(1000), 'mla_decode').seqLen).toBe(1000);
    expect(find(long, 'mla_decode').bytes).toBe(find(decode(2048), 'mla_decode').bytes);
    // Prefill: each query attends min(position, 2048) keys.
    const prefill = buildStepOps(glm, par, bf16, { prefill: { sequences: 1, newTokens: 4096, priorContext: 0 } });
    const dense = { ...glm, attention: { ...(a as Extract<typeof a, { kind: 'mla' }>), indexer: undefined } };
    const densePrefill = buildStepOps(dense, par, bf16, { prefill: { sequences: 1, newTokens: 4096, priorContext: 0 } });
    expect(find(prefill, 'mla_prefill').flops / find(densePrefill, 'mla_prefill').flops).toBeCloseTo(causalPairs(4096, 0, 2048) / causalPairs(4096, 0), 9);
    expect(densePrefill.some((o) => o.name.startsWith('indexer_'))).toBe(false);
    // The index cache: one 128-byte fp8 key and a 4-byte scale per token per layer, beside the latent.
    const kv = kvBytesForContext(glm, par, bf16, 1, false);
    const denseKv = kvBytesForContext(dense, par, bf16, 1, false);
    expect(kv - denseKv).toBe(78 * 132);
  });

  it('decode attention reads the whole KV cache of the batch', () => {
    const ops = gqaAttentionOps(
      { spec: tinyDense(), par: makeParallel({ tp: 1 }), quant: bf16, shape: { decode: { sequences: 4, context: 1000, tokensPerSeq: 1 } }, tokens: 4 },
      tinyDense().attention as never,
      2,
    );
    const att = ops.find((o) => o.kind === 'attention_decode')!;
    // KV: 4 seqs x 1000 tokens x (K+V) x 2 KV heads x 128 x 2 bytes = 4,096,000; q and o: 4 x 2 x 8 x 128 x 2 = 16,384.
    expect(att.bytes).toBe(4_112_384);
    // 4 FLOPs per (query head, key, dim): 4 x 8 heads x 128 x 1000 keys x 4 queries = 16,384,000.
    expect(att.flops).toBe(16_384_000);
    // Work units of flash decoding: 4 sequences x 2 KV heads; 8 query heads share each KV head in groups of 4.
    expect(att.kvPairs).toBe(8);
    expect(att.queryHeadsPerKv).toBe(4);
  });

  it('prefill attention ops carry their head dim (GQA: head_dim; MLA: nope + rope)', () => {
    const ops = gqaAttentionOps(
      { spec: tinyDense(), par: makeParallel({ tp: 1 }), quant: bf16, shape: { prefill: { sequences: 1, newTokens: 64, priorContext: 0 } }, tokens: 64 },
      tinyDense().attention as never,
      2,
    );
    expect(ops.find((o) => o.kind === 'attention_prefill')!.headDim).toBe(128);
    const ds = getCatalogModel('deepseek-ai/DeepSeek-V3');
    const mla = buildStepOps(ds, makeParallel({ tp: 8 }), planQuant(defaultQuantOptions({ linear: 'FP8' }), dev), { prefill: { sequences: 1, newTokens: 16, priorContext: 0 } });
    expect(mla.find((o) => o.kind === 'attention_prefill')!.headDim).toBe(128 + 64);
  });

  it('causal pairs: 4 new tokens with no prior context attend to 1+2+3+4 keys', () => {
    expect(causalPairs(4, 0)).toBe(10);
    expect(causalPairs(4, 100)).toBe(4 * 102.5);
    // Window 2: queries see 1, 2, 2, 2 keys.
    expect(causalPairs(4, 0, 2)).toBe(7);
  });

  it('causal pairs under a window equal the per-query count min(prior + i, window)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 0, max: 300 }), fc.integer({ min: 1, max: 400 }), (n, prior, w) => {
        let loop = 0;
        for (let i = 1; i <= n; i++) loop += Math.min(prior + i, w);
        return causalPairs(n, prior, w) === loop;
      }),
    );
  });

  it('expected experts hit by uniform top-k routing', () => {
    // 8 experts, top-2, one token: exactly 2 experts.
    expect(expectedExpertsHit(8, 2, 1)).toBeCloseTo(2, 12);
    // two tokens: 8 x (1 - 0.75^2) = 3.5
    expect(expectedExpertsHit(8, 2, 2)).toBeCloseTo(3.5, 12);
  });

  it('MoE step lists router, experts, shared experts and EP all-to-all', () => {
    const spec = tinyMoe();
    const names = buildStepOps(spec, makeParallel({ tp: 1, dp: 4, ep: 4 }), bf16, { decode: { sequences: 8, context: 512, tokensPerSeq: 1 } }).map((o) => o.name);
    for (const n of ['router', 'experts_gate_up', 'experts_down', 'shared_gate_up', 'ep_dispatch_all_to_all', 'ep_combine_all_to_all', 'lm_head']) {
      expect(names).toContain(n);
    }
  });

  it('expert parallelism under attention TP (TEP) moves no tokens: one all-reduce over the group sums the experts', () => {
    const spec = tinyMoe();
    const shape = { decode: { sequences: 8, context: 512, tokensPerSeq: 1 } };
    const tep = buildStepOps(spec, makeParallel({ tp: 4, ep: 4 }), bf16, shape);
    expect(tep.some((o) => o.kind === 'collective' && o.collective?.kind === 'all_to_all')).toBe(false);
    const moeReduce = tep.filter((o) => o.name === 'moe_tp_all_reduce');
    // 8 tokens x 1024 hidden x 2 B over the 4 ranks, once per MoE layer (2).
    expect(moeReduce).toHaveLength(1);
    expect(moeReduce[0]).toMatchObject({ count: 2, collective: { kind: 'all_reduce', groupSize: 4, messageBytes: 8 * 1024 * 2 } });
    // Each rank runs its 2 of the 8 experts on all 8 tokens: a quarter of the expert work, as under TP.
    const experts = (ops: typeof tep) => ops.find((o) => o.name === 'experts_gate_up')!;
    const tpOnly = buildStepOps(spec, makeParallel({ tp: 4 }), bf16, shape);
    expect(experts(tep).flops).toBeCloseTo(experts(tpOnly).flops, 6);
  });
});

describe('memory model (hand-computed)', () => {
  const dev = idealDevice();
  const bf16 = planQuant(defaultQuantOptions({ linear: 'DISABLED' }), dev);
  it('weights of tinyDense at tp 1', () => {
    // per layer: attention (8x128x1024x2 + 2x2x128x1024) x 2 B = 5,242,880; norms 2 x 1024 x 2 = 4,096;
    // MLP 3 x 1024 x 4096 x 2 = 25,165,824 -> 30,412,800 x 2 layers = 60,825,600;
    // untied embedding + LM head 2 x 32000 x 1024 x 2 = 131,072,000. Total 191,897,600.
    expect(weightBytesPerDevice(tinyDense(), makeParallel({ tp: 1 }), bf16, false)).toBe(191_897_600);
  });
  it('KV per token: 2 layers x (K+V) x 2 heads x 128 x 2 B; KV heads replicate when tp > kv heads', () => {
    expect(kvBytesForContext(tinyDense(), makeParallel({ tp: 1 }), bf16, 1, false)).toBe(2048);
    // tp 4 > 2 KV heads: each rank keeps one KV head.
    expect(kvBytesForContext(tinyDense(), makeParallel({ tp: 4 }), bf16, 1, false)).toBe(1024);
  });
  it('per-device weights fall as TP grows (real model)', () => {
    const spec = getCatalogModel('Qwen/Qwen3-32B');
    let prev = Infinity;
    for (const tp of [1, 2, 4, 8]) {
      const w = weightBytesPerDevice(spec, makeParallel({ tp }), bf16, false);
      expect(w).toBeLessThan(prev);
      prev = w;
    }
  });
});

describe('serving invariants (real profiles, property tests)', () => {
  const h100 = loadDevice('H100_SXM_80G');
  const spec = getCatalogModel('Qwen/Qwen3-32B');
  const quant = planQuant(defaultQuantOptions({ linear: 'FP8' }), h100);

  it('a decode step never beats reading the weights once from HBM', () => {
    fc.assert(
      fc.property(fc.constantFrom(1, 2, 4, 8), fc.integer({ min: 1, max: 256 }), fc.integer({ min: 16, max: 16384 }), (tp, b, ctx) => {
        const par = makeParallel({ tp });
        const p = new StepPricer({ spec, device: h100, par, quant, workload: { inputLength: ctx, outputLength: 16, prefixCacheHitRate: 0 }, serving: defaultServingOptions() });
        const step = p.step({ decode: { sequences: b, context: ctx, tokensPerSeq: 1 } });
        return step.timeS >= weightBytesPerDevice(spec, par, quant, false) / h100.hbmBandwidthBytesPerS;
      }),
      { numRuns: 60 },
    );
  });

  it('a prefill step never beats its FLOPs at the matrix peak', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 16, max: 8192 }), (seqs, len) => {
        const par = makeParallel({ tp: 1 });
        const ops = buildStepOps(spec, par, quant, { prefill: { sequences: seqs, newTokens: len, priorContext: 0 } });
        const step = priceStep(ops, h100, eager);
        return step.timeS >= step.flops / h100.matrixPeakFlopsPerS.fp8!;
      }),
      { numRuns: 60 },
    );
  });

  it('step latency is monotone in batch and in context', () => {
    const p = new StepPricer({ spec, device: h100, par: makeParallel({ tp: 2 }), quant, workload: { inputLength: 1024, outputLength: 128, prefixCacheHitRate: 0 }, serving: defaultServingOptions() });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 512 }), fc.integer({ min: 1, max: 64 }), fc.integer({ min: 64, max: 32768 }), (b, db, ctx) => {
        const a = p.step({ decode: { sequences: b, context: ctx, tokensPerSeq: 1 } }).timeS;
        const moreBatch = p.step({ decode: { sequences: b + db, context: ctx, tokensPerSeq: 1 } }).timeS;
        const moreCtx = p.step({ decode: { sequences: b, context: ctx * 2, tokensPerSeq: 1 } }).timeS;
        return moreBatch >= a && moreCtx >= a;
      }),
      { numRuns: 80 },
    );
  });
});

describe('estimate', () => {
  const h100 = loadDevice('H100_SXM_80G');
  const base = {
    model: getCatalogModel('Qwen/Qwen3-32B'),
    device: h100,
    parallel: makeParallel({ tp: 1 }),
    quant: defaultQuantOptions({ linear: 'FP8' }),
    workload: { inputLength: 1024, outputLength: 128, prefixCacheHitRate: 0 },
    serving: defaultServingOptions(),
    concurrency: 8,
  };

  it('the issue-2 example runs and reports ms figures, memory and shares', () => {
    const r = estimate(base);
    expect(r.point.ttftMs).toBeGreaterThan(0);
    expect(r.point.tpotMs).toBeGreaterThan(0);
    expect(r.point.memory.oom).toBe(false);
    const s = r.point.shares;
    expect(s.cube + s.vec + s.mem + s.comm).toBeCloseTo(1, 9);
  });

  it('reports OOM instead of silently using a batch that does not fit', () => {
    const r = estimate({ ...base, concurrency: 4096, workload: { inputLength: 32000, outputLength: 1000, prefixCacheHitRate: 0 } });
    expect(r.point.oom).toBe(true);
    expect(r.warnings.join()).toMatch(/out of memory/);
  });

  it('MTP: accepted tokens per step = 1 + r1 + ... + rk; models without MTP layers are refused', () => {
    expect(acceptedTokensPerStep(defaultServingOptions({ numMtpTokens: 3 }))).toBeCloseTo(1 + 0.9 + 0.6 + 0.4, 12);
    expect(() => estimate({ ...base, serving: defaultServingOptions({ numMtpTokens: 1 }) })).toThrow(OptixUserError);
    const ds = getCatalogModel('deepseek-ai/DeepSeek-V3');
    expect(() =>
      estimate({ ...base, model: ds, parallel: makeParallel({ tp: 8 }), serving: defaultServingOptions({ numMtpTokens: 6, mtpAcceptanceRates: [0.9, 0.6] }) }),
    ).toThrow(/needs at least 5 acceptance rates/);
  });

  it('MTP raises decode throughput when drafts are accepted', () => {
    const ds = getCatalogModel('deepseek-ai/DeepSeek-V3');
    const req = { ...base, model: ds, device: loadDevice('H200_SXM_141G'), parallel: makeParallel({ tp: 8 }), concurrency: 16, mode: 'decode' as const };
    const off = estimate(req).point;
    const on = estimate({ ...req, serving: defaultServingOptions({ numMtpTokens: 1 }) }).point;
    expect(on.tpotMs).toBeLessThan(off.tpotMs);
  });

  it('bad layouts and workloads are user errors', () => {
    expect(() => estimate({ ...base, parallel: makeParallel({ tp: 128 }) })).toThrow(/exceeds the 64 attention heads/);
    expect(() => estimate({ ...base, workload: { ...base.workload, prefixCacheHitRate: 1 } })).toThrow(/\[0, 1\)/);
    expect(() => estimate({ ...base, concurrency: 0 })).toThrow(/concurrency/);
  });
});
