/**
 * The steady-state scheduler laws (src/engine/scheduler.ts) and the
 * disaggregated TTFT terms (src/engine/disagg.ts), with hand-computed values.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { defaultQuantOptions, defaultServingOptions, makeParallel } from '../src/engine/defaults.js';
import { disaggTtftMs, kvHandoffMs } from '../src/engine/disagg.js';
import { planQuant } from '../src/engine/quant.js';
import { prefillsPerLockstepIteration, queuedTtftMs, queueLawFor, SCHEDULERS, servesInWaves, steadyStateDecodeMs, waveTpotMs, waveTtftMs, type SchedulerModel } from '../src/engine/scheduler.js';
import { evaluate, lockstepRanks, prefillCostPerRequestS, StepPricer } from '../src/engine/serving.js';
import { SERVING_ENGINES, type RequestLengths, type ServingEngine } from '../src/engine/types.js';
import { loadDevice } from '../src/catalog/devices.js';
import { getCatalogModel } from '../src/engine/models/index.js';
import { servingEngineOf } from '../src/accuracy/predict.js';

const law: SchedulerModel = { requestOverheadMs: 10, basePrefills: 3, clientsPerPrefill: 12, decodeStepScale: 1.1, iterationOverheadMs: 0.5, prefillInterleave: 1 };

describe('queue and decode laws', () => {
  it('ttft = overhead + P x (base + B / clients)', () => {
    // 10 + 20 x (3 + 24 / 12) = 110
    expect(queuedTtftMs(law, 20, 24)).toBeCloseTo(110, 12);
    expect(queuedTtftMs(law, 20, 0)).toBeCloseTo(70, 12);
  });

  it('lockstep waves: ttft = overhead + mean prefill wait; tpot = iteration + (drain - mean wait) / (output - 1)', () => {
    // 10 + 450
    expect(waveTtftMs(law, 450)).toBeCloseTo(460, 12);
    // 8 + (800 - 450) / (129 - 1) = 8 + 2.734375
    expect(waveTpotMs(8, 800, 450, 129)).toBeCloseTo(10.734375, 12);
    // A one-token output has no decode wait to spread; a lone request waits for nobody.
    expect(waveTpotMs(8, 800, 450, 1)).toBeCloseTo(358, 12);
    expect(waveTpotMs(8, 50, 50, 100)).toBeCloseTo(8, 12);
  });

  it('only fixed-length clients on a prefill-first engine run in waves', () => {
    expect(servesInWaves('sglang', 'fixed')).toBe(true);
    expect(servesInWaves('sglang', 'varied')).toBe(false);
    for (const e of ['vllm', 'trtllm', 'generic'] as const) expect(servesInWaves(e, 'fixed'), e).toBe(false);
  });

  it('decode iteration = step x scale + overhead', () => {
    // 10 x 1.1 + 0.5
    expect(steadyStateDecodeMs(law, 10)).toBeCloseTo(11.5, 12);
  });

  it('every engine has a law with positive constants, and TTFT grows with clients and prefill time', () => {
    for (const e of SERVING_ENGINES) {
      const m = SCHEDULERS[e];
      expect(m.basePrefills, e).toBeGreaterThan(0);
      expect(m.clientsPerPrefill, e).toBeGreaterThan(0);
      expect(m.requestOverheadMs, e).toBeGreaterThanOrEqual(0);
      expect(m.decodeStepScale, e).toBeGreaterThan(0);
    }
    fc.assert(
      fc.property(fc.constantFrom(...SERVING_ENGINES), fc.double({ min: 0.1, max: 1e4, noNaN: true }), fc.integer({ min: 1, max: 4096 }), fc.integer({ min: 1, max: 64 }), (e, p, b, db) => {
        const m = SCHEDULERS[e];
        return queuedTtftMs(m, p, b + db) >= queuedTtftMs(m, p, b) && queuedTtftMs(m, p * 1.5, b) >= queuedTtftMs(m, p, b);
      }),
    );
  });

  it('lockstep ranks wait for the busiest: the expected maximum of Poisson prefill counts', () => {
    // One rank: the mean itself.
    expect(prefillsPerLockstepIteration(0.3, 1)).toBeCloseTo(0.3, 12);
    expect(prefillsPerLockstepIteration(0, 8)).toBe(0);
    // Two ranks, mean 1: E[max] = 2 E[N] - E[min], E[min] = sum_k>=1 P(N >= k)^2
    // = 0.632121^2 + 0.264241^2 + 0.080301^2 + 0.018988^2 + 0.003660^2 + ... = 0.476222.
    expect(prefillsPerLockstepIteration(1, 2)).toBeCloseTo(2 - 0.476222, 5);
    // Rare prefills seldom coincide: R ranks cost nearly R x the mean.
    expect(prefillsPerLockstepIteration(1e-4, 8) / 8e-4).toBeCloseTo(1, 2);
    fc.assert(
      fc.property(fc.double({ min: 1e-3, max: 50, noNaN: true }), fc.integer({ min: 1, max: 63 }), (mean, ranks) => {
        const one = prefillsPerLockstepIteration(mean, ranks);
        const more = prefillsPerLockstepIteration(mean, ranks + 1);
        // At least one rank's mean, at most every rank's, and more ranks never wait less.
        expect(one).toBeGreaterThanOrEqual(mean * (1 - 1e-9));
        expect(one).toBeLessThanOrEqual(ranks * mean * (1 + 1e-9));
        expect(more).toBeGreaterThanOrEqual(one * (1 - 1e-9));
      }),
    );
  });

  it('ranks are in lockstep when attention-DP ranks share experts, not when each holds whole experts or the model is dense', () => {
    const moe = getCatalogModel('deepseek-ai/DeepSeek-V3');
    expect(lockstepRanks(moe, makeParallel({ tp: 1, dp: 8, ep: 8 }))).toBe(8);
    // Experts replicated over 2 groups of 2 ranks: pairs step together.
    expect(lockstepRanks(moe, makeParallel({ tp: 2, dp: 4, ep: 2, moeDp: 2 }))).toBe(2);
    // Every rank holds whole experts: independent.
    expect(lockstepRanks(moe, makeParallel({ tp: 2, dp: 4, ep: 2, moeDp: 4 }))).toBe(1);
    expect(lockstepRanks(moe, makeParallel({ tp: 8 }))).toBe(1);
    expect(lockstepRanks(getCatalogModel('Qwen/Qwen3-32B'), makeParallel({ tp: 2, dp: 4 }))).toBe(1);
  });

  it("maps the data's backend names onto the engines, anything else to generic", () => {
    expect(servingEngineOf('trtllm')).toBe('trtllm');
    expect(servingEngineOf('SGLang')).toBe('sglang');
    expect(servingEngineOf('vllm')).toBe('vllm');
    expect(servingEngineOf('tgi')).toBe('generic');
    expect(servingEngineOf('')).toBe('generic');
  });
});

describe('steady-state serving points', () => {
  const device = loadDevice('H100_SXM_80G');
  const spec = getCatalogModel('Qwen/Qwen3-32B');
  const quant = planQuant(defaultQuantOptions({ linear: 'FP8' }), device);
  const workload = { inputLength: 1024, outputLength: 256, prefixCacheHitRate: 0 };
  const pricer = (engine: ServingEngine, tp = 2, requestLengths: RequestLengths = 'varied', wl = workload) =>
    new StepPricer({ spec, device, par: makeParallel({ tp }), quant, workload: wl, serving: defaultServingOptions({ scheduling: 'steady-state', servingEngine: engine, requestLengths }) });

  it('agg: TPOT is the decode iteration plus the interleaved prefill work, without the first token', () => {
    for (const e of SERVING_ENGINES) {
      const p = pricer(e);
      const pt = evaluate(p, 'agg', 16);
      const m = SCHEDULERS[e];
      // A dense model's replicas step alone: 16 / 256 prefills per iteration.
      const interleaved = (m.prefillInterleave * 16 * prefillCostPerRequestS(p) * 1000) / 256;
      expect(pt.tpotMs, e).toBeCloseTo(steadyStateDecodeMs(m, pt.decodeStepMs) + interleaved, 9);
      expect(pt.ttftMs, e).toBeCloseTo(queuedTtftMs(m, pt.prefillStepMs, 16), 9);
    }
  });

  it('agg, fixed lengths on SGLang: the wave is prefilled 8 at a time before any decode', () => {
    const p = pricer('sglang', 2, 'fixed');
    const pt = evaluate(p, 'agg', 20);
    // 8192 // 1024 = 8 prompts per prefill step: 20 clients -> two 8-prompt steps (S8 each), then 4 prompts (S4).
    // Waits: 8 x S8, 8 x 2 S8, 4 x (2 S8 + S4); mean (32 S8 + 4 S4) / 20; the wave drains after 2 S8 + S4.
    const s8 = p.step({ prefill: { sequences: 8, newTokens: 1024, priorContext: 0 } }).timeS * 1000;
    const s4 = p.step({ prefill: { sequences: 4, newTokens: 1024, priorContext: 0 } }).timeS * 1000;
    const meanWait = (32 * s8 + 4 * s4) / 20;
    const m = SCHEDULERS.sglang;
    expect(pt.ttftMs).toBeCloseTo(m.requestOverheadMs + meanWait, 9);
    expect(pt.tpotMs).toBeCloseTo(steadyStateDecodeMs(m, pt.decodeStepMs) + (2 * s8 + s4 - meanWait) / 255, 9);
    // The same clients with varied lengths follow SGLang's queue law instead.
    expect(evaluate(pricer('sglang'), 'agg', 20).ttftMs).toBeCloseTo(queuedTtftMs(m, pt.prefillStepMs, 20), 9);
    // Engines that mix prefill chunks into decode iterations stagger a wave into a train: their
    // fixed-length queue law (its own base and overhead), the decode side unchanged.
    for (const e of ['vllm', 'trtllm', 'generic'] as const) {
      const fixed = evaluate(pricer(e, 2, 'fixed'), 'agg', 20);
      const varied = evaluate(pricer(e), 'agg', 20);
      const law = SCHEDULERS[e].fixedLengths!;
      expect(queueLawFor(e, 'fixed'), e).toBe(law);
      expect(queueLawFor(e, 'varied'), e).toBe(SCHEDULERS[e]);
      expect(fixed.ttftMs, e).toBeCloseTo(queuedTtftMs(law, fixed.prefillStepMs, 20), 9);
      expect(varied.ttftMs, e).toBeCloseTo(queuedTtftMs(SCHEDULERS[e], varied.prefillStepMs, 20), 9);
      expect(fixed.tpotMs, e).toBe(varied.tpotMs);
    }
    // A train's every iteration carries someone's prefill: more of them in a new request's wait.
    expect(SCHEDULERS.trtllm.fixedLengths!.basePrefills).toBeGreaterThan(SCHEDULERS.trtllm.basePrefills);
    expect(SCHEDULERS.vllm.fixedLengths!.basePrefills).toBeGreaterThan(SCHEDULERS.vllm.basePrefills);
    // SGLang runs waves instead, so it has no fixed-length queue law.
    expect(queueLawFor('sglang', 'fixed')).toBe(SCHEDULERS.sglang);
  });

  it('agg, fixed lengths on SGLang: a prompt over the token budget is chunk-prefilled, one request after another', () => {
    const long = { inputLength: 12000, outputLength: 101, prefixCacheHitRate: 0 };
    const p = pricer('sglang', 2, 'fixed', long);
    const pt = evaluate(p, 'agg', 3);
    // 12000 > 8192: one chunk of 8192 per step (no decodes mixed in), 2 steps per request at the mid-prompt context.
    const perRequestMs = 2 * p.step({ prefill: { sequences: 1, newTokens: 8192, priorContext: 6000 } }).timeS * 1000;
    // The i-th of 3 waits i x perRequest: mean 2 x perRequest; the wave drains after 3 x perRequest.
    expect(pt.ttftMs).toBeCloseTo(SCHEDULERS.sglang.requestOverheadMs + 2 * perRequestMs, 9);
    expect(pt.tpotMs).toBeCloseTo(steadyStateDecodeMs(SCHEDULERS.sglang, pt.decodeStepMs) + perRequestMs / 100, 9);
  });

  it('agg, fixed lengths on SGLang: TTFT and TPOT never fall as clients are added', () => {
    const p = pricer('sglang', 4, 'fixed');
    let prev = evaluate(p, 'agg', 1);
    for (let b = 2; b <= 96; b++) {
      const pt = evaluate(p, 'agg', b);
      expect(pt.ttftMs, `batch ${b}`).toBeGreaterThanOrEqual(prev.ttftMs);
      expect(pt.tpotMs, `batch ${b}`).toBeGreaterThanOrEqual(prev.tpotMs - 1e-9);
      prev = pt;
    }
  });

  it('the engine changes the TTFT, not the priced steps', () => {
    const v = evaluate(pricer('vllm'), 'agg', 32);
    const s = evaluate(pricer('sglang'), 'agg', 32);
    expect(s.prefillStepMs).toBeCloseTo(v.prefillStepMs, 12);
    expect(s.decodeStepMs).toBeCloseTo(v.decodeStepMs, 12);
    expect(s.ttftMs).not.toBeCloseTo(v.ttftMs, 3);
  });

  it('disagg: the KV hand-off moves input x KV bytes per token per device over the tier holding both workers', () => {
    const pre = pricer('trtllm', 2);
    // Qwen3-32B: 64 layers x (K + V) x 8 KV heads x 128 dims x 2 B = 262,144 B per token; TP2 -> 131,072 per device.
    const bytes = 1024 * 131072;
    // 2 + 4 devices fit the 8-GPU NVLink tier: one hop (the profile's NVLink latency) + bytes / (450 GB/s x 0.8).
    const hopS = pre.dep.device.commGrid[0]!.latencyS;
    expect(hopS).toBeLessThan(2e-6);
    expect(kvHandoffMs(pre, 4)).toBeCloseTo((hopS + bytes / (450e9 * 0.8)) * 1000, 9);
    // 2 + 8 devices need the InfiniBand tier: slower.
    expect(kvHandoffMs(pre, 8)).toBeGreaterThan(kvHandoffMs(pre, 4) * 2);
    const total = disaggTtftMs(100, pre, 4, 12);
    expect(total).toBeCloseTo(100 + kvHandoffMs(pre, 4) + steadyStateDecodeMs(SCHEDULERS.trtllm, 12), 9);
  });
});
