/**
 * Resets the regression bounds of the engine-run perf cases after an engine
 * change that is meant to move predictions (docs/harness.md, "Resetting perf
 * bounds"): per-concurrency `max` bounds become 1.3 x predicted, `min` bounds
 * 0.7 x predicted, and top-level `min` bounds 0.7 x the smallest prediction.
 * Top-level `max` bounds are SLO statements and stay. Comments are kept; the
 * `# predicted ...` comment of each concurrency is rewritten.
 *
 *   npx tsc -p . && node dist/scripts/reset-perf-bounds.js [config-dir]      (default test_configs)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { isMap, isScalar, parseDocument, type YAMLMap } from 'yaml';
import { loadCases } from '../src/loader/index.js';
import { runEngineCase } from '../src/runners/engine.js';

const LATENCY_UP = 1.3;
const THROUGHPUT_DOWN = 0.7;

function round3(v: number): number {
  return Number(v.toPrecision(3));
}

function describePoint(m: Record<string, number>): string {
  const parts: string[] = [];
  if (m.ttftMs !== undefined) parts.push(`TTFT ${round3(m.ttftMs)} ms`);
  if (m.tpotMs !== undefined) parts.push(`TPOT ${round3(m.tpotMs)} ms`);
  if (m.tokensPerS !== undefined) parts.push(`${round3(m.tokensPerS)} tokens/s`);
  return ` predicted ${parts.join(', ')}`;
}

function resetBound(bound: YAMLMap, predicted: number): void {
  if (bound.has('max')) bound.set('max', round3(predicted * LATENCY_UP));
  if (bound.has('min')) bound.set('min', round3(predicted * THROUGHPUT_DOWN));
}

const configDir = process.argv[2] ?? 'test_configs';
let changed = 0;
for (const c of loadCases({ configDir })) {
  if (c.category !== 'perf' || !c.config || (c.config.runner ?? 'engine') !== 'engine' || !c.config.expect) continue;
  const outcome = runEngineCase(c.config);
  const byConcurrency = new Map(outcome.points.map((p) => [String(p.concurrency), p.metrics]));
  const doc = parseDocument(readFileSync(c.absFile, 'utf8'));
  const expectNode = doc.get('expect', true);
  if (!isMap(expectNode)) continue;
  for (const pair of expectNode.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    if (key === 'concurrency' && isMap(pair.value)) {
      for (const cp of pair.value.items) {
        const metrics = byConcurrency.get(isScalar(cp.key) ? String(cp.key.value) : '');
        if (!metrics || !isMap(cp.value)) continue;
        for (const mp of cp.value.items) {
          const name = isScalar(mp.key) ? String(mp.key.value) : '';
          if (isMap(mp.value) && metrics[name] !== undefined) resetBound(mp.value, metrics[name]);
        }
        cp.value.commentBefore = describePoint(metrics);
      }
    } else if (isMap(pair.value) && pair.value.has('min')) {
      const values = outcome.points.map((p) => p.metrics[key]).filter((v): v is number => v !== undefined);
      if (values.length > 0) pair.value.set('min', round3(Math.min(...values) * THROUGHPUT_DOWN));
    }
  }
  writeFileSync(c.absFile, doc.toString({ flowCollectionPadding: false }));
  changed++;
  console.log(`reset ${c.file}`);
}
console.log(`${changed} perf case(s) reset`);
