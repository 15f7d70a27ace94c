/**
 * `optix estimate ... --json` output. The exact envelope belongs to the CLI, so this does not
 * assume one: it finds the JSON document in the log and takes every object (up to a few levels
 * deep, arrays included) that carries numeric ttftMs and tpotMs — an engine ServingPoint — with
 * its flat numeric fields as metrics, named as the engine names them (ttftMs, tpotMs, tokensPerS, ...).
 */
import type { RunMetrics } from '../runners/types.js';
import type { FoundBlock } from './types.js';

const MAX_DEPTH = 4;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The first JSON object/array in the log that parses, with its offset. */
function findJson(text: string): { value: unknown; at: number } | undefined {
  const starts = /^[ \t]*[[{]/gm;
  for (let m = starts.exec(text); m; m = starts.exec(text)) {
    const at = m.index;
    const rest = text.slice(at);
    // Try the longest candidates first: up to the last closing bracket, then shorter ones.
    for (let end = rest.length; end > 0; ) {
      const close = Math.max(rest.lastIndexOf('}', end - 1), rest.lastIndexOf(']', end - 1));
      if (close < 0) break;
      try {
        return { value: JSON.parse(rest.slice(0, close + 1)) as unknown, at };
      } catch {
        end = close;
      }
    }
  }
  return undefined;
}

function collect(value: unknown, depth: number, out: RunMetrics[], concurrencies: Array<number | undefined>): void {
  if (depth > MAX_DEPTH) return;
  if (Array.isArray(value)) {
    for (const v of value) collect(v, depth + 1, out, concurrencies);
    return;
  }
  if (!isRecord(value)) return;
  if (typeof value.ttftMs === 'number' && typeof value.tpotMs === 'number') {
    const metrics: RunMetrics = {};
    for (const [k, v] of Object.entries(value)) {
      if (k !== 'concurrency' && typeof v === 'number' && Number.isFinite(v)) metrics[k] = v;
    }
    out.push(metrics);
    concurrencies.push(typeof value.concurrency === 'number' ? value.concurrency : undefined);
    return;
  }
  for (const v of Object.values(value)) collect(v, depth + 1, out, concurrencies);
}

export function extractOptixJson(text: string): FoundBlock[] {
  if (!/"ttftMs"/.test(text)) return [];
  const found = findJson(text);
  if (!found) return [];
  const metrics: RunMetrics[] = [];
  const concurrencies: Array<number | undefined> = [];
  collect(found.value, 0, metrics, concurrencies);
  return metrics.map((m, i) => {
    const block: FoundBlock = { at: found.at, tool: 'optix', metrics: m };
    const c = concurrencies[i];
    if (c !== undefined) block.concurrency = c;
    return block;
  });
}
