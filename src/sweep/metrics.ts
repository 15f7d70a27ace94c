/**
 * Utilisation figures of one timed forward pass over a deployment of
 * `devices` identical devices.
 *   MFU = model FLOPs / (time x matrix peak of the compute dtype x devices)
 *   MBU = model bytes / (time x HBM bandwidth x devices)
 */
import { OptixUserError } from '../errors.js';
import type { DeviceProfile, Dtype } from '../engine/types.js';

export function mfu(modelFlops: number, timeS: number, peakFlopsPerS: number, devices: number): number {
  return modelFlops / (timeS * peakFlopsPerS * devices);
}

export function mbu(modelBytes: number, timeS: number, hbmBytesPerS: number, devices: number): number {
  return modelBytes / (timeS * hbmBytesPerS * devices);
}

/** The matrix peak MFU is measured against: the GEMM dtype the quantization runs in. */
export function peakFor(device: DeviceProfile, dtype: Dtype): number {
  const peak = device.matrixPeakFlopsPerS[dtype];
  if (peak === undefined) {
    throw new OptixUserError(`device ${device.name} has no matrix peak for ${dtype}`, { hint: `add matrixPeakFlopsPerS.${dtype} to the profile` });
  }
  return peak;
}
