/**
 * `npm run bench`: speed of the engine and of `optix optimize` (issue 3).
 * Times are measured here and printed, never asserted in tests.
 *
 *   single estimate            evaluations/s of `estimate` after warm-up (target: well under 1 ms each)
 *   seed agg example           engine time of seed 002's first aggregation example (target < 20 ms)
 *   three-device comparison    the same on three profiles (target < 100 ms)
 *   worker start-up            one device on one worker thread vs in-process (feeds --jobs' rule)
 *   CLI process                wall time of `node dist/src/cli/main.js optimize ...` vs `node -e 0`
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveDevices } from '../src/catalog/devices.js';
import { resolveModel } from '../src/catalog/models.js';
import { defaultQuantOptions, defaultServingOptions, makeParallel } from '../src/engine/defaults.js';
import { estimate, optimize, optimizeDevice, type OptimizeRequest } from '../src/engine/index.js';
import { asciiTable } from '../src/cli/format.js';
import { optimizeOnWorkers } from '../src/cli/optimize/worker.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cli = path.join(root, 'dist/src/cli/main.js');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function timeMs(f: () => void): number {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
}

function runs(n: number, f: () => void): number[] {
  return Array.from({ length: n }, () => timeMs(f));
}

const rows: Array<[string, string, string, string]> = [];
function report(what: string, value: string, target: string, ok: boolean | undefined): void {
  rows.push([what, value, target, ok === undefined ? '' : ok ? 'ok' : 'MISSED']);
}

const qwen = resolveModel('Qwen/Qwen3-32B');
const seedAgg: OptimizeRequest = {
  model: qwen,
  devices: resolveDevices(['TEST_DEVICE']),
  numDevices: 8,
  quant: defaultQuantOptions({ linear: 'W8A8_DYNAMIC', attention: 'DISABLED' }),
  workload: { inputLength: 3500, outputLength: 1500, prefixCacheHitRate: 0 },
  serving: defaultServingOptions({ compile: true }),
  limits: { tpotMs: 50 },
  mode: 'agg',
  search: {},
};
const threeDevices: OptimizeRequest = { ...seedAgg, devices: resolveDevices(['TEST_DEVICE', 'ATLAS_800_A2_376T_64G', 'ATLAS_800_A3_560T_128G_DIE']) };

// 1. The seed's first aggregation example, cold (first engine call of this process), then warm.
const cold = timeMs(() => optimize(seedAgg));
const warm = median(runs(30, () => optimize(seedAgg)));
report('seed agg example, cold (first call)', `${cold.toFixed(2)} ms`, '< 20 ms', cold < 20);
report('seed agg example, warm (median of 30)', `${warm.toFixed(2)} ms`, '< 20 ms', warm < 20);

// 2. Three-device comparison.
const three = median(runs(20, () => optimize(threeDevices)));
report('three-device comparison (median of 20)', `${three.toFixed(2)} ms`, '< 100 ms', three < 100);

// 3. One estimate.
const est = {
  model: qwen,
  device: seedAgg.devices[0]!,
  parallel: makeParallel({ tp: 8 }),
  quant: seedAgg.quant,
  workload: seedAgg.workload,
  serving: seedAgg.serving,
  concurrency: 64,
};
for (let i = 0; i < 200; i++) estimate(est);
const n = 5000;
const estTotal = timeMs(() => {
  for (let i = 0; i < n; i++) estimate(est);
});
const perEstimate = estTotal / n;
report('single estimate', `${(1000 / perEstimate).toFixed(0)} evals/s (${(perEstimate * 1000).toFixed(1)} us each)`, '<< 1 ms each', perEstimate < 0.5);

// 4. Worker threads: what one device costs on a fresh worker vs in-process (the --jobs rule).
const heavy: OptimizeRequest = {
  ...seedAgg,
  model: resolveModel('deepseek-ai/DeepSeek-V3'),
  devices: resolveDevices(['ATLAS_800_A3_752T_128G_DIE', 'ATLAS_800_A3_560T_128G_DIE', 'TEST_DEVICE']),
  numDevices: 64,
  search: { tpSizes: [], epSizes: [], moeDpSizes: [] },
};
const workerTimes: number[] = [];
for (let i = 0; i < 3; i++) {
  const t0 = performance.now();
  await optimizeOnWorkers(seedAgg, [0], 1, false);
  workerTimes.push(performance.now() - t0);
}
const workerOne = median(workerTimes);
const inProcOne = median(runs(10, () => optimizeDevice(seedAgg, seedAgg.devices[0]!)));
report('worker start-up: seed example on 1 worker', `${workerOne.toFixed(1)} ms`, `in-process ${inProcOne.toFixed(2)} ms`, undefined);
optimize(heavy);
const heavyIn = median(runs(3, () => optimize(heavy)));
const heavyWorkers: number[] = [];
for (let i = 0; i < 3; i++) {
  const t0 = performance.now();
  await optimizeOnWorkers(heavy, [0, 1, 2], 3, false);
  heavyWorkers.push(performance.now() - t0);
}
report('DeepSeek-V3 64 dev, full TP/EP/MoE-DP, 3 devices', `in-process ${heavyIn.toFixed(1)} ms`, `3 workers ${median(heavyWorkers).toFixed(1)} ms`, undefined);

// 5. The whole CLI process vs Node's own start-up.
function wall(args: string[], times: number): number {
  const xs: number[] = [];
  for (let i = 0; i < times; i++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
    xs.push(performance.now() - t0);
    if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`);
  }
  return median(xs);
}
const seedArgs = [cli, 'optimize', 'Qwen/Qwen3-32B', '--device', 'TEST_DEVICE', '--num-devices', '8', '--input-length', '3500', '--output-length', '1500', '--compile', '--quantize-linear-action', 'W8A8_DYNAMIC', '--quantize-attention-action', 'DISABLED', '--tpot-limits', '50'];
const nodeOnly = wall(['-e', '0'], 7);
const cliWall = wall(seedArgs, 7);
const cliJson = wall([...seedArgs, '--json'], 7);
report('node -e 0 (median of 7)', `${nodeOnly.toFixed(0)} ms`, '', undefined);
report('optix optimize, seed agg example + plots', `${cliWall.toFixed(0)} ms (+${(cliWall - nodeOnly).toFixed(0)} ms)`, 'little above node', undefined);
report('optix optimize ... --json', `${cliJson.toFixed(0)} ms (+${(cliJson - nodeOnly).toFixed(0)} ms)`, 'little above node', undefined);

process.stdout.write(`${asciiTable(['measurement', 'value', 'target / compare', ''], rows)}\n`);
