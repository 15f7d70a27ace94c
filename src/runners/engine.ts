/**
 * The default runner: the case is simulated in-process by the engine.
 * Fixed cases run `estimate` per concurrency (agg: worker_config.gen on one
 * instance; disagg: ctx for prefill, gen for decode, scaled by the server
 * counts); cases with a `search` block run `optimize` and report its best point.
 */
import { OptixUserError } from '../errors.js';
import { resolveModel as catalogResolveModel } from '../catalog/models.js';
import { loadDevice as catalogLoadDevice } from '../catalog/devices.js';
import {
  defaultQuantOptions,
  defaultServingOptions,
  defaultWorkload,
  estimate as engineEstimate,
  makeParallel,
  optimize as engineOptimize,
  type DeviceProfile,
  type EstimateRequest,
  type EstimateResult,
  type LinearAction,
  type AttentionAction,
  type ModelSpec,
  type OptimizeRequest,
  type OptimizeResult,
  type QuantOptions,
  type ServingPoint,
} from '../engine/index.js';
import type { AttentionDpBalance } from '../engine/types.js';
import { TRTLLM_ATTENTION_DP_BALANCE } from '../engine/adp-balance.js';
import { disaggTtftMs } from '../engine/disagg.js';
import { planQuant } from '../engine/quant.js';
import { StepPricer } from '../engine/serving.js';
import {
  isDisagg,
  mtpSize,
  parseConcurrencyList,
  workerLayout,
  type CaseConfig,
  type WorkerConfig,
} from '../harness/case.js';
import type { RunHandle, Runner, RunnerCase, RunPoint, RunResult } from './types.js';

export interface EngineDeps {
  estimate: (req: EstimateRequest) => EstimateResult;
  optimize: (req: OptimizeRequest) => OptimizeResult;
  resolveModel: (id: string) => ModelSpec;
  loadDevice: (name: string) => DeviceProfile;
}

export const defaultEngineDeps: EngineDeps = {
  estimate: engineEstimate,
  optimize: (req) => engineOptimize(req),
  resolveModel: (id) => catalogResolveModel(id),
  loadDevice: catalogLoadDevice,
};

/** What a case's precision means when it gives no `quantization` block. */
const PRECISION_LINEAR: Record<string, LinearAction> = {
  bf16: 'DISABLED',
  fp16: 'DISABLED',
  fp8: 'FP8',
  int8: 'W8A8_DYNAMIC',
  int4: 'W4A8_DYNAMIC',
  fp4: 'MXFP4',
  mxfp4: 'MXFP4',
};

export function quantFor(config: CaseConfig): QuantOptions {
  const q = config.quantization ?? {};
  const precision = config.metadata.precision;
  const linear = (q.linear as LinearAction | undefined) ?? (precision !== undefined ? PRECISION_LINEAR[precision] : undefined);
  return defaultQuantOptions({
    ...(linear !== undefined ? { linear } : {}),
    ...(q.attention !== undefined ? { attention: q.attention as AttentionAction } : {}),
    ...(q.mxfp4_group_size !== undefined ? { mxfp4GroupSize: q.mxfp4_group_size } : {}),
  });
}

/**
 * A case describes a benchmark run: closed-loop clients at each concurrency, so
 * the steady-state serving model is the default (seed 002's formulas on request).
 */
function servingFor(w: WorkerConfig | undefined, config: CaseConfig) {
  return defaultServingOptions({
    ...(w?.max_num_tokens !== undefined ? { maxBatchedTokens: w.max_num_tokens } : {}),
    numMtpTokens: mtpSize(w),
    scheduling: config.benchmark.scheduling ?? 'steady-state',
    servingEngine: config.benchmark.serving_engine ?? 'generic',
    requestLengths: config.benchmark.request_lengths ?? 'varied',
    attentionDpBalance: attentionDpBalanceFor(w),
  });
}

/** `attention_dp_config` with `enable_balance: true`, TensorRT-LLM's defaults for the fields it leaves out. */
function attentionDpBalanceFor(w: WorkerConfig | undefined): AttentionDpBalance | null {
  const c = w?.attention_dp_config;
  if (c?.enable_balance !== true) return null;
  return {
    timeoutIterations: c.timeout_iters ?? TRTLLM_ATTENTION_DP_BALANCE.timeoutIterations,
    batchingWaitIterations: c.batching_wait_iters ?? TRTLLM_ATTENTION_DP_BALANCE.batchingWaitIterations,
  };
}

