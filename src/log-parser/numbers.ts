/** Parses a number as benchmark tools print it ('1,799.53', '1.4117E+17'); undefined for 'N/A', '-', '12.…'. */
export function parseNumber(raw: string): number | undefined {
  const s = raw.trim().replace(/,/g, '');
  if (!/^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
}

/** 'ttft' -> 'Ttft', used to build medianTtftMs, p99TtftMs, ... */
function cap(base: string): string {
  return base.charAt(0).toUpperCase() + base.slice(1);
}

/**
 * The normalized name of one latency statistic: mean -> ttftMs, median/p50 -> medianTtftMs,
 * p99 -> p99TtftMs, p99.9 -> p99_9TtftMs, std -> stdTtftMs, min/max -> minTtftMs/maxTtftMs.
 */
export function latencyKey(stat: string, base: 'ttft' | 'tpot' | 'itl' | 'e2e'): string | undefined {
  const s = stat.trim().toLowerCase();
  if (s === 'mean' || s === 'avg' || s === 'average') return `${base}Ms`;
  if (s === 'median' || s === 'p50') return `median${cap(base)}Ms`;
  if (s === 'std') return `std${cap(base)}Ms`;
  if (s === 'min' || s === 'minimum') return `min${cap(base)}Ms`;
  if (s === 'max' || s === 'maximum') return `max${cap(base)}Ms`;
  const p = /^p(\d+(?:\.\d+)?)$/.exec(s);
  if (p?.[1] !== undefined) return `p${p[1].replace('.', '_')}${cap(base)}Ms`;
  return undefined;
}

/** Splits a log into lines with their character offsets. */
export function linesWithOffsets(text: string): Array<{ line: string; at: number }> {
  const out: Array<{ line: string; at: number }> = [];
  let at = 0;
  for (const line of text.split('\n')) {
    out.push({ line: line.replace(/\r$/, ''), at });
    at += line.length + 1;
  }
  return out;
}
