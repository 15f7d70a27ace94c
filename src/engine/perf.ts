/**
 * Prices ops on a device profile. Every op costs
 *   max(FLOPs / (peak[dtype] x eff), bytes / (HBM BW x eff)) + static launch cost,
 * collectives cost hops x latency + bytes x algorithm factor / (tier BW x eff) on
 * the tier of the grid the group spans, plus the floor of the kernels that run
 * them (the engines' own, or NCCL's for a ring) (DESIGN.md, "Engine model").
 */
import { interpolateCurve } from './devices/curves.js';
import { tierIndexForGroup } from './devices/grid.js';
import type { Op } from './ops/types.js';
import type { Bucket, BucketShares, DeviceProfile, Dtype, EfficiencyCurve, PricedOp, StepLatency } from './types.js';

export interface PricingOptions {
  /** --compile: graph capture removes most host launch gaps. */
  compile: boolean;
  /** --compile-allow-graph-break: captured graphs are split, so fewer launches are saved. */
  compileAllowGraphBreak: boolean;
}

/** Graph capture's share of the static per-op cost when a profile does not say (an assumption). */
export const DEFAULT_GRAPH_REPLAY_FRACTION = 0.25;

/**
 * Share of the static per-op cost that remains: all of it eagerly; under graph
 * capture the profile's `graphReplayFraction` (a graph replays kernels back to
 * back, removing host launch gaps); with graph breaks, halfway between.
 */
export function launchScale(o: PricingOptions, device: DeviceProfile): number {
  const replay = device.staticCostS.graphReplayFraction ?? DEFAULT_GRAPH_REPLAY_FRACTION;
  if (o.compileAllowGraphBreak) return (1 + replay) / 2;
  if (o.compile) return replay;
  return 1;
}

export interface OpTime {
  timeS: number;
  computeS: number;
  memoryS: number;
  bucket: Bucket;
}

function matrixPeak(device: DeviceProfile, dtype: Dtype): number {
  const peak = device.matrixPeakFlopsPerS[dtype] ?? device.matrixPeakFlopsPerS.bf16 ?? device.matrixPeakFlopsPerS.fp16;
  if (peak === undefined) throw new Error(`device ${device.name} has no matrix peak for ${dtype} (quant planning should have caught this)`);
  return peak;
}

function vectorPeak(device: DeviceProfile): number {
  const v = device.vectorPeakFlopsPerS;
  const peak = v.bf16 ?? v.fp16 ?? v.fp32;
  if (peak === undefined) throw new Error(`device ${device.name} has no vector peak`);
  return peak;
}

function memoryTime(device: DeviceProfile, bytes: number, curveBytes = device.efficiency.memoryByBytes): number {
  if (bytes <= 0) return 0;
  return bytes / (device.hbmBandwidthBytesPerS * interpolateCurve(curveBytes, bytes));
}

/**
 * Latency terms of a collective: a direct (peer-to-peer) all-reduce is a
 * reduce-scatter and an all-gather of one hop each; a ring passes through
 * n - 1 neighbours per phase.
 */
export function collectiveHops(kind: NonNullable<Op['collective']>['kind'], n: number, algorithm: 'direct' | 'ring'): number {
  const phases = kind === 'all_reduce' ? 2 : 1;
  return algorithm === 'ring' && kind !== 'p2p' ? phases * (n - 1) : phases;
}

/** Ring/all-to-all bytes each device sends, as a multiple of the message size. */
export function algorithmFactor(kind: NonNullable<Op['collective']>['kind'], n: number): number {
  switch (kind) {
    case 'all_reduce':
      return (2 * (n - 1)) / n;
    case 'all_gather':
    case 'reduce_scatter':
    case 'all_to_all':
      return (n - 1) / n;
    case 'p2p':
      return 1;
  }
}

/** Attention's matrix efficiency by key length: per math dtype when the profile has one (fp8 FMHA is far from 2x bf16). */
function keyLengthEfficiency(op: Op, device: DeviceProfile): number {
  const eff = device.efficiency;
  return interpolateCurve(eff.attentionPrefillBySeqByDtype?.[op.dtype] ?? eff.attentionPrefillBySeq, op.seqLen ?? 1);
}

