/**
 * Seed 002's terminal sweep curves (single device only): throughput against
 * concurrency and against the phase's latency, one series per parallel
 * layout, over every non-OOM point of the sweep (not filtered by the limits).
 * Drawn by simple-ascii-chart; each series is marked with its own letter
 * (the library's legend swatch is a colour, which plain logs lose).
 */
import { plot, type Point } from 'simple-ascii-chart';
import type { PhaseResult } from '../../engine/api.js';
import type { ServingPoint } from '../../engine/types.js';
import { formatParallel } from '../format.js';

const MARKS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const WIDTH = 64;
const HEIGHT = 14;

export interface PlotSpec {
  title: string;
  xLabel: string;
  x: (p: ServingPoint) => number;
}

/** Seed 002's table of plots per mode. */
export function plotSpecs(phase: ServingPoint['mode'], pdRatio: boolean): PlotSpec[] {
  const vsConcurrency: PlotSpec = { title: 'Throughput vs Concurrency', xLabel: 'concurrency', x: (p) => p.concurrency };
  if (phase === 'prefill') return [vsConcurrency, { title: 'Throughput vs TTFT', xLabel: 'TTFT (ms)', x: (p) => p.ttftMs }];
  return [vsConcurrency, { title: pdRatio ? 'Throughput vs TPOT (Decode-side TPS)' : 'Throughput vs TPOT', xLabel: 'TPOT (ms)', x: (p) => p.tpotMs }];
}

function compact(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${Number((v / 1e6).toFixed(1))}M`;
  if (a >= 1e4) return `${Number((v / 1e3).toFixed(1))}k`;
  if (a >= 100) return String(Math.round(v));
  return String(Number(v.toFixed(1)));
}

/** About `count` round tick values spanning [min, max] (1/2/5 x 10^k steps). */
export function niceTicks(min: number, max: number, count = 6): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / Math.max(1, count - 1);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** Points grouped by parallel layout, in first-seen order. */
export function seriesByLayout(points: ServingPoint[], moe: boolean): Array<{ label: string; points: ServingPoint[] }> {
  const groups = new Map<string, ServingPoint[]>();
  for (const p of points) {
    if (p.oom) continue;
    const key = formatParallel(p.parallel, moe);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(p);
  }
  return [...groups.entries()].map(([label, pts]) => ({ label, points: pts }));
}

/** One chart; throws when there is nothing to draw or the library fails. */
export function renderPlot(spec: PlotSpec, phase: PhaseResult, moe: boolean): string {
  const series = seriesByLayout(phase.sweep, moe).slice(0, MARKS.length);
  if (series.length === 0) throw new Error('no non-OOM points in the sweep');
  const mark = new Map<string, string>();
  const lines: Point[][] = series.map((s, i) =>
    s.points.map((p) => {
      const pt: Point = [spec.x(p), p.tokensPerS];
      const key = `${pt[0]},${pt[1]}`;
      // Two layouts on one exact point share it; say so rather than hide one.
      mark.set(key, mark.has(key) && mark.get(key) !== MARKS[i] ? '*' : MARKS[i]!);
      return pt;
    }),
  );
  const xs = lines.flat().map((p) => p[0]);
  const ys = lines.flat().map((p) => p[1]);
  const chart = plot(lines, {
    width: WIDTH,
    height: HEIGHT,
    title: `${phase.phase === 'agg' ? '' : phase.phase === 'prefill' ? 'Prefill: ' : 'Decode: '}${spec.title} (${phase.phase === 'prefill' ? 'input ' : ''}token/s)`,
    xLabel: spec.xLabel,
    formatter: (v) => compact(v),
    // The library ticks every distinct x by default; a handful of round values reads better.
    customXAxisTicks: niceTicks(Math.min(...xs), Math.max(...xs)),
    customYAxisTicks: niceTicks(Math.min(...ys), Math.max(...ys)),
    symbols: { chart: { area: ' ' } },
    lineFormatter: (a) => ({ x: a.plotX, y: a.plotY, symbol: mark.get(`${a.x},${a.y}`) ?? '*' }),
    legend: { position: 'bottom', series: series.map((s, i) => `${MARKS[i]}: ${s.label}`) },
  });
  return chart
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n')
    .replace(/^\n+/, '');
}

/**
 * Every chart of one phase. A chart that fails becomes a one-line note and a
 * warning; the results were printed before and stay valid.
 */
export function renderPlots(phase: PhaseResult, moe: boolean, pdRatio: boolean, warn: (msg: string) => void): string {
  const out: string[] = [];
  for (const spec of plotSpecs(phase.phase, pdRatio)) {
    try {
      out.push(renderPlot(spec, phase, moe));
    } catch (e) {
      const msg = `${spec.title} (${phase.phase}) not drawn: ${e instanceof Error ? e.message : String(e)}`;
      warn(msg);
      out.push(`[plot skipped] ${msg}`);
    }
  }
  return `${out.join('\n\n')}\n`;
}
