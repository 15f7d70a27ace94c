/**
 * The engine's entry points. Pure and synchronous: values in, values out.
 */
import { OptixUserError } from '../errors.js';
import type {
  DeviceOptimizeResult,
  EstimateRequest,
  EstimateResult,
  OptimizeRequest,
  OptimizeResult,
  PdRatioResult,
  PhaseResult,
} from './api.js';
import { gridCapacity } from './devices/grid.js';
import { planQuant } from './quant.js';
import { searchPhase } from './search.js';
import { StepPricer, acceptedTokensPerStep, effectiveInputLength, evaluate, numDevices, wholePromptsStep } from './serving.js';
import { hasVisionEncoder } from './ops/vision.js';
import type { DeviceProfile, ModelSpec, ParallelConfig, ServingOptions, Workload } from './types.js';

export * from './api.js';
export * from './types.js';
export { defaultQuantOptions, defaultServingOptions, defaultWorkload, makeParallel, GIB } from './defaults.js';

function visionWarnings(spec: ModelSpec, s: ServingOptions): string[] {
  return s.visionTokens > 0 && !hasVisionEncoder(spec.vision)
    ? [`${s.visionTokens} image tokens added to every prompt; the vision encoder's own compute is not modeled (its vision_config lacks num_heads / intermediate_size)`]
    : [];
}

function checkWorkload(w: Workload): void {
  if (!Number.isInteger(w.inputLength) || w.inputLength <= 0) throw new OptixUserError(`input length must be a positive integer, got ${w.inputLength}`);
  if (!Number.isInteger(w.outputLength) || w.outputLength <= 0) throw new OptixUserError(`output length must be a positive integer, got ${w.outputLength}`);
  if (!(w.prefixCacheHitRate >= 0 && w.prefixCacheHitRate < 1)) {
    throw new OptixUserError(`prefix cache hit rate must be in [0, 1), got ${w.prefixCacheHitRate}`);
  }
}

function checkServing(spec: ModelSpec, s: ServingOptions): void {
  if (!Number.isInteger(s.maxBatchedTokens) || s.maxBatchedTokens <= 0) {
    throw new OptixUserError(`max batched tokens must be a positive integer, got ${s.maxBatchedTokens}`);
  }
  if (s.reservedMemoryBytes < 0) throw new OptixUserError('reserved memory must be >= 0');
  if (s.numMtpTokens > 0) {
    if (spec.numMtpLayers <= 0) {
      throw new OptixUserError(`${spec.id} has no MTP layers (its config sets none of num_nextn_predict_layers, mtp_num_hidden_layers, num_mtp_modules); --num-mtp-tokens needs a model with MTP`, {
        hint: 'set --num-mtp-tokens 0',
      });
    }
    if (s.numMtpTokens > s.mtpAcceptanceRates.length + 1) {
      throw new OptixUserError(
        `--num-mtp-tokens ${s.numMtpTokens} needs at least ${s.numMtpTokens - 1} acceptance rates, got ${s.mtpAcceptanceRates.length}`,
        { hint: 'give one --mtp-acceptance-rate per draft token' },
      );
    }
  }
  for (const r of s.mtpAcceptanceRates) {
    if (!(r >= 0 && r <= 1)) throw new OptixUserError(`MTP acceptance rates must be in [0, 1], got ${r}`);
  }
}

/** Checks a fixed layout; returns warnings for layouts engines run padded. */
function checkLayout(spec: ModelSpec, device: DeviceProfile, par: ParallelConfig): string[] {
  const warnings: string[] = [];
  for (const [k, v] of Object.entries(par)) {
    if (!Number.isInteger(v) || v <= 0) throw new OptixUserError(`parallel size ${k} must be a positive integer, got ${v}`);
  }
  const heads = spec.attention.numHeads;
  if (par.tp > heads) throw new OptixUserError(`tp ${par.tp} exceeds the ${heads} attention heads of ${spec.id}`);
  if (heads % par.tp !== 0) {
    warnings.push(`tp ${par.tp} does not divide the ${heads} attention heads of ${spec.id}: modeled padded, ${Math.ceil(heads / par.tp)} heads per rank`);
  }
  if (spec.attention.kind === 'gqa') {
    const kv = spec.attention.numKvHeads;
    if (kv % par.tp !== 0 && par.tp % kv !== 0) {
      warnings.push(`tp ${par.tp} and the ${kv} KV heads of ${spec.id} do not divide each other: modeled with ${Math.ceil(kv / par.tp)} KV heads per rank`);
    }
  }
  if (spec.moe) {
    if (spec.moe.numExperts % par.ep !== 0) throw new OptixUserError(`ep ${par.ep} does not divide the ${spec.moe.numExperts} experts of ${spec.id}`);
    if (par.ep * par.moeTp * par.moeDp !== par.tp * par.dp) {
      throw new OptixUserError(`ep x moe-tp x moe-dp (${par.ep} x ${par.moeTp} x ${par.moeDp}) must equal tp x dp (${par.tp} x ${par.dp})`);
    }
  }
  const n = numDevices(par);
  if (n > gridCapacity(device)) {
    throw new OptixUserError(`${n} devices exceed the communication grid of ${device.name} (${gridCapacity(device)} devices)`);
  }
  return warnings;
}

