/**
 * Runs seed 002's optimizer for the CLI: checks the request once, searches
 * each device (in-process, or on worker threads when that pays off), and
 * times each device's search.
 */
import { checkOptimizeRequest, optimizeDevice, type DeviceOptimizeResult, type OptimizeRequest, type OptimizeResult } from '../../engine/index.js';
import type { Logger } from './log.js';

export interface EvaluateOptions {
  collectSweep: boolean;
  /** --jobs: worker threads for devices after the first. */
  jobs: number;
  /** Use workers whatever the first device's time says (tests of the worker path). */
  forceWorkers?: boolean;
  log?: Logger;
}

/**
 * When workers pay off. Measured on the 2-core dev box (node 20,
 * `npm run bench`, "worker start-up"): a worker that imports the engine and
 * searches one device costs ~35-45 ms before its first result, while a whole
 * device search of the seed's examples takes 1-15 ms in-process (one warm-up
 * device already paid the JIT). So with the seed's workloads workers always
 * lose and the search stays in-process; they win only for searches of ~100 ms
 * or more per device (e.g. --tp-sizes/--ep-sizes/--moe-dp-sizes all open on
 * 64 devices). The first device is always searched in-process and its time
 * predicts the rest: workers start only when the remaining in-process work is
 * expected to exceed this start-up cost by a clear margin.
 */
export const WORKER_STARTUP_MS = 40;
const WORKER_MARGIN = 2;

export function workersPayOff(firstDeviceMs: number, remainingDevices: number, jobs: number): boolean {
  if (jobs <= 1 || remainingDevices < 1) return false;
  const parallel = Math.min(jobs, remainingDevices);
  const inProcessMs = firstDeviceMs * remainingDevices;
  const onWorkersMs = WORKER_STARTUP_MS + (firstDeviceMs * remainingDevices) / parallel;
  return inProcessMs > WORKER_MARGIN * onWorkersMs;
}

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
  const useWorkers = remaining.length > 0 && opts.jobs > 1 && (opts.forceWorkers === true || workersPayOff(perDevice[0]!.elapsedMs!, remaining.length, opts.jobs));
  opts.log?.info(
    `searching ${devices.length} device profile(s) ${useWorkers ? `on ${Math.min(opts.jobs, remaining.length)} worker thread(s) after the first` : 'in-process'} (--jobs ${opts.jobs})`,
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
