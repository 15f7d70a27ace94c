/**
 * The per-device text blocks of seed 002's output: Input Configuration,
 * Overall Best Configuration, Top-N table (aggregation; prefill/decode for
 * disaggregation; QPS and PD-ratio columns for PD-ratio mode), between the
 * seed's `****` / `----` rules.
 */
import type { DeviceOptimizeResult, OptimizeResult, PdRatioResult, PhaseResult, SloLimits } from '../../engine/api.js';
import type { ServingPoint } from '../../engine/types.js';
import { asciiTable, fixed, formatParallel } from '../format.js';
import { pdCost, pointCost } from './cost.js';

export const STARS = '*'.repeat(80);
export const RULE = '-'.repeat(76);

export interface RenderContext {
  result: OptimizeResult;
  /** Show EP / MoE-DP in the parallel column. */
  moe: boolean;
}

/** Python's str(float), as the seed prints limits: 50 -> "50.0", undefined -> "None". */
export function pyFloat(v: number | undefined): string {
  if (v === undefined) return 'None';
  return Number.isInteger(v) ? v.toFixed(1) : String(v);
}

function limitText(limits: SloLimits, phase: ServingPoint['mode']): string {
  const parts: string[] = [];
  if (phase !== 'decode' && limits.ttftMs !== undefined) parts.push(`TTFT <= ${pyFloat(limits.ttftMs)} ms`);
  if (phase !== 'prefill' && limits.tpotMs !== undefined) parts.push(`TPOT <= ${pyFloat(limits.tpotMs)} ms`);
  return parts.length > 0 ? parts.join(', ') : 'no latency limit';
}

const PHASE_TITLE: Record<ServingPoint['mode'], string> = { agg: 'Aggregation', prefill: 'Prefill', decode: 'Decode' };

function inputConfiguration(ctx: RenderContext, d: DeviceOptimizeResult): string[] {
  const r = ctx.result.request;
  const lines = [
    'Input Configuration:',
    `Model: ${r.model}`,
    `Quantize Linear action: ${r.quant.linear}`,
    `Quantize Attention action: ${r.quant.attention}`,
  ];
  if (r.mode === 'pd-ratio') {
    lines.push(r.numDevices > 0 ? `Devices: ${r.numDevices} ${d.device}` : `Devices: ${d.device} (no --num-devices: no P:D instance split)`);
    lines.push(`Prefill Devices per Instance: ${r.pdRatio!.prefillDevicesPerInstance}`);
    lines.push(`Decode Devices per Instance: ${r.pdRatio!.decodeDevicesPerInstance}`);
  } else {
    lines.push(`Devices: ${r.numDevices} ${d.device}`);
  }
  lines.push(`TTFT Limits: ${pyFloat(r.limits.ttftMs)} ms`);
  lines.push(`TPOT Limits: ${pyFloat(r.limits.tpotMs)} ms`);
  // Only what departs from the defaults, so the common case reads like the seed.
  if (r.workload.prefixCacheHitRate > 0) lines.push(`Prefix Cache Hit Rate: ${r.workload.prefixCacheHitRate}`);
  if (r.serving.numMtpTokens > 0) {
    lines.push(`MTP Tokens: ${r.serving.numMtpTokens} (acceptance rates ${r.serving.mtpAcceptanceRates.slice(0, r.serving.numMtpTokens).join(', ')})`);
  }
  if (r.serving.visionTokens > 0) lines.push(`Vision Tokens per Request: ${r.serving.visionTokens}`);
  if (r.serving.scheduling === 'steady-state') {
    const balance = r.serving.attentionDpBalance;
    const held = balance === null ? '' : `, attention-DP balance (timeout ${balance.timeoutIterations}, wait ${balance.batchingWaitIterations} iterations)`;
    lines.push(`Scheduling: steady-state, ${r.serving.servingEngine} scheduler${r.serving.requestLengths === 'fixed' ? ', fixed request lengths' : ''}${held}`);
  }
  if (r.batchRange) lines.push(`Batch Range: [${r.batchRange[0]}, ${r.batchRange[1]}]`);
  if ((r.servingCost ?? 0) > 0) lines.push(`Serving Cost: ${r.servingCost} per device-hour`);
  for (const w of d.warnings) lines.push(`Warning: ${w}`);
  return lines;
}

