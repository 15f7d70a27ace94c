/** `optix calibrate`'s library: kernel tables -> fitted profile -> YAML text. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { devicesDir } from '../catalog/devices.js';
import { interpolateCurve } from '../engine/devices/curves.js';
import type { DeviceProfile, Dtype, EfficiencyCurve } from '../engine/types.js';
import { fitProfile, gpuCalibrationTargets, type FitOptions } from './fit.js';
import { KERNEL_FILES, kernelAccuracy, loadKernelSamples, type KernelAccuracy } from './kernels.js';
import { calibratedProfileYaml } from './profile-yaml.js';

export interface CalibrationResult {
  profile: DeviceProfile;
  yaml: string;
  before: KernelAccuracy;
  after: KernelAccuracy;
  tables: string[];
}

/** The YAML a profile came from: a --device-file, or the built-in data/devices/<name>.yaml. */
export function baseProfileText(profile: DeviceProfile, deviceFile?: string): string {
  const file = deviceFile ?? path.join(devicesDir(), `${profile.name}.yaml`);
  if (!existsSync(file)) throw new Error(`profile source ${file} not found`);
  return readFileSync(file, 'utf8');
}

/**
 * Dtypes without their own table get the nearest fitted curve: fp16 runs like
 * bf16; int8 like fp8 (same peak, 1-byte operands). The single fallback curves
 * (`gemmByM.default`, `gemmByNK`, `attentionPrefillBySeq`,
 * `attentionDecodeByBytes`) become bf16's, so any other dtype is priced as bf16.
 */
function fillDtypeCurves(p: DeviceProfile): void {
  const e = p.efficiency;
  const m = e.gemmByM;
  if (m.bf16) {
    m.default = m.bf16;
    m.fp16 = m.bf16;
  }
  if (m.fp8) m.int8 = m.fp8;
  const fill = (byDtype: Partial<Record<Dtype, EfficiencyCurve>> | undefined, setBase: (c: EfficiencyCurve) => void): void => {
    if (!byDtype) return;
    if (byDtype.bf16) {
      setBase(byDtype.bf16);
      byDtype.fp16 = byDtype.bf16;
    }
    if (byDtype.fp8) byDtype.int8 = byDtype.fp8;
  };
  fill(e.gemmByNKByDtype, (c) => (e.gemmByNK = c));
  fill(e.attentionPrefillBySeqByDtype, (c) => (e.attentionPrefillBySeq = c));
  fill(e.attentionDecodeByBytesByDtype, (c) => (e.attentionDecodeByBytes = c));
}

export function calibrate(kernelsDir: string, base: DeviceProfile, baseText: string, opts: FitOptions = {}): CalibrationResult {
  const { samples, tables, skipped } = loadKernelSamples(kernelsDir, base);
  const before = kernelAccuracy(samples, base, skipped);
  const { curves, scalars } = gpuCalibrationTargets(samples);
  const fit = fitProfile(base, samples, curves, scalars, interpolateCurve, opts);
  fillDtypeCurves(fit.profile);
  fit.profile.calibration = `calibrated from ${tables.join(', ')}`;
  const after = kernelAccuracy(samples, fit.profile, skipped);
  const fitted: Record<string, string[]> = {};
  for (const [name, fams] of Object.entries(fit.fitted)) fitted[name] = fams.map((f) => KERNEL_FILES[f]);
  // The single curves beside the per-dtype ones are bf16's fit (fillDtypeCurves): same source.
  for (const base of ['gemmByNK', 'attentionPrefillBySeq', 'attentionDecodeByBytes']) {
    const bf16 = fitted[`${base}ByDtype.bf16`];
    if (bf16) fitted[base] = bf16;
  }
  const yaml = calibratedProfileYaml(baseText, fit.profile, {
    tables,
    kernelsDir,
    fitted,
    medianApePct: Object.fromEntries(after.families.map((f) => [f.family, f.medianApePct])),
  });
  return { profile: fit.profile, yaml, before, after, tables };
}
