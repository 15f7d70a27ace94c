/**
 * The sweep of seed 004 on the engine: for each (batch size, sequence length)
 * point, the latency of one prefill forward pass (bsz sequences of seq new
 * tokens) and of one decode step (bsz sequences at context seq), with model
 * FLOP/byte utilisation, the Cube/Vec/Mem/Comm split and per-device memory.
 * Pure: values in, values out (the command does the I/O).
 *
 * The batch is the whole deployment's: with attention DP each replica runs
 * ceil(bsz / dp) sequences (as SGLang's DP scheduler spreads requests), and the
 * step takes as long as the fullest replica.
 */
import { OptixUserError } from '../errors.js';
import { GIB, defaultServingOptions } from '../engine/defaults.js';
import { gridCapacity } from '../engine/devices/grid.js';
import { kvBytesForContext, memoryAt, memoryModel } from '../engine/memory.js';
import { buildStepOps } from '../engine/ops/step.js';
import type { StepShape } from '../engine/ops/types.js';
import { priceStep, type PricingOptions } from '../engine/perf.js';
import { planQuant, type QuantPlan } from '../engine/quant.js';
import type { Bucket, BucketShares, DeviceProfile, MemoryBreakdown, ModelSpec, ParallelConfig, QuantOptions, StepLatency } from '../engine/types.js';
import { deployDevices, type Deploy } from './deploy.js';
import type { GridPoint } from './grid.js';
import { mbu, mfu, peakFor } from './metrics.js';
import { modelBytes, modelFlops, type ByteCount, type FlopCount } from './model-cost.js';

export type Phase = 'prefill' | 'decode';
export type Profile = Phase | 'both';

export interface SweepSetup {
  spec: ModelSpec;
  device: DeviceProfile;
  deploy: Deploy;
  par: ParallelConfig;
  quant: QuantOptions;
  pricing: PricingOptions;
  reservedMemoryBytes: number;
}

/** What every point of a sweep shares, computed once. */
export interface PreparedSweep extends SweepSetup {
  plan: QuantPlan;
  devices: number;
  peakFlopsPerS: number;
}

/** The engine's memory breakdown at one point, without the per-token and capacity figures. */
export type PointMemory = Omit<MemoryBreakdown, 'kvBytesPerToken' | 'maxSequencesPerReplica'>;

export interface PhasePoint {
  phase: Phase;
  batchSize: number;
  seqLen: number;
  sequencesPerReplica: number;
  latencyMs: number;
  /** Prefill: prompt tokens/s; decode: generated tokens/s (whole deployment). */
  tokensPerS: number;
  modelFlops: FlopCount;
  modelBytes: ByteCount;
  mfu: number;
  mbu: number;
  /** Share of the step's time per bucket (sums to 1). */
  shares: BucketShares;
  memory: PointMemory;
  /** The engine's priced step of one device (per-op table when kept). */
  step: StepLatency;
}

export function prepareSweep(s: SweepSetup): PreparedSweep {
  const devices = deployDevices(s.deploy);
  const cap = gridCapacity(s.device);
  if (devices > cap) {
    throw new OptixUserError(`--deploy '${s.deploy.name}' needs ${devices} devices; the communication grid of ${s.device.name} has ${cap}`);
  }
  if (s.reservedMemoryBytes < 0) throw new OptixUserError('reserved memory must be >= 0');
  const plan = planQuant(s.quant, s.device);
  return { ...s, plan, devices, peakFlopsPerS: peakFor(s.device, plan.gemmDtype) };
}

/** The step of the whole deployment (for model FLOPs) and of its fullest replica (for the engine). */
export function phaseShapes(phase: Phase, batchSize: number, seqLen: number, dp: number): { global: StepShape; replica: StepShape; perReplica: number } {
  const perReplica = Math.ceil(batchSize / dp);
  if (phase === 'prefill') {
    return {
      global: { prefill: { sequences: batchSize, newTokens: seqLen, priorContext: 0 } },
      replica: { prefill: { sequences: perReplica, newTokens: seqLen, priorContext: 0 } },
      perReplica,
    };
  }
  return {
    global: { decode: { sequences: batchSize, context: seqLen, tokensPerSeq: 1 } },
    replica: { decode: { sequences: perReplica, context: seqLen, tokensPerSeq: 1 } },
    perReplica,
  };
}

