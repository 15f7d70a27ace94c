/**
 * Seed 001's GPU filtering, adapted: cases on real hardware (command, slurm)
 * compare supported_gpus with GPU_TYPE, defaulting to the seed's GB200; cases
 * the engine simulates run on any machine and are filtered only when GPU_TYPE
 * is set explicitly.
 */
import type { CaseConfig } from './case.js';

export const DEFAULT_HARDWARE_GPU_TYPE = 'GB200';

export type GpuDecision = { run: true } | { run: false; reason: string };

export function supportedGpus(config: CaseConfig): string[] {
  const listed = config.metadata.supported_gpus;
  if (listed !== undefined && listed.length > 0) return listed;
  return config.hardware.device !== undefined ? [config.hardware.device] : [];
}

export function gpuDecision(config: CaseConfig, gpuTypeEnv: string | undefined): GpuDecision {
  const explicit = gpuTypeEnv !== undefined && gpuTypeEnv.trim() !== '' ? gpuTypeEnv.trim() : undefined;
  const runner = config.runner ?? 'engine';
  const gpuType = explicit ?? (runner === 'engine' ? undefined : DEFAULT_HARDWARE_GPU_TYPE);
  if (gpuType === undefined) return { run: true };
  const supported = supportedGpus(config);
  if (supported.some((g) => g.toUpperCase() === gpuType.toUpperCase())) return { run: true };
  const source = explicit !== undefined ? 'GPU_TYPE' : 'GPU_TYPE (default for hardware runners)';
  return { run: false, reason: `${source}=${gpuType} not in supported_gpus [${supported.join(', ')}]` };
}
