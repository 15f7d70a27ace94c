import { describe, expect, it } from 'vitest';
import { loadDevice } from '../src/catalog/devices.js';
import { parseHfConfig } from '../src/engine/models/index.js';
import { defaultQuantOptions } from '../src/engine/defaults.js';
import { parseDeploy, deployToParallel } from '../src/sweep/deploy.js';
import { mbu, mfu } from '../src/sweep/metrics.js';
import { causalPairs } from '../src/engine/ops/attention.js';
import { expectedExpertsHit } from '../src/engine/ops/ffn.js';
import { modelBytes, modelFlops } from '../src/sweep/model-cost.js';
import { evaluatePoint, prepareSweep, runSweep } from '../src/sweep/runner.js';

/**
 * A tiny Qwen3-MoE: h = 64, L = 2, 4 heads, 2 KV heads, head_dim 16, vocab 100,
 * 4 experts (top-2) of intermediate 32, no shared experts, untied head.
 *
 * Parameters per layer:
 *   attention q 64*4*16 = 4096, k+v 2*64*2*16 = 4096, o 4*16*64 = 4096, q/k norm 2*16 = 32 -> 12320
 *   RMSNorms 2*64 = 128
 *   MoE (active): router 64*4 = 256 + top-2 experts 2 * 3*64*32 = 12288 -> 12544
 *   layer total (active) = 12320 + 128 + 12544 = 24992
 * Body = 2 * 24992 + final norm 64 = 50048; LM head = 100*64 = 6400.
 */
const tiny = parseHfConfig(
  {
    architectures: ['Qwen3MoeForCausalLM'],
    model_type: 'qwen3_moe',
    hidden_size: 64,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    head_dim: 16,
    vocab_size: 100,
    max_position_embeddings: 1024,
    intermediate_size: 128,
    moe_intermediate_size: 32,
    num_experts: 4,
    num_experts_per_tok: 2,
    decoder_sparse_step: 1,
    mlp_only_layers: [],
    tie_word_embeddings: false,
  },
  'tiny.json',
);

describe('model FLOPs (2 x active params x tokens + attention)', () => {
  it('prefill of 3 sequences x 10 tokens', () => {
    const f = modelFlops(tiny, { prefill: { sequences: 3, newTokens: 10, priorContext: 0 } });
    // linear: 2 * 50048 * 30 tokens = 3,002,880
    expect(f.linear).toBe(3_002_880);
    // LM head only for the last token of each sequence: 2 * 6400 * 3 = 38,400
    expect(f.lmHead).toBe(38_400);
    // causal pairs per sequence 10 * (10 + 1) / 2 = 55, x 3 sequences = 165 per layer;
    // per pair per layer 2 * 4 heads * (16 + 16) = 256 FLOPs; x 2 layers: 256 * 2 * 165 = 84,480
    expect(f.attention).toBe(84_480);
    expect(f.total).toBe(3_002_880 + 38_400 + 84_480); // 3,125,760
  });

  it('decode of 3 sequences at context 10', () => {
    const f = modelFlops(tiny, { decode: { sequences: 3, context: 10, tokensPerSeq: 1 } });
    // linear 2 * 50048 * 3 = 300,288; head 2 * 6400 * 3 = 38,400; attention 256 * 2 layers * 3 * 10 = 15,360
    expect(f).toEqual({ linear: 300_288, lmHead: 38_400, attention: 15_360, total: 354_048 });
  });

  it('counts prior context in prefill pairs and caps sliding windows', () => {
    // 2 new tokens after 5 cached: 2 * (5 + 3/2) = 13 = 6 + 7
    expect(causalPairs(2, 5)).toBe(13);
    // window 2 over 4 tokens: query i sees min(i, 2) keys: 1 + 2 + 2 + 2 = 7 (unwindowed 10)
    expect(causalPairs(4, 0)).toBe(10);
    expect(causalPairs(4, 0, 2)).toBe(7);
  });
});

describe('model bytes (weights touched + KV read + KV written)', () => {
  it('decode of 3 sequences at context 10 in bf16', () => {
    const b = modelBytes(tiny, { decode: { sequences: 3, context: 10, tokensPerSeq: 1 } }, { linearWeightBytes: 2, unquantizedWeightBytes: 2, kvBytes: 2 });
    // experts hit by 3 tokens choosing 2 of 4: 4 * (1 - (1/2)^3) = 3.5
    expect(expectedExpertsHit(4, 2, 3)).toBe(3.5);
    // attention 2 layers * 12320 * 2 B = 49,280; norms (2*2*64 + 64) * 2 B = 640;
    // MoE per layer: router 256 * 2 B = 512 + 3.5 experts * 6144 * 2 B = 43,008 -> 43,520, x 2 = 87,040;
    // LM head 6400 * 2 B = 12,800 + embedding rows 3 * 64 * 2 B = 384 -> 13,184.  Sum 150,144.
    expect(b.weights).toBe(150_144);
    // KV per token per layer: 2 (K, V) * 2 heads * 16 * 2 B = 128 B.
    // read: 128 * 2 layers * 3 seqs * 10 = 7,680; written: 128 * 2 layers * 3 tokens = 768
    expect(b.kvRead).toBe(7_680);
    expect(b.kvWrite).toBe(768);
    expect(b.total).toBe(158_592);
  });

  it('halves the linear weights under 8-bit quantization', () => {
    const bf16 = modelBytes(tiny, { decode: { sequences: 1, context: 1, tokensPerSeq: 1 } }, { linearWeightBytes: 2, unquantizedWeightBytes: 2, kvBytes: 2 });
    const fp8 = modelBytes(tiny, { decode: { sequences: 1, context: 1, tokensPerSeq: 1 } }, { linearWeightBytes: 1, unquantizedWeightBytes: 2, kvBytes: 2 });
    // 1 token hits 4 * (1 - 1/2) = 2 experts: linear weights = 2 layers * 12320 + 2 layers * 2 * 6144
    // = 24,640 + 24,576 = 49,216 elements -> 49,216 B saved (norms, router, head stay bf16)
    expect(bf16.weights - fp8.weights).toBe(49_216);
  });
});

