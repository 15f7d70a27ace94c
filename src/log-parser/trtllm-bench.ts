/**
 * TensorRT-LLM `trtllm-bench ... throughput` report: a `= PERFORMANCE OVERVIEW` section of
 * `Label (unit):   value` lines, then (with --streaming) per-request breakdowns such as
 * `[TTFT] P99    : 106563.4497`, until the next `= SECTION` header.
 */
import type { RunMetrics } from '../runners/types.js';
import { latencyKey, linesWithOffsets, parseNumber } from './numbers.js';
import type { FoundBlock } from './types.js';

const HEADER = /^\s*=\s*PERFORMANCE OVERVIEW\s*$/;
const NEXT_SECTION = /^\s*=\s*[A-Z][A-Z +&/-]+\s*$/;
const LABEL_VALUE = /^\s*([^:]+?):\s+(\S+)\s*$/;
const BREAKDOWN = /^\s*\[(TTFT|TPOT|Latency)\]\s+(P\d+(?:\.\d+)?|MINIMUM|MAXIMUM|AVERAGE)\s*:\s*(\S+)\s*$/i;

const BASES: Record<string, 'ttft' | 'tpot' | 'e2e'> = { ttft: 'ttft', tpot: 'tpot', latency: 'e2e' };

/** Label prefixes (lowercase) -> metric; prefixes because unit spellings moved between releases. */
const PLAIN: Array<[string, string, number]> = [
  ['request throughput (req/sec)', 'requestsPerS', 1],
  ['total output throughput (tokens/sec)', 'outputTokensPerS', 1],
  ['total token throughput (tokens/sec)', 'totalTokensPerS', 1],
  ['average request latency (ms)', 'e2eMs', 1],
  ['average time-to-first-token [ttft] (ms)', 'ttftMs', 1],
  ['average time-per-output-token [tpot] (ms)', 'tpotMs', 1],
  ['per gpu output throughput', 'outputTokensPerSPerGpu', 1],
  ['per user output speed', 'outputTokensPerSPerUser', 1],
  // Wall time of the whole run, printed in ms; kept in seconds like vLLM's "Benchmark duration (s)".
  ['total latency (ms)', 'durationS', 1e-3],
];

export function extractTrtllmBench(text: string): FoundBlock[] {
  const blocks: FoundBlock[] = [];
  const lines = linesWithOffsets(text);
  for (let i = 0; i < lines.length; i++) {
    const head = lines[i];
    if (head === undefined || !HEADER.test(head.line)) continue;
    const metrics: RunMetrics = {};
    for (i = i + 1; i < lines.length; i++) {
      const line = lines[i]?.line ?? '';
      if (NEXT_SECTION.test(line) || /Serving Benchmark Result/.test(line)) {
        i--;
        break;
      }
      const b = BREAKDOWN.exec(line);
      if (b?.[1] && b[2] && b[3] !== undefined) {
        const base = BASES[b[1].toLowerCase()];
        const key = base && latencyKey(b[2], base);
        const value = parseNumber(b[3]);
        // The AVERAGE rows repeat the overview's averages; the overview line wins.
        if (key && value !== undefined && metrics[key] === undefined) metrics[key] = value;
        continue;
      }
      const m = LABEL_VALUE.exec(line);
      if (!m?.[1] || m[2] === undefined) continue;
      const lower = m[1].trim().toLowerCase();
      const value = parseNumber(m[2]);
      if (value === undefined) continue;
      const hit = PLAIN.find(([prefix]) => lower.startsWith(prefix));
      if (hit) metrics[hit[1]] = value * hit[2];
    }
    blocks.push({ at: head.at, tool: 'trtllm-bench', metrics });
  }
  return blocks;
}
