/**
 * Seed 002's serving formulas with hand-worked numbers. Each deployment is
 * real (Qwen3-32B on TEST_DEVICE, TP=8), but its step latencies are pinned to
 * round values so that the formulas, not the cost model, are under test.
 */
import { describe, expect, it } from 'vitest';
import { getCatalogModel } from '../src/engine/models/index.js';
import { resolveDevices } from '../src/catalog/devices.js';
import { defaultQuantOptions, defaultServingOptions, makeParallel } from '../src/engine/defaults.js';
import { planQuant } from '../src/engine/quant.js';
import { StepPricer, acceptedTokensPerStep, evaluateAgg, evaluateDecode, evaluatePrefill } from '../src/engine/serving.js';
import { pdRatio } from '../src/engine/index.js';
import type { PhaseResult } from '../src/engine/api.js';
import type { ServingOptions, ServingPoint, StepLatency } from '../src/engine/types.js';
import type { StepShape } from '../src/engine/ops/types.js';
import { costPerMillionTokens } from '../src/cli/optimize/cost.js';

const model = getCatalogModel('Qwen/Qwen3-32B');
const device = resolveDevices(['TEST_DEVICE'])[0]!;

function step(timeS: number): StepLatency {
  return { timeS, bucketS: { cube: timeS, vec: 0, mem: 0, comm: 0 }, ops: [], flops: 0, bytes: 0 };
}

/** A pricer whose prefill steps take `prefillS` and decode-only steps `decodeS`; records the shapes asked for. */
function pinned(inputLength: number, outputLength: number, prefillS: number, decodeS: number, serving: Partial<ServingOptions> = {}, hitRate = 0) {
  const s = defaultServingOptions(serving);
  const p = new StepPricer({
    spec: model,
    device,
    par: makeParallel({ tp: 8 }),
    quant: planQuant(defaultQuantOptions(), device),
    workload: { inputLength, outputLength, prefixCacheHitRate: hitRate },
    serving: s,
  });
  const shapes: StepShape[] = [];
  p.step = (shape: StepShape): StepLatency => {
    shapes.push(shape);
    return step(shape.prefill ? prefillS : decodeS);
  };
  return { p, shapes };
}

describe('seed 002 aggregation formulas', () => {
  it('TTFT: the 12-request example (max_batched_tokens 8192, input 2048)', () => {
    // prefill_batch_size = 8192 // 2048 = 4; 12 requests -> 3 prefill steps.
    // sum_for_ttft = (lat x 4) x (1 + 3) x 3 / 2 = 24 lat; ttft = sum / 12 = 2 lat.
    // With lat = 100 ms: ttft = 200 ms.
    const { p, shapes } = pinned(2048, 100, 0.1, 0.02);
    const pt = evaluateAgg(p, 12);
    expect(pt.ttftMs).toBeCloseTo(200, 9);
    expect(shapes.find((s) => s.prefill)!.prefill).toEqual({ sequences: 4, newTokens: 2048, priorContext: 0 });
  });

  it('TPOT = (ttft + decode_latency x output_length) / output_length', () => {
    // ttft = 200 ms (above), decode step 20 ms, osl 100: (200 + 20 x 100) / 100 = 22 ms.
    const { p } = pinned(2048, 100, 0.1, 0.02);
    expect(evaluateAgg(p, 12).tpotMs).toBeCloseTo(22, 9);
  });

  it('output throughput = 1000 x (osl x concurrency) / (ttft + tpot x osl)', () => {
    // 1000 x (100 x 12) / (200 + 22 x 100) = 1_200_000 / 2400 = 500 tokens/s.
    const { p } = pinned(2048, 100, 0.1, 0.02);
    const pt = evaluateAgg(p, 12);
    expect(pt.tokensPerS).toBeCloseTo(500, 9);
    expect(pt.tokensPerSPerDevice).toBeCloseTo(500 / 8, 9);
  });

  it('prefix cache hit rate shrinks the effective input', () => {
    // input 4096, hit rate 0.5 -> 2048 cached, effective 2048 -> prefill batch 4 as in the 12-request example.
    const { p, shapes } = pinned(4096, 100, 0.1, 0.02, {}, 0.5);
    expect(evaluateAgg(p, 12).ttftMs).toBeCloseTo(200, 9);
    expect(shapes.find((s) => s.prefill)!.prefill).toEqual({ sequences: 4, newTokens: 2048, priorContext: 2048 });
  });

  it('chunked prefill when the effective input exceeds max_batched_tokens', () => {
    // input 10000 > 8192. Batch 3: the other 2 sequences decode first (2 tokens), the chunk is
    // 8192 - 2 = 8190 -> ceil(10000 / 8190) = 2 chunks of 100 ms per request;
    // requests go one after another: ttft = 200 ms x (3 + 1) / 2 = 400 ms.
    const { p, shapes } = pinned(10000, 100, 0.1, 0.02);
    expect(evaluateAgg(p, 3).ttftMs).toBeCloseTo(400, 9);
    expect(shapes.find((s) => s.prefill)!.prefill!.newTokens).toBe(8190);
    // 8000 sequences leave less than the 15% slack: the chunk is ceil(0.15 x 8192) = 1229 tokens,
    // ceil(10000 / 1229) = 9 chunks -> 900 ms per request, ttft = 900 x 8001 / 2 ms.
    const big = pinned(10000, 100, 0.1, 0.02);
    expect(evaluateAgg(big.p, 8000).ttftMs).toBeCloseTo((900 * 8001) / 2, 6);
    expect(big.shapes.find((s) => s.prefill)!.prefill!.newTokens).toBe(1229);
  });
});

