/**
 * Predicts measured rows with the engine. Agg rows: the fixed deployment at
 * its concurrency (mode 'agg'). Disagg rows: the prefill worker (mode
 * 'prefill') gives TTFT, the decode worker (mode 'decode') gives TPOT.
 *
 * Resolved models, devices and step pricers are cached: the 3,384 rows of the
 * reference sample share a few hundred deployments that differ only in
 * concurrency, and a StepPricer memoizes their steps.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { OptixUserError } from '../errors.js';
import { listDeviceNames, loadDevice } from '../catalog/devices.js';
import { resolveModel } from '../catalog/models.js';
import { defaultQuantOptions, defaultServingOptions, estimate } from '../engine/index.js';
import { disaggTtftMs } from '../engine/disagg.js';
import { planQuant, type QuantPlan } from '../engine/quant.js';
import { StepPricer, evaluate } from '../engine/serving.js';
import { SERVING_ENGINES, type DeviceProfile, type ModelSpec, type ParallelConfig, type QuantOptions, type RequestLengths, type ServingEngine, type ServingOptions, type ServingPoint } from '../engine/types.js';
import { attentionDpBalanceOf, mapKvCache, mapLayout, mapQuant, mapSystem, meanLength, undoEpMultipliedSizes, type DataLayout } from './mapping.js';
import type { MeasuredRow, MeasuredWorker } from './measured.js';
import { apePct } from './stats.js';
import type { RowOutcome } from './summary.js';

export interface PredictOptions {
  /** Directory of `<org>--<name>.json` configs; default ../shared/model_configs when it exists. */
  modelConfigDir?: string;
  /** Profiles that replace the built-in of the same name (--device-file). */
  deviceOverrides?: DeviceProfile[];
  /** Token budget of one prefill or mixed step. */
  maxBatchedTokens?: number;
  /**
   * The benchmark's request lengths (ServingOptions.requestLengths) for every
   * row; when not given, each row's own (MeasuredRow.lengthSampling: 'fixed'
   * for benchmarks known to send exact lengths, else 'varied').
   */
  requestLengths?: RequestLengths;
  /**
   * Lengths drawn uniformly in [ratio x isl, isl] (and osl) for every row, in
   * place of each row's own sampling (MeasuredRow.lengthSampling). 1: exactly
   * isl / osl. Fixed request lengths are always exact.
   */
  lengthRangeRatio?: number;
}

/** The default model config directory: ../shared/model_configs relative to the cwd, when present. */
export function defaultModelConfigDir(cwd = process.cwd()): string | undefined {
  const dir = path.resolve(cwd, '..', 'shared', 'model_configs');
  return existsSync(dir) ? dir : undefined;
}

/**
 * Serving options for measured deployments. Every backend in the reference
 * data (TensorRT-LLM, SGLang, vLLM) runs decode under CUDA graphs, so
 * `compile` is on. Reserved memory is 0: these engines size the KV cache as a
 * fraction of what is left after weights, so a fixed reserve would only turn
 * deployments that ran into OOM. No MTP: the data has no speculative-decoding column.
 * The row's backend picks the scheduler model (engine/scheduler.ts, servingEngineOf).
 */
export function measuredServingOptions(maxBatchedTokens = 8192, servingEngine: ServingEngine = 'generic', requestLengths: RequestLengths = 'varied'): ServingOptions {
  return defaultServingOptions({ maxBatchedTokens, reservedMemoryBytes: 0, compile: true, scheduling: 'steady-state', servingEngine, requestLengths });
}

/** The data's backend column (trtllm, sglang, vllm) as the engine's scheduler model; 'generic' for anything else. */
export function servingEngineOf(backend: string): ServingEngine {
  const b = backend.toLowerCase();
  return (SERVING_ENGINES as readonly string[]).includes(b) ? (b as ServingEngine) : 'generic';
}

