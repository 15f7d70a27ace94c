/**
 * The console tables of NVIDIA `genai-perf profile` and its successor `aiperf profile` (rich
 * box-drawing tables):
 *
 *                     NVIDIA GenAI-Perf | LLM Metrics          (aiperf: "NVIDIA AIPerf | LLM Metrics")
 *   ┃                Statistic ┃    avg ┃    min ┃ ... ┃    p99 ┃    p90 ┃    p75 ┃
 *   │ Time to first token (ms) │  13.68 │  11.07 │ ... │  18.81 │  14.29 │  13.97 │
 *   │  Time to First           │ ...                                            (narrow terminal:
 *   │     Token (ms)           │        │        │  the label wraps onto a row with empty cells)
 *
 * Both tools define inter-token latency per request as (latency - TTFT) / (output tokens - 1),
 * which is what vLLM calls TPOT, so that row fills both itlMs and tpotMs.
 */
import type { RunMetrics } from '../runners/types.js';
import { latencyKey, linesWithOffsets, parseNumber } from './numbers.js';
import type { FoundBlock } from './types.js';

const TITLE = /NVIDIA (GenAI-Perf|AIPerf) \| LLM Metrics\s*$/;
const LATENCY_ROWS: Array<[RegExp, Array<'ttft' | 'tpot' | 'itl' | 'e2e'>]> = [
  [/^time to first token \(ms\)$/, ['ttft']],
  [/^inter token latency \(ms\)$/, ['itl', 'tpot']],
  [/^request latency \(ms\)$/, ['e2e']],
];
const AVG_ROWS: Array<[RegExp, string]> = [
  [/^output token throughput \((per sec|tokens\/sec)\)$/, 'outputTokensPerS'],
  [/^request throughput \((per sec|req\/s|requests\/sec)\)$/, 'requestsPerS'],
  [/^total token throughput \((per sec|tokens\/sec)\)$/, 'totalTokensPerS'],
  [/^output token throughput per user \(tokens\/sec\/user\)$/, 'outputTokensPerSPerUser'],
  [/^request count \((count|requests)\)$/, 'completedRequests'],
];

function cells(line: string, sep: string): string[] {
  const parts = line.split(sep);
  // Drop what lies outside the outer borders.
  return parts.slice(1, -1).map((c) => c.trim());
}

interface Row {
  label: string;
  values: string[];
}

function rowsToMetrics(columns: string[], rows: Row[]): RunMetrics {
  const metrics: RunMetrics = {};
  for (const row of rows) {
    const label = row.label.replace(/\s+/g, ' ').trim().toLowerCase();
    const latency = LATENCY_ROWS.find(([re]) => re.test(label));
    if (latency) {
      columns.forEach((col, c) => {
        const value = parseNumber(row.values[c] ?? '');
        if (value === undefined) return;
        for (const base of latency[1]) {
          const key = latencyKey(col, base);
          if (key) metrics[key] = value;
        }
      });
      continue;
    }
    const avg = AVG_ROWS.find(([re]) => re.test(label));
    const avgCol = columns.indexOf('avg');
    if (avg && avgCol >= 0) {
      const value = parseNumber(row.values[avgCol] ?? '');
      if (value !== undefined) metrics[avg[1]] = value;
    }
  }
  return metrics;
}

export function extractPerfTable(text: string): FoundBlock[] {
  const blocks: FoundBlock[] = [];
  const lines = linesWithOffsets(text);
  for (let i = 0; i < lines.length; i++) {
    const head = lines[i];
    const title = head === undefined ? null : TITLE.exec(head.line);
    if (!head || !title) continue;
    let columns: string[] = [];
    const rows: Row[] = [];
    for (i = i + 1; i < lines.length; i++) {
      const line = lines[i]?.line ?? '';
      if (line.includes('└') || (line.trim() === '' && rows.length > 0)) break;
      if (line.includes('┃')) {
        columns = cells(line, '┃').slice(1).map((c) => c.toLowerCase());
        continue;
      }
      if (!line.includes('│')) continue;
      const [label = '', ...values] = cells(line, '│');
      const prev = rows[rows.length - 1];
      if (prev && values.every((v) => v === '')) prev.label += ` ${label}`;
      else rows.push({ label, values });
    }
    blocks.push({
      at: head.at,
      tool: title[1] === 'AIPerf' ? 'aiperf' : 'genai-perf',
      metrics: rowsToMetrics(columns, rows),
    });
  }
  return blocks;
}