function costCell(ctx: RenderContext, p: ServingPoint): string {
  const c = pointCost(ctx.result.request.servingCost ?? 0, p);
  return c === undefined ? '-' : fixed(c, 4);
}

function hasCost(ctx: RenderContext): boolean {
  return (ctx.result.request.servingCost ?? 0) > 0;
}

function costLabel(phase: ServingPoint['mode']): string {
  return phase === 'prefill' ? 'Cost per 1M input tokens' : 'Cost per 1M output tokens';
}

/** Columns of a phase's Top-N table; PD-ratio tables add QPS (and the ratio against the other phase's best). */
function phaseTable(ctx: RenderContext, phase: ServingPoint['mode'], rows: ServingPoint[], rank: (i: number) => string, pd?: PdRatioResult): string {
  const head = ['Top', phase === 'prefill' ? 'Throughput (input token/s)' : 'Throughput (token/s)'];
  if (phase !== 'decode') head.push('TTFT (ms)');
  if (phase !== 'prefill') head.push('TPOT (ms)');
  if (pd) head.push('QPS (req/s)', 'PD Ratio');
  head.push('concurrency', 'num_devices', 'parallel', 'batch_size');
  if (hasCost(ctx)) head.push(costLabel(phase));
  const body = rows.map((p, i) => {
    const row: string[] = [rank(i), fixed(p.tokensPerS)];
    if (phase !== 'decode') row.push(fixed(p.ttftMs));
    if (phase !== 'prefill') row.push(fixed(p.tpotMs));
    if (pd) {
      // The ratio this row would give against the other phase's chosen instance.
      const ratio = phase === 'prefill' ? (p.qps > 0 ? pd.decodeQps / p.qps : 0) : pd.prefillQps > 0 ? p.qps / pd.prefillQps : 0;
      row.push(fixed(p.qps, 3), fixed(ratio, 3));
    }
    row.push(String(p.concurrency), String(p.numDevices), formatParallel(p.parallel, ctx.moe), String(p.batchSize));
    if (hasCost(ctx)) row.push(costCell(ctx, p));
    return row;
  });
  return asciiTable(head, body);
}

function closestLine(p: ServingPoint, moe: boolean): string {
  const parts = [`Closest attempt: ${formatParallel(p.parallel, moe)}, batch_size ${p.batchSize}`];
  if (p.mode !== 'decode') parts.push(`TTFT ${fixed(p.ttftMs)} ms`);
  if (p.mode !== 'prefill') parts.push(`TPOT ${fixed(p.tpotMs)} ms`);
  parts.push(`Throughput ${fixed(p.tokensPerS)} tokens/s`);
  return parts.join(', ');
}

function skippedText(skipped: Record<string, number>): string {
  const entries = Object.entries(skipped);
  return entries.length === 0 ? 'none' : entries.map(([reason, n]) => `${reason}: ${n}`).join('; ');
}

/** "Overall Best ..." and "Top N ..." blocks of one phase (agg, or one disaggregated phase). */
function phaseBlocks(ctx: RenderContext, ph: PhaseResult): string[] {
  const limits = ctx.result.request.limits;
  const title = PHASE_TITLE[ph.phase];
  const lines: string[] = [RULE, ph.phase === 'agg' ? 'Overall Best Configuration:' : `Overall Best ${title} Configuration:`];
  if (ph.best) {
    const b = ph.best;
    lines.push(`Best Throughput: ${fixed(b.tokensPerS)} tokens/s${ph.phase === 'prefill' ? ' (input)' : ''}`);
    if (ph.phase !== 'decode') lines.push(`TTFT: ${fixed(b.ttftMs)} ms`);
    if (ph.phase !== 'prefill') lines.push(`TPOT: ${fixed(b.tpotMs)} ms`);
    if (hasCost(ctx)) lines.push(`${costLabel(ph.phase)}: ${costCell(ctx, b)}`);
    lines.push(RULE, `Top ${ph.top.length} ${title} Configurations:`, phaseTable(ctx, ph.phase, ph.top, (i) => String(i + 1)));
    return lines;
  }
  lines.push(`No configuration meets the limits (${limitText(limits, ph.phase)}).`);
  if (ph.closest) {
    lines.push(closestLine(ph.closest, ctx.moe));
    lines.push(RULE, `Closest Attempt (${title}, does not meet the limits):`, phaseTable(ctx, ph.phase, [ph.closest], () => '-'));
  } else {
    lines.push(`No layout fits in memory or divides the model (skipped: ${skippedText(ph.skipped)}).`);
  }
  return lines;
}

