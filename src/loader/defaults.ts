/**
 * Seed 001's "default metrics": most cases say nothing about metrics and get
 * these; a case's own `benchmark.metrics` keys win one by one.
 *
 * `required` names normalized metrics every point must have. `metric_names`
 * belongs with a custom `extractor_pattern` (docs/runners.md), so defaults
 * never set it, and a case with its own pattern gets no default `required`.
 */
import type { CaseConfig, MetricsConfig } from '../harness/case.js';

/** The engine runner's metrics, each required at every concurrency point. */
export const ENGINE_METRIC_NAMES = ['ttftMs', 'tpotMs', 'tokensPerS', 'tokensPerSPerDevice', 'tokensPerSPerUser'] as const;

/** Command/SLURM runners parse logs; latency is what every serving benchmark prints. */
export const LOG_METRIC_NAMES = ['ttftMs', 'tpotMs'] as const;

export function defaultMetrics(runner: CaseConfig['runner'], own: MetricsConfig = {}): MetricsConfig {
  if (runner === undefined || runner === 'engine') return { required: [...ENGINE_METRIC_NAMES] };
  if (own.extractor_pattern !== undefined) return {};
  return { required: [...LOG_METRIC_NAMES] };
}

/** Returns a copy whose benchmark.metrics is defaults <- file (file wins per key). */
export function mergeDefaultMetrics(config: CaseConfig): CaseConfig {
  const bench: unknown = config.benchmark;
  if (bench === null || typeof bench !== 'object' || Array.isArray(bench)) return config;
  const own: unknown = config.benchmark.metrics ?? {};
  // Anything but a mapping stays as written so the schema names it.
  if (own === null || typeof own !== 'object' || Array.isArray(own)) return config;
  const merged: MetricsConfig = { ...defaultMetrics(config.runner, own as MetricsConfig), ...(own as MetricsConfig) };
  return { ...config, benchmark: { ...config.benchmark, metrics: merged } };
}
