/**
 * `--serving-cost C`: the seed only says "the cost of service delivery"; optix
 * reads C as the price of one device-hour (any currency) and reports what one
 * million generated tokens cost at a configuration's throughput:
 *   cost per 1M tokens = C x devices / (tokens/s x 3600) x 1e6.
 * For a prefill instance the tokens are input tokens. For PD ratio the fleet is
 * the one the split describes (or, without --num-devices, P and D instances in
 * the PD ratio): its devices over its output tokens/s = system QPS x output length.
 */
import type { PdRatioResult } from '../../engine/api.js';
import type { ServingPoint } from '../../engine/types.js';

export function costPerMillionTokens(costPerDeviceHour: number, devices: number, tokensPerS: number): number | undefined {
  if (!(costPerDeviceHour > 0) || !(tokensPerS > 0)) return undefined;
  return ((costPerDeviceHour * devices) / (tokensPerS * 3600)) * 1e6;
}

export function pointCost(costPerDeviceHour: number, p: ServingPoint): number | undefined {
  return costPerMillionTokens(costPerDeviceHour, p.numDevices, p.tokensPerS);
}

/**
 * A PD fleet's cost per 1M output tokens. Without a split, a balanced fleet
 * spends pDevices / P QPS + dDevices / D QPS device-seconds per request.
 */
export function pdCost(costPerDeviceHour: number, r: PdRatioResult, pDevices: number, dDevices: number, outputLength: number): number | undefined {
  if (!(costPerDeviceHour > 0) || !(r.prefillQps > 0) || !(r.decodeQps > 0)) return undefined;
  if (r.split) return costPerMillionTokens(costPerDeviceHour, r.split.devicesUsed, r.split.systemQps * outputLength);
  const deviceSecondsPerRequest = pDevices / r.prefillQps + dDevices / r.decodeQps;
  return ((costPerDeviceHour * deviceSecondsPerRequest) / 3600 / outputLength) * 1e6;
}
