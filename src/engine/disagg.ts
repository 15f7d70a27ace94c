/**
 * What a disaggregated deployment adds to the TTFT of its prefill worker under
 * steady-state scheduling: the request's KV cache travels to a decode worker,
 * which streams the first token after its next iteration.
 */
import { gridCapacity, tierForGroup } from './devices/grid.js';
import { SCHEDULERS, steadyStateDecodeMs } from './scheduler.js';
import { numDevices, type StepPricer } from './serving.js';

/**
 * KV cache hand-off of one request (ms): every prefill device sends its shard
 * (input length x its KV bytes per token) over the tier that holds both
 * workers (prefill devices + decode devices), in parallel with the others.
 */
export function kvHandoffMs(prefill: StepPricer, decodeDevices: number): number {
  const device = prefill.dep.device;
  const bytes = prefill.dep.workload.inputLength * prefill.kvBytesPerToken();
  const tier = tierForGroup(device, Math.min(numDevices(prefill.dep.par) + decodeDevices, gridCapacity(device)));
  return (tier.latencyS + bytes / (tier.bandwidthBytesPerS * tier.efficiency)) * 1000;
}

/** Steady-state TTFT of a disaggregated request: prefill worker's TTFT + KV hand-off + one decode iteration. */
export function disaggTtftMs(prefillTtftMs: number, prefill: StepPricer, decodeDevices: number, decodeStepMs: number): number {
  const sched = SCHEDULERS[prefill.dep.serving.servingEngine];
  return prefillTtftMs + kvHandoffMs(prefill, decodeDevices) + steadyStateDecodeMs(sched, decodeStepMs);
}