describe('seed 002 disaggregation and PD-ratio formulas', () => {
  it('prefill instance: TTFT as aggregation, input tokens/s, P QPS = concurrency / ttft x 1000', () => {
    // ttft 200 ms; the 12 prompts drain in 3 x 100 ms: 12 x 2048 / 0.3 s = 81920 input tokens/s;
    // P QPS = 12 / 200 x 1000 = 60 req/s.
    const { p } = pinned(2048, 100, 0.1, 0.02);
    const pt = evaluatePrefill(p, 12);
    expect(pt.ttftMs).toBeCloseTo(200, 9);
    expect(pt.tokensPerS).toBeCloseTo(81920, 6);
    expect(pt.qps).toBeCloseTo(60, 9);
  });

  it('decode instance: TPOT = step, D QPS = concurrency / (tpot x max(osl - 1, 1)) x 1000', () => {
    // step 20 ms -> tpot 20 ms; 12 x 1000 / 20 = 600 tokens/s; D QPS = 12 / (20 x 99) x 1000 = 6.0606...
    const { p } = pinned(2048, 100, 0.1, 0.02);
    const pt = evaluateDecode(p, 12);
    expect(pt.tpotMs).toBeCloseTo(20, 9);
    expect(pt.tokensPerS).toBeCloseTo(600, 9);
    expect(pt.qps).toBeCloseTo(12000 / 1980, 9);
    // osl 1: max(1 - 1, 1) = 1 -> D QPS = 12 / 20 x 1000 = 600.
    expect(evaluateDecode(pinned(2048, 1, 0.1, 0.02).p, 12).qps).toBeCloseTo(600, 9);
  });

  it('MTP: tokens per decode step = 1 + r1 + ... + rk', () => {
    // k = 2, rates 0.9 0.6 0.4 0.2 -> 1 + 0.9 + 0.6 = 2.5; a 20 ms step then gives tpot 8 ms.
    const serving = { numMtpTokens: 2, mtpAcceptanceRates: [0.9, 0.6, 0.4, 0.2] };
    expect(acceptedTokensPerStep(defaultServingOptions(serving))).toBeCloseTo(2.5, 12);
    expect(evaluateDecode(pinned(2048, 100, 0.1, 0.02, serving).p, 12).tpotMs).toBeCloseTo(8, 9);
    expect(acceptedTokensPerStep(defaultServingOptions())).toBe(1);
  });

  function phase(qps: number, mode: ServingPoint['mode']): PhaseResult {
    const best = { qps, mode } as ServingPoint;
    return { phase: mode, best, top: [best], sweep: [], skipped: {} };
  }

  it('PD ratio = D QPS / P QPS and the P:D split that maximizes system QPS within the budget', () => {
    // P QPS 10, D QPS 4 -> ratio 0.4. Budget 20, 2 devices per P, 4 per D:
    //   1P + 4D (18 dev): min(10, 16) = 10;  2P + 4D (20 dev): min(20, 16) = 16;
    //   3P + 3D (18 dev): min(30, 12) = 12;  4P + 3D (20 dev): 12;  5P + 2D: 8;  ... -> 2:4 at 16 req/s.
    const r = pdRatio(phase(10, 'prefill'), phase(4, 'decode'), 20, 2, 4);
    expect(r.pdRatio).toBeCloseTo(0.4, 12);
    expect(r.split).toEqual({ prefillInstances: 2, decodeInstances: 4, systemQps: 16, devicesUsed: 20 });
    // No budget, or one too small for one P and one D: no split.
    expect(pdRatio(phase(10, 'prefill'), phase(4, 'decode'), undefined, 2, 4).split).toBeUndefined();
    expect(pdRatio(phase(10, 'prefill'), phase(4, 'decode'), 5, 2, 4).split).toBeUndefined();
  });

  it('serving cost: price of a device-hour over tokens per hour, per 1M tokens', () => {
    // 2.5 per device-hour x 8 devices = 20 per hour; 500 tokens/s = 1.8M tokens/hour -> 11.111 per 1M tokens.
    expect(costPerMillionTokens(2.5, 8, 500)).toBeCloseTo(20 / 1.8, 9);
    expect(costPerMillionTokens(0, 8, 500)).toBeUndefined();
  });
});