export interface RowPrediction extends RowOutcome {
  line: number;
  modelPath: string;
  profile?: string;
  isl: number;
  osl: number;
  /** The mean request lengths the engine was given (isl / osl unless the benchmark drew them from a range). */
  meanIsl: number;
  meanOsl: number;
  /** Whether the row was priced as a fixed-length benchmark (ServingOptions.requestLengths). */
  requestLengths: RequestLengths;
  concurrency: number;
  quant?: string;
  measuredTtftMs: number;
  measuredTpotMs: number;
  ttftMs?: number;
  tpotMs?: number;
  /** The parts behind ttftMs/tpotMs: one prefill step (ms), one decode step (ms), requests per replica queueing for prefill. */
  prefillStepMs?: number;
  decodeStepMs?: number;
  prefillQueueRequests?: number;
  /** Of ttftMs, the attention-DP balancer's hold (engine/adp-balance.ts; mapping.ts, attentionDpBalanceOf). */
  attentionDpBalanceWaitMs?: number;
  /** Some worker's sizes were read as an EP-multiplied export (mapping.ts, undoEpMultipliedSizes). */
  epMultipliedSizes?: boolean;
}

/** The request lengths a row is priced at (MeasuredRow.lengthSampling, PredictOptions.lengthRangeRatio). */
type MeanLengths = { inputLength: number; outputLength: number };

type Cached<T> = { ok: true; value: T } | { ok: false; reason: string };

export class AccuracyPredictor {
  private readonly models = new Map<string, Cached<ModelSpec>>();
  private readonly devices = new Map<string, Cached<DeviceProfile>>();
  private readonly plans = new Map<string, QuantPlan>();
  private readonly pricers = new Map<string, Cached<StepPricer>>();
  private readonly serving = new Map<string, ServingOptions>();
  private builtins: string[] | undefined;

  constructor(private readonly opts: PredictOptions = {}) {}

  /** The request lengths a row's benchmark sent: the option's, else the row's own (mapping.ts, lengthSamplingOf). */
  private requestLengthsOf(row: MeasuredRow): RequestLengths {
    return this.opts.requestLengths ?? row.lengthSampling.requestLengths;
  }

  /** A row's serving options: its engine's, with the request lengths and attention-DP balancer its benchmark ran (mapping.ts). */
  private servingFor(row: MeasuredRow, spec: ModelSpec, mode: 'agg' | 'prefill' | 'decode'): ServingOptions {
    const engine = servingEngineOf(row.backend);
    const lengths = this.requestLengthsOf(row);
    const balance = mode === 'agg' ? attentionDpBalanceOf(row, spec) : null;
    const key = `${engine}|${lengths}|${balance === null ? '' : `${balance.timeoutIterations}/${balance.batchingWaitIterations}`}`;
    let s = this.serving.get(key);
    if (!s) {
      s = { ...measuredServingOptions(this.opts.maxBatchedTokens, engine, lengths), attentionDpBalance: balance };
      this.serving.set(key, s);
    }
    return s;
  }

  model(modelPath: string): Cached<ModelSpec> {
    const hit = this.models.get(modelPath);
    if (hit) return hit;
    let out: Cached<ModelSpec>;
    try {
      const dir = this.opts.modelConfigDir;
      out = { ok: true, value: resolveModel(modelPath, dir === undefined ? {} : { modelConfigDir: dir }) };
    } catch (e) {
      if (!(e instanceof OptixUserError)) throw e;
      out = { ok: false, reason: /unsupported architecture|missing|not supported/i.test(e.message) ? 'unknown model architecture' : 'unknown model' };
    }
    this.models.set(modelPath, out);
    return out;
  }