function parallelFor(w: WorkerConfig | undefined) {
  const l = workerLayout(w);
  return makeParallel({ tp: l.tp, dp: l.dp, pp: l.pp, ...(l.ep !== undefined ? { ep: l.ep } : {}) });
}

/** Requests beyond max_batch_size per replica queue in a real server; the step shapes stop growing there. */
function cappedConcurrency(requested: number, w: WorkerConfig | undefined, dp: number): number {
  const cap = w?.max_batch_size !== undefined ? w.max_batch_size * dp : Number.POSITIVE_INFINITY;
  return Math.max(1, Math.min(requested, cap));
}

function pointMetrics(p: ServingPoint): Record<string, number> {
  return {
    ttftMs: p.ttftMs,
    tpotMs: p.tpotMs,
    tokensPerS: p.tokensPerS,
    tokensPerSPerDevice: p.tokensPerSPerDevice,
    tokensPerSPerUser: p.tokensPerSPerUser,
    batchSize: p.batchSize,
    tp: p.parallel.tp,
    dp: p.parallel.dp,
    pp: p.parallel.pp,
    ep: p.parallel.ep,
    moeTp: p.parallel.moeTp,
    numDevices: p.numDevices,
    prefillStepMs: p.prefillStepMs,
    decodeStepMs: p.decodeStepMs,
  };
}

function oomMessage(p: ServingPoint, what: string): string {
  return `${what}: out of memory (${p.batchSize} sequences per replica need ${(p.memory.totalBytes / 1e9).toFixed(1)} GB per device of ${(p.memory.capacityBytes / 1e9).toFixed(1)} GB; at most ${p.memory.maxSequencesPerReplica} fit)`;
}

export interface EngineOutcome {
  points: RunPoint[];
  errors: string[];
  warnings: string[];
}

