/**
 * Seed 002's cross-hardware tables, printed when two or more --device values
 * are given: the device profile parameter comparison, then a ranked summary
 * of each device's best configuration (mode-specific).
 */
import type { DeviceOptimizeResult, PhaseResult } from '../../engine/api.js';
import { effectiveFigures } from '../../engine/devices/figures.js';
import type { DeviceProfile, ServingPoint } from '../../engine/types.js';
import { asciiTable, fixed, formatParallel } from '../format.js';
import { pdCost, pointCost } from './cost.js';
import type { RenderContext } from './render.js';

const WIDE_STARS = '*'.repeat(108);
const WIDE_RULE = '-'.repeat(104);
const SUMMARY_STARS = '*'.repeat(100);
const SUMMARY_RULE = '-'.repeat(96);

/** Seed 002: "Device profile parameter comparison (effective compute / memory BW / comm BW)". */
export function renderProfileComparison(profiles: DeviceProfile[]): string {
  const rows = profiles.map((p) => {
    const f = effectiveFigures(p);
    // The seed's table labels binary units TB/s and GB (TEST_DEVICE: "0.960", "64.0"); see figures.ts.
    return [f.name, fixed(f.cubeTflops), fixed(f.vectorTflops), fixed(f.hbmTiBPerS, 3), fixed(f.memoryGiB, 1), f.commGrid, f.commBw];
  });
  return [
    WIDE_STARS,
    'Cross-hardware - device profile summary (modeling abstraction vs performance merge tables)',
    'Device profile parameter comparison (effective compute / memory BW / comm BW)',
    WIDE_RULE,
    asciiTable(['Device', 'Cube Compute (TFLOPS)', 'Vector Compute (TFLOPS)', 'HBM BW (TB/s)', 'Memory (GB)', 'Comm Grid', 'Comm BW (GB/s)'], rows),
    '',
  ].join('\n');
}

interface Ranked<T> {
  device: string;
  value: T | undefined;
  score: number;
}

/** Best first; devices with nothing under the limits last, in input order. */
function rank<T>(items: Array<Ranked<T>>): Array<Ranked<T>> {
  return items
    .map((x, i) => ({ x, i }))
    .sort((a, b) => (a.x.value === undefined ? 1 : 0) - (b.x.value === undefined ? 1 : 0) || b.x.score - a.x.score || a.i - b.i)
    .map(({ x }) => x);
}

function phaseSummary(ctx: RenderContext, results: DeviceOptimizeResult[], pick: (d: DeviceOptimizeResult) => PhaseResult | undefined, phase: ServingPoint['mode'], title: string): string {
  const cost = (ctx.result.request.servingCost ?? 0) > 0;
  const ranked = rank(results.map((d) => ({ device: d.device, value: pick(d)?.best, score: pick(d)?.best?.tokensPerS ?? 0 })));
  const head = ['Top', 'Device', phase === 'prefill' ? 'Throughput (input token/s)' : 'Throughput (token/s)'];
  if (phase !== 'decode') head.push('TTFT (ms)');
  if (phase !== 'prefill') head.push('TPOT (ms)');
  head.push('Concurrency', 'Parallel', 'Batch', 'num_devices');
  if (cost) head.push(phase === 'prefill' ? 'Cost per 1M input tokens' : 'Cost per 1M output tokens');
  const rows = ranked.map((r, i) => {
    const p = r.value;
    if (!p) return ['-', r.device, 'no configuration meets the limits', ...head.slice(3).map(() => '-')];
    const row = [String(i + 1), r.device, fixed(p.tokensPerS)];
    if (phase !== 'decode') row.push(fixed(p.ttftMs));
    if (phase !== 'prefill') row.push(fixed(p.tpotMs));
    row.push(String(p.concurrency), formatParallel(p.parallel, ctx.moe), String(p.batchSize), String(p.numDevices));
    if (cost) {
      const c = pointCost(ctx.result.request.servingCost ?? 0, p);
      row.push(c === undefined ? '-' : fixed(c, 4));
    }
    return row;
  });
  return [SUMMARY_STARS, title, SUMMARY_RULE, asciiTable(head, rows), ''].join('\n');
}

