/**
 * Seed 001's custom metrics: `extractor_pattern` (a regex whose capture groups are the values)
 * and `metric_names` (one name per group). Each match of the pattern is one point, in log order.
 * A list of patterns is also accepted, one per metric name, each with one group; the i-th match
 * of every pattern forms point i.
 */
import { OptixUserError } from '../errors.js';
import type { RunMetrics } from '../runners/types.js';
import { parseNumber } from './numbers.js';
import type { FoundBlock } from './types.js';

/** Compiles a user pattern; Python's `(?P<name>` (the seed's framework is Python) becomes `(?<name>`. */
export function compilePattern(pattern: string, where: { file?: string } = {}): RegExp {
  try {
    return new RegExp(pattern.replace(/\(\?P</g, '(?<'), 'gm');
  } catch (e) {
    throw new OptixUserError(`benchmark.metrics.extractor_pattern is not a valid regular expression: ${(e as Error).message}`, {
      ...where,
      hint: 'JavaScript regex syntax; put each value in a capture group ([0-9.]+)',
    });
  }
}

export function groupCount(re: RegExp): number {
  return (new RegExp(`${re.source}|`).exec('')?.length ?? 1) - 1;
}

export interface CustomSpec {
  extractorPattern: string | string[];
  metricNames: string[];
  file?: string;
}

export function extractCustom(text: string, spec: CustomSpec): FoundBlock[] {
  const where = spec.file === undefined ? {} : { file: spec.file };
  const patterns = Array.isArray(spec.extractorPattern) ? spec.extractorPattern : [spec.extractorPattern];
  const regexes = patterns.map((p) => compilePattern(p, where));
  const perMetric = Array.isArray(spec.extractorPattern);
  if (perMetric && regexes.length !== spec.metricNames.length) {
    throw new OptixUserError(
      `benchmark.metrics has ${regexes.length} extractor patterns but ${spec.metricNames.length} metric_names`,
      { ...where, hint: 'give one pattern per metric name' },
    );
  }
  const groups = regexes.map(groupCount);
  const expected = perMetric ? regexes.map(() => 1) : [spec.metricNames.length];
  groups.forEach((g, i) => {
    if (g !== expected[i]) {
      throw new OptixUserError(
        `benchmark.metrics.extractor_pattern has ${g} capture group(s) but ${expected[i]} metric name(s) to fill`,
        { ...where, hint: 'one capture group per metric name, e.g. "TTFT:\\s+([0-9.]+)"' },
      );
    }
  });

  const points: Array<{ at: number; metrics: RunMetrics }> = [];
  regexes.forEach((re, r) => {
    let i = 0;
    for (const m of text.matchAll(re)) {
      const point = (points[i] ??= { at: m.index, metrics: {} });
      point.at = Math.min(point.at, m.index);
      const names = perMetric ? [spec.metricNames[r]] : spec.metricNames;
      names.forEach((name, g) => {
        const value = parseNumber(m[g + 1] ?? '');
        if (name !== undefined && value !== undefined) point.metrics[name] = value;
      });
      i++;
    }
  });
  return points.map((p) => ({ at: p.at, tool: 'custom', metrics: p.metrics }));
}