/** Runs one validated case through the engine. Throws OptixUserError for what the engine refuses. */
export function runEngineCase(config: CaseConfig, deps: EngineDeps = defaultEngineDeps): EngineOutcome {
  const modelId = config.metadata.model;
  const deviceName = config.hardware.device;
  if (modelId === undefined) throw new OptixUserError('metadata.model is required by the engine runner');
  if (deviceName === undefined) throw new OptixUserError('hardware.device is required by the engine runner');
  const model = deps.resolveModel(modelId);
  const device = deps.loadDevice(deviceName);
  const workload = defaultWorkload(config.benchmark.input_length, config.benchmark.output_length, config.benchmark.prefix_cache_hit_rate ?? 0);
  const quant = quantFor(config);
  if (config.search !== undefined) return runSearch(config, model, device, quant, workload, deps);

  const out: EngineOutcome = { points: [], errors: [], warnings: [] };
  const gen = config.worker_config?.gen;
  const genPar = parallelFor(gen);
  const concurrencies = parseConcurrencyList(config.benchmark.concurrency_list);
  const warn = (ws: string[]) => {
    for (const w of ws) if (!out.warnings.includes(w)) out.warnings.push(w);
  };

  // Seed 001's benchmark modes: gen_only / ctx_only measure one phase of the deployment.
  const benchMode = config.benchmark.mode ?? 'e2e';
  if (!isDisagg(config) || benchMode === 'gen_only') {
    const mode = benchMode === 'gen_only' ? 'decode' : benchMode === 'ctx_only' ? 'prefill' : 'agg';
    for (const c of concurrencies) {
      const perServer = isDisagg(config) ? Math.ceil(c / (config.hardware.num_gen_servers ?? 1)) : c;
      const r = deps.estimate({ model, device, parallel: genPar, quant, workload, serving: servingFor(gen, config), concurrency: cappedConcurrency(perServer, gen, genPar.dp), mode });
      warn(r.warnings.filter((w) => !w.startsWith('out of memory')));
      if (r.point.oom) out.errors.push(oomMessage(r.point, `concurrency ${c}`));
      out.points.push({ concurrency: c, metrics: { ...pointMetrics(r.point), oom: r.point.oom ? 1 : 0 } });
    }
    return out;
  }

  // Disaggregated: prefill on num_ctx_servers ctx instances, decode on num_gen_servers gen instances.
  // Under steady-state scheduling the TTFT also carries the KV hand-off to a gen instance and its
  // first iteration (engine/disagg.ts). The client's C requests sit mostly in decode; a ctx
  // server only sees the arrivals: by Little's law, requests in prefill = arrival rate x prefill time,
  // with arrival rate = C / (TTFT + TPOT x (OSL - 1)) over the ctx servers.
  const ctx = config.worker_config?.ctx;
  const ctxPar = parallelFor(ctx);
  const nCtx = config.hardware.num_ctx_servers ?? 1;
  const nGen = config.hardware.num_gen_servers ?? 1;
  const devices = nCtx * workerLayout(ctx).devices + nGen * workerLayout(gen).devices;
  const ctxServing = servingFor(ctx, config);
  const prefillAt = (batch: number) =>
    deps.estimate({ model, device, parallel: ctxPar, quant, workload, serving: ctxServing, concurrency: cappedConcurrency(batch, ctx, ctxPar.dp), mode: 'prefill' });
  const single = prefillAt(1);
  if (benchMode === 'ctx_only') {
    // Context servers alone, loaded with the client's requests as they come.
    for (const c of concurrencies) {
      const pre = prefillAt(Math.ceil(c / nCtx));
      warn(pre.warnings.filter((w) => !w.startsWith('out of memory')));
      if (pre.point.oom) out.errors.push(oomMessage(pre.point, `concurrency ${c} ctx`));
      out.points.push({ concurrency: c, metrics: { ...pointMetrics(pre.point), oom: pre.point.oom ? 1 : 0 } });
    }
    return out;
  }
  // The KV hand-off needs the ctx instance's KV bytes per token: priced on its own StepPricer.
  const ctxPricer = ctxServing.scheduling === 'steady-state' ? new StepPricer({ spec: model, device, par: ctxPar, quant: planQuant(quant, device), workload, serving: ctxServing }) : undefined;
  for (const c of concurrencies) {
    const dec = deps.estimate({ model, device, parallel: genPar, quant, workload, serving: servingFor(gen, config), concurrency: cappedConcurrency(Math.ceil(c / nGen), gen, genPar.dp), mode: 'decode' });
    const cycleMs = single.point.ttftMs + dec.point.tpotMs * Math.max(workload.outputLength - 1, 1);
    const inPrefill = ((c / cycleMs) * single.point.ttftMs) / nCtx;
    const ctxBatch = Math.min(c, Math.max(1, Math.ceil(inPrefill)));
    const pre = ctxBatch === 1 ? single : prefillAt(ctxBatch);
    warn([...pre.warnings, ...dec.warnings].filter((w) => !w.startsWith('out of memory')));
    if (pre.point.oom) out.errors.push(oomMessage(pre.point, `concurrency ${c} ctx`));
    if (dec.point.oom) out.errors.push(oomMessage(dec.point, `concurrency ${c} gen`));
    // The system delivers what the slower side sustains: gen output rate, or the ctx servers'
    // request capacity (at their largest batch) x output length.
    const capacity = prefillAt(cappedConcurrency(c, ctx, ctxPar.dp)).point.qps;
    const ttftMs = ctxPricer === undefined ? pre.point.ttftMs : disaggTtftMs(pre.point.ttftMs, ctxPricer, dec.point.numDevices, dec.point.decodeStepMs);
    const tokensPerS = Math.min(nGen * dec.point.tokensPerS, nCtx * capacity * workload.outputLength);
    out.points.push({
      concurrency: c,
      metrics: {
        ...pointMetrics(dec.point),
        ttftMs,
        tokensPerS,
        tokensPerSPerDevice: tokensPerS / devices,
        numDevices: devices,
        ctxTp: pre.point.parallel.tp,
        ctxDp: pre.point.parallel.dp,
        ctxEp: pre.point.parallel.ep,
        ctxBatchSize: pre.point.batchSize,
        ctxTokensPerS: pre.point.tokensPerS,
        oom: pre.point.oom || dec.point.oom ? 1 : 0,
      },
    });
  }
  return out;
}

