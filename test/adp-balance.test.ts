/**
 * The attention-DP balancer's hold (engine/adp-balance.ts): its limits and a
 * closed form by hand, a simulation of TensorRT-LLM's iteration rule, and how
 * the steady-state agg point carries it.
 */
import { describe, expect, it } from 'vitest';
import { attentionDpBalanceWaitMs, TRTLLM_ATTENTION_DP_BALANCE } from '../src/engine/adp-balance.js';
import { getCatalogModel } from '../src/engine/models/index.js';
import { resolveDevices } from '../src/catalog/devices.js';
import { defaultQuantOptions, defaultServingOptions, makeParallel } from '../src/engine/defaults.js';
import { estimate } from '../src/engine/index.js';
import type { AttentionDpBalance } from '../src/engine/types.js';

describe('attention-DP balance hold', () => {
  const b = (timeoutIterations: number, batchingWaitIterations: number): AttentionDpBalance => ({ timeoutIterations, batchingWaitIterations });

  it('is nothing without attention DP, half the timeout when nothing else arrives, W/2 iterations when every rank always has one', () => {
    expect(attentionDpBalanceWaitMs(b(60, 0), 1, 0.01, 20)).toBe(0);
    expect(attentionDpBalanceWaitMs(b(60, 0), 8, 0, 20)).toBe(600); // 60 x 20 ms / 2
    expect(attentionDpBalanceWaitMs(b(60, 0), 8, 1e-9, 20)).toBeCloseTo(600, 3);
    // Arrivals far faster than an iteration: every rank has one at once, then W iterations pass.
    expect(attentionDpBalanceWaitMs(b(50, 10), 4, 1e3, 5)).toBeCloseTo(25, 2); // a period of 10 x 5 ms (+ 2 us for the ranks to fill), waited half
    expect(attentionDpBalanceWaitMs(b(60, 0), 4, 1e3, 5)).toBeLessThan(0.01); // the ~2 us until the last rank has one
    expect(TRTLLM_ATTENTION_DP_BALANCE).toEqual(b(50, 10));
  });

  it('matches the closed form for two ranks (F(t) = (1 - e^-lt)^2, no batching wait)', () => {
    const lambda = 0.002; // per ms
    const timeout = 60 * 20;
    // E[min(M,T)] = int_0^T 2e^-lt - e^-2lt dt; E[min(M,T)^2] = int_0^T 2t (2e^-lt - e^-2lt) dt.
    const e1 = (a: number) => (1 - Math.exp(-a * timeout)) / a;
    const e2 = (a: number) => 2 * (1 / a ** 2 - Math.exp(-a * timeout) * (timeout / a + 1 / a ** 2));
    const mean = 2 * e1(lambda) - e1(2 * lambda);
    const square = 2 * e2(lambda) - e2(2 * lambda);
    expect(attentionDpBalanceWaitMs(b(60, 0), 2, lambda, 20)).toBeCloseTo(square / (2 * mean), 4);
  });

  it('grows with the timeout and the batching wait, and shrinks as the ranks fill faster', () => {
    let last = 0;
    for (const t of [10, 20, 40, 60, 100]) {
      const w = attentionDpBalanceWaitMs(b(t, 0), 8, 0.001, 20);
      expect(w).toBeGreaterThan(last);
      last = w;
    }
    expect(attentionDpBalanceWaitMs(b(60, 10), 8, 0.05, 20)).toBeGreaterThan(attentionDpBalanceWaitMs(b(60, 0), 8, 0.05, 20));
    let prev = Number.POSITIVE_INFINITY;
    for (const lambda of [1e-4, 1e-3, 1e-2, 1e-1]) {
      const w = attentionDpBalanceWaitMs(b(60, 0), 8, lambda, 20);
      expect(w).toBeLessThan(prev);
      prev = w;
    }
  });

  it("agrees with a simulation of TensorRT-LLM's per-iteration rule", () => {
    // PyExecutor._balance_adp_requests, once per iteration of `iterationMs`: release every
    // waiting context when all ranks have one (after W more iterations), else count the
    // iteration and release at the timeout. Poisson arrivals per rank; the mean wait of a request
    // from its arrival to the iteration that schedules it.
    const simulate = (bal: AttentionDpBalance, ranks: number, lambda: number, iterationMs: number, iterations: number): number => {
      let seed = 12345;
      const uniform = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) + 0.5) / 2147483648;
      const waiting: number[][] = Array.from({ length: ranks }, () => []);
      const nextArrival = waiting.map(() => -Math.log(uniform()) / lambda);
      let counter = 0;
      let batching = 0;
      let total = 0;
      let served = 0;
      for (let i = 1; i <= iterations; i++) {
        const now = i * iterationMs;
        for (let r = 0; r < ranks; r++) {
          while (nextArrival[r]! <= now) {
            waiting[r]!.push(nextArrival[r]!);
            nextArrival[r]! += -Math.log(uniform()) / lambda;
          }
        }
        let release = false;
        if (waiting.every((w) => w.length > 0)) {
          counter = 0;
          if (batching < bal.batchingWaitIterations) batching++;
          else {
            batching = 0;
            release = true;
          }
        } else {
          counter++;
          if (counter >= bal.timeoutIterations) {
            counter = 0;
            release = true;
          }
        }
        if (!release) continue;
        for (const w of waiting) {
          for (const t of w) total += now - t;
          served += w.length;
          w.length = 0;
        }
      }
      return total / served;
    };
    for (const [bal, ranks, lambda] of [
      [b(60, 0), 8, 0.0005],
      [b(60, 0), 8, 0.005],
      [b(50, 10), 4, 0.01],
      [b(50, 10), 4, 0.0005],
    ] as const) {
      const model = attentionDpBalanceWaitMs(bal, ranks, lambda, 20);
      const sim = simulate(bal, ranks, lambda, 20, 400_000);
      // Iterations are discrete (a release waits for the next one): within an iteration and 15%.
      expect(Math.abs(model - sim)).toBeLessThan(20 + 0.15 * sim);
    }
  });
});

