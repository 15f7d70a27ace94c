/**
 * The vision encoder of a VL model over the images a prefill step brings in:
 * a ViT (patch embedding, `depth` pre-norm layers of bidirectional attention
 * within each image and a GELU MLP), then the patch mergers that fold
 * spatial_merge_size^2 patches into one LLM token. The serving engines shard the
 * ViT's heads and MLP over the tensor-parallel ranks like the language model
 * (vLLM's and SGLang's default), and run it in bf16 whatever the LLM's quantization.
 */
import type { ParallelConfig, VisionEncoderSpec, VisionSpec } from '../types.js';
import { headsPerRank } from './attention.js';
import { ACT_BYTES, collective, linearBf16, pushDefined, vector } from './linear.js';
import type { Op, VisionWork } from './types.js';

export function visionEncoderOps(vision: VisionSpec & { encoder: VisionEncoderSpec }, par: ParallelConfig, work: VisionWork): Op[] {
  const e = vision.encoder;
  const hv = vision.hiddenSize;
  const n = work.images * work.patchesPerImage;
  const layers = vision.depth;
  const hpr = headsPerRank(e.numHeads, par.tp);
  const d = hv / e.numHeads;
  const ipr = Math.ceil(e.intermediateSize / par.tp);
  const ops: Op[] = [];
  // The patch embedding (a convolution with stride = kernel) is one GEMM over the patches, replicated.
  ops.push(linearBf16('vit_patch_embed', 1, n, hv, e.patchInputs, 'bf16'));
  ops.push(vector('vit_attn_norm', layers, n * hv, 5));
  ops.push(linearBf16('vit_qkv_proj', layers, n, 3 * hpr * d, hv, 'bf16'));
  ops.push(vector('vit_rope', layers, n * 2 * hpr * d, 6, true));
  // Every patch attends to every patch of its image (no causal mask): images x patches^2 pairs.
  const pairs = work.images * work.patchesPerImage * work.patchesPerImage;
  ops.push({
    name: 'vit_attention',
    kind: 'attention_prefill',
    count: layers,
    flops: 4 * hpr * d * pairs,
    bytes: n * 4 * hpr * d * ACT_BYTES,
    dtype: 'bf16',
    seqLen: work.patchesPerImage,
    queryRows: n * hpr,
    headDim: d,
  });
  ops.push(linearBf16('vit_o_proj', layers, n, hv, hpr * d, 'bf16'));
  pushDefined(ops, collective('vit_attn_tp_all_reduce', layers, 'all_reduce', par.tp, n * hv * ACT_BYTES));
  ops.push(vector('vit_mlp_norm', layers, n * hv, 5));
  ops.push(linearBf16('vit_mlp_fc1', layers, n, ipr, hv, 'bf16'));
  ops.push(vector('vit_mlp_gelu', layers, n * ipr, 8, true));
  ops.push(linearBf16('vit_mlp_fc2', layers, n, hv, ipr, 'bf16'));
  pushDefined(ops, collective('vit_mlp_tp_all_reduce', layers, 'all_reduce', par.tp, n * hv * ACT_BYTES));
  // Each merger: a norm, then an MLP over the concatenated merge^2 patches (width m = merge^2 x hidden)
  // to the LLM's hidden size, column- then row-sharded by TP.
  const tokens = Math.ceil(n / (vision.spatialMergeSize * vision.spatialMergeSize));
  const m = vision.spatialMergeSize * vision.spatialMergeSize * hv;
  const mpr = Math.ceil(m / par.tp);
  ops.push(vector('vit_merger_norm', e.mergers, n * hv, 5));
  ops.push(linearBf16('vit_merger_fc1', e.mergers, tokens, mpr, m, 'bf16'));
  ops.push(vector('vit_merger_gelu', e.mergers, tokens * mpr, 8, true));
  ops.push(linearBf16('vit_merger_fc2', e.mergers, tokens, e.outHiddenSize, mpr, 'bf16'));
  pushDefined(ops, collective('vit_merger_tp_all_reduce', e.mergers, 'all_reduce', par.tp, tokens * e.outHiddenSize * ACT_BYTES));
  return ops;
}

/** Whether a model's config describes its vision encoder well enough to price it. */
export function hasVisionEncoder(vision: VisionSpec | undefined): vision is VisionSpec & { encoder: VisionEncoderSpec } {
  return vision?.encoder !== undefined;
}