function pointMemory(p: PreparedSweep, phase: Phase, perReplica: number, seqLen: number): PointMemory {
  // Workspace sized for this step's tokens (seed 004 runs with chunked prefill off).
  const stepTokens = phase === 'prefill' ? perReplica * seqLen : perReplica;
  const serving = defaultServingOptions({ maxBatchedTokens: stepTokens, reservedMemoryBytes: p.reservedMemoryBytes });
  // A decode step appends one token to a context of seqLen.
  const context = phase === 'prefill' ? seqLen : seqLen + 1;
  const model = memoryModel(p.spec, p.par, p.plan, serving, p.device.memoryBytes, context);
  const { kvBytesPerToken: _perToken, maxSequencesPerReplica: _fit, ...memory } = memoryAt(model, perReplica, kvBytesForContext(p.spec, p.par, p.plan, 1, false));
  return memory;
}

/** Engine latency of one step at one point; `keepOps` keeps the per-op table. */
export function predictStep(p: PreparedSweep, phase: Phase, batchSize: number, seqLen: number, keepOps = false): StepLatency {
  const { replica } = phaseShapes(phase, batchSize, seqLen, p.par.dp);
  return priceStep(buildStepOps(p.spec, p.par, p.plan, replica), p.device, p.pricing, keepOps);
}

function checkPoint(batchSize: number, seqLen: number): void {
  if (!Number.isInteger(batchSize) || batchSize <= 0) throw new OptixUserError(`batch size must be a positive integer, got ${batchSize}`);
  if (!Number.isInteger(seqLen) || seqLen <= 0) throw new OptixUserError(`sequence length must be a positive integer, got ${seqLen}`);
}

/** Model FLOPs/bytes and utilisation of one phase at one point, for a given latency. */
export function utilisation(p: PreparedSweep, phase: Phase, batchSize: number, seqLen: number, timeS: number): { modelFlops: FlopCount; modelBytes: ByteCount; mfu: number; mbu: number; tokensPerS: number } {
  checkPoint(batchSize, seqLen);
  const { global } = phaseShapes(phase, batchSize, seqLen, p.par.dp);
  const flops = modelFlops(p.spec, global);
  const bytes = modelBytes(p.spec, global, p.plan);
  const tokens = phase === 'prefill' ? batchSize * seqLen : batchSize;
  return {
    modelFlops: flops,
    modelBytes: bytes,
    mfu: mfu(flops.total, timeS, p.peakFlopsPerS, p.devices),
    mbu: mbu(bytes.total, timeS, p.device.hbmBandwidthBytesPerS, p.devices),
    tokensPerS: tokens / timeS,
  };
}

export function evaluatePoint(p: PreparedSweep, phase: Phase, batchSize: number, seqLen: number, keepOps = false): PhasePoint {
  checkPoint(batchSize, seqLen);
  const step = predictStep(p, phase, batchSize, seqLen, keepOps);
  const perReplica = Math.ceil(batchSize / p.par.dp);
  const u = utilisation(p, phase, batchSize, seqLen, step.timeS);
  const shares = {} as BucketShares;
  for (const k of Object.keys(step.bucketS) as Bucket[]) shares[k] = step.timeS > 0 ? step.bucketS[k] / step.timeS : 0;
  return {
    phase,
    batchSize,
    seqLen,
    sequencesPerReplica: perReplica,
    latencyMs: step.timeS * 1000,
    tokensPerS: u.tokensPerS,
    modelFlops: u.modelFlops,
    modelBytes: u.modelBytes,
    mfu: u.mfu,
    mbu: u.mbu,
    shares,
    memory: pointMemory(p, phase, perReplica, seqLen),
    step,
  };
}

export function phasesOf(profile: Profile): Phase[] {
  return profile === 'both' ? ['prefill', 'decode'] : [profile];
}

export interface SweepResult {
  points: PhasePoint[];
  warnings: string[];
}

/** Every grid point in file order, prefill before decode at each. */
export function runSweep(p: PreparedSweep, points: GridPoint[], profile: Profile, keepOps = false): SweepResult {
  const out: PhasePoint[] = [];
  for (const pt of points) for (const phase of phasesOf(profile)) out.push(evaluatePoint(p, phase, pt.batchSize, pt.seqLen, keepOps));
  const warnings = [...p.plan.warnings];
  const oom = out.filter((x) => x.memory.oom);
  if (oom.length > 0) {
    warnings.push(
      `${oom.length} of ${out.length} points do not fit in ${(p.device.memoryBytes / GIB).toFixed(0)} GiB per device (marked OOM): ` +
        oom.slice(0, 4).map((x) => `${x.phase} bsz ${x.batchSize} seq ${x.seqLen}`).join(', ') + (oom.length > 4 ? ', ...' : ''),
    );
  }
  return { points: out, warnings };
}