/** An optional multiplier curve at an op's optional field: 1 when either is absent. */
function multiplier(curve: EfficiencyCurve | undefined, x: number | undefined): number {
  return curve === undefined || x === undefined ? 1 : interpolateCurve(curve, x);
}

/**
 * Flash attention's matrix efficiency: by key length, times the optional
 * multipliers by query rows (few rows leave SMs idle and expose the kernel's
 * floor) and by head dim (wider heads give a tile more work per K/V row).
 */
export function prefillAttentionEfficiency(op: Op, device: DeviceProfile): number {
  const eff = device.efficiency;
  return keyLengthEfficiency(op, device) * multiplier(eff.attentionPrefillByWork, op.queryRows) * multiplier(eff.attentionPrefillByHeadDim, op.headDim);
}

/**
 * The floor of the kernels that run one collective: NCCL's for a ring (the
 * engines' own when the profile has no NCCL figure), the engines' own otherwise.
 */
export function collectiveFloorS(st: DeviceProfile['staticCostS'], algorithm: 'direct' | 'ring' = 'direct'): number {
  return algorithm === 'ring' ? (st.ncclCollective ?? st.collective) : st.collective;
}

/**
 * Latency and transfer time of one collective over `n` packed devices (the
 * kernels' floor apart). A reduction or gather over whole groups of an inner
 * tier runs hierarchically, as NCCL does when every device has its own link to
 * the outer tier (its rings cross the outer tier on all those links at once):
 * the full message inside each group, and across the groups only the group's
 * share, message / g per device. A flat ring at the outer tier's per-device
 * bandwidth would send the whole 2(n - 1)/n x message over one device's link.
 * An all-to-all over whole groups sends the part for other groups over each
 * device's outer link while the rest moves inside the group. Anything else
 * (point-to-point, groups that are not whole inner groups) is priced flat at
 * the tier the group spans.
 */
export function collectiveTransferS(device: DeviceProfile, kind: NonNullable<Op['collective']>['kind'], n: number, messageBytes: number, algorithm: 'direct' | 'ring'): number {
  const at = tierIndexForGroup(device, n);
  const tier = device.commGrid[at]!;
  const inner = at > 0 ? device.commGrid[at - 1] : undefined;
  const hierarchical = kind === 'all_reduce' || kind === 'all_gather' || kind === 'reduce_scatter';
  if (inner !== undefined && inner.devices > 1 && n > inner.devices && n % inner.devices === 0) {
    const g = inner.devices;
    if (hierarchical) return collectiveTransferS(device, kind, g, messageBytes, algorithm) + flatTransferS(device, tier, kind, n / g, messageBytes / g, algorithm);
    if (kind === 'all_to_all') {
      // Each device sends message / n to every peer: (n - g) / n of it over its own outer link, the
      // rest inside its group at the same time.
      const outerS = (((n - g) / n) * messageBytes) / linkBandwidth(device, tier, messageBytes);
      const innerS = (((g - 1) / n) * messageBytes) / linkBandwidth(device, inner, messageBytes);
      return tier.latencyS * collectiveHops(kind, n, algorithm) + Math.max(outerS, innerS);
    }
  }
  return flatTransferS(device, tier, kind, n, messageBytes, algorithm);
}

type Tier = DeviceProfile['commGrid'][number];

/** A tier's achieved per-device bandwidth for a message of this size (bytes/s). */
function linkBandwidth(device: DeviceProfile, tier: Tier, messageBytes: number): number {
  return tier.bandwidthBytesPerS * tier.efficiency * interpolateCurve(device.efficiency.commByBytes, messageBytes);
}

function flatTransferS(device: DeviceProfile, tier: Tier, kind: NonNullable<Op['collective']>['kind'], n: number, messageBytes: number, algorithm: 'direct' | 'ring'): number {
  return tier.latencyS * collectiveHops(kind, n, algorithm) + (algorithmFactor(kind, n) * messageBytes) / linkBandwidth(device, tier, messageBytes);
}

