/**
 * Kernel-level checks: measured per-kernel latencies (aiconfigurator's tables
 * in `../shared/reference/kernels/<system>/`) against the engine's price of
 * the same op on a device profile. Ops are built with the engine's own op
 * builders (`linear`, `gqaAttentionOps`, `collective`) so that the check
 * measures exactly what the serving model uses.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { OptixUserError } from '../errors.js';
import { defaultQuantOptions } from '../engine/defaults.js';
import { gqaAttentionOps } from '../engine/ops/attention.js';
import { collective, linear, vector } from '../engine/ops/linear.js';
import type { BuildContext, Op, StepShape } from '../engine/ops/types.js';
import { priceOp, type PricingOptions } from '../engine/perf.js';
import { planQuant, type QuantPlan } from '../engine/quant.js';
import type { AttentionAction, DeviceProfile, Dtype, GqaAttentionSpec, LinearAction, ModelSpec } from '../engine/types.js';
import { NVFP4_GROUP_SIZE } from './mapping.js';
import { apePct, jsonNumber, median, quantile } from './stats.js';

export const KERNEL_FAMILIES = ['gemm', 'context_attention', 'generation_attention', 'all_reduce'] as const;
export type KernelFamily = (typeof KERNEL_FAMILIES)[number];

export const KERNEL_FILES: Record<KernelFamily, string> = {
  gemm: 'gemm_perf.csv',
  context_attention: 'context_attention_perf.csv',
  generation_attention: 'generation_attention_perf.csv',
  all_reduce: 'nccl_perf.csv',
};

/** One measured kernel and the engine op that stands for it. */
export interface KernelSample {
  family: KernelFamily;
  /** Sub-group for the report (GEMM dtype, collective group size, ...). */
  group: string;
  op: Op;
  /**
   * Kernels the microbenchmark launches around `op` and times with it, priced
   * with the profile's own figures and never fitted (see GEMM_INPUT_QUANT).
   */
  around?: Op[];
  measuredS: number;
}

/**
 * The tables time kernels replayed back to back (CUDA events around many
 * launches), i.e. what graph capture gives; they are priced with `compile`
 * on, as measured deployments are, so a fitted static cost is the eager
 * per-op cost whose graph-replayed share matches the tables' floor.
 */
export const KERNEL_PRICING: PricingOptions = { compile: true, compileAllowGraphBreak: false };

type Raw = Record<string, string>;

export function readKernelTable(file: string): Raw[] {
  if (!existsSync(file)) throw new OptixUserError(`kernel table not found: ${file}`, { hint: 'pass --kernels DIR holding gemm_perf.csv, context_attention_perf.csv, ...' });
  try {
    return parse(readFileSync(file, 'utf8'), { columns: true, comment: '#', skip_empty_lines: true, trim: true }) as Raw[];
  } catch (e) {
    throw new OptixUserError(`cannot parse kernel table: ${(e as Error).message}`, { file });
  }
}

/** The tables' gemm_dtype -> the engine's linear action and compute dtype. */
const GEMM_DTYPES: Record<string, { linear: LinearAction; dtype: Dtype }> = {
  bfloat16: { linear: 'DISABLED', dtype: 'bf16' },
  float16: { linear: 'DISABLED', dtype: 'bf16' },
  fp8: { linear: 'FP8', dtype: 'fp8' },
  fp8_block: { linear: 'FP8', dtype: 'fp8' },
  nvfp4: { linear: 'MXFP4', dtype: 'fp4' },
};

/**
 * Passes over the bf16 input that a quantized TRT-LLM `Linear` makes before its
 * GEMM: the tables time `Linear.forward` on a bf16 tensor (aiconfigurator's
 * collect_gemm.py), so a quantized row is the activation quantization plus the
 * GEMM. Per-tensor fp8 quantizes dynamically (quantize_e4m3_per_tensor: an
 * amax reduction, then the cast); fp8_block (fp8_quantize_1x128) and nvfp4
 * (fp4_quantize with the given global scale) make one pass. Serving engines
 * fuse this into the preceding norm or activation, which the engine prices as
 * a fused vector op, so only the check adds it back.
 */
const GEMM_INPUT_QUANT: Record<string, number> = { fp8: 2, fp8_block: 1, nvfp4: 1 };

/** nccl_dtype -> bytes per element (message_size counts elements). */
const NCCL_BYTES: Record<string, number> = { half: 2, float16: 2, bfloat16: 2, int8: 1, float: 4, float32: 4, fp8: 1 };

function planFor(device: DeviceProfile, linearAction: LinearAction, attention: AttentionAction, cache: Map<string, QuantPlan>): QuantPlan {
  const key = `${linearAction}|${attention}`;
  let p = cache.get(key);
  if (!p) {
    p = planQuant(defaultQuantOptions({ linear: linearAction, attention, mxfp4GroupSize: NVFP4_GROUP_SIZE }), device);
    cache.set(key, p);
  }
  return p;
}