/** One fixed deployment at one concurrency. */
export function estimate(req: EstimateRequest): EstimateResult {
  checkWorkload(req.workload);
  checkServing(req.model, req.serving);
  const layoutWarnings = checkLayout(req.model, req.device, req.parallel);
  if (!Number.isInteger(req.concurrency) || req.concurrency <= 0) {
    throw new OptixUserError(`concurrency must be a positive integer, got ${req.concurrency}`);
  }
  const quant = planQuant(req.quant, req.device);
  const pricer = new StepPricer({ spec: req.model, device: req.device, par: req.parallel, quant, workload: req.workload, serving: req.serving });
  const batch = Math.ceil(req.concurrency / req.parallel.dp);
  const mode = req.mode ?? 'agg';
  const point = evaluate(pricer, mode, batch);
  // Detail tables: one representative prefill step and one decode step of this point.
  const { effective, cached } = effectiveInputLength(req.workload, req.serving);
  const pbs = Math.max(1, Math.min(batch, Math.floor(req.serving.maxBatchedTokens / effective)));
  const chunk = Math.min(effective, req.serving.maxBatchedTokens);
  // A whole prompt in one step carries its image's encoding; a chunk of a longer one does not.
  const prefillStep = chunk === effective ? wholePromptsStep(pricer, pbs, true) : pricer.step({ prefill: { sequences: pbs, newTokens: chunk, priorContext: cached } }, true);
  const decodeStep = pricer.step(
    {
      decode: {
        sequences: Math.max(1, Math.ceil(batch / req.parallel.pp)),
        context: req.workload.inputLength + req.serving.visionTokens + Math.ceil(req.workload.outputLength / 2),
        tokensPerSeq: 1 + req.serving.numMtpTokens,
      },
    },
    true,
  );
  const warnings = [...quant.warnings, ...layoutWarnings, ...visionWarnings(req.model, req.serving)];
  if (point.oom) {
    warnings.push(
      `out of memory: ${batch} sequences per replica need ${(point.memory.totalBytes / 1e9).toFixed(1)} GB per device, ` +
        `${req.device.name} has ${(point.memory.capacityBytes / 1e9).toFixed(1)} GB (at most ${point.memory.maxSequencesPerReplica} sequences fit)`,
    );
  }
  return { point, prefillStep, decodeStep, warnings };
}

function phase(
  req: OptimizeRequest,
  device: DeviceProfile,
  mode: 'agg' | 'prefill' | 'decode',
  worldSize: number,
  collectSweep: boolean,
): PhaseResult {
  const quant = planQuant(req.quant, device);
  const input = {
    spec: req.model,
    device,
    quant,
    workload: req.workload,
    serving: req.serving,
    limits: req.limits,
    phase: mode,
    worldSize,
    space: req.search,
    topK: req.topK ?? 10,
    collectSweep,
  };
  return searchPhase(req.batchRange ? { ...input, batchRange: req.batchRange } : input);
}

/**
 * Seed 002 PD-ratio: P QPS and D QPS of the best prefill and decode instances,
 * PD ratio = D QPS / P QPS, and with a device budget the P:D instance split
 * that maximizes system QPS = min(p x P QPS, d x D QPS) within the budget.
 */