function pdBlocks(ctx: RenderContext, pd: PdRatioResult): string[] {
  const r = ctx.result.request;
  const lines: string[] = [RULE, 'Overall Best Configuration:'];
  const side = (name: string, ph: PhaseResult, qpsName: string, qps: number): void => {
    const p = ph.best ?? ph.closest;
    if (!p) {
      lines.push(`${name}: no layout fits in memory or divides the model (skipped: ${skippedText(ph.skipped)})`);
      return;
    }
    const lat = ph.phase === 'prefill' ? `TTFT ${fixed(p.ttftMs)} ms` : `TPOT ${fixed(p.tpotMs)} ms`;
    const note = ph.best ? '' : ` (closest attempt, does not meet ${limitText(r.limits, ph.phase)})`;
    lines.push(`${name}: ${formatParallel(p.parallel, ctx.moe)}, batch_size ${p.batchSize}, ${lat}, ${qpsName} ${fixed(qps, 3)} req/s${note}`);
  };
  side('Prefill', pd.prefill, 'P QPS', pd.prefillQps);
  side('Decode', pd.decode, 'D QPS', pd.decodeQps);
  lines.push(`PD Ratio (D QPS / P QPS): ${fixed(pd.pdRatio, 3)}`);
  if (pd.split) {
    const s = pd.split;
    lines.push(
      `P:D Instances: ${s.prefillInstances}:${s.decodeInstances} (${s.devicesUsed} of ${r.numDevices} devices), ` +
        `System QPS: ${fixed(s.systemQps, 3)} req/s, System Throughput: ${fixed(s.systemQps * r.workload.outputLength)} tokens/s`,
    );
  } else if (r.numDevices > 0) {
    const pdv = r.pdRatio!;
    lines.push(
      `P:D Instances: none (${r.numDevices} devices cannot hold one prefill instance of ${pdv.prefillDevicesPerInstance} and one decode instance of ${pdv.decodeDevicesPerInstance}, or a phase has no feasible layout)`,
    );
  }
  if (hasCost(ctx)) {
    const c = pdCost(r.servingCost ?? 0, pd, r.pdRatio!.prefillDevicesPerInstance, r.pdRatio!.decodeDevicesPerInstance, r.workload.outputLength);
    lines.push(`Cost per 1M output tokens: ${c === undefined ? '-' : fixed(c, 4)}${pd.split ? '' : ' (P and D instances in the PD ratio)'}`);
  }
  for (const ph of [pd.prefill, pd.decode]) {
    const title = PHASE_TITLE[ph.phase];
    if (ph.top.length > 0) {
      lines.push(RULE, `Top ${ph.top.length} ${title} Configurations (PD ratio):`, phaseTable(ctx, ph.phase, ph.top, (i) => String(i + 1), pd));
    } else if (ph.closest) {
      lines.push(RULE, `No ${title} configuration meets the limits (${limitText(r.limits, ph.phase)}).`, closestLine(ph.closest, ctx.moe));
      lines.push(phaseTable(ctx, ph.phase, [ph.closest], () => '-', pd));
    }
  }
  return lines;
}

/** One device's blocks, framed by the seed's 80-star rules. */
export function renderDevice(ctx: RenderContext, d: DeviceOptimizeResult): string {
  const lines: string[] = [STARS, RULE, ...inputConfiguration(ctx, d)];
  if (d.agg) lines.push(...phaseBlocks(ctx, d.agg));
  if (d.prefill) lines.push(...phaseBlocks(ctx, d.prefill));
  if (d.decode) lines.push(...phaseBlocks(ctx, d.decode));
  if (d.pdRatio) lines.push(...pdBlocks(ctx, d.pdRatio));
  lines.push(STARS);
  return `${lines.join('\n')}\n`;
}

/** The phases of one device's result, in output order. */
export function phasesOf(d: DeviceOptimizeResult): PhaseResult[] {
  return [d.agg, d.prefill, d.decode, d.pdRatio?.prefill, d.pdRatio?.decode].filter((p): p is PhaseResult => p !== undefined);
}

export { skippedText };
