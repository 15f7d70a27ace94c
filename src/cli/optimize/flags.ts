/**
 * `optix optimize` flags (seed 002's parameter list) -> one checked
 * OptimizeRequest plus the front door's own settings (logging, jobs, dump).
 * Checks that need only the flags live here; checks that need the model or a
 * device profile (MTP support, tp above the device count, grid size) are the
 * engine's and arrive as OptixUserError from `optimize`.
 */
import type { Command } from 'commander';
import { OptixUserError } from '../../errors.js';
import type { OptimizeMode, OptimizeRequest, SearchSpace, SloLimits } from '../../engine/api.js';
import type { DeviceProfile, ModelSpec } from '../../engine/types.js';
import { quantFromFlags, type EngineFlags } from '../options.js';
import { servingFor } from '../resolve.js';
import type { LogLevel } from './log.js';

export interface OptimizeFlags extends EngineFlags {
  device: string[];
  numDevices?: number;
  inputLength: number;
  outputLength: number;
  /** `true` when the flag is given with no values (commander's preset). */
  tpSizes?: number[] | true;
  epSizes?: number[] | true;
  moeDpSizes?: number[] | true;
  ttftLimits?: number;
  tpotLimits?: number;
  batchRange?: number[];
  servingCost: number;
  disagg: boolean;
  jobs: number;
  logLevel: LogLevel;
  dumpOriginalResults?: string | true;
  enableOptimizePrefillDecodeRatio: boolean;
  prefillDevicesPerInstance?: number;
  decodeDevicesPerInstance?: number;
  maxPrefillTokens?: number;
  topK: number;
  /** Hidden: use worker threads even when the first device says they would not pay off (tests). */
  forceWorkers: boolean;
}

/** File written by a bare `--dump-original-results` (the seed's flag takes no value). */
export const DEFAULT_DUMP_PATH = 'optix_original_results.csv';

export interface FrontDoorSettings {
  logLevel: LogLevel;
  jobs: number;
  forceWorkers: boolean;
  json: boolean;
  dumpPath?: string;
  /** The user gave --num-devices (PD-ratio mode only computes an instance split then). */
  numDevicesGiven: boolean;
}

function searchList(v: number[] | true | undefined): number[] | undefined {
  if (v === undefined) return undefined;
  return v === true ? [] : v;
}

export function modeFromFlags(f: OptimizeFlags): OptimizeMode {
  if (f.enableOptimizePrefillDecodeRatio && f.disagg) {
    throw new OptixUserError('--enable-optimize-prefill-decode-ratio cannot be used together with --disagg', {
      hint: 'drop one of them',
    });
  }
  if (f.enableOptimizePrefillDecodeRatio) {
    const missing = [
      f.prefillDevicesPerInstance === undefined ? '--prefill-devices-per-instance' : undefined,
      f.decodeDevicesPerInstance === undefined ? '--decode-devices-per-instance' : undefined,
    ].filter((x): x is string => x !== undefined);
    if (missing.length > 0) {
      throw new OptixUserError(`PD ratio optimization needs ${missing.join(' and ')}`, {
        hint: 'give both --prefill-devices-per-instance and --decode-devices-per-instance',
      });
    }
    return 'pd-ratio';
  }
  for (const flag of ['prefillDevicesPerInstance', 'decodeDevicesPerInstance'] as const) {
    if (f[flag] !== undefined) {
      const name = flag === 'prefillDevicesPerInstance' ? '--prefill-devices-per-instance' : '--decode-devices-per-instance';
      throw new OptixUserError(`${name} only applies with --enable-optimize-prefill-decode-ratio`);
    }
  }
  if (f.disagg) {
    if (f.ttftLimits === undefined && f.tpotLimits === undefined) {
      throw new OptixUserError('--disagg needs --ttft-limits (prefill), --tpot-limits (decode), or both');
    }
    return 'disagg';
  }
  return 'agg';
}