describe('attention-DP balance on a steady-state deployment', () => {
  const spec = getCatalogModel('deepseek-ai/DeepSeek-V3');
  const device = resolveDevices(['H100_SXM_80G'])[0]!;
  const run = (dp: number, mode: 'agg' | 'prefill' | 'decode', balance: AttentionDpBalance | null) =>
    estimate({
      model: spec,
      device,
      parallel: { ...makeParallel({ tp: 16 / dp, dp, ep: 16 }), moeTp: 1 },
      quant: defaultQuantOptions({ linear: 'FP8' }),
      workload: { inputLength: 1024, outputLength: 1024, prefixCacheHitRate: 0 },
      serving: defaultServingOptions({ scheduling: 'steady-state', servingEngine: 'trtllm', compile: true, reservedMemoryBytes: 0, attentionDpBalance: balance }),
      concurrency: 128,
      mode,
    }).point;

  it('adds the hold to the agg TTFT of an attention-DP instance, and reports it', () => {
    const off = run(16, 'agg', null);
    const on = run(16, 'agg', { timeoutIterations: 60, batchingWaitIterations: 0 });
    expect(off.attentionDpBalanceWaitMs).toBe(0);
    expect(on.attentionDpBalanceWaitMs).toBeGreaterThan(0);
    expect(on.ttftMs).toBeCloseTo(off.ttftMs + on.attentionDpBalanceWaitMs, 6);
    expect(on.tpotMs).toBe(off.tpotMs);
    // 8 per rank on 16 ranks: a closed loop of ~1024 TPOTs per request leaves most ranks empty
    // within the timeout, so the hold is close to half of 60 iterations.
    expect(on.attentionDpBalanceWaitMs).toBeGreaterThan(0.3 * 60 * on.tpotMs);
    expect(on.attentionDpBalanceWaitMs).toBeLessThanOrEqual(0.5 * 60 * on.tpotMs + 1e-9);
  });

  it('holds nothing without attention DP or on a disaggregated worker', () => {
    const balance = { timeoutIterations: 60, batchingWaitIterations: 0 };
    expect(run(1, 'agg', balance).attentionDpBalanceWaitMs).toBe(0);
    expect(run(1, 'agg', balance).ttftMs).toBe(run(1, 'agg', null).ttftMs);
    // A prefill worker has no generation requests (TensorRT-LLM releases at once); a decode worker no prefills.
    expect(run(16, 'prefill', balance).attentionDpBalanceWaitMs).toBe(0);
    expect(run(16, 'decode', balance).attentionDpBalanceWaitMs).toBe(0);
  });
});
