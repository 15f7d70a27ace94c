/**
 * A parsed case -> the optimizer request it stands for (seed 000's CSV ->
 * Throughput Optimizer mapping), resolving the device profile and the model.
 * Problems that need the model or device (MTP on a model without MTP layers,
 * more devices than the profile's grid) are reported against their column.
 */
import { OptixUserError } from '../errors.js';
import { resolveDevices } from '../catalog/devices.js';
import { resolveModel } from '../catalog/models.js';
import { checkOptimizeRequest, type OptimizeRequest } from '../engine/index.js';
import { defaultQuantOptions, defaultServingOptions, defaultWorkload, GIB } from '../engine/defaults.js';
import { gridCapacity } from '../engine/devices/grid.js';
import type { CellProblem } from './cells.js';
import type { InputColumn } from './columns.js';
import type { CaseSpec } from './parse.js';

export interface ResolvedCase {
  spec: CaseSpec;
  request: OptimizeRequest;
}

export type ResolveOutcome = { ok: true; resolved: ResolvedCase } | { ok: false; problems: CellProblem[] };

/**
 * Seed 000's mapping. Arguments the CSV does not expose keep the seed's fixed
 * values: prefix_cache_hit_rate 0, no images, no PD-ratio, no MoE-DP search.
 */
export function toOptimizeRequest(spec: CaseSpec, model: OptimizeRequest['model'], device: OptimizeRequest['devices'][number]): OptimizeRequest {
  const req: OptimizeRequest = {
    model,
    devices: [device],
    numDevices: spec.numDevices,
    quant: defaultQuantOptions({ linear: spec.quantizeLinearAction, attention: spec.quantizeAttentionAction, mxfp4GroupSize: spec.mxfp4GroupSize }),
    workload: defaultWorkload(spec.inputLength, spec.outputLength, 0),
    serving: defaultServingOptions({
      maxBatchedTokens: spec.maxPrefillTokens,
      reservedMemoryBytes: spec.reservedMemoryGb * GIB,
      // Allowing graph breaks implies compiling, as with the optimizer's flags.
      compile: spec.compile || spec.compileAllowGraphBreak,
      compileAllowGraphBreak: spec.compileAllowGraphBreak,
      numMtpTokens: spec.numMtpTokens,
      mtpAcceptanceRates: spec.mtpAcceptanceRates,
      visionTokens: 0,
    }),
    limits: { tpotMs: spec.tpotLimitMs, ...(spec.ttftLimitMs === undefined ? {} : { ttftMs: spec.ttftLimitMs }) },
    mode: spec.mode,
    search: { ...(spec.tpSizes === undefined ? {} : { tpSizes: spec.tpSizes }), ...(spec.epSizes === undefined ? {} : { epSizes: spec.epSizes }) },
    servingCost: spec.servingCost,
    // The CSV keeps one row per case: only the best point is needed.
    topK: 1,
  };
  if (spec.batchRange) req.batchRange = spec.batchRange;
  return req;
}

function asProblem(line: number, column: InputColumn | undefined, e: unknown): CellProblem {
  if (!(e instanceof OptixUserError)) throw e;
  return { line, ...(column === undefined ? {} : { column }), message: e.message, ...(e.hint === undefined ? {} : { hint: e.hint }) };
}

/** The device profile and the model a row names, each checked on its own (empty names are skipped). */
export function resolveNames(
  deviceName: string,
  modelId: string,
  line: number,
): { device?: OptimizeRequest['devices'][number]; model?: OptimizeRequest['model']; problems: CellProblem[] } {
  const out: ReturnType<typeof resolveNames> = { problems: [] };
  if (deviceName !== '') {
    try {
      out.device = resolveDevices([deviceName])[0]!;
    } catch (e) {
      out.problems.push(asProblem(line, 'device', e));
    }
  }
  if (modelId !== '') {
    try {
      out.model = resolveModel(modelId);
    } catch (e) {
      out.problems.push(asProblem(line, 'model_id', e));
    }
  }
  return out;
}

export function resolveCase(spec: CaseSpec, line: number): ResolveOutcome {
  const { device, model, problems } = resolveNames(spec.device, spec.modelId, line);
  if (device && spec.numDevices > gridCapacity(device)) {
    problems.push({ line, column: 'num_devices', message: `${spec.numDevices} devices exceed the communication grid of ${device.name} (${gridCapacity(device)} devices)`, hint: 'use fewer devices or another device profile' });
  }
  for (const [column, values] of [
    ['tp_sizes', spec.tpSizes],
    ['ep_sizes', spec.epSizes],
  ] as const) {
    const over = (values ?? []).filter((v) => v > spec.numDevices);
    if (over.length > 0) {
      problems.push({ line, column, message: `${over.join(', ')} exceed${over.length === 1 ? 's' : ''} num_devices ${spec.numDevices}`, hint: `use sizes <= ${spec.numDevices}` });
    }
  }
  if (model && spec.numMtpTokens > 0) {
    if (model.numMtpLayers <= 0) {
      problems.push({ line, column: 'num_mtp_tokens', message: `${model.id} has no MTP layers`, hint: 'set num_mtp_tokens to 0, or use a model with MTP layers such as deepseek-ai/DeepSeek-V3' });
    } else if (spec.numMtpTokens > spec.mtpAcceptanceRates.length + 1) {
      problems.push({
        line,
        column: 'mtp_acceptance_rate',
        message: `${spec.numMtpTokens} MTP tokens need at least ${spec.numMtpTokens - 1} acceptance rates, got ${spec.mtpAcceptanceRates.length}`,
        hint: 'give one rate per draft token, separated by ;',
      });
    }
  }
  if (problems.length > 0 || !device || !model) return { ok: false, problems };
  const request = toOptimizeRequest(spec, model, device);
  try {
    checkOptimizeRequest(request);
  } catch (e) {
    return { ok: false, problems: [asProblem(line, undefined, e)] };
  }
  return { ok: true, resolved: { spec, request } };
}
