/** `optix calibrate`'s library: kernel tables -> fitted profile -> YAML text. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { devicesDir } from '../catalog/devices.js';
import { interpolateCurve } from '../engine/devices/curves.js';
import { OptixUserError } from '../errors.js';
import type { DeviceProfile, Dtype, EfficiencyCurve } from '../engine/types.js';
import { fitProfile, gpuCalibrationTargets, HOP_LATENCY_TARGET, type FitOptions } from './fit.js';
import { KERNEL_FILES, kernelAccuracy, loadKernelSamples, type KernelAccuracy } from './kernels.js';
import { calibratedProfileYaml } from './profile-yaml.js';

/**
 * The groups `--curves` can pick, each a set of fit targets written together.
 * Atomic groups partition the targets; `gemm` is every GEMM dtype's, `comm`
 * both halves of the collectives' (latency: NCCL's floor and the innermost
 * tier's hop latency; bandwidth: commByBytes).
 */
export const ATOMIC_CURVE_GROUPS = ['gemm.bf16', 'gemm.fp8', 'gemm.fp4', 'memory', 'attention-prefill', 'attention-decode', 'comm.latency', 'comm.bandwidth', 'static'] as const;
export type AtomicCurveGroup = (typeof ATOMIC_CURVE_GROUPS)[number];
export const CURVE_GROUPS = ['gemm', 'comm', ...ATOMIC_CURVE_GROUPS] as const;
export type CurveGroup = (typeof CURVE_GROUPS)[number];

function expandGroup(g: CurveGroup): AtomicCurveGroup[] {
  if (g === 'gemm') return ['gemm.bf16', 'gemm.fp8', 'gemm.fp4'];
  if (g === 'comm') return ['comm.latency', 'comm.bandwidth'];
  return [g];
}

/** `--curves` values (space- or comma-separated) -> groups, in the order given, each once. */
export function parseCurveGroups(values: readonly string[]): CurveGroup[] {
  const names = values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
  if (names.length === 0) throw new OptixUserError('--curves needs at least one group', { hint: `valid groups: ${CURVE_GROUPS.join(', ')}` });
  const out: CurveGroup[] = [];
  for (const n of names) {
    if (!(CURVE_GROUPS as readonly string[]).includes(n)) {
      throw new OptixUserError(`--curves: unknown curve group '${n}'`, { hint: `valid groups: ${CURVE_GROUPS.join(', ')}` });
    }
    if (!out.includes(n as CurveGroup)) out.push(n as CurveGroup);
  }
  return out;
}

/** The group a fit target (fit.ts's names) is written with. */
function groupOf(target: string): AtomicCurveGroup {
  const gemm = /^(?:gemmByM|gemmByNKByDtype|gemmMemoryByBytesByDtype)\.(\w+)$/.exec(target);
  if (gemm && (ATOMIC_CURVE_GROUPS as readonly string[]).includes(`gemm.${gemm[1]}`)) return `gemm.${gemm[1]}` as AtomicCurveGroup;
  if (target === 'memoryByBytes') return 'memory';
  if (target.startsWith('attentionPrefill') || target === 'staticCostS.attentionPrefillOp') return 'attention-prefill';
  if (target.startsWith('attentionDecode') || target === 'staticCostS.attentionDecodeOp' || target === 'staticCostS.attentionDecodePerKvPair') return 'attention-decode';
  if (target === 'commByBytes') return 'comm.bandwidth';
  // NCCL's own floor and the link's hop latency: what a small collective costs.
  if (target === 'staticCostS.ncclCollective' || target === HOP_LATENCY_TARGET) return 'comm.latency';
  if (target.startsWith('staticCostS.')) return 'static';
  throw new Error(`calibration target ${target} belongs to no --curves group`);
}

type DtypeFamily = 'gemm' | 'attention-prefill' | 'attention-decode';

/**
 * Dtypes without their own table get the nearest fitted curve: fp16 runs like
 * bf16; int8 like fp8 (same peak, 1-byte operands). The single fallback curves
 * (`gemmByM.default`, `gemmByNK`, `attentionPrefillBySeq`,
 * `attentionDecodeByBytes`) become bf16's, so any other dtype is priced as bf16.
 * Only written groups' curves are copied: a fallback prices every dtype of its
 * family that has no curve of its own, so it takes bf16's fit only when every
 * dtype of the family in the tables is written (with `--curves gemm.bf16`,
 * fp8 GEMMs priced by `default` would otherwise silently get bf16's fit).
 * Returns the fallbacks it set.
 */
