/**
 * Flags shared by `optix sweep` and `optix mfu`, and their conversion into a
 * prepared sweep. Only the engine flags that mean something for one timed
 * forward pass are offered (no MTP, prefix cache or images: seed 004 runs
 * plain prefill and decode steps).
 */
import { Option, type Command } from 'commander';
import { OptixUserError } from '../errors.js';
import { resolveDevices } from '../catalog/devices.js';
import { GIB, defaultQuantOptions } from '../engine/defaults.js';
import { ATTENTION_ACTIONS, LINEAR_ACTIONS, type AttentionAction, type LinearAction, type ModelSpec } from '../engine/types.js';
import { parseIntArg, parseNumberArg } from '../cli/options.js';
import { deployToParallel, parseDeploy } from './deploy.js';
import { prepareSweep, type PreparedSweep } from './runner.js';

export interface SweepEngineFlags {
  device: string;
  deploy: string;
  quantizeLinearAction?: string;
  quantizeAttentionAction: string;
  mxfp4GroupSize: number;
  compile: boolean;
  compileAllowGraphBreak: boolean;
  reservedMemoryGb: number;
  deviceFile?: string[];
  json: boolean;
}

export function addSweepEngineOptions(cmd: Command): Command {
  return cmd
    .option('--device <name>', 'device profile name (see `optix devices list`)')
    .option('--deploy <layout>', "deployment as seed 004 writes it: tp<N>[ep<N>][dp<N>][pp<N>], e.g. 'tp8ep8' or 'tp8ep8dp8'")
    .addOption(
      new Option('--quantize-linear-action <action>', "quantize all linear layers (default: the checkpoint's own format, FP8 for FP8 checkpoints, else DISABLED = bf16)").choices([
        ...LINEAR_ACTIONS,
      ]),
    )
    .addOption(new Option('--quantize-attention-action <action>', 'quantize the KV cache').choices([...ATTENTION_ACTIONS]).default('DISABLED'))
    .option('--mxfp4-group-size <n>', 'group size for MXFP4 quantization', parseIntArg('--mxfp4-group-size'), 32)
    .option('--compile', 'graph capture (torch.compile / CUDA graphs): lower per-op launch costs', false)
    .option('--compile-allow-graph-break', 'graph capture with graph breaks (fewer launches saved)', false)
    .option('--reserved-memory-gb <gb>', 'device memory reserved for the system (GiB), for the OOM check', parseNumberArg('--reserved-memory-gb'), 10)
    .option('--device-file <paths...>', 'extra device profile files (YAML/JSON) to register')
    .option('--json', 'print machine-readable JSON', false);
}

export function requireFlag<T>(value: T | undefined, flag: string, hint: string): T {
  if (value === undefined || value === '') throw new OptixUserError(`missing ${flag}`, { hint });
  return value;
}

/** A checkpoint is benchmarked as it ships: FP8 checkpoints in FP8, the rest in bf16. */
export function linearActionFor(spec: ModelSpec, flag: string | undefined): LinearAction {
  if (flag !== undefined) return flag as LinearAction;
  return spec.nativeWeightDtype === 'fp8' ? 'FP8' : 'DISABLED';
}

export function prepareFromFlags(spec: ModelSpec, f: SweepEngineFlags): { prepared: PreparedSweep; linearAction: LinearAction } {
  const deviceName = requireFlag(f.device, '--device', 'e.g. --device H200_SXM_141G; `optix devices list` shows the profiles');
  const deploy = parseDeploy(requireFlag(f.deploy, '--deploy', "e.g. --deploy tp8ep8"));
  const device = resolveDevices([deviceName], f.deviceFile)[0];
  if (device === undefined) throw new OptixUserError(`unknown device '${deviceName}'`);
  const par = deployToParallel(deploy, spec);
  const linearAction = linearActionFor(spec, f.quantizeLinearAction);
  const prepared = prepareSweep({
    spec,
    device,
    deploy,
    par,
    quant: defaultQuantOptions({ linear: linearAction, attention: f.quantizeAttentionAction as AttentionAction, mxfp4GroupSize: f.mxfp4GroupSize }),
    pricing: { compile: f.compile || f.compileAllowGraphBreak, compileAllowGraphBreak: f.compileAllowGraphBreak },
    reservedMemoryBytes: f.reservedMemoryGb * GIB,
  });
  return { prepared, linearAction };
}