export function pdRatio(prefill: PhaseResult, decode: PhaseResult, budget: number | undefined, pDevices: number, dDevices: number): PdRatioResult {
  const p = prefill.best ?? prefill.closest;
  const d = decode.best ?? decode.closest;
  const prefillQps = p?.qps ?? 0;
  const decodeQps = d?.qps ?? 0;
  const result: PdRatioResult = { prefill, decode, prefillQps, decodeQps, pdRatio: prefillQps > 0 ? decodeQps / prefillQps : 0 };
  if (budget !== undefined && budget >= pDevices + dDevices && prefillQps > 0 && decodeQps > 0) {
    let bestSplit: PdRatioResult['split'];
    for (let pi = 1; pi * pDevices + dDevices <= budget; pi++) {
      const di = Math.floor((budget - pi * pDevices) / dDevices);
      const systemQps = Math.min(pi * prefillQps, di * decodeQps);
      const devicesUsed = pi * pDevices + di * dDevices;
      if (!bestSplit || systemQps > bestSplit.systemQps + 1e-9 || (Math.abs(systemQps - bestSplit.systemQps) <= 1e-9 && devicesUsed < bestSplit.devicesUsed)) {
        bestSplit = { prefillInstances: pi, decodeInstances: di, systemQps, devicesUsed };
      }
    }
    if (bestSplit) result.split = bestSplit;
  }
  return result;
}

export interface OptimizeOptions {
  /** Evaluate the batch sweep of every layout (plots, --dump-original-results). */
  collectSweep?: boolean;
}

export function optimizeDevice(req: OptimizeRequest, device: DeviceProfile, opts: OptimizeOptions = {}): DeviceOptimizeResult {
  const collectSweep = opts.collectSweep ?? false;
  const out: DeviceOptimizeResult = { device: device.name, warnings: [...planQuant(req.quant, device).warnings, ...visionWarnings(req.model, req.serving)] };
  if (req.mode === 'pd-ratio') {
    if (!req.pdRatio) throw new OptixUserError('PD-ratio mode needs --prefill-devices-per-instance and --decode-devices-per-instance');
    const { prefillDevicesPerInstance: pDev, decodeDevicesPerInstance: dDev } = req.pdRatio;
    for (const n of [pDev, dDev]) {
      if (n > gridCapacity(device)) throw new OptixUserError(`${n} devices per instance exceed the communication grid of ${device.name} (${gridCapacity(device)})`);
    }
    const pre = phase(req, device, 'prefill', pDev, collectSweep);
    const dec = phase(req, device, 'decode', dDev, collectSweep);
    out.pdRatio = pdRatio(pre, dec, req.numDevices > 0 ? req.numDevices : undefined, pDev, dDev);
    return out;
  }
  if (req.numDevices > gridCapacity(device)) {
    throw new OptixUserError(`--num-devices ${req.numDevices} exceeds the communication grid of ${device.name} (${gridCapacity(device)} devices)`, {
      hint: 'use fewer devices or a profile with a larger grid',
    });
  }
  if (req.mode === 'disagg') {
    if (req.limits.ttftMs === undefined && req.limits.tpotMs === undefined) {
      throw new OptixUserError('disaggregation mode needs --ttft-limits (prefill), --tpot-limits (decode), or both');
    }
    if (req.limits.ttftMs !== undefined) out.prefill = phase(req, device, 'prefill', req.numDevices, collectSweep);
    if (req.limits.tpotMs !== undefined) out.decode = phase(req, device, 'decode', req.numDevices, collectSweep);
    return out;
  }
  out.agg = phase(req, device, 'agg', req.numDevices, collectSweep);
  return out;
}

export function checkOptimizeRequest(req: OptimizeRequest): void {
  checkWorkload(req.workload);
  checkServing(req.model, req.serving);
  if (!Number.isInteger(req.numDevices) || req.numDevices < (req.mode === 'pd-ratio' ? 0 : 1)) {
    throw new OptixUserError(`--num-devices must be a positive integer, got ${req.numDevices}`);
  }
  for (const [name, v] of [
    ['--ttft-limits', req.limits.ttftMs],
    ['--tpot-limits', req.limits.tpotMs],
  ] as const) {
    if (v !== undefined && !(v > 0)) throw new OptixUserError(`${name} must be a positive number of ms, got ${v}`);
  }
  if (req.batchRange) {
    const [lo, hi] = req.batchRange;
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 1 || hi < lo) {
      throw new OptixUserError(`--batch-range must be [max] or [min max] with 1 <= min <= max, got [${req.batchRange.join(', ')}]`);
    }
  }
  if (req.devices.length === 0) throw new OptixUserError('at least one device profile is needed');
}

/** Seed 002's optimizer over one or more device profiles (each searched independently). */
export function optimize(req: OptimizeRequest, opts: OptimizeOptions = {}): OptimizeResult {
  checkOptimizeRequest(req);
  const { model, devices, ...rest } = req;
  return {
    request: { ...rest, model: model.id, devices: devices.map((d) => d.name) },
    perDevice: devices.map((d) => optimizeDevice(req, d, opts)),
  };
}

export { acceptedTokensPerStep };
