import { describe, expect, it } from 'vitest';
import { estimate, optimize, defaultQuantOptions, defaultServingOptions, defaultWorkload, makeParallel } from '../src/engine/index.js';
import { resolveModel } from '../src/catalog/models.js';
import { loadDevice } from '../src/catalog/devices.js';
import { parseConcurrencyList, workerLayout, type CaseConfig } from '../src/harness/case.js';
import { checkBound, checkExpectations } from '../src/harness/expect.js';
import { gpuDecision } from '../src/harness/gpu-filter.js';
import { globToRegExp, parseTestList, selectByTestList } from '../src/harness/testlist.js';
import { createEngineRunner, quantFor, runEngineCase } from '../src/runners/engine.js';
import { kvHandoffMs } from '../src/engine/disagg.js';
import { SCHEDULERS, steadyStateDecodeMs } from '../src/engine/scheduler.js';
import { planQuant } from '../src/engine/quant.js';
import { StepPricer } from '../src/engine/serving.js';

const base = (over: Partial<CaseConfig> = {}): CaseConfig => ({
  metadata: { model: 'Qwen/Qwen3-8B', precision: 'fp8', supported_gpus: ['H100_SXM_80G'] },
  benchmark: { streaming: true, concurrency_list: '1 4', input_length: 128, output_length: 64 },
  hardware: { device: 'H100_SXM_80G', gpus_per_node: 8 },
  worker_config: { gen: { tensor_parallel_size: 2, max_batch_size: 8, max_num_tokens: 2048 } },
  ...over,
});

describe('case helpers', () => {
  it('parses concurrency lists written either way', () => {
    expect(parseConcurrencyList('1 2  4,8')).toEqual([1, 2, 4, 8]);
    expect(parseConcurrencyList([3, 5])).toEqual([3, 5]);
    expect(parseConcurrencyList('1 x')).toEqual([1, Number.NaN]);
  });

  it('maps TensorRT-LLM attention DP and vLLM-style dp replicas to the engine layout', () => {
    expect(workerLayout({ tensor_parallel_size: 8, enable_attention_dp: true, moe_expert_parallel_size: 8 })).toEqual({ tp: 1, dp: 8, pp: 1, ep: 8, devices: 8 });
    expect(workerLayout({ tensor_parallel_size: 4, attention_dp_size: 2, pipeline_parallel_size: 2 })).toEqual({ tp: 4, dp: 2, pp: 2, devices: 16 });
  });
});

describe('test lists', () => {
  it('reads ids and globs, skipping comments, and reports entries that match nothing', () => {
    const list = parseTestList('# header\nagg_perf_a  # inline\n\n disagg_* \nnope\n', 'l.txt');
    expect(list.entries).toEqual([
      { pattern: 'agg_perf_a', line: 2 },
      { pattern: 'disagg_*', line: 4 },
      { pattern: 'nope', line: 5 },
    ]);
    const sel = selectByTestList(['agg_perf_a', 'agg_perf_ab', 'disagg_perf_x', 'disagg_accuracy_y'], list);
    expect([...sel.selected].sort()).toEqual(['agg_perf_a', 'disagg_accuracy_y', 'disagg_perf_x']);
    expect(sel.unknown).toEqual([{ pattern: 'nope', line: 5 }]);
    expect(globToRegExp('a.b?c*').test('a.bXc-anything')).toBe(true);
    expect(globToRegExp('a.b').test('aXb')).toBe(false);
  });
});

describe('GPU filtering', () => {
  it('engine cases run anywhere unless GPU_TYPE is set; hardware runners default to GB200', () => {
    expect(gpuDecision(base(), undefined)).toEqual({ run: true });
    expect(gpuDecision(base(), 'h100_sxm_80g')).toEqual({ run: true });
    expect(gpuDecision(base(), 'GB200')).toEqual({ run: false, reason: 'GPU_TYPE=GB200 not in supported_gpus [H100_SXM_80G]' });
    expect(gpuDecision(base({ runner: 'slurm' }), undefined)).toMatchObject({ run: false });
    expect(gpuDecision(base({ runner: 'slurm', metadata: { supported_gpus: ['GB200'] } }), undefined)).toEqual({ run: true });
    // No supported_gpus: the case's own device.
    expect(gpuDecision(base({ metadata: { model: 'x' } }), 'H100_SXM_80G')).toEqual({ run: true });
  });
});