describe('MFU and MBU arithmetic', () => {
  it('divides by time x peak x devices', () => {
    // 1e12 FLOP in 10 ms on 2 devices of 100 TFLOP/s: 1e12 / (0.01 * 1e14 * 2) = 0.5
    expect(mfu(1e12, 0.01, 1e14, 2)).toBeCloseTo(0.5, 12);
    // 4.8 GB in 1 ms on one 4.8 TB/s device: 1.0
    expect(mbu(4.8e9, 1e-3, 4.8e12, 1)).toBeCloseTo(1, 12);
  });

  it('a sweep point uses the model counts, the bf16 peak and all tp x pp devices', () => {
    const device = loadDevice('H200_SXM_141G');
    const deploy = parseDeploy('tp2ep2');
    const p = prepareSweep({
      spec: tiny,
      device,
      deploy,
      par: deployToParallel(deploy, tiny),
      quant: defaultQuantOptions({ linear: 'DISABLED' }),
      pricing: { compile: false, compileAllowGraphBreak: false },
      reservedMemoryBytes: 0,
    });
    expect(p.devices).toBe(2);
    expect(p.peakFlopsPerS).toBe(989e12);
    const x = evaluatePoint(p, 'prefill', 3, 10);
    const t = x.latencyMs / 1000;
    expect(x.modelFlops.total).toBe(3_125_760);
    expect(x.mfu).toBeCloseTo(3_125_760 / (t * 989e12 * 2), 15);
    expect(x.mbu).toBeCloseTo(x.modelBytes.total / (t * device.hbmBandwidthBytesPerS * 2), 15);
    expect(x.tokensPerS).toBeCloseTo(30 / t, 6);
    const shareSum = x.shares.cube + x.shares.vec + x.shares.mem + x.shares.comm;
    expect(shareSum).toBeCloseTo(1, 12);
    expect(x.memory.oom).toBe(false);
  });

  it('decode latency grows with batch and context; a point that does not fit is flagged OOM', () => {
    const device = loadDevice('H200_SXM_141G');
    const deploy = parseDeploy('tp1');
    const p = prepareSweep({ spec: tiny, device, deploy, par: deployToParallel(deploy, tiny), quant: defaultQuantOptions({ linear: 'DISABLED' }), pricing: { compile: false, compileAllowGraphBreak: false }, reservedMemoryBytes: 0 });
    const r = runSweep(p, [
      { batchSize: 1, seqLen: 128 },
      { batchSize: 64, seqLen: 128 },
      { batchSize: 64, seqLen: 1024 },
    ], 'decode');
    const ms = r.points.map((x) => x.latencyMs);
    expect(ms[1]).toBeGreaterThan(ms[0]!);
    expect(ms[2]).toBeGreaterThan(ms[1]!);
    // KV per token: 128 B/layer x 2 layers = 256 B; 1e6 sequences at 1e6 tokens is 256 TB.
    const huge = evaluatePoint(p, 'decode', 1_000_000, 1_000_000);
    expect(huge.memory.oom).toBe(true);
  });
});

describe('model FLOPs of a hybrid linear-attention model (Qwen3.5)', () => {
  it('softmax attention only on the full-attention layers, the recurrent delta rule on the others', async () => {
    const { getCatalogModel } = await import('../src/engine/models/index.js');
    const spec = getCatalogModel('Qwen/Qwen3.5-397B-A17B');
    const la = spec.linearAttention!;
    const a = spec.attention;
    if (a.kind !== 'gqa') throw new Error('expected GQA full attention');
    const full = spec.numLayers - la.numLayers;
    // One decode token at context 1000: 2 x heads x (qk + v dims) per key on each full layer,
    // plus 7 x dk x dv per value head on each linear layer (recurrent state update).
    const expected = 2 * a.numHeads * 2 * a.headDim * 1000 * full + la.numLayers * la.numValueHeads * 7 * la.keyHeadDim * la.valueHeadDim;
    const f = modelFlops(spec, { decode: { sequences: 1, context: 1000, tokensPerSeq: 1 } });
    expect(f.attention).toBeCloseTo(expected, 0);
  });
});
