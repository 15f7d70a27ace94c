/** Feed-forward blocks: dense (Swi)GLU MLP and mixture-of-experts. */
import type { MoeSpec } from '../types.js';
import { ACT_BYTES, collective, linear, linearBf16, pushDefined, quantOverhead, vector } from './linear.js';
import type { BuildContext, Op } from './types.js';

export function denseMlpOps(ctx: BuildContext, intermediate: number, layers: number, prefix = 'mlp'): Op[] {
  const { spec, par, quant, tokens: t } = ctx;
  const h = spec.hiddenSize;
  const ipr = intermediate / par.tp;
  const upN = spec.gatedMlp ? 2 * ipr : ipr;
  const ops: Op[] = [];
  ops.push(vector(`${prefix}_norm`, layers, t * h, 5));
  ops.push(linear(`${prefix}_gate_up`, layers, t, upN, h, quant));
  ops.push(vector(`${prefix}_act`, layers, t * ipr, spec.gatedMlp ? 6 : 4, true));
  ops.push(linear(`${prefix}_down`, layers, t, h, ipr, quant));
  ops.push(...quantOverhead(prefix, layers, t * (h + ipr), h * upN + ipr * h, quant));
  pushDefined(ops, collective(`${prefix}_tp_all_reduce`, layers, 'all_reduce', par.tp, t * h * ACT_BYTES));
  return ops;
}

/**
 * Expected number of distinct experts (of `experts`) hit when `tokens` tokens
 * each pick `topK` of them uniformly: E x (1 - (1 - topK/E)^tokens). Decode at
 * small batch reads only these experts' weights.
 */
export function expectedExpertsHit(experts: number, topK: number, tokens: number): number {
  if (tokens <= 0) return 0;
  return experts * (1 - Math.pow(1 - topK / experts, tokens));
}

/**
 * Routed experts are spread over EP ranks (experts / ep per device), each
 * sliced moeTp ways, with moeDp replicas of the whole expert set. Tokens of
 * every attention-DP replica of the stage meet in the MoE layer.
 */
export function moeOps(ctx: BuildContext, moe: MoeSpec, layers: number): Op[] {
  const { spec, par, quant, tokens: t } = ctx;
  const h = spec.hiddenSize;
  const ops: Op[] = [];
  ops.push(vector('moe_norm', layers, t * h, 5));
  ops.push(linearBf16('router', layers, t, moe.numExperts, h, 'bf16'));
  ops.push(vector('topk_softmax', layers, t * moe.numExperts, 5, true));

  // Each expert replica group sees the tokens of dp / moeDp attention replicas.
  const groupTokens = (t * par.dp) / par.moeDp;
  const assignments = groupTokens * moe.topK;
  const hitFraction = expectedExpertsHit(moe.numExperts, moe.topK, groupTokens) / moe.numExperts;
  const localExperts = moe.numExperts / par.ep;
  const localHit = Math.max(hitFraction * localExperts, Math.min(localExperts, 1));
  const tokensPerHitExpert = assignments / (moe.numExperts * hitFraction || 1);
  const ie = moe.expertIntermediateSize / par.moeTp;
  const upN = spec.gatedMlp ? 2 * ie : ie;
  const localTokens = tokensPerHitExpert * localHit;
  // One grouped GEMM per projection: FLOPs of the routed tokens, bytes of the experts they touch.
  ops.push({
    ...linear('experts_gate_up', layers, tokensPerHitExpert, upN, h, quant),
    flops: 2 * localTokens * upN * h,
    bytes: localHit * upN * h * quant.linearWeightBytes + localTokens * (h * quant.gemmActivationBytes + upN * ACT_BYTES),
  });
  ops.push(vector('experts_act', layers, localTokens * ie, 6, true));
  ops.push({
    ...linear('experts_down', layers, tokensPerHitExpert, h, ie, quant),
    flops: 2 * localTokens * h * ie,
    bytes: localHit * h * ie * quant.linearWeightBytes + localTokens * (ie * quant.gemmActivationBytes + h * ACT_BYTES),
  });
  ops.push(...quantOverhead('experts', layers, localTokens * (h + ie), localHit * (upN * h + h * ie), quant));
  // Permute / finalize around the grouped GEMMs: every rank reads the rows of all
  // tokens that reach its expert group, gathers those routed to its experts, and
  // scatters the weighted results back. Without them the measured MoE kernel
  // tables (shared/reference/kernels/*/moe_perf.csv) run 2-5x slower than the
  // GEMMs alone at EP >= 16; with them within ~1.0-1.6x (docs/accuracy.md).
  ops.push({ name: 'moe_permute', kind: 'memory', count: layers, flops: 0, bytes: (groupTokens + 2 * localTokens) * h * quant.gemmActivationBytes, dtype: 'bf16' });
  ops.push({ name: 'moe_finalize', kind: 'memory', count: layers, flops: 0, bytes: (localTokens + 2 * groupTokens) * h * ACT_BYTES, dtype: 'bf16' });

  if (moe.numSharedExperts > 0 && moe.sharedExpertIntermediateSize > 0) {
    const is = (moe.numSharedExperts * moe.sharedExpertIntermediateSize) / par.tp;
    const sUpN = spec.gatedMlp ? 2 * is : is;
    ops.push(linear('shared_gate_up', layers, t, sUpN, h, quant));
    ops.push(vector('shared_act', layers, t * is, 6, true));
    ops.push(linear('shared_down', layers, t, h, is, quant));
    ops.push(...quantOverhead('shared', layers, t * (h + is), sUpN * h + is * h, quant));
    if (moe.sharedExpertGate === true) {
      // Replicated on every rank; the sigmoid-scaled product is its own elementwise kernel.
      ops.push(linearBf16('shared_expert_gate', layers, t, 1, h, 'bf16'));
      ops.push(vector('shared_gate_scale', layers, t * h, 2));
    }
  }

  // Expert parallelism moves tokens only when the ranks hold different ones (attention DP):
  // under attention TP every rank of the expert group already holds every token, runs its
  // own experts on them, and one all-reduce sums the experts' outputs (TEP, as the engines
  // run it) - the same collective as tensor-parallel experts.
  if (par.ep > 1 && par.dp > 1) {
    // Tokens are deduplicated across TP ranks before dispatch: t / tp unique tokens per device.
    const perDevice = (t / par.tp) * moe.topK * h;
    pushDefined(
      ops,
      collective('ep_dispatch_all_to_all', layers, 'all_to_all', par.ep, perDevice * quant.gemmActivationBytes),
      collective('ep_combine_all_to_all', layers, 'all_to_all', par.ep, perDevice * ACT_BYTES),
      collective('moe_tp_all_reduce', layers, 'all_reduce', par.moeTp, t * h * ACT_BYTES),
    );
    // Shared experts and the attention-TP replicas still need one reduction.
    pushDefined(ops, collective('moe_out_tp_all_reduce', layers, 'all_reduce', par.tp, t * h * ACT_BYTES));
  } else {
    pushDefined(ops, collective('moe_tp_all_reduce', layers, 'all_reduce', Math.max(par.tp, par.moeTp), t * h * ACT_BYTES));
  }
  return ops;
}