function n(v: string | undefined): number {
  return v === undefined || v === '' ? NaN : Number(v);
}

/** A one-layer GQA model with the table's per-GPU heads (tp 1), for the attention builders. */
function attentionModel(heads: number, kvHeads: number, headDim: number, window: number): { spec: ModelSpec; attention: GqaAttentionSpec } {
  const attention: GqaAttentionSpec = {
    kind: 'gqa',
    numHeads: heads,
    numKvHeads: kvHeads,
    headDim,
    numSlidingLayers: window > 0 ? 1 : 0,
    ...(window > 0 ? { slidingWindow: window } : {}),
    qkNorm: false,
  };
  const spec: ModelSpec = {
    id: 'kernel-table',
    source: 'kernel table',
    architecture: 'kernel',
    family: 'dense',
    hiddenSize: heads * headDim,
    numLayers: 1,
    vocabSize: 1,
    tieWordEmbeddings: false,
    intermediateSize: 1,
    gatedMlp: true,
    attention,
    numMtpLayers: 0,
    maxPositionEmbeddings: 1 << 20,
    nativeWeightDtype: 'bf16',
  };
  return { spec, attention };
}

function attentionOp(spec: ModelSpec, a: GqaAttentionSpec, quant: QuantPlan, shape: StepShape, kind: Op['kind']): Op | undefined {
  const tokens = (shape.prefill ? shape.prefill.sequences * shape.prefill.newTokens : 0) + (shape.decode ? shape.decode.sequences : 0);
  const ctx: BuildContext = { spec, par: { tp: 1, dp: 1, pp: 1, ep: 1, moeTp: 1, moeDp: 1 }, quant, shape, tokens };
  return gqaAttentionOps(ctx, a, 1).find((op) => op.kind === kind);
}

/** Samples of one family from its table; rows the engine has no op for are skipped and counted. */
export function kernelSamples(family: KernelFamily, rows: readonly Raw[], device: DeviceProfile): { samples: KernelSample[]; skipped: Record<string, number> } {
  const plans = new Map<string, QuantPlan>();
  const samples: KernelSample[] = [];
  const skipped: Record<string, number> = {};
  const skip = (why: string): void => {
    skipped[why] = (skipped[why] ?? 0) + 1;
  };
  for (const r of rows) {
    const measuredS = n(r.latency) / 1000;
    if (!(measuredS > 0)) {
      skip('no latency');
      continue;
    }
    switch (family) {
      case 'gemm': {
        const dt = GEMM_DTYPES[(r.gemm_dtype ?? '').toLowerCase()];
        if (!dt) {
          skip(`gemm dtype ${r.gemm_dtype ?? ''}`);
          continue;
        }
        if (device.matrixPeakFlopsPerS[dt.dtype] === undefined) {
          skip(`no ${dt.dtype} peak on ${device.name}`);
          continue;
        }
        const plan = planFor(device, dt.linear, 'DISABLED', plans);
        const passes = GEMM_INPUT_QUANT[(r.gemm_dtype ?? '').toLowerCase()] ?? 0;
        const around = passes > 0 ? [vector('input_quant', passes, n(r.m) * n(r.k), plan.activationQuantFlopsPerElement)] : undefined;
        samples.push({ family, group: dt.dtype, op: linear('gemm', 1, n(r.m), n(r.n), n(r.k), plan), ...(around ? { around } : {}), measuredS });
        break;
      }
      case 'context_attention':
      case 'generation_attention': {
        const kvFp8 = (r.kv_cache_dtype ?? '').toLowerCase() === 'fp8';
        const plan = planFor(device, 'DISABLED', kvFp8 ? 'FP8' : 'DISABLED', plans);
        const { spec, attention } = attentionModel(n(r.num_heads), n(r.num_key_value_heads), n(r.head_dim), n(r.window_size) || 0);
        const batch = n(r.batch_size);
        let op: Op | undefined;
        let group: string;
        if (family === 'context_attention') {
          op = attentionOp(spec, attention, plan, { prefill: { sequences: batch, newTokens: n(r.isl), priorContext: 0 } }, 'attention_prefill');
          // The table times bf16 math over an fp8 cache too; the op keeps the cache bytes and takes the math dtype from the table.
          const math: Dtype = (r.attn_dtype ?? '').toLowerCase() === 'fp8' && device.matrixPeakFlopsPerS.fp8 !== undefined ? 'fp8' : 'bf16';
          if (op) op = { ...op, dtype: math };
          group = `${math} math, ${kvFp8 ? 'fp8' : 'bf16'} kv`;
        } else {
          op = attentionOp(spec, attention, plan, { decode: { sequences: batch, context: n(r.step), tokensPerSeq: 1 } }, 'attention_decode');
          group = `${kvFp8 ? 'fp8' : 'bf16'} kv`;
        }
        if (!op) {
          skip('no attention op');
          continue;
        }
        samples.push({ family, group, op, measuredS });
        break;
      }
      case 'all_reduce': {
        if ((r.op_name ?? '') !== 'all_reduce') {
          skip(`${r.op_name ?? ''} (not all_reduce)`);
          continue;
        }
        const bytes = NCCL_BYTES[(r.nccl_dtype ?? '').toLowerCase()];
        if (bytes === undefined) {
          skip(`nccl dtype ${r.nccl_dtype ?? ''}`);
          continue;
        }
        const gpus = n(r.num_gpus);
        // NCCL's all-reduce: ring hops (latency grows with the group, as the table does).
        const op = collective('all_reduce', 1, 'all_reduce', gpus, n(r.message_size) * bytes, 'ring');
        if (!op) {
          skip('single-GPU collective');
          continue;
        }
        samples.push({ family, group: `${gpus} GPUs`, op, measuredS });
        break;
      }
    }
  }
  return { samples, skipped };
}

