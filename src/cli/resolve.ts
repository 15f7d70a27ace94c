/** Front-door resolution of model ids and device names into engine values. */
import { resolveDevices } from '../catalog/devices.js';
import { resolveModel } from '../catalog/models.js';
import type { DeviceProfile, ModelSpec } from '../engine/types.js';
import { visionTokens } from '../engine/vision.js';
import { servingFromFlags, type EngineFlags } from './options.js';

export function resolveInputs(modelId: string, deviceNames: string[], f: EngineFlags): { model: ModelSpec; devices: DeviceProfile[] } {
  const model = resolveModel(modelId, f.modelConfigDir === undefined ? {} : { modelConfigDir: f.modelConfigDir });
  const devices = resolveDevices(deviceNames, f.deviceFile);
  return { model, devices };
}

export function servingFor(model: ModelSpec, f: EngineFlags) {
  return servingFromFlags(f, visionTokens(model, f.imageHeight, f.imageWidth));
}