  device(system: string): Cached<DeviceProfile> {
    const hit = this.devices.get(system);
    if (hit) return hit;
    this.builtins ??= listDeviceNames();
    const name = mapSystem(system) ?? this.builtins.find((n) => n.toLowerCase() === system.toLowerCase());
    let out: Cached<DeviceProfile>;
    const override = name === undefined ? undefined : this.opts.deviceOverrides?.find((d) => d.name === name);
    if (override) out = { ok: true, value: override };
    else if (name === undefined || !this.builtins.includes(name)) out = { ok: false, reason: 'unknown system' };
    else out = { ok: true, value: loadDevice(name) };
    this.devices.set(system, out);
    return out;
  }

  private plan(q: QuantOptions, device: DeviceProfile): QuantPlan {
    const key = `${device.name}|${q.linear}|${q.attention}|${q.mxfp4GroupSize}`;
    let p = this.plans.get(key);
    if (!p) {
      p = planQuant(q, device);
      this.plans.set(key, p);
    }
    return p;
  }

  /**
   * One worker's point. The first sight of a deployment goes through
   * `estimate` (the engine's own checks of layout and workload); later rows of
   * it reuse the memoizing StepPricer.
   */
  private point(
    spec: ModelSpec,
    device: DeviceProfile,
    worker: MeasuredWorker,
    q: QuantOptions,
    row: MeasuredRow,
    lengths: MeanLengths,
    mode: 'agg' | 'prefill' | 'decode',
  ): Cached<{ point: ServingPoint; pricer: StepPricer }> {
    const layout = mapLayout(this.workerLayout(row, worker, device), spec);
    if (!layout.ok) return layout;
    const par: ParallelConfig = layout.value;
    const { inputLength, outputLength } = lengths;
    const workload = { inputLength, outputLength, prefixCacheHitRate: 0 };
    const serving = this.servingFor(row, spec, mode);
    const key = JSON.stringify([spec.id, device.name, par, q, inputLength, outputLength, serving.servingEngine, serving.requestLengths, serving.attentionDpBalance]);
    const cached = this.pricers.get(key);
    if (cached && !cached.ok) return cached;
    if (!cached) {
      try {
        const r = estimate({ model: spec, device, parallel: par, quant: q, workload, serving, concurrency: worker.concurrency, mode });
        const pricer = new StepPricer({ spec, device, par, quant: this.plan(q, device), workload, serving });
        this.pricers.set(key, { ok: true, value: pricer });
        return { ok: true, value: { point: r.point, pricer } };
      } catch (e) {
        if (!(e instanceof OptixUserError)) throw e;
        const reason = `invalid layout (${e.message.replace(spec.id, 'model')})`;
        this.pricers.set(key, { ok: false, reason });
        return { ok: false, reason };
      }
    }
    return { ok: true, value: { point: evaluate(cached.value, mode, Math.ceil(worker.concurrency / par.dp)), pricer: cached.value } };
  }

  /** The layout a worker ran: the silicon export's sizes, with EP-multiplied ones undone (mapping.ts). */
  private workerLayout(row: MeasuredRow, worker: MeasuredWorker, device: DeviceProfile): DataLayout {
    if (row.format !== 'silicon') return worker.layout;
    return undoEpMultipliedSizes(worker.layout, device.commGrid[0]?.devices ?? 1);
  }

  /**
   * A closed-loop benchmark's mean TTFT and TPOT are those of its mean request:
   * prefill work is near linear in the prompt, and a TPOT is spread over the
   * output. So the engine gets the mean of the lengths the benchmark drew.
   */
  private meanLengths(row: MeasuredRow): MeanLengths {
    const ratio = this.requestLengthsOf(row) === 'fixed' ? 1 : (this.opts.lengthRangeRatio ?? row.lengthSampling.rangeRatio);
    return { inputLength: meanLength(row.isl, ratio), outputLength: meanLength(row.osl, ratio) };
  }