/** All four families from a kernel directory (families whose table is missing are left out). */
export function loadKernelSamples(dir: string, device: DeviceProfile, families: readonly KernelFamily[] = KERNEL_FAMILIES): { samples: KernelSample[]; tables: string[]; skipped: Record<string, number> } {
  if (!existsSync(dir)) throw new OptixUserError(`kernel directory not found: ${dir}`, { hint: 'e.g. ../shared/reference/kernels/h100_sxm' });
  const samples: KernelSample[] = [];
  const tables: string[] = [];
  const skipped: Record<string, number> = {};
  for (const f of families) {
    const file = path.join(dir, KERNEL_FILES[f]);
    if (!existsSync(file)) continue;
    tables.push(KERNEL_FILES[f]);
    const got = kernelSamples(f, readKernelTable(file), device);
    for (const smp of got.samples) samples.push(smp);
    for (const [k, v] of Object.entries(got.skipped)) skipped[`${f}: ${k}`] = (skipped[`${f}: ${k}`] ?? 0) + v;
  }
  if (tables.length === 0) {
    throw new OptixUserError(`no kernel tables in ${dir}`, { hint: `expected ${Object.values(KERNEL_FILES).join(', ')}` });
  }
  return { samples, tables, skipped };
}

export function predictS(s: KernelSample, device: DeviceProfile): number {
  let t = priceOp(s.op, device, KERNEL_PRICING).timeS * s.op.count;
  for (const op of s.around ?? []) t += priceOp(op, device, KERNEL_PRICING).timeS * op.count;
  return t;
}

export interface KernelGroupStats {
  family: KernelFamily;
  group: string;
  rows: number;
  medianApePct: number | null;
  p90ApePct: number | null;
  /** Median of predicted / measured: > 1 means the engine is slow. */
  medianRatio: number | null;
}

export interface KernelAccuracy {
  device: string;
  families: Array<Omit<KernelGroupStats, 'group'>>;
  groups: KernelGroupStats[];
  skipped: Record<string, number>;
}

function statsOf(list: readonly KernelSample[], device: DeviceProfile): { rows: number; medianApePct: number | null; p90ApePct: number | null; medianRatio: number | null } {
  const apes: number[] = [];
  const ratios: number[] = [];
  for (const s of list) {
    const p = predictS(s, device);
    apes.push(apePct(p, s.measuredS));
    ratios.push(p / s.measuredS);
  }
  return { rows: list.length, medianApePct: jsonNumber(median(apes)), p90ApePct: jsonNumber(quantile(apes, 0.9)), medianRatio: ratios.length ? Math.round(median(ratios) * 1000) / 1000 : null };
}

export function kernelAccuracy(samples: readonly KernelSample[], device: DeviceProfile, skipped: Record<string, number> = {}): KernelAccuracy {
  const families: KernelAccuracy['families'] = [];
  const groups: KernelGroupStats[] = [];
  for (const f of KERNEL_FAMILIES) {
    const list = samples.filter((s) => s.family === f);
    if (list.length === 0) continue;
    families.push({ family: f, ...statsOf(list, device) });
    const byGroup = new Map<string, KernelSample[]>();
    for (const s of list) {
      const g = byGroup.get(s.group);
      if (g) g.push(s);
      else byGroup.set(s.group, [s]);
    }
    for (const [g, l] of [...byGroup.entries()].sort(([a], [b]) => a.localeCompare(b))) groups.push({ family: f, group: g, ...statsOf(l, device) });
  }
  return { device: device.name, families, groups, skipped };
}