export function priceOp(op: Op, device: DeviceProfile, opts: PricingOptions): OpTime {
  const eff = device.efficiency;
  const scale = launchScale(opts, device);
  const st = device.staticCostS;
  switch (op.kind) {
    case 'gemm': {
      const m = op.m ?? 1;
      const nk = Math.min(op.n ?? 1, op.k ?? 1);
      const curve = eff.gemmByM[op.dtype] ?? eff.gemmByM.default;
      const byNK = eff.gemmByNKByDtype?.[op.dtype] ?? eff.gemmByNK;
      const e = (curve ? interpolateCurve(curve, m) : 1) * interpolateCurve(byNK, nk);
      const computeS = op.flops / (matrixPeak(device, op.dtype) * e);
      const memoryS = memoryTime(device, op.bytes, eff.gemmMemoryByBytesByDtype?.[op.dtype] ?? eff.memoryByBytes);
      return finish(computeS, memoryS, 'cube', st.matrixOp * scale);
    }
    case 'attention_prefill': {
      const computeS = op.flops / (matrixPeak(device, op.dtype) * prefillAttentionEfficiency(op, device));
      return finish(computeS, memoryTime(device, op.bytes, eff.attentionPrefillByBytes), 'cube', (st.attentionPrefillOp ?? st.matrixOp) * scale);
    }
    case 'attention_decode': {
      // GQA decode past the tensor-core kernels' largest head group runs on CUDA cores.
      const e = keyLengthEfficiency(op, device) * multiplier(eff.attentionDecodeByGroup, op.queryHeadsPerKv);
      const computeS = op.flops / (matrixPeak(device, op.dtype) * e);
      const bytesS = memoryTime(device, op.bytes, eff.attentionDecodeByBytesByDtype?.[op.dtype] ?? eff.attentionDecodeByBytes);
      // Many short sequences: the kernel's work units, not its reads, set the time.
      const pairS = (st.attentionDecodePerKvPair ?? 0) / multiplier(eff.attentionDecodePairByGroupByDtype?.[op.dtype], op.queryHeadsPerKv);
      const memoryS = Math.max(bytesS, (op.kvPairs ?? 0) * pairS);
      return finish(computeS, memoryS, 'cube', (st.attentionDecodeOp ?? st.matrixOp) * scale);
    }
    case 'vector': {
      const computeS = op.flops / (vectorPeak(device) * eff.vector);
      return finish(computeS, memoryTime(device, op.bytes), 'vec', op.fused ? 0 : st.vectorOp * scale);
    }
    case 'memory':
      return finish(0, memoryTime(device, op.bytes), 'mem', st.memoryOp * scale);
    case 'collective': {
      const c = op.collective;
      if (!c || c.groupSize <= 1) return { timeS: 0, computeS: 0, memoryS: 0, bucket: 'comm' };
      const t = collectiveTransferS(device, c.kind, c.groupSize, c.messageBytes, c.algorithm ?? 'direct') + collectiveFloorS(st, c.algorithm) * scale;
      return { timeS: t, computeS: 0, memoryS: 0, bucket: 'comm' };
    }
  }
}

function finish(computeS: number, memoryS: number, computeBucket: Bucket, staticS: number): OpTime {
  const bound = Math.max(computeS, memoryS);
  return { timeS: bound + staticS, computeS, memoryS, bucket: computeS >= memoryS ? computeBucket : 'mem' };
}

export function emptyShares(): BucketShares {
  return { cube: 0, vec: 0, mem: 0, comm: 0 };
}

/** Prices a step; `keepOps` keeps the per-op table (for --detail), skipped on hot paths. */
export function priceStep(ops: Op[], device: DeviceProfile, opts: PricingOptions, keepOps = false): StepLatency {
  const bucketS = emptyShares();
  const priced: PricedOp[] = [];
  let timeS = 0;
  let flops = 0;
  let bytes = 0;
  for (const op of ops) {
    const t = priceOp(op, device, opts);
    const total = t.timeS * op.count;
    timeS += total;
    bucketS[t.bucket] += total;
    flops += op.flops * op.count;
    bytes += op.bytes * op.count;
    if (keepOps) priced.push({ name: op.name, bucket: t.bucket, timeS: total, count: op.count, flops: op.flops * op.count, bytes: op.bytes * op.count });
  }
  return { timeS, bucketS, ops: priced, flops, bytes };
}

export function shares(step: StepLatency): BucketShares {
  const s = emptyShares();
  if (step.timeS <= 0) return s;
  for (const k of Object.keys(s) as Bucket[]) s[k] = step.bucketS[k] / step.timeS;
  return s;
}