  predict(row: MeasuredRow): RowPrediction {
    const worker = row.agg ?? row.decode;
    const lengths = this.meanLengths(row);
    const out: RowPrediction = {
      id: row.id,
      line: row.line,
      system: row.system,
      backend: row.backend,
      mode: row.mode,
      modelPath: row.modelPath,
      family: 'unknown',
      deployment: row.deployment,
      isl: row.isl,
      osl: row.osl,
      meanIsl: lengths.inputLength,
      meanOsl: lengths.outputLength,
      requestLengths: this.requestLengthsOf(row),
      concurrency: worker?.concurrency ?? NaN,
      measuredTtftMs: row.ttftMs,
      measuredTpotMs: row.tpotMs,
    };
    const fail = (reason: string): RowPrediction => ({ ...out, reason });
    if (row.invalid !== undefined) return fail(row.invalid);
    const device = this.device(row.system);
    const model = this.model(row.modelPath);
    out.family = model.ok ? model.value.architecture : `unresolved ${row.modelPath}`;
    if (!model.ok) return fail(model.reason);
    if (!device.ok) return fail(device.reason);
    out.profile = device.value.name;
    const workers = [row.agg, row.prefill, row.decode].filter((w): w is MeasuredWorker => w !== undefined);
    if (workers.some((w) => this.workerLayout(row, w, device.value) !== w.layout)) out.epMultipliedSizes = true;
    const lq = mapQuant(row.gemmQuantMode, row.precision, model.value);
    if (!lq.ok) return fail(lq.reason);
    const q = defaultQuantOptions({ linear: lq.value.linear, mxfp4GroupSize: lq.value.mxfp4GroupSize, attention: mapKvCache(row.backend, lq.value.linear) });
    out.quant = `${q.linear}${q.linear === 'MXFP4' ? `/g${q.mxfp4GroupSize}` : ''} kv:${q.attention === 'DISABLED' ? 'bf16' : q.attention.toLowerCase()}`;

    let ttftMs: number;
    let tpotMs: number;
    let parts: Pick<RowPrediction, 'prefillStepMs' | 'decodeStepMs' | 'prefillQueueRequests' | 'attentionDpBalanceWaitMs'>;
    if (row.agg) {
      const r = this.point(model.value, device.value, row.agg, q, row, lengths, 'agg');
      if (!r.ok) return fail(r.reason);
      const p = r.value.point;
      if (p.oom) return fail('OOM (engine memory model)');
      ttftMs = p.ttftMs;
      tpotMs = p.tpotMs;
      parts = { prefillStepMs: p.prefillStepMs, decodeStepMs: p.decodeStepMs, prefillQueueRequests: p.batchSize, attentionDpBalanceWaitMs: p.attentionDpBalanceWaitMs };
    } else if (row.prefill && row.decode) {
      const pre = this.point(model.value, device.value, row.prefill, q, row, lengths, 'prefill');
      if (!pre.ok) return fail(pre.reason);
      const dec = this.point(model.value, device.value, row.decode, q, row, lengths, 'decode');
      if (!dec.ok) return fail(dec.reason);
      if (pre.value.point.oom || dec.value.point.oom) return fail('OOM (engine memory model)');
      ttftMs = disaggTtftMs(pre.value.point.ttftMs, pre.value.pricer, dec.value.point.numDevices, dec.value.point.decodeStepMs);
      tpotMs = dec.value.point.tpotMs;
      parts = { prefillStepMs: pre.value.point.prefillStepMs, decodeStepMs: dec.value.point.decodeStepMs, prefillQueueRequests: pre.value.point.batchSize, attentionDpBalanceWaitMs: 0 };
    } else {
      return fail('invalid layout (no worker)');
    }
    return {
      ...out,
      ttftMs,
      tpotMs,
      ...parts,
      ttftApePct: apePct(ttftMs, row.ttftMs),
      tpotApePct: apePct(tpotMs, row.tpotMs),
    };
  }
}

export function predictRows(rows: readonly MeasuredRow[], opts: PredictOptions = {}): RowPrediction[] {
  const p = new AccuracyPredictor(opts);
  return rows.map((r) => p.predict(r));
}