function pdSummary(ctx: RenderContext, results: DeviceOptimizeResult[]): string {
  const r = ctx.result.request;
  const { prefillDevicesPerInstance: pDev, decodeDevicesPerInstance: dDev } = r.pdRatio!;
  const withSplit = results.some((d) => d.pdRatio?.split);
  // Balanced QPS per device: requests/s one device of a fleet in the PD ratio serves.
  const perDevice = (d: DeviceOptimizeResult): number => {
    const pd = d.pdRatio;
    if (!pd || !(pd.prefillQps > 0) || !(pd.decodeQps > 0)) return 0;
    return 1 / (pDev / pd.prefillQps + dDev / pd.decodeQps);
  };
  const feasible = (d: DeviceOptimizeResult): boolean => d.pdRatio?.prefill.best !== undefined && d.pdRatio.decode.best !== undefined;
  const ranked = rank(
    results.map((d) => ({ device: d.device, value: feasible(d) ? d : undefined, score: withSplit ? (d.pdRatio?.split?.systemQps ?? 0) : perDevice(d) })),
  );
  const cost = (r.servingCost ?? 0) > 0;
  const head = ['Top', 'Device', 'P QPS (req/s)', 'D QPS (req/s)', 'PD Ratio', 'Balanced QPS/device', 'TTFT (ms)', 'TPOT (ms)', 'Prefill Parallel', 'Decode Parallel'];
  if (withSplit) head.push('P:D Instances', 'System QPS (req/s)', 'System Throughput (token/s)');
  if (cost) head.push('Cost per 1M output tokens');
  const rows = ranked.map((x, i) => {
    const d = x.value;
    if (!d?.pdRatio) return ['-', x.device, 'no configuration meets the limits', ...head.slice(3).map(() => '-')];
    const pd = d.pdRatio;
    const row = [
      String(i + 1),
      d.device,
      fixed(pd.prefillQps, 3),
      fixed(pd.decodeQps, 3),
      fixed(pd.pdRatio, 3),
      fixed(perDevice(d), 4),
      fixed(pd.prefill.best!.ttftMs),
      fixed(pd.decode.best!.tpotMs),
      formatParallel(pd.prefill.best!.parallel, ctx.moe),
      formatParallel(pd.decode.best!.parallel, ctx.moe),
    ];
    if (withSplit) {
      const s = pd.split;
      row.push(s ? `${s.prefillInstances}:${s.decodeInstances}` : '-', s ? fixed(s.systemQps, 3) : '-', s ? fixed(s.systemQps * r.workload.outputLength) : '-');
    }
    if (cost) {
      const c = pdCost(r.servingCost ?? 0, pd, pDev, dDev, r.workload.outputLength);
      row.push(c === undefined ? '-' : fixed(c, 4));
    }
    return row;
  });
  return [
    SUMMARY_STARS,
    'Cross-hardware - PD Ratio (best balanced QPS per device under TTFT/TPOT limits)',
    SUMMARY_RULE,
    asciiTable(head, rows),
    '',
  ].join('\n');
}

/** The ranked cross-hardware summary (or summaries, for disaggregation) of seed 002. */
export function renderCrossHardware(ctx: RenderContext): string {
  const results = ctx.result.perDevice;
  const mode = ctx.result.request.mode;
  if (mode === 'agg') {
    return phaseSummary(ctx, results, (d) => d.agg, 'agg', 'Cross-hardware - PD Aggregated (best throughput config per device under TTFT/TPOT limits)');
  }
  if (mode === 'disagg') {
    const out: string[] = [];
    if (results.some((d) => d.prefill)) {
      out.push(phaseSummary(ctx, results, (d) => d.prefill, 'prefill', 'Cross-hardware - PD Disaggregated Prefill (best input throughput config per device under TTFT limit)'));
    }
    if (results.some((d) => d.decode)) {
      out.push(phaseSummary(ctx, results, (d) => d.decode, 'decode', 'Cross-hardware - PD Disaggregated Decode (best throughput config per device under TPOT limit)'));
    }
    return out.join('');
  }
  return pdSummary(ctx, results);
}
