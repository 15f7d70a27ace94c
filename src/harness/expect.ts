/**
 * Checks a run's points against the case's `expect` bounds and metric list.
 * Messages say predicted vs expected and the relative change, so a failing
 * test reads like a regression report.
 */
import type { RunPoint } from '../runners/types.js';
import type { Bound, CaseConfig } from './case.js';
import type { PathSegment } from '../loader/index.js';

export interface ExpectationFailure {
  /** Where in the YAML the violated bound (or metric list) is written. */
  path: PathSegment[];
  message: string;
}

export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const abs = Math.abs(v);
  return abs >= 100 ? v.toFixed(1) : abs >= 1 ? v.toFixed(2) : v.toPrecision(3);
}

function pct(predicted: number, reference: number): string {
  if (reference === 0) return 'n/a';
  const p = ((predicted - reference) / Math.abs(reference)) * 100;
  return `${p >= 0 ? '+' : ''}${p.toFixed(1)}%`;
}

/** One bound against one value; undefined when it holds. */
export function checkBound(metric: string, concurrency: number, value: number, b: Bound): string | undefined {
  const at = `${metric} at concurrency ${concurrency}`;
  if (b.baseline !== undefined && b.tolerance_pct !== undefined) {
    const lo = b.baseline * (1 - b.tolerance_pct / 100);
    const hi = b.baseline * (1 + b.tolerance_pct / 100);
    if (!(value >= lo && value <= hi)) {
      return `${at}: predicted ${fmt(value)} vs expected ${fmt(b.baseline)} ± ${b.tolerance_pct}% (${pct(value, b.baseline)}; allowed ${fmt(lo)}..${fmt(hi)})`;
    }
  }
  if (b.min !== undefined && !(value >= b.min)) {
    return `${at}: predicted ${fmt(value)} < expected min ${fmt(b.min)} (${pct(value, b.min)})`;
  }
  if (b.max !== undefined && !(value <= b.max)) {
    return `${at}: predicted ${fmt(value)} > expected max ${fmt(b.max)} (${pct(value, b.max)})`;
  }
  return undefined;
}

export function checkExpectations(config: CaseConfig, points: RunPoint[]): ExpectationFailure[] {
  const out: ExpectationFailure[] = [];
  const m = config.benchmark.metrics;
  const required = [...new Set([...(m?.required ?? []), ...(m?.metric_names ?? [])])];
  for (const p of points) {
    const missing = required.filter((m) => !(m in p.metrics));
    if (missing.length > 0) {
      out.push({
        path: ['benchmark', 'metrics'],
        message: `concurrency ${p.concurrency}: metrics ${missing.join(', ')} not produced (got ${Object.keys(p.metrics).join(', ') || 'none'})`,
      });
    }
  }
  const expect = config.expect ?? {};
  const apply = (metric: string, bound: Bound, path: PathSegment[], only?: number) => {
    const targets = only === undefined ? points : points.filter((p) => p.concurrency === only);
    if (only !== undefined && targets.length === 0) {
      out.push({ path, message: `${metric}: no result at concurrency ${only}` });
    }
    for (const p of targets) {
      const v = p.metrics[metric];
      if (v === undefined) {
        out.push({ path, message: `${metric} at concurrency ${p.concurrency}: not produced (got ${Object.keys(p.metrics).join(', ')})` });
        continue;
      }
      const msg = checkBound(metric, p.concurrency, v, bound);
      if (msg !== undefined) out.push({ path, message: msg });
    }
  };
  for (const [metric, bound] of Object.entries(expect)) {
    if (metric === 'concurrency' || bound === undefined) continue;
    apply(metric, bound as Bound, ['expect', metric]);
  }
  for (const [point, bounds] of Object.entries(expect.concurrency ?? {})) {
    for (const [metric, bound] of Object.entries(bounds)) {
      apply(metric, bound, ['expect', 'concurrency', point, metric], Number(point));
    }
  }
  return out;
}
