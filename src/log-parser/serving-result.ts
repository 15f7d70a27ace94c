/**
 * vLLM `vllm bench serve` (and the older benchmarks/benchmark_serving.py) and SGLang
 * `python -m sglang.bench_serving` print the same block:
 *
 *   ============ Serving Benchmark Result ============
 *   Backend:                                 sglang          <- SGLang only
 *   Max request concurrency:                 64              <- SGLang; vLLM: "Maximum request concurrency"
 *   Request throughput (req/s):              3.77
 *   ...
 *   Mean TTFT (ms):                          2074.09
 *   P99 TTFT (ms):                           15089.74
 *   ==================================================
 */
import type { RunMetrics } from '../runners/types.js';
import { latencyKey, linesWithOffsets, parseNumber } from './numbers.js';
import type { FoundBlock } from './types.js';

const HEADER = /=+\s*Serving Benchmark Result\s*=+/;
const CLOSER = /^\s*={20,}\s*$/;
const LABEL_VALUE = /^\s*([^:]+?):\s+(\S+)\s*$/;
const STAT = /^(Mean|Median|Std|P\d+(?:\.\d+)?)\s+(TTFT|TPOT|ITL|E2EL|E2E Latency)\s+\(ms\)$/i;

const BASES: Record<string, 'ttft' | 'tpot' | 'itl' | 'e2e'> = {
  ttft: 'ttft',
  tpot: 'tpot',
  itl: 'itl',
  e2el: 'e2e',
  'e2e latency': 'e2e',
};

const PLAIN: Record<string, string> = {
  'request throughput (req/s)': 'requestsPerS',
  'output token throughput (tok/s)': 'outputTokensPerS',
  'total token throughput (tok/s)': 'totalTokensPerS',
  'total throughput (tok/s)': 'totalTokensPerS',
  'input token throughput (tok/s)': 'inputTokensPerS',
  'benchmark duration (s)': 'durationS',
  'successful requests': 'completedRequests',
};

const CONCURRENCY_LABELS = new Set(['maximum request concurrency', 'max request concurrency']);

export function extractServingResult(text: string): FoundBlock[] {
  const blocks: FoundBlock[] = [];
  const lines = linesWithOffsets(text);
  for (let i = 0; i < lines.length; i++) {
    const head = lines[i];
    if (head === undefined || !HEADER.test(head.line)) continue;
    const metrics: RunMetrics = {};
    let concurrency: number | undefined;
    let sglang = false;
    for (i = i + 1; i < lines.length; i++) {
      const line = lines[i]?.line ?? '';
      if (CLOSER.test(line) || HEADER.test(line)) {
        if (HEADER.test(line)) i--;
        break;
      }
      const m = LABEL_VALUE.exec(line);
      if (!m?.[1] || m[2] === undefined) continue;
      const label = m[1].trim();
      const lower = label.toLowerCase();
      if (lower === 'backend') sglang = true;
      const value = parseNumber(m[2]);
      if (value === undefined) continue;
      if (CONCURRENCY_LABELS.has(lower)) {
        concurrency = value;
        continue;
      }
      const stat = STAT.exec(label);
      if (stat?.[1] && stat[2]) {
        const base = BASES[stat[2].toLowerCase()];
        const key = base && latencyKey(stat[1], base);
        if (key) metrics[key] = value;
        continue;
      }
      const plain = PLAIN[lower];
      if (plain) metrics[plain] = value;
    }
    const block: FoundBlock = { at: head.at, tool: sglang ? 'sglang' : 'vllm', metrics };
    if (concurrency !== undefined) block.concurrency = concurrency;
    blocks.push(block);
  }
  return blocks;
}