function runSearch(
  config: CaseConfig,
  model: ModelSpec,
  device: DeviceProfile,
  quant: QuantOptions,
  workload: ReturnType<typeof defaultWorkload>,
  deps: EngineDeps,
): EngineOutcome {
  const s = config.search ?? {};
  const gen = config.worker_config?.gen;
  const mode = s.mode ?? (isDisagg(config) ? 'disagg' : 'agg');
  const numDevices = s.num_devices ?? (gen !== undefined ? workerLayout(gen).devices : (config.hardware.gpus_per_node ?? 8));
  const ttftMs = s.ttft_limit_ms ?? config.benchmark.ttft_limit_ms;
  const tpotMs = s.tpot_limit_ms ?? config.benchmark.tpot_limit_ms;
  const req: OptimizeRequest = {
    model,
    devices: [device],
    numDevices,
    quant,
    workload,
    serving: servingFor(gen, config),
    limits: { ...(ttftMs !== undefined ? { ttftMs } : {}), ...(tpotMs !== undefined ? { tpotMs } : {}) },
    mode,
    search: {
      tpSizes: s.tp_sizes ?? [],
      ...(s.ep_sizes !== undefined ? { epSizes: s.ep_sizes } : {}),
      ...(s.moe_dp_sizes !== undefined ? { moeDpSizes: s.moe_dp_sizes } : {}),
    },
    ...(s.batch_range !== undefined ? { batchRange: s.batch_range } : {}),
    topK: s.top_k ?? 3,
  };
  const result = deps.optimize(req).perDevice[0];
  const out: EngineOutcome = { points: [], errors: [], warnings: result?.warnings ?? [] };
  if (result === undefined) {
    out.errors.push('optimizer returned no result');
    return out;
  }
  const describe = (p: ServingPoint | undefined) =>
    p === undefined ? 'nothing evaluated' : `closest: tp${p.parallel.tp} dp${p.parallel.dp} batch ${p.batchSize}, TTFT ${p.ttftMs.toFixed(1)} ms, TPOT ${p.tpotMs.toFixed(2)} ms`;
  if (mode === 'agg') {
    const best = result.agg?.best;
    if (best === undefined) {
      out.errors.push(`no configuration meets the limits (${describe(result.agg?.closest)})`);
      return out;
    }
    out.points.push({ concurrency: best.concurrency, metrics: pointMetrics(best) });
    return out;
  }
  const pre = result.prefill?.best;
  const dec = result.decode?.best;
  if (result.prefill !== undefined && pre === undefined) out.errors.push(`prefill: no configuration meets TTFT ${String(ttftMs)} ms (${describe(result.prefill.closest)})`);
  if (result.decode !== undefined && dec === undefined) out.errors.push(`decode: no configuration meets TPOT ${String(tpotMs)} ms (${describe(result.decode.closest)})`);
  const main = dec ?? pre;
  if (main === undefined) return out;
  const metrics: Record<string, number> = { ...pointMetrics(main) };
  if (pre !== undefined) {
    metrics.ttftMs = pre.ttftMs;
    metrics.ctxTp = pre.parallel.tp;
    metrics.ctxDp = pre.parallel.dp;
    metrics.ctxBatchSize = pre.batchSize;
    metrics.ctxTokensPerS = pre.tokensPerS;
  }
  out.points.push({ concurrency: main.concurrency, metrics });
  return out;
}

export function createEngineRunner(deps: EngineDeps = defaultEngineDeps): Runner {
  return {
    name: 'engine',
    submit(c: RunnerCase): Promise<RunHandle> {
      let cancelled = false;
      const started = Date.now();
      // The engine is synchronous; deferring lets a whole batch be submitted before any of it computes.
      const result = new Promise<RunResult>((resolve) => {
        setImmediate(() => {
          if (cancelled) {
            resolve({ caseId: c.id, ok: false, points: [], error: 'cancelled before it started' });
            return;
          }
          resolve(runToResult(c, deps, started));
        });
      });
      return Promise.resolve({
        caseId: c.id,
        wait: () => result,
        cancel: () => {
          cancelled = true;
          return Promise.resolve();
        },
      });
    },
  };
}

function runToResult(c: RunnerCase, deps: EngineDeps, started: number): RunResult {
  try {
    const outcome = runEngineCase(c.config as CaseConfig, deps);
    // RunResult has no warnings field; fallbacks the engine took still have to be seen.
    for (const w of outcome.warnings) console.warn(`${c.id}: warning: ${w}`);
    const ok = outcome.errors.length === 0 && outcome.points.length > 0;
    return {
      caseId: c.id,
      ok,
      points: outcome.points,
      ...(outcome.errors.length > 0 ? { error: outcome.errors.join('; ') } : {}),
      durationS: (Date.now() - started) / 1000,
    };
  } catch (e) {
    if (e instanceof OptixUserError) {
      return { caseId: c.id, ok: false, points: [], error: e.format(), durationS: (Date.now() - started) / 1000 };
    }
    // A bug: keep its stack, but as this case's failure rather than a crashed worker.
    const detail = e instanceof Error ? (e.stack ?? e.message) : String(e);
    return { caseId: c.id, ok: false, points: [], error: `internal error: ${detail}`, durationS: (Date.now() - started) / 1000 };
  }
}
