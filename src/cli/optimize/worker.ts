/**
 * Device searches on worker threads. This file is both the spawner
 * (`optimizeOnWorkers`, main thread) and the worker's entry (the block at the
 * bottom runs only inside a worker started by it). The engine is pure, so a
 * device's result is the same value on any thread.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { OptixUserError } from '../../errors.js';
import { optimizeDevice, type DeviceOptimizeResult, type OptimizeRequest } from '../../engine/index.js';

interface Job {
  kind: 'optix-optimize-devices';
  req: OptimizeRequest;
  indices: number[];
  collectSweep: boolean;
}

type Reply =
  | { index: number; result: DeviceOptimizeResult }
  | { index: number; error: { message: string; hint?: string; user: boolean; stack?: string } };

function runJob(job: Job): void {
  for (const index of job.indices) {
    const device = job.req.devices[index]!;
    let reply: Reply;
    try {
      const t0 = performance.now();
      const result = optimizeDevice(job.req, device, { collectSweep: job.collectSweep });
      result.elapsedMs = performance.now() - t0;
      reply = { index, result };
    } catch (e) {
      const user = e instanceof OptixUserError;
      const err = e instanceof Error ? e : new Error(String(e));
      reply = { index, error: { message: err.message, user, ...(user && e.hint ? { hint: e.hint } : {}), ...(err.stack ? { stack: err.stack } : {}) } };
    }
    parentPort!.postMessage(reply);
  }
}

/**
 * Searches `indices` of `req.devices` on up to `jobs` workers (round-robin).
 * An OptixUserError inside a worker is rethrown here as one; the first error
 * by device order wins, as it would in-process.
 */
export async function optimizeOnWorkers(
  req: OptimizeRequest,
  indices: number[],
  jobs: number,
  collectSweep: boolean,
): Promise<Map<number, DeviceOptimizeResult>> {
  const n = Math.max(1, Math.min(jobs, indices.length));
  const groups: number[][] = Array.from({ length: n }, () => []);
  indices.forEach((idx, i) => groups[i % n]!.push(idx));
  const results = new Map<number, DeviceOptimizeResult>();
  const errors = new Map<number, Error>();
  await Promise.all(
    groups.map(
      (group) =>
        new Promise<void>((resolve, reject) => {
          const job: Job = { kind: 'optix-optimize-devices', req, indices: group, collectSweep };
          const worker = new Worker(new URL(import.meta.url), { workerData: job });
          worker.on('message', (r: Reply) => {
            if ('result' in r) results.set(r.index, r.result);
            else {
              const e = r.error.user ? new OptixUserError(r.error.message, r.error.hint ? { hint: r.error.hint } : {}) : new Error(r.error.message);
              if (!r.error.user && r.error.stack) e.stack = r.error.stack;
              errors.set(r.index, e);
            }
          });
          worker.on('error', reject);
          worker.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`optimize worker exited with code ${code}`))));
        }),
    ),
  );
  const firstError = [...errors.entries()].sort((a, b) => a[0] - b[0])[0];
  if (firstError) throw firstError[1];
  return results;
}

if (!isMainThread && parentPort && (workerData as Job | undefined)?.kind === 'optix-optimize-devices') {
  runJob(workerData as Job);
}
