/**
 * Property tests of seed 002's search (src/engine/search.ts): the bisection,
 * the search-dimension rules, and the invariants the search relies on.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveDevices } from '../src/catalog/devices.js';
import { defaultQuantOptions, defaultServingOptions, makeParallel } from '../src/engine/defaults.js';
import { getCatalogModel } from '../src/engine/models/index.js';
import { optimize, type OptimizeRequest } from '../src/engine/index.js';
import { planQuant } from '../src/engine/quant.js';
import { enumerateLayouts, largestFeasibleBatch, meetsLimits, searchDimensions, largestFeasibleBatchInBlocks } from '../src/engine/search.js';
import { StepPricer, evaluate } from '../src/engine/serving.js';
import type { ParallelConfig, ServingPoint } from '../src/engine/types.js';
import { OptixUserError } from '../src/errors.js';

const device = resolveDevices(['TEST_DEVICE'])[0]!;
const qwen32 = getCatalogModel('Qwen/Qwen3-32B');
const qwenMoe = getCatalogModel('Qwen/Qwen3-30B-A3B');
const quant = planQuant(defaultQuantOptions(), device);

function pricer(par: ParallelConfig, inputLength = 3500, outputLength = 1500, model = qwen32): StepPricer {
  return new StepPricer({
    spec: model,
    device,
    par,
    quant,
    workload: { inputLength, outputLength, prefixCacheHitRate: 0 },
    serving: defaultServingOptions({ compile: true }),
  });
}

const tpArb = fc.constantFrom(1, 2, 4, 8);

describe('largestFeasibleBatch (bisection)', () => {
  it('returns what a linear scan finds, for any monotone predicate', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 0, max: 80 }), fc.integer({ min: 0, max: 90 }), (lo, span, threshold) => {
        const hi = lo + span;
        const calls: number[] = [];
        const ok = (b: number): boolean => {
          calls.push(b);
          return b <= threshold;
        };
        let scan: number | undefined;
        for (let b = lo; b <= hi; b++) if (ok(b)) scan = b;
        calls.length = 0;
        expect(largestFeasibleBatch(lo, hi, ok)).toBe(scan);
        // O(log) evaluations, not a scan: 2 ends + ceil(log2(span + 1)) probes.
        expect(calls.length).toBeLessThanOrEqual(2 + Math.ceil(Math.log2(span + 1)));
      }),
    );
  });

  it('matches a linear scan over real decode points under a TPOT limit', () => {
    fc.assert(
      fc.property(tpArb, fc.integer({ min: 5, max: 60 }), (tp, tpotMs) => {
        const p = pricer(makeParallel({ tp, dp: 8 / tp }));
        const hi = Math.min(96, p.memory.maxSequencesPerReplica);
        const ok = (b: number): boolean => meetsLimits(evaluate(p, 'decode', b), { tpotMs }, 'decode');
        let scan: number | undefined;
        for (let b = 1; b <= hi; b++) if (ok(b)) scan = b;
        expect(largestFeasibleBatch(1, hi, ok)).toBe(scan);
      }),
      { numRuns: 25 },
    );
  });
});

describe('latency curves the bisection relies on', () => {
  it('decode TPOT and aggregated TPOT grow with the batch', () => {
    fc.assert(
      fc.property(tpArb, fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 64 }), (tp, b, extra) => {
        const p = pricer(makeParallel({ tp, dp: 8 / tp }));
        for (const mode of ['decode', 'agg'] as const) {
          expect(evaluate(p, mode, b + extra).tpotMs).toBeGreaterThanOrEqual(evaluate(p, mode, b).tpotMs * (1 - 1e-12));
        }
      }),
      { numRuns: 40 },
    );
  });

  it('step latency grows with the context (input length)', () => {
    fc.assert(
      fc.property(tpArb, fc.integer({ min: 1, max: 64 }), fc.integer({ min: 16, max: 16000 }), fc.integer({ min: 1, max: 16000 }), (tp, b, input, extra) => {
        const par = makeParallel({ tp, dp: 8 / tp });
        const short = evaluate(pricer(par, input), 'decode', b);
        const long = evaluate(pricer(par, input + extra), 'decode', b);
        expect(long.decodeStepMs).toBeGreaterThanOrEqual(short.decodeStepMs * (1 - 1e-12));
      }),
      { numRuns: 40 },
    );
  });

  it('per-device weight memory falls as TP grows', () => {
    for (const model of [qwen32, qwenMoe]) {
      const w = [1, 2, 4].map((tp) => pricer(makeParallel({ tp, dp: 1, ep: 1 }), 3500, 1500, model).memory.weightsBytes);
      expect(w[1]!).toBeLessThan(w[0]!);
      expect(w[2]!).toBeLessThan(w[1]!);
    }
  });
});

function request(over: Partial<OptimizeRequest>): OptimizeRequest {
  return {
    model: qwen32,
    devices: [device],
    numDevices: 8,
    quant: defaultQuantOptions(),
    workload: { inputLength: 3500, outputLength: 1500, prefixCacheHitRate: 0 },
    serving: defaultServingOptions({ compile: true }),
    limits: { tpotMs: 50 },
    mode: 'agg',
    search: {},
    ...over,
  };
}

describe('searchPhase', () => {
  it('never picks an OOM point, meets the limits, and the next batch up fails (or is out of range)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<'agg' | 'disagg'>('agg', 'disagg'),
        fc.integer({ min: 10, max: 120 }),
        fc.integer({ min: 200, max: 20000 }),
        fc.option(fc.integer({ min: 1, max: 300 }), { nil: undefined }),
        (mode, tpotMs, ttftMs, maxBatch) => {
          const limits = { tpotMs, ttftMs };
          const req = request({ mode, limits, ...(maxBatch ? { batchRange: [1, maxBatch] as [number, number] } : {}) });
          const d = optimize(req).perDevice[0]!;
          for (const ph of [d.agg, d.prefill, d.decode]) {
            if (!ph) continue;
            for (const pt of ph.top) {
              expect(pt.oom).toBe(false);
              expect(meetsLimits(pt, limits, ph.phase)).toBe(true);
              if (maxBatch) expect(pt.batchSize).toBeLessThanOrEqual(maxBatch);
              const p = pricer(pt.parallel);
              const hi = Math.min(maxBatch ?? Infinity, p.memory.maxSequencesPerReplica);
              if (pt.batchSize < hi) expect(meetsLimits(evaluate(p, ph.phase, pt.batchSize + 1), limits, ph.phase)).toBe(false);
            }
            const tps = ph.top.map((p: ServingPoint) => p.tokensPerS);
            expect(tps).toEqual([...tps].sort((a, b) => b - a));
            if (ph.best) expect(ph.best).toEqual(ph.top[0]);
            for (const pt of ph.sweep) expect(pt.oom).toBe(false);
          }
        },
      ),
      { numRuns: 20 },
    );
  });

  it('reports the closest attempt when nothing meets the limits', () => {
    const d = optimize(request({ limits: { tpotMs: 0.5 } })).perDevice[0]!;
    expect(d.agg!.best).toBeUndefined();
    expect(d.agg!.top).toEqual([]);
    expect(d.agg!.closest!.batchSize).toBe(1);
  });
});

describe('search dimensions (seed 002 rules)', () => {
  it('no flag: TP-only over powers of two; ep = num_devices, moe-dp = 1', () => {
    expect(searchDimensions({}, 8)).toEqual({ tp: [1, 2, 4, 8], ep: [8], moeDp: [1] });
  });

  it('a flag with no values: powers of two up to the world size; the others fixed', () => {
    expect(searchDimensions({ epSizes: [] }, 8)).toEqual({ tp: [8], ep: [1, 2, 4, 8], moeDp: [1] });
    expect(searchDimensions({ moeDpSizes: [] }, 16)).toEqual({ tp: [16], ep: [16], moeDp: [1, 2, 4, 8, 16] });
    expect(searchDimensions({ tpSizes: [], epSizes: [] }, 6)).toEqual({ tp: [1, 2, 4], ep: [1, 2, 4], moeDp: [1] });
  });

  it('explicit values are deduplicated and sorted', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 64 }).chain((n) => {
          const divisors = Array.from({ length: n }, (_, i) => i + 1).filter((d) => n % d === 0);
          return fc.tuple(fc.constant(n), fc.array(fc.constantFrom(...divisors), { minLength: 1, maxLength: 8 }));
        }),
        ([n, tp]) => {
        expect(searchDimensions({ tpSizes: tp }, n).tp).toEqual([...new Set(tp)].sort((a, b) => a - b));
      }),
    );
  });

  it('values that are not positive integers or exceed the device count are user errors', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 64 }),
        fc.constantFrom('tpSizes', 'epSizes', 'moeDpSizes'),
        fc.oneof(fc.integer({ min: -8, max: 0 }), fc.integer({ min: 65, max: 1000 }), fc.double({ min: 0.1, max: 7.9, noInteger: true })),
        (n, key, bad) => {
          expect(() => searchDimensions({ [key]: [1, bad] }, n)).toThrow(OptixUserError);
        },
      ),
    );
    expect(() => searchDimensions({ tpSizes: [16] }, 8)).toThrow(/--tp-sizes value 16 exceeds the device count 8/);
  });

  it('explicit values that do not divide the device count are user errors (issue 3)', () => {
    expect(() => enumerateLayouts(qwen32, 8, { tpSizes: [1, 3, 8] })).toThrow(/--tp-sizes value 3 does not divide the device count 8/);
    expect(() => searchDimensions({ epSizes: [6] }, 8)).toThrow(/--ep-sizes value 6 does not divide/);
  });

  it('layouts: heads/experts that do not divide are skipped and counted, DP = devices / TP', () => {
    // Qwen3-32B: 64 heads, 8 KV heads; on 16 devices tp 16 > kv 8 but 16 % 8 = 0, so every power of two is valid.
    const { layouts, skipped } = enumerateLayouts(qwen32, 8, { tpSizes: [1, 8] });
    expect(layouts.map((l) => [l.tp, l.dp])).toEqual([
      [1, 8],
      [8, 1],
    ]);
    expect(skipped).toEqual({});
    // Llama-style 40 heads on 16 devices: tp 16 does not divide the heads and is counted.
    const odd = { ...qwen32, attention: { ...qwen32.attention, numHeads: 40 } } as typeof qwen32;
    const r = enumerateLayouts(odd, 16, { tpSizes: [8, 16] });
    expect(r.layouts.map((l) => l.tp)).toEqual([8]);
    expect(r.skipped['attention heads (40) not divisible by tp']).toBe(1);
    // Qwen3-30B-A3B: 128 experts; ep x moe-dp must divide the devices: 8 x 2 = 16 does not divide 8.
    const moe = enumerateLayouts(qwenMoe, 8, { epSizes: [8], moeDpSizes: [1, 2] });
    expect(moe.layouts).toHaveLength(1);
    expect(moe.skipped['ep x moe-dp does not divide the device count']).toBe(1);
    for (const l of enumerateLayouts(qwenMoe, 8, { tpSizes: [], epSizes: [], moeDpSizes: [] }).layouts) {
      expect(l.tp * l.dp).toBe(8);
      expect(l.ep * l.moeTp * l.moeDp).toBe(8);
    }
  });
});

describe('bisection over seed-002 prefill blocks', () => {
  it('finds the same largest feasible batch as a linear scan, although TTFT is not monotone in the batch', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 8 }),
        fc.integer({ min: 1, max: 200 }),
        fc.double({ min: 1, max: 40, noNaN: true }),
        fc.double({ min: 0.01, max: 2, noNaN: true }),
        (pbs, hi, ttftLimitSteps, tpotSlope) => {
          // Seed 002 with prefill latency 1: ttft(B) = pbs x n(n+1) / (2B), n = ceil(B / pbs); tpot grows linearly.
          const ttft = (b: number): number => {
            const n = Math.ceil(b / pbs);
            return (pbs * n * (n + 1)) / (2 * b);
          };
          const tpotOk = (b: number): boolean => tpotSlope * b <= 60;
          const ok = (b: number): boolean => ttft(b) <= ttftLimitSteps && tpotOk(b);
          let scan: number | undefined;
          for (let b = 1; b <= hi; b++) if (ok(b)) scan = b;
          expect(largestFeasibleBatchInBlocks(1, hi, pbs, ok, tpotOk)).toBe(scan);
        },
      ),
      { numRuns: 300 },
    );
  });
});
