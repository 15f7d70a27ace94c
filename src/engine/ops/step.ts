/**
 * The flat op list of one step (prefill chunk, decode, or both mixed) of one
 * DP replica, as one device of it executes it. Pure: (spec, layout, quant, shape) -> ops.
 */
import { fullAttentionLayers } from '../models/params.js';
import type { ModelSpec, ParallelConfig } from '../types.js';
import type { QuantPlan } from '../quant.js';
import { gqaAttentionOps, mlaAttentionOps } from './attention.js';
import { denseMlpOps, moeOps } from './ffn.js';
import { gatedDeltaNetOps } from './gated-delta-net.js';
import { ACT_BYTES, collective, linearBf16, pushDefined, vector } from './linear.js';
import type { BuildContext, Op, StepShape } from './types.js';
import { hasVisionEncoder, visionEncoderOps } from './vision.js';

export function stepTokens(shape: StepShape): number {
  const p = shape.prefill ? shape.prefill.sequences * shape.prefill.newTokens : 0;
  const d = shape.decode ? shape.decode.sequences * shape.decode.tokensPerSeq : 0;
  return p + d;
}

/** Layers of each kind: [dense-MLP layers, MoE layers]. */
export function layerSplit(spec: ModelSpec): { dense: number; moe: number } {
  if (!spec.moe) return { dense: spec.numLayers, moe: 0 };
  const candidates = spec.numLayers - spec.moe.numDenseLayers;
  const moe = Math.floor(candidates / Math.max(1, spec.moe.moeLayerFrequency));
  return { dense: spec.numLayers - moe, moe };
}

/** Layers of each token mixer: full (softmax) attention and a hybrid's linear attention. */
export function attentionLayerSplit(spec: ModelSpec): { full: number; linear: number } {
  return { full: fullAttentionLayers(spec), linear: spec.linearAttention?.numLayers ?? 0 };
}

/** `linear` of the `dense + moe` layers use linear attention; the rest use `spec.attention`. */
function decoderLayers(ctx: BuildContext, dense: number, moe: number, linear = 0): Op[] {
  const { spec } = ctx;
  const ops: Op[] = [];
  const layers = dense + moe;
  if (layers <= 0) return ops;
  const full = layers - linear;
  if (full > 0) {
    ops.push(
      ...(spec.attention.kind === 'mla'
        ? mlaAttentionOps(ctx, spec.attention, full)
        : gqaAttentionOps(ctx, spec.attention, full)),
    );
  }
  if (linear > 0 && spec.linearAttention) ops.push(...gatedDeltaNetOps(ctx, spec.linearAttention, linear));
  if (dense > 0) ops.push(...denseMlpOps(ctx, spec.intermediateSize, dense));
  if (moe > 0 && spec.moe) ops.push(...moeOps(ctx, spec.moe, moe));
  return ops;
}

function lmHead(ctx: BuildContext, logitRows: number, name = 'lm_head'): Op[] {
  const { spec, par } = ctx;
  const h = spec.hiddenSize;
  const vpr = spec.vocabSize / par.tp;
  const ops: Op[] = [vector(`${name}_norm`, 1, logitRows * h, 5)];
  // The LM head stays bf16 in every scheme this engine models.
  ops.push(linearBf16(name, 1, logitRows, vpr, h, 'bf16'));
  pushDefined(ops, collective(`${name}_all_gather`, 1, 'all_gather', par.tp, logitRows * vpr * ACT_BYTES));
  return ops;
}

export function buildStepOps(spec: ModelSpec, par: ParallelConfig, quant: QuantPlan, shape: StepShape): Op[] {
  const tokens = stepTokens(shape);
  const ctx: BuildContext = { spec, par, quant, shape, tokens };
  const ops: Op[] = [];
  if (shape.vision && shape.vision.images > 0 && hasVisionEncoder(spec.vision)) ops.push(...visionEncoderOps(spec.vision, par, shape.vision));
  // An encoder-only step: the images of a prompt whose prefill runs in chunks of its own.
  if (!shape.prefill && !shape.decode) return ops;
  ops.push({ name: 'embedding', kind: 'memory', count: 1, flops: 0, bytes: 2 * tokens * spec.hiddenSize * ACT_BYTES, dtype: 'bf16' });
  pushDefined(ops, collective('embedding_tp_all_reduce', 1, 'all_reduce', par.tp, tokens * spec.hiddenSize * ACT_BYTES));

  const split = layerSplit(spec);
  ops.push(...decoderLayers(ctx, split.dense, split.moe, attentionLayerSplit(spec).linear));

  const logitRows = (shape.prefill ? shape.prefill.sequences : 0) + (shape.decode ? shape.decode.sequences * shape.decode.tokensPerSeq : 0);
  ops.push(...lmHead(ctx, logitRows));

  if (par.pp > 1) {
    pushDefined(ops, { ...collective('pp_send_recv', par.pp - 1, 'p2p', 2, tokens * spec.hiddenSize * ACT_BYTES)! });
  }

  // MTP drafting: each of the k draft tokens runs one MTP module (a projection of
  // [embedding; hidden], one decoder layer, the shared LM head) over the batch.
  const draft = shape.decode ? shape.decode.tokensPerSeq - 1 : 0;
  if (draft > 0 && shape.decode) {
    const b = shape.decode.sequences;
    const dctx: BuildContext = { spec, par, quant, shape: { decode: { ...shape.decode, tokensPerSeq: 1 } }, tokens: b };
    const h = spec.hiddenSize;
    ops.push(vector('mtp_enorm_hnorm', draft, b * h * 2, 5));
    ops.push({ ...linearBf16('mtp_eh_proj', draft, b, h / par.tp, 2 * h, 'bf16') });
    const mtpOps = decoderLayers(dctx, spec.moe ? 0 : 1, spec.moe ? 1 : 0).map((op) => ({
      ...op,
      name: `mtp_${op.name}`,
      count: draft,
    }));
    ops.push(...mtpOps);
    ops.push(...lmHead(dctx, b, 'mtp_lm_head').map((op) => ({ ...op, count: draft })));
  }
  return ops;
}