describe('expectations', () => {
  it('words each kind of bound with predicted, expected and the relative change', () => {
    // 12 vs max 10: +20%. 8 vs min 10: -20%. 130 vs 100 ± 25%: +30%, allowed 75..125.
    expect(checkBound('tpotMs', 4, 12, { max: 10 })).toBe('tpotMs at concurrency 4: predicted 12.00 > expected max 10.00 (+20.0%)');
    expect(checkBound('tokensPerS', 1, 8, { min: 10 })).toBe('tokensPerS at concurrency 1: predicted 8.00 < expected min 10.00 (-20.0%)');
    expect(checkBound('ttftMs', 2, 130, { baseline: 100, tolerance_pct: 25 })).toBe(
      'ttftMs at concurrency 2: predicted 130.0 vs expected 100.0 ± 25% (+30.0%; allowed 75.00..125.0)',
    );
    expect(checkBound('ttftMs', 2, 120, { baseline: 100, tolerance_pct: 25 })).toBeUndefined();
  });

  it('applies global bounds to every point and per-concurrency bounds to theirs; flags missing metrics', () => {
    const cfg = base({
      benchmark: { ...base().benchmark, metrics: { required: ['ttftMs', 'tpotMs'] } },
      expect: { tpotMs: { max: 5 }, concurrency: { '4': { ttftMs: { max: 1 } } } },
    });
    const failures = checkExpectations(cfg, [
      { concurrency: 1, metrics: { ttftMs: 3, tpotMs: 4 } },
      { concurrency: 4, metrics: { ttftMs: 2, tpotMs: 6 } },
      { concurrency: 8, metrics: { ttftMs: 2 } },
    ]);
    expect(failures).toEqual([
      { path: ['benchmark', 'metrics'], message: 'concurrency 8: metrics tpotMs not produced (got ttftMs)' },
      { path: ['expect', 'tpotMs'], message: 'tpotMs at concurrency 4: predicted 6.00 > expected max 5.00 (+20.0%)' },
      { path: ['expect', 'tpotMs'], message: 'tpotMs at concurrency 8: not produced (got ttftMs)' },
      { path: ['expect', 'concurrency', '4', 'ttftMs'], message: 'ttftMs at concurrency 4: predicted 2.00 > expected max 1.00 (+100.0%)' },
    ]);
  });
});