function fillDtypeCurves(p: DeviceProfile, written: ReadonlySet<AtomicCurveGroup>, familyWritten: Record<DtypeFamily, boolean>): string[] {
  const e = p.efficiency;
  const set: string[] = [];
  const fill = (
    byDtype: Partial<Record<Dtype | 'default', EfficiencyCurve>> | undefined,
    family: DtypeFamily,
    fallback?: { name: string; set: (c: EfficiencyCurve) => void },
  ): void => {
    if (!byDtype) return;
    const groupOfDtype = (d: 'bf16' | 'fp8'): AtomicCurveGroup => (family === 'gemm' ? `gemm.${d}` : family);
    if (byDtype.bf16 && written.has(groupOfDtype('bf16'))) {
      if (fallback && familyWritten[family]) {
        fallback.set(byDtype.bf16);
        set.push(fallback.name);
      }
      byDtype.fp16 = byDtype.bf16;
    }
    if (byDtype.fp8 && written.has(groupOfDtype('fp8'))) byDtype.int8 = byDtype.fp8;
  };
  fill(e.gemmByM, 'gemm', { name: 'gemmByM.default', set: (c) => (e.gemmByM.default = c) });
  fill(e.gemmByNKByDtype, 'gemm', { name: 'gemmByNK', set: (c) => (e.gemmByNK = c) });
  fill(e.attentionPrefillBySeqByDtype, 'attention-prefill', { name: 'attentionPrefillBySeq', set: (c) => (e.attentionPrefillBySeq = c) });
  fill(e.attentionDecodeByBytesByDtype, 'attention-decode', { name: 'attentionDecodeByBytes', set: (c) => (e.attentionDecodeByBytes = c) });
  // No single fallback: a KV dtype without a per-pair curve keeps the MHA pair cost.
  fill(e.attentionDecodePairByGroupByDtype, 'attention-decode');
  return set;
}

export interface CalibrateOptions extends FitOptions {
  /** Groups whose fitted values are written; the rest keep the base profile's. Default: all. */
  curves?: readonly CurveGroup[];
}

export interface CalibrationResult {
  profile: DeviceProfile;
  yaml: string;
  before: KernelAccuracy;
  /** Of the profile written (unchosen groups at the base's figures). */
  after: KernelAccuracy;
  tables: string[];
  /** The groups written (as given, or every atomic group by default). */
  curves: CurveGroup[];
  /** Chosen groups the tables have no rows for (nothing fitted for them). */
  emptyGroups: CurveGroup[];
}

/** The YAML a profile came from: a --device-file, or the built-in data/devices/<name>.yaml. */
export function baseProfileText(profile: DeviceProfile, deviceFile?: string): string {
  const file = deviceFile ?? path.join(devicesDir(), `${profile.name}.yaml`);
  if (!existsSync(file)) throw new Error(`profile source ${file} not found`);
  return readFileSync(file, 'utf8');
}

export function calibrate(kernelsDir: string, base: DeviceProfile, baseText: string, opts: CalibrateOptions = {}): CalibrationResult {
  const { curves: chosenGroups = ATOMIC_CURVE_GROUPS, ...fitOpts } = opts;
  const written = new Set(chosenGroups.flatMap(expandGroup));
  const { samples, tables, skipped } = loadKernelSamples(kernelsDir, base);
  const before = kernelAccuracy(samples, base, skipped);
  const all = gpuCalibrationTargets(samples, base);
  // Only the written groups are fitted; the rest hold the base profile's figures during
  // the fit, so what is written is the best fit next to what ships with it (fitting
  // everything and reverting the unchosen parts left curves tuned to static costs
  // that were then not written).
  const curves = all.curves.filter((c) => written.has(groupOf(c.target.name)));
  const scalars = all.scalars.filter((t) => written.has(groupOf(t.name)));
  const fit = fitProfile(base, samples, curves, scalars, interpolateCurve, fitOpts);
  const targets = [...all.curves.map((c) => c.target.name), ...all.scalars.map((t) => t.name)];
  const restricted = targets.some((t) => !written.has(groupOf(t)));
  const allWritten = (prefixes: string[]): boolean =>
    targets.filter((t) => prefixes.some((pre) => t.startsWith(pre))).every((t) => written.has(groupOf(t)));
  const fallbacks = fillDtypeCurves(fit.profile, written, {
    gemm: allWritten(['gemmByM.', 'gemmByNKByDtype.']),
    'attention-prefill': allWritten(['attentionPrefillBySeqByDtype.']),
    'attention-decode': allWritten(['attentionDecodeByBytesByDtype.']),
  });
  fit.profile.calibration = `calibrated from ${tables.join(', ')}${restricted ? ` (groups: ${chosenGroups.join(', ')})` : ''}`;
  const after = kernelAccuracy(samples, fit.profile, skipped);
  const fitted: Record<string, string[]> = {};
  for (const [name, fams] of Object.entries(fit.fitted)) fitted[name] = fams.map((f) => KERNEL_FILES[f]);
  // A single curve set from bf16's per-dtype one (fillDtypeCurves) has the same source.
  for (const single of ['gemmByNK', 'attentionPrefillBySeq', 'attentionDecodeByBytes']) {
    const bf16 = fitted[`${single}ByDtype.bf16`];
    if (bf16 && fallbacks.includes(single)) fitted[single] = bf16;
  }
  const yaml = calibratedProfileYaml(baseText, fit.profile, {
    tables,
    kernelsDir,
    fitted,
    medianApePct: Object.fromEntries(after.families.map((f) => [f.family, f.medianApePct])),
    ...(restricted ? { groups: [...chosenGroups], fallbacks } : {}),
  });
  const emptyGroups = chosenGroups.filter((g) => !targets.some((t) => expandGroup(g).includes(groupOf(t))));
  return { profile: fit.profile, yaml, before, after, tables, curves: [...chosenGroups], emptyGroups };
}
