/**
 * Runs seed 002's optimizer for the CLI: checks the request once, searches
 * each device and times each search.
 */
import { checkOptimizeRequest, optimizeDevice, type DeviceOptimizeResult, type OptimizeRequest, type OptimizeResult } from '../../engine/index.js';
import type { Logger } from './log.js';

export interface EvaluateOptions {
  collectSweep: boolean;
  /** --jobs: the most worker threads (only used with forceWorkers; see below). */
  jobs: number;
  /** Search the devices after the first on worker threads (tests of the worker path). */
  forceWorkers?: boolean;
  log?: Logger;
}

/**
 * Why --jobs does not start workers (measured with `npm run bench` and the
 * built CLI on the 2-core dev box, node 20):
 *   - a worker that imports the engine and searches the seed's aggregation
 *     example needs ~37 ms before its result; the same search in-process
 *     takes 0.4 ms warm, 5 ms cold;
 *   - the heaviest search we know (DeepSeek-V3 on 64 devices, --tp-sizes
 *     --ep-sizes --moe-dp-sizes all open, three profiles) takes 69 ms
 *     in-process and 397 ms on three workers: every worker pays the module
 *     load and the JIT warm-up again, and the search is too short to amortize
 *     them (whole CLI: 0.53-0.70 s with --jobs 1 vs 0.90-1.2 s on workers).
 * So --jobs N is accepted (seed 002's flag) and devices are searched
 * in-process; the worker path (./worker.ts) stays for the hidden
 * --force-workers flag, which the tests use to show that the result does
 * not depend on where it was computed.
 */
function timed(req: OptimizeRequest, index: number, collectSweep: boolean): DeviceOptimizeResult {
  const t0 = performance.now();
  const r = optimizeDevice(req, req.devices[index]!, { collectSweep });
  r.elapsedMs = performance.now() - t0;
  return r;
}

export async function evaluate(req: OptimizeRequest, opts: EvaluateOptions): Promise<OptimizeResult> {
  checkOptimizeRequest(req);
  const { model, devices, ...rest } = req;
  const perDevice: DeviceOptimizeResult[] = [timed(req, 0, opts.collectSweep)];
  const remaining = devices.map((_, i) => i).slice(1);
  const useWorkers = remaining.length > 0 && opts.forceWorkers === true;
  opts.log?.info(
    `searching ${devices.length} device profile(s) ${useWorkers ? `on ${Math.min(Math.max(1, opts.jobs), remaining.length)} worker thread(s) after the first` : 'in-process'} (--jobs ${opts.jobs})`,
  );
  if (useWorkers) {
    const { optimizeOnWorkers } = await import('./worker.js');
    const results = await optimizeOnWorkers(req, remaining, opts.jobs, opts.collectSweep);
    for (const i of remaining) perDevice.push(results.get(i)!);
  } else {
    for (const i of remaining) perDevice.push(timed(req, i, opts.collectSweep));
  }
  return { request: { ...rest, model: model.id, devices: devices.map((d) => d.name) }, perDevice };
}