/** Seed 002: `--batch-range [max]` or `[min max]`; min defaults to 1. */
export function batchRangeFromFlags(v: number[] | undefined): [number, number] | undefined {
  if (v === undefined) return undefined;
  if (v.length === 1) return [1, v[0]!];
  if (v.length === 2) return [v[0]!, v[1]!];
  throw new OptixUserError(`--batch-range takes [max] or [min max], got ${v.length} values`);
}

function positiveInt(flag: string, v: number | undefined): void {
  if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new OptixUserError(`${flag} must be a positive integer, got ${v}`);
}

/**
 * Commander fills --max-batched-tokens with its default; --max-prefill-tokens
 * (the name seeds 000/003 use) wins unless the two were both typed and disagree.
 */
function maxBatchedTokens(f: OptimizeFlags, cmd: Command | undefined): number {
  if (f.maxPrefillTokens === undefined) return f.maxBatchedTokens;
  const typed = cmd?.getOptionValueSource('maxBatchedTokens') === 'cli';
  if (typed && f.maxBatchedTokens !== f.maxPrefillTokens) {
    throw new OptixUserError(`--max-prefill-tokens ${f.maxPrefillTokens} and --max-batched-tokens ${f.maxBatchedTokens} disagree`, {
      hint: 'they name the same budget; give one',
    });
  }
  return f.maxPrefillTokens;
}

export function settingsFromFlags(f: OptimizeFlags): FrontDoorSettings {
  positiveInt('--jobs', f.jobs);
  const s: FrontDoorSettings = {
    logLevel: f.logLevel,
    jobs: f.jobs,
    forceWorkers: f.forceWorkers,
    json: f.json,
    numDevicesGiven: f.numDevices !== undefined,
  };
  if (f.dumpOriginalResults !== undefined) s.dumpPath = f.dumpOriginalResults === true ? DEFAULT_DUMP_PATH : f.dumpOriginalResults;
  return s;
}

export function requestFromFlags(
  model: ModelSpec,
  devices: DeviceProfile[],
  f: OptimizeFlags,
  cmd?: Command,
): OptimizeRequest {
  const mode = modeFromFlags(f);
  positiveInt('--num-devices', f.numDevices);
  positiveInt('--top-k', f.topK);
  positiveInt('--prefill-devices-per-instance', f.prefillDevicesPerInstance);
  positiveInt('--decode-devices-per-instance', f.decodeDevicesPerInstance);
  if (!(f.servingCost >= 0)) throw new OptixUserError(`--serving-cost must be >= 0, got ${f.servingCost}`);
  const limits: SloLimits = {};
  if (f.ttftLimits !== undefined) limits.ttftMs = f.ttftLimits;
  if (f.tpotLimits !== undefined) limits.tpotMs = f.tpotLimits;
  const search: SearchSpace = {};
  const tp = searchList(f.tpSizes);
  const ep = searchList(f.epSizes);
  const moeDp = searchList(f.moeDpSizes);
  if (tp !== undefined) search.tpSizes = tp;
  if (ep !== undefined) search.epSizes = ep;
  if (moeDp !== undefined) search.moeDpSizes = moeDp;
  const serving = { ...servingFor(model, f), maxBatchedTokens: maxBatchedTokens(f, cmd) };
  const req: OptimizeRequest = {
    model,
    devices,
    // Seed 002's default is 1; in PD-ratio mode the count is an optional budget (0 = none).
    numDevices: f.numDevices ?? (mode === 'pd-ratio' ? 0 : 1),
    quant: quantFromFlags(f),
    workload: { inputLength: f.inputLength, outputLength: f.outputLength, prefixCacheHitRate: f.prefixCacheHitRate },
    serving,
    limits,
    mode,
    search,
    topK: f.topK,
    servingCost: f.servingCost,
  };
  const range = batchRangeFromFlags(f.batchRange);
  if (range) req.batchRange = range;
  if (mode === 'pd-ratio') {
    req.pdRatio = { prefillDevicesPerInstance: f.prefillDevicesPerInstance!, decodeDevicesPerInstance: f.decodeDevicesPerInstance! };
  }
  return req;
}
