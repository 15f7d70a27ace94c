/**
 * LogParser: benchmark log text -> metrics per concurrency point.
 *
 * Default extractors cover vLLM `bench serve`, SGLang `bench_serving`, TensorRT-LLM
 * `trtllm-bench throughput`, genai-perf / aiperf console tables and `optix estimate --json`;
 * a case's `benchmark.metrics.extractor_pattern` + `metric_names` (seed 001) replaces them.
 * Normalized names: ttftMs, tpotMs, itlMs, e2eMs (means), medianTtftMs, p99TtftMs, p90TpotMs, ...,
 * requestsPerS, outputTokensPerS, totalTokensPerS; custom metrics keep the names the case gives.
 */
import type { RunPoint } from '../runners/types.js';
import { extractCustom } from './custom.js';
import { extractOptixJson } from './optix-json.js';
import { extractPerfTable } from './perf-table.js';
import { extractServingResult } from './serving-result.js';
import { extractTrtllmBench } from './trtllm-bench.js';
import type { Extractor, FoundBlock } from './types.js';

export { compilePattern } from './custom.js';
export { parseNumber } from './numbers.js';

export interface MetricsSpec {
  /** Seed 001 `extractor_pattern`: one regex with a group per metric name, or one regex per name. */
  extractorPattern?: string | string[];
  /** Seed 001 `metric_names`: every point must have all of them. */
  metricNames?: string[];
  /** Normalized names every point must have (e.g. ['ttftMs', 'tpotMs']) with the default extractors. */
  required?: string[];
  /** The case's concurrency list: labels points the log does not label, and sets how many are expected. */
  concurrencyList?: number[];
  /** The case file, for error locations. */
  file?: string;
}

export interface ParsedLog {
  points: RunPoint[];
  /** Tools whose output was recognised, in log order, without repeats. */
  tools: string[];
}

export const DEFAULT_EXTRACTORS: readonly Extractor[] = [
  extractServingResult,
  extractTrtllmBench,
  extractPerfTable,
  extractOptixJson,
];

const CONCURRENCY_NEAR = /(?:--(?:max-)?concurrency[= ]+|\bconcurrency\b[^\n\d]{0,12}?)(\d+)\b/gi;

/** The last concurrency a log states between two offsets (the command line echoed, a banner, ...). */
function concurrencyBefore(text: string, from: number, to: number): number | undefined {
  let last: number | undefined;
  for (const m of text.slice(from, to).matchAll(CONCURRENCY_NEAR)) last = Number(m[1]);
  return last;
}

export function parseLog(text: string, spec: MetricsSpec = {}): ParsedLog {
  const custom = spec.extractorPattern !== undefined;
  const blocks: FoundBlock[] = custom
    ? extractCustom(text, {
        extractorPattern: spec.extractorPattern ?? [],
        metricNames: spec.metricNames ?? [],
        ...(spec.file === undefined ? {} : { file: spec.file }),
      })
    : DEFAULT_EXTRACTORS.flatMap((extract) => extract(text));
  blocks.sort((a, b) => a.at - b.at);

  const list = spec.concurrencyList;
  const listFits = list !== undefined && list.length === blocks.length;
  const points: RunPoint[] = blocks.map((block, i) => {
    const from = i === 0 ? 0 : (blocks[i - 1]?.at ?? 0) + 1;
    const concurrency =
      block.concurrency ?? concurrencyBefore(text, from, block.at) ?? (listFits ? list[i] : undefined) ?? 0;
    return { concurrency, metrics: block.metrics };
  });
  const tools = [...new Set(blocks.map((b) => b.tool))];
  return { points, tools };
}

/** Why the parsed log does not satisfy the case, or undefined when it does. */
export function checkMetrics(parsed: ParsedLog, spec: MetricsSpec = {}): string | undefined {
  const custom = spec.extractorPattern !== undefined;
  if (parsed.points.length === 0) {
    return custom
      ? `metric not found: extractor_pattern ${JSON.stringify(spec.extractorPattern)} matched nothing in the log`
      : 'metric not found: no benchmark results in the log (looked for vLLM/SGLang "Serving Benchmark Result", ' +
          'trtllm-bench "PERFORMANCE OVERVIEW", genai-perf/aiperf "LLM Metrics" tables, optix --json)';
  }
  const wanted = [...(custom ? (spec.metricNames ?? []) : []), ...(spec.required ?? [])];
  const problems: string[] = [];
  parsed.points.forEach((p, i) => {
    const missing = wanted.filter((name) => p.metrics[name] === undefined);
    if (Object.keys(p.metrics).length === 0) problems.push(`point ${i + 1} (concurrency ${p.concurrency}) has no metrics`);
    else if (missing.length > 0) problems.push(`point ${i + 1} (concurrency ${p.concurrency}) lacks ${missing.join(', ')}`);
  });
  const expected = spec.concurrencyList?.length ?? 0;
  if (parsed.points.length < expected) {
    problems.push(`found ${parsed.points.length} result block(s), expected ${expected} (one per concurrency_list entry)`);
  }
  return problems.length > 0 ? `metric not found: ${problems.join('; ')}` : undefined;
}