describe('engine runner', () => {
  const model = resolveModel('Qwen/Qwen3-8B');
  const device = loadDevice('H100_SXM_80G');

  /** The base case's deployment (tp 2, FP8, 128/64 tokens, max_num_tokens 2048) estimated directly. */
  const direct = (c: number, servingEngine: 'generic' | 'sglang' = 'generic', requestLengths: 'varied' | 'fixed' = 'varied') =>
    estimate({
      model,
      device,
      parallel: makeParallel({ tp: 2 }),
      quant: defaultQuantOptions({ linear: 'FP8' }),
      workload: defaultWorkload(128, 64),
      serving: defaultServingOptions({ maxBatchedTokens: 2048, scheduling: 'steady-state', servingEngine, requestLengths }),
      concurrency: c,
      mode: 'agg',
    }).point;

  it('an agg case is the engine estimate at each concurrency, capped at max_batch_size x dp', () => {
    const out = runEngineCase(base({ benchmark: { ...base().benchmark, concurrency_list: '1 16' } }));
    expect(out.errors).toEqual([]);
    expect(out.points[0]).toMatchObject({ concurrency: 1, metrics: { ttftMs: direct(1).ttftMs, tpotMs: direct(1).tpotMs, tokensPerS: direct(1).tokensPerS, tp: 2 } });
    // Client concurrency 16 with max_batch_size 8: the instance runs batches of 8.
    expect(out.points[1]).toMatchObject({ concurrency: 16, metrics: { tpotMs: direct(8).tpotMs, batchSize: 8 } });
  });

  it('benchmark.serving_engine picks the engine\'s queue law (default generic)', () => {
    const at = (engine?: 'sglang') => runEngineCase(base({ benchmark: { ...base().benchmark, concurrency_list: '4', ...(engine ? { serving_engine: engine } : {}) } })).points[0]!;
    expect(at().metrics.ttftMs).toBe(direct(4).ttftMs);
    expect(at('sglang').metrics.ttftMs).toBe(direct(4, 'sglang').ttftMs);
    expect(at('sglang').metrics.ttftMs).not.toBeCloseTo(at().metrics.ttftMs!, 0);
  });

  it('benchmark.request_lengths: fixed runs SGLang\'s clients in lockstep waves (default varied)', () => {
    const at = (lengths?: 'fixed') =>
      runEngineCase(base({ benchmark: { ...base().benchmark, concurrency_list: '4', serving_engine: 'sglang', ...(lengths ? { request_lengths: lengths } : {}) } })).points[0]!;
    expect(at('fixed').metrics.ttftMs).toBe(direct(4, 'sglang', 'fixed').ttftMs);
    expect(at('fixed').metrics.tpotMs).toBe(direct(4, 'sglang', 'fixed').tpotMs);
    expect(at().metrics.ttftMs).toBe(direct(4, 'sglang').ttftMs);
    expect(at('fixed').metrics.ttftMs).not.toBeCloseTo(at().metrics.ttftMs!, 3);
  });

  it("worker_config.gen.attention_dp_config (TensorRT-LLM's enable_balance) holds an attention-DP case's prefills; its defaults fill what it leaves out", () => {
    const moe = (adp?: Record<string, unknown>) =>
      base({
        metadata: { model: 'Qwen/Qwen3-30B-A3B', precision: 'fp8', supported_gpus: ['H100_SXM_80G'] },
        benchmark: { ...base().benchmark, concurrency_list: '32', serving_engine: 'trtllm' },
        worker_config: { gen: { tensor_parallel_size: 4, enable_attention_dp: true, moe_expert_parallel_size: 4, max_num_tokens: 2048, ...(adp ? { attention_dp_config: adp } : {}) } },
      });
    const at = (adp?: Record<string, unknown>) => runEngineCase(moe(adp)).points[0]!.metrics.ttftMs!;
    const off = at();
    const held = at({ enable_balance: true, timeout_iters: 60, batching_wait_iters: 0 });
    expect(held).toBeGreaterThan(off);
    // Off unless enable_balance is true; TensorRT-LLM's 50 / 10 when only the switch is given.
    expect(at({ timeout_iters: 60 })).toBe(off);
    expect(at({ enable_balance: true })).toBe(at({ enable_balance: true, timeout_iters: 50, batching_wait_iters: 10 }));
    expect(at({ enable_balance: true })).not.toBe(held);
  });

  it('a disagg case takes TTFT from the ctx servers (plus the KV hand-off and a gen iteration) and TPOT from the gen servers', () => {
    const cfg = base({
      hardware: { device: 'H100_SXM_80G', gpus_per_node: 8, num_ctx_servers: 1, num_gen_servers: 2 },
      worker_config: { gen: { tensor_parallel_size: 2, max_batch_size: 8, max_num_tokens: 8 }, ctx: { tensor_parallel_size: 1, max_batch_size: 2, max_num_tokens: 4096 } },
      benchmark: { ...base().benchmark, concurrency_list: [8] },
    });
    const [p] = runEngineCase(cfg).points;
    const common = { model, device, quant: defaultQuantOptions({ linear: 'FP8' }), workload: defaultWorkload(128, 64) };
    // 8 clients over 2 gen servers: 4 each.
    const dec = estimate({ ...common, parallel: makeParallel({ tp: 2 }), serving: defaultServingOptions({ maxBatchedTokens: 8, scheduling: 'steady-state' }), concurrency: 4, mode: 'decode' }).point;
    const pre1 = estimate({ ...common, parallel: makeParallel({ tp: 1 }), serving: defaultServingOptions({ maxBatchedTokens: 4096, scheduling: 'steady-state' }), concurrency: 1, mode: 'prefill' }).point;
    const preCap = estimate({ ...common, parallel: makeParallel({ tp: 1 }), serving: defaultServingOptions({ maxBatchedTokens: 4096, scheduling: 'steady-state' }), concurrency: 2, mode: 'prefill' }).point;
    // Little's law: 8 / (TTFT + 63 TPOT) requests/ms arrive, each in prefill for TTFT.
    const inPrefill = (8 / (pre1.ttftMs + dec.tpotMs * 63)) * pre1.ttftMs;
    expect(inPrefill).toBeLessThan(1);
    // The ctx server's TTFT, its KV cache sent to a gen server (5 devices fit the NVLink tier), one gen iteration.
    const ctxPricer = new StepPricer({ spec: model, device, par: makeParallel({ tp: 1 }), quant: planQuant(common.quant, device), workload: common.workload, serving: defaultServingOptions({ maxBatchedTokens: 4096, scheduling: 'steady-state' }) });
    const handoff = kvHandoffMs(ctxPricer, dec.numDevices);
    expect(handoff).toBeGreaterThan(0);
    expect(p?.metrics.ttftMs).toBeCloseTo(pre1.ttftMs + handoff + steadyStateDecodeMs(SCHEDULERS.generic, dec.decodeStepMs), 9);
    expect(p?.metrics.tpotMs).toBe(dec.tpotMs);
    expect(p?.metrics.tokensPerS).toBe(Math.min(2 * dec.tokensPerS, preCap.qps * 64));
    // 1 ctx server x 1 device + 2 gen servers x 2 devices.
    expect(p?.metrics.numDevices).toBe(5);
  });

  it('gen_only and ctx_only measure one phase', () => {
    const common = { model, device, parallel: makeParallel({ tp: 2 }), quant: defaultQuantOptions({ linear: 'FP8' }), workload: defaultWorkload(128, 64), serving: defaultServingOptions({ maxBatchedTokens: 2048, scheduling: 'steady-state' }), concurrency: 4 };
    const gen = runEngineCase(base({ benchmark: { ...base().benchmark, mode: 'gen_only', concurrency_list: [4] } }));
    expect(gen.points[0]?.metrics.tpotMs).toBe(estimate({ ...common, mode: 'decode' }).point.tpotMs);
    const ctx = runEngineCase(base({ benchmark: { ...base().benchmark, mode: 'ctx_only', concurrency_list: [4] } }));
    expect(ctx.points[0]?.metrics.ttftMs).toBe(estimate({ ...common, mode: 'prefill' }).point.ttftMs);
  });

  it('a search case reports the optimizer\'s best point', () => {
    const cfg = base({ search: { mode: 'agg', num_devices: 2, tp_sizes: [1, 2], tpot_limit_ms: 20 } });
    const out = runEngineCase(cfg);
    const best = optimize({
      model, devices: [device], numDevices: 2, quant: defaultQuantOptions({ linear: 'FP8' }), workload: defaultWorkload(128, 64),
      serving: defaultServingOptions({ maxBatchedTokens: 2048, scheduling: 'steady-state' }), limits: { tpotMs: 20 }, mode: 'agg', search: { tpSizes: [1, 2] }, topK: 3,
    }).perDevice[0]?.agg?.best;
    expect(best).toBeDefined();
    expect(out.points).toEqual([{ concurrency: best?.concurrency, metrics: expect.objectContaining({ tpotMs: best?.tpotMs, tokensPerS: best?.tokensPerS }) }]);
    expect(out.points[0]?.metrics.tpotMs).toBeLessThanOrEqual(20);
  });

  it('precision picks the quantization unless the case gives one', () => {
    expect(quantFor(base()).linear).toBe('FP8');
    expect(quantFor(base({ metadata: { precision: 'bf16' } })).linear).toBe('DISABLED');
    expect(quantFor(base({ quantization: { linear: 'W8A8_DYNAMIC', attention: 'INT8' } }))).toMatchObject({ linear: 'W8A8_DYNAMIC', attention: 'INT8' });
  });

  it('submit returns at once; an OOM or an unknown model comes back as ok:false, and cancel stops a case not yet started', async () => {
    const runner = createEngineRunner();
    const oom = base({ metadata: { model: 'meta-llama/Llama-3.1-405B', precision: 'bf16' }, worker_config: { gen: { tensor_parallel_size: 1 } } });
    const r = await (await runner.submit({ id: 'oom', file: 'f.yaml', config: oom as unknown as Record<string, unknown>, outputDir: '/tmp' })).wait();
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/concurrency 1: out of memory/);
    const unknown = await (await runner.submit({ id: 'u', file: 'f.yaml', config: base({ metadata: { model: 'nope/nope' } }) as unknown as Record<string, unknown>, outputDir: '/tmp' })).wait();
    expect(unknown).toMatchObject({ ok: false, points: [] });
    const h = await runner.submit({ id: 'c', file: 'f.yaml', config: base() as unknown as Record<string, unknown>, outputDir: '/tmp' });
    await h.cancel();
    await expect(h.wait()).resolves.toMatchObject({ ok: false, error: 'cancelled before it started' });
  });
});
