/**
 * The engine's request/result shapes: what front doors (CLI, harness, CSV
 * runner) hand to `estimate` / `optimize` in `src/engine/index.ts`.
 */
import type {
  DeviceProfile,
  ModelSpec,
  ParallelConfig,
  QuantOptions,
  ServingOptions,
  ServingPoint,
  StepLatency,
  Workload,
} from './types.js';

export type ServingMode = 'agg' | 'prefill' | 'decode';

export interface EstimateRequest {
  model: ModelSpec;
  device: DeviceProfile;
  parallel: ParallelConfig;
  quant: QuantOptions;
  workload: Workload;
  serving: ServingOptions;
  /** Requests in flight on the instance (split evenly over DP replicas). */
  concurrency: number;
  /** 'agg' (default): both phases on one instance; 'prefill'/'decode': one disaggregated phase. */
  mode?: ServingMode;
}

export interface EstimateResult {
  point: ServingPoint;
  prefillStep: StepLatency;
  decodeStep: StepLatency;
  /** Fallbacks taken (a dtype the device lacks, ...), stated in every front door's output. */
  warnings: string[];
}

export interface SloLimits {
  ttftMs?: number;
  tpotMs?: number;
}

/** `undefined`: dimension not searched (fixed default); `[]`: powers of two up to the world size. */
export interface SearchSpace {
  tpSizes?: number[];
  epSizes?: number[];
  moeDpSizes?: number[];
}

export type OptimizeMode = 'agg' | 'disagg' | 'pd-ratio';

export interface OptimizeRequest {
  model: ModelSpec;
  devices: DeviceProfile[];
  /** Total devices (agg/disagg: one instance of this size; pd-ratio: the budget, optional). */
  numDevices: number;
  quant: QuantOptions;
  workload: Workload;
  serving: ServingOptions;
  limits: SloLimits;
  mode: OptimizeMode;
  search: SearchSpace;
  /** [min, max] sequences per DP replica. */
  batchRange?: [number, number];
  pdRatio?: { prefillDevicesPerInstance: number; decodeDevicesPerInstance: number };
  topK?: number;
  /** Cost of one device-hour, in the user's currency; 0 = not reported. */
  servingCost?: number;
}

export interface PhaseResult {
  phase: ServingMode;
  /** Best point under the limits, if any config meets them. */
  best?: ServingPoint;
  /** Best point per parallel config under the limits, ranked by throughput. */
  top: ServingPoint[];
  /** When nothing meets the limits: the attempt closest to them. */
  closest?: ServingPoint;
  /** Every evaluated non-OOM point (for plots and --dump-original-results). */
  sweep: ServingPoint[];
  /** Parallel configs not evaluated, counted by reason. */
  skipped: Record<string, number>;
}

export interface PdRatioResult {
  prefill: PhaseResult;
  decode: PhaseResult;
  prefillQps: number;
  decodeQps: number;
  /** D QPS / P QPS (seed 002). */
  pdRatio: number;
  /** Instance split within --num-devices, when given. */
  split?: { prefillInstances: number; decodeInstances: number; systemQps: number; devicesUsed: number };
}

export interface DeviceOptimizeResult {
  device: string;
  agg?: PhaseResult;
  prefill?: PhaseResult;
  decode?: PhaseResult;
  pdRatio?: PdRatioResult;
  warnings: string[];
  /** Engine time spent on this device's search, filled by front doors that time it. */
  elapsedMs?: number;
}

export interface OptimizeResult {
  request: Omit<OptimizeRequest, 'model' | 'devices'> & { model: string; devices: string[] };
  perDevice: DeviceOptimizeResult[];
}
