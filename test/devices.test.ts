import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { userError } from './user-error.js';
import {
  DEVICE_BUNDLE,
  devicesDir,
  listDeviceNames,
  loadDevice,
  loadDeviceFile,
  parseDeviceProfile,
  resolveDevices,
  type DeviceBundle,
} from '../src/catalog/devices.js';
import { interpolateCurve, timeFallsAt } from '../src/engine/devices/curves.js';
import { effectiveFigures } from '../src/engine/devices/figures.js';
import { formatGrid, gridCapacity, tierForGroup } from '../src/engine/devices/grid.js';
import { parseQuantity } from '../src/engine/devices/units.js';
import type { DeviceProfile, EfficiencyCurve } from '../src/engine/types.js';
import { root } from './cli.js';

const CALIBRATED = ['H100_SXM_80G', 'B200_SXM_180G'];

const GIB = 1024 ** 3;
const TIB = 1024 ** 4;
const T = 1e12;

const BUILT_INS = [
  'A100_SXM_80G',
  'ATLAS_800_A2_280T_32G_PCIE',
  'ATLAS_800_A2_280T_64G',
  'ATLAS_800_A2_280T_64G_PCIE',
  'ATLAS_800_A2_313T_64G',
  'ATLAS_800_A2_376T_64G',
  'ATLAS_800_A3_560T_128G_DIE',
  'ATLAS_800_A3_752T_128G_DIE',
  'B200_SXM_180G',
  'B300_SXM_288G',
  'GB200',
  'GB300',
  'H100_SXM_80G',
  'H200_SXM_141G',
  'MI300X',
  'TEST_DEVICE',
];

const tmp = mkdtempSync(path.join(tmpdir(), 'optix-devices-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function builtInText(name: string): string {
  return readFileSync(path.join(devicesDir(), `${name}.yaml`), 'utf8');
}

/** Writes `text` to a temp file and returns its path. */
function tempProfile(fileName: string, text: string): string {
  const file = path.join(tmp, fileName);
  writeFileSync(file, text);
  return file;
}

/** 1-based line number of the first line of `text` that contains `needle`. */
function lineOf(text: string, needle: string): number {
  const i = text.split('\n').findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`fixture: '${needle}' not found`);
  return i + 1;
}

describe('the build\'s bundle of parsed built-ins (dist/devices.bundle.json)', () => {
  it('holds exactly what parsing each YAML file gives', () => {
    const file = path.join(devicesDir(), '..', '..', DEVICE_BUNDLE);
    const bundle = JSON.parse(readFileSync(file, 'utf8')) as DeviceBundle;
    expect(Object.keys(bundle.profiles).sort()).toEqual(listDeviceNames());
    for (const name of listDeviceNames()) {
      const yamlFile = path.join(devicesDir(), `${name}.yaml`);
      expect(bundle.profiles[name]).toEqual(parseDeviceProfile(readFileSync(yamlFile, 'utf8'), yamlFile, { expectedName: name }));
      expect(loadDevice(name)).toEqual(bundle.profiles[name]);
    }
  });
});

describe('built-in profiles', () => {
  it('lists exactly the built-in profiles, sorted', () => {
    expect(listDeviceNames()).toEqual(BUILT_INS);
  });

  it.each(BUILT_INS)('%s passes the JSON Schema and the semantic checks', (name) => {
    const text = builtInText(name);
    expect(text.startsWith('# yaml-language-server: $schema=../../schemas/device-profile.schema.json\n')).toBe(true);
    // schema: true forces the ajv pass that loadDevice skips for built-ins.
    const checked = parseDeviceProfile(text, `${name}.yaml`, { expectedName: name, schema: true });
    const loaded = loadDevice(name);
    expect(loaded).toEqual(checked);
    expect(loaded.name).toBe(name);
    if (CALIBRATED.includes(name)) expect(loaded.calibration).toMatch(/^calibrated from gemm_perf\.csv.*\(groups: attention-prefill, attention-decode, gemm\.bf16, gemm\.fp8, static, comm\.latency;/);
    else expect(loaded.calibration).toBe('specification');
    for (const key of ['matrixPeakFlopsPerS', 'vectorPeakFlopsPerS', 'memoryBytes', 'hbmBandwidthBytesPerS', 'commGrid']) {
      expect(loaded.sources[key], `${name} sources.${key}`).toBeTruthy();
    }
    expect(loaded.matrixPeakFlopsPerS.bf16).toBeGreaterThan(0);
    expect(loaded.vectorPeakFlopsPerS.bf16).toBeGreaterThan(0);
  });

  it('loads names case-insensitively and returns independent copies', () => {
    const a = loadDevice('h100_sxm_80g');
    expect(a.name).toBe('H100_SXM_80G');
    a.memoryBytes = 1;
    expect(loadDevice('H100_SXM_80G').memoryBytes).toBe(80 * GIB);
  });
});

// Figures hand-checked against shared/reference/README.md (device facts table and the
// msmodeling table); msmodeling units: GiB, TiB/s, decimal GB/s for links.
describe('figures match the reference table', () => {
  const close = (actual: number | undefined, expected: number): void => {
    expect(actual).toBeDefined();
    expect(actual! / expected).toBeCloseTo(1, 12);
  };

  it('TEST_DEVICE', () => {
    const d = loadDevice('TEST_DEVICE');
    close(d.matrixPeakFlopsPerS.fp32, 99.5 * T);
    close(d.matrixPeakFlopsPerS.bf16, 353.9 * T);
    close(d.matrixPeakFlopsPerS.int8, 707.8 * T);
    close(d.matrixPeakFlopsPerS.fp8, 707.8 * T);
    close(d.matrixPeakFlopsPerS.fp4, 1415.6 * T);
    close(d.vectorPeakFlopsPerS.bf16, 11 * T);
    close(d.vectorPeakFlopsPerS.fp32, 5.5 * T); // half the fp16/bf16 rate
    expect(d.memoryBytes).toBe(68_719_476_736); // 64 GiB
    close(d.hbmBandwidthBytesPerS, 1.6 * TIB); // 1,759,218,604,441.6 B/s
    expect(d.commGrid.map((t) => t.devices)).toEqual([8, 2048]);
    expect(d.commGrid.map((t) => t.bandwidthBytesPerS)).toEqual([196e9, 50e9]);
    close(d.commGrid[0]!.latencyS, 1.3e-6);
    close(d.commGrid[1]!.latencyS, 10e-6);
    expect(d.commGrid.map((t) => t.efficiency)).toEqual([0.7, 0.7]);
    close(d.staticCostS.matrixOp, 5e-6);
    close(d.staticCostS.vectorOp, 2e-6);
    expect(d.staticCostS.collective).toBe(0);
  });

  it('Atlas 800 A2 family', () => {
    const a376 = loadDevice('ATLAS_800_A2_376T_64G');
    close(a376.matrixPeakFlopsPerS.fp16, 376 * T);
    close(a376.matrixPeakFlopsPerS.int8, 752 * T);
    close(a376.vectorPeakFlopsPerS.bf16, 22 * T);
    close(a376.vectorPeakFlopsPerS.fp32, 11 * T);
    expect(a376.commGrid.map((t) => [t.devices, t.bandwidthBytesPerS])).toEqual([
      [8, 196e9],
      [1024, 25e9],
    ]);
    close(a376.commGrid[0]!.latencyS, 0.5e-6);
    close(a376.commGrid[1]!.latencyS, 1.5e-6);
    close(a376.staticCostS.collective, 10e-6);
    expect(a376.efficiency.memoryByBytes).toEqual([[1, 0.6]]);
    expect(a376.efficiency.gemmByM.default).toEqual([[1, 0.7]]);

    const a313 = loadDevice('ATLAS_800_A2_313T_64G');
    close(a313.matrixPeakFlopsPerS.fp32, 83 * T);
    close(a313.matrixPeakFlopsPerS.bf16, 294.9 * T);
    close(a313.matrixPeakFlopsPerS.int8, 626 * T);
    close(a313.vectorPeakFlopsPerS.fp32, 9 * T);

    const a280 = loadDevice('ATLAS_800_A2_280T_64G');
    close(a280.matrixPeakFlopsPerS.bf16, 245.8 * T);
    close(a280.matrixPeakFlopsPerS.fp16, 280 * T);
    close(a280.vectorPeakFlopsPerS.fp16, 16 * T);

    const pcie64 = loadDevice('ATLAS_800_A2_280T_64G_PCIE');
    expect(pcie64.commGrid).toHaveLength(1);
    expect(pcie64.commGrid[0]).toMatchObject({ devices: 8, bandwidthBytesPerS: 64e9 });
    close(pcie64.commGrid[0]!.latencyS, 0.2e-6);

    const pcie32 = loadDevice('ATLAS_800_A2_280T_32G_PCIE');
    expect(pcie32.memoryBytes).toBe(34_359_738_368); // 32 GiB
    close(pcie32.hbmBandwidthBytesPerS, 0.8 * TIB);
  });

  it('Atlas 800 A3 dies: 48 x 8 x 2 read innermost first as 2, 16, 768', () => {
    for (const name of ['ATLAS_800_A3_752T_128G_DIE', 'ATLAS_800_A3_560T_128G_DIE']) {
      const d = loadDevice(name);
      expect(d.memoryBytes).toBe(64 * GIB);
      expect(d.commGrid.map((t) => [t.name, t.devices, t.bandwidthBytesPerS])).toEqual([
        ['sio', 2, 224e9],
        ['clos-1-level', 16, 196e9],
        ['clos-2-level', 768, 196e9],
      ]);
      close(d.commGrid[2]!.latencyS, 5.5e-6);
      expect(formatGrid(d)).toBe('48 x 8 x 2');
    }
    close(loadDevice('ATLAS_800_A3_752T_128G_DIE').matrixPeakFlopsPerS.fp16, 376 * T);
    close(loadDevice('ATLAS_800_A3_560T_128G_DIE').matrixPeakFlopsPerS.int8, 560 * T);
  });

  it('NVIDIA Ampere / Hopper', () => {
    const a100 = loadDevice('A100_SXM_80G');
    close(a100.matrixPeakFlopsPerS.bf16, 312 * T);
    close(a100.matrixPeakFlopsPerS.int8, 624 * T);
    expect(a100.matrixPeakFlopsPerS.fp8).toBeUndefined(); // no fp8 on Ampere
    close(a100.vectorPeakFlopsPerS.fp32, 19.5 * T);
    expect(a100.memoryBytes).toBe(80 * GIB);
    close(a100.hbmBandwidthBytesPerS, 2.039e12);
    expect(a100.commGrid.map((t) => [t.devices, t.bandwidthBytesPerS])).toEqual([
      [8, 300e9],
      [1024, 25e9],
    ]);

    const h100 = loadDevice('H100_SXM_80G');
    close(h100.matrixPeakFlopsPerS.bf16, 989 * T);
    close(h100.matrixPeakFlopsPerS.fp8, 1979 * T);
    close(h100.matrixPeakFlopsPerS.int8, 1979 * T); // "fp8/int8"
    expect(h100.matrixPeakFlopsPerS.fp4).toBeUndefined();
    close(h100.vectorPeakFlopsPerS.fp32, 67 * T);
    close(h100.hbmBandwidthBytesPerS, 3.35e12);
    expect(h100.commGrid.map((t) => t.bandwidthBytesPerS)).toEqual([450e9, 50e9]);
    close(h100.staticCostS.memoryOp, 3e-6); // aiconfigurator's +3 us per memory-bound op
    close(h100.staticCostS.collective, 10e-6);

    const h200 = loadDevice('H200_SXM_141G');
    expect(h200.memoryBytes).toBe(151_397_597_184); // 141 GiB
    close(h200.hbmBandwidthBytesPerS, 4.8e12);
    close(h200.matrixPeakFlopsPerS.fp8, 1979 * T);
  });

  it('NVIDIA Blackwell and AMD', () => {
    const b200 = loadDevice('B200_SXM_180G');
    close(b200.matrixPeakFlopsPerS.bf16, 2250 * T);
    close(b200.matrixPeakFlopsPerS.int8, 4500 * T);
    close(b200.matrixPeakFlopsPerS.fp4, 9000 * T);
    expect(b200.memoryBytes).toBe(180 * GIB);
    close(b200.hbmBandwidthBytesPerS, 8e12);
    expect(b200.commGrid.map((t) => [t.devices, t.bandwidthBytesPerS])).toEqual([
      [8, 900e9],
      [1024, 100e9],
    ]);

    const gb200 = loadDevice('GB200');
    close(gb200.matrixPeakFlopsPerS.bf16, 2500 * T);
    close(gb200.matrixPeakFlopsPerS.fp8, 5000 * T);
    close(gb200.matrixPeakFlopsPerS.fp4, 10000 * T);
    expect(gb200.memoryBytes).toBe(185 * GIB);
    expect(gb200.commGrid.map((t) => t.devices)).toEqual([72, 1152]);

    const b300 = loadDevice('B300_SXM_288G');
    close(b300.matrixPeakFlopsPerS.fp8, 4500 * T);
    close(b300.matrixPeakFlopsPerS.fp4, 13500 * T); // 108 PFLOPS dense / 8 GPUs
    expect(b300.matrixPeakFlopsPerS.int8).toBeUndefined();
    expect(b300.memoryBytes).toBe(288 * GIB);

    const gb300 = loadDevice('GB300');
    close(gb300.matrixPeakFlopsPerS.fp4, 15000 * T); // 1,080 PFLOPS dense / 72 GPUs
    expect(gb300.commGrid.map((t) => [t.devices, t.bandwidthBytesPerS])).toEqual([
      [72, 900e9],
      [1152, 100e9],
    ]);

    const mi = loadDevice('MI300X');
    close(mi.matrixPeakFlopsPerS.bf16, 1307 * T);
    close(mi.matrixPeakFlopsPerS.fp8, 2615 * T);
    close(mi.vectorPeakFlopsPerS.fp32, 163.4 * T);
    expect(mi.memoryBytes).toBe(192e9); // 192 GB, decimal as the reference states it
    close(mi.hbmBandwidthBytesPerS, 5.3e12);
    expect(mi.commGrid[0]!.bandwidthBytesPerS).toBe(448e9); // 7 peers x 64 GB/s
  });
});

describe('quantities', () => {
  it('parses units to SI', () => {
    expect(parseQuantity('64 GiB', 'bytes')).toBe(64 * 2 ** 30);
    expect(parseQuantity('192 GB', 'bytes')).toBe(192e9);
    expect(parseQuantity('1.6 TiB/s', 'bytesPerS')).toBeCloseTo(1.6 * 2 ** 40, 0);
    expect(parseQuantity('196 GB/s', 'bytesPerS')).toBe(196e9);
    expect(parseQuantity('1.3 us', 'seconds')).toBeCloseTo(1.3e-6, 15);
    expect(parseQuantity('2.25 PFLOPS', 'flopsPerS')).toBe(2.25e15);
    expect(parseQuantity(123, 'bytes')).toBe(123);
    expect(() => parseQuantity('64 GiB', 'seconds')).toThrow(RangeError);
  });
});

describe('interpolateCurve', () => {
  const gemm = [
    [16, 0.3],
    [64, 0.42],
    [256, 0.58],
    [1024, 0.7],
    [4096, 0.78],
  ] as const;

  it('clamps below the first and above the last point', () => {
    expect(interpolateCurve(gemm, 1)).toBe(0.3);
    expect(interpolateCurve(gemm, 16)).toBe(0.3);
    expect(interpolateCurve(gemm, 4096)).toBe(0.78);
    expect(interpolateCurve(gemm, 1e9)).toBe(0.78);
    expect(interpolateCurve(gemm, 0)).toBe(0.3);
  });

  it('caps a steep rise so that time (x / efficiency) stays at or above the segment start', () => {
    // [[1, 0.1], [16, 0.9]] at x=2: linear 0.1 + 0.25 x 0.8 = 0.3, cap 0.1 x 2 / 1 = 0.2 (time 10, as at x=1)
    expect(interpolateCurve([[1, 0.1], [16, 0.9]], 2)).toBeCloseTo(0.2, 12);
    // x=8: linear 0.1 + 0.75 x 0.8 = 0.7, cap 0.8: linear wins
    expect(interpolateCurve([[1, 0.1], [16, 0.9]], 8)).toBeCloseTo(0.7, 12);
    expect(timeFallsAt([[1, 0.1], [16, 0.9]])).toBeUndefined();
    expect(timeFallsAt([[1, 0.1], [4, 0.3], [8, 0.9]])).toBe(2);
  });

  it('is linear in log2(x) between points', () => {
    // x=32: log2 5, halfway between 16 (4) and 64 (6): 0.3 + 0.5 x 0.12 = 0.36
    expect(interpolateCurve(gemm, 32)).toBeCloseTo(0.36, 12);
    // x=128: halfway between 64 (6) and 256 (8): 0.42 + 0.5 x 0.16 = 0.50
    expect(interpolateCurve(gemm, 128)).toBeCloseTo(0.5, 12);
    // x=2048: halfway between 1024 (10) and 4096 (12): 0.74
    expect(interpolateCurve(gemm, 2048)).toBeCloseTo(0.74, 12);
    // [[1, 0.3], [8, 0.9]] at x=2: log2 2 / log2 8 = 1/3 of the way: 0.3 + 0.2 = 0.5
    expect(interpolateCurve([[1, 0.3], [8, 0.9]], 2)).toBeCloseTo(0.5, 12);
    // exact point
    expect(interpolateCurve(gemm, 256)).toBeCloseTo(0.58, 12);
  });

  it('a single point is a flat curve; an empty curve is a bug', () => {
    expect(interpolateCurve([[1, 0.7]], 1)).toBe(0.7);
    expect(interpolateCurve([[1, 0.7]], 1e6)).toBe(0.7);
    expect(() => interpolateCurve([], 1)).toThrow(RangeError);
  });
});

describe('communication grid', () => {
  it('picks the innermost tier that holds the group', () => {
    const d = loadDevice('TEST_DEVICE');
    expect(tierForGroup(d, 1).devices).toBe(8);
    expect(tierForGroup(d, 8).devices).toBe(8);
    expect(tierForGroup(d, 9).devices).toBe(2048);
    expect(tierForGroup(d, 2048).devices).toBe(2048);
    expect(gridCapacity(d)).toBe(2048);

    const a3 = loadDevice('ATLAS_800_A3_752T_128G_DIE');
    expect(tierForGroup(a3, 2).name).toBe('sio');
    expect(tierForGroup(a3, 3).name).toBe('clos-1-level');
    expect(tierForGroup(a3, 16).name).toBe('clos-1-level');
    expect(tierForGroup(a3, 17).name).toBe('clos-2-level');
    expect(gridCapacity(a3)).toBe(768);
    expect(gridCapacity(loadDevice('ATLAS_800_A2_280T_64G_PCIE'))).toBe(8);
  });

  it('a group larger than the grid is a user error naming the profile', () => {
    const e = userError(() => tierForGroup(loadDevice('ATLAS_800_A2_280T_64G_PCIE'), 16));
    expect(e.message).toContain('ATLAS_800_A2_280T_64G_PCIE');
    expect(e.message).toContain('8 devices');
  });

  it('formats the grid outer-first', () => {
    expect(formatGrid(loadDevice('TEST_DEVICE'))).toBe('256 x 8');
    expect(formatGrid(loadDevice('ATLAS_800_A2_376T_64G'))).toBe('128 x 8');
    expect(formatGrid(loadDevice('ATLAS_800_A2_280T_64G_PCIE'))).toBe('8');
    expect(formatGrid(loadDevice('GB200'))).toBe('16 x 72');
  });
});

describe('effective figures (seed 002 "Device profile parameter comparison")', () => {
  it('TEST_DEVICE row: 247.73 | 7.70 | 0.960 | 64.0 | 256 x 8 | 35 | 137.2', () => {
    const f = effectiveFigures(loadDevice('TEST_DEVICE'));
    expect(f.cubeTflops.toFixed(2)).toBe('247.73'); // 0.7 x 353.9
    expect(f.vectorTflops.toFixed(2)).toBe('7.70'); // 0.7 x 11
    expect(f.hbmTiBPerS.toFixed(3)).toBe('0.960'); // 0.6 x 1.6 TiB/s
    expect(f.memoryGiB.toFixed(1)).toBe('64.0');
    expect(f.commGrid).toBe('256 x 8');
    expect(f.commBw).toBe('35 | 137.2'); // 0.7 x 50 | 0.7 x 196, outer first
    expect(f.commGBPerS[0]).toBeCloseTo(137.2, 10);
  });

  it('ATLAS_800_A2_376T_64G row: 247.73 | 15.40 | 0.960 | 64.0 | 128 x 8 | 17.5 | 137.2', () => {
    const f = effectiveFigures(loadDevice('ATLAS_800_A2_376T_64G'));
    expect(f.cubeTflops.toFixed(2)).toBe('247.73');
    expect(f.vectorTflops.toFixed(2)).toBe('15.40'); // 0.7 x 22
    expect(f.hbmTiBPerS.toFixed(3)).toBe('0.960');
    expect(f.memoryGiB.toFixed(1)).toBe('64.0');
    expect(f.commGrid).toBe('128 x 8');
    expect(f.commBw).toBe('17.5 | 137.2'); // 0.7 x 25 | 0.7 x 196
  });

  it('H100 (specification base) uses the curves\' plateaus: 0.78 x 989, 0.85 x 3.35 TB/s', () => {
    const f = effectiveFigures(loadDeviceFile(path.join(root, 'data/device-specs/H100_SXM_80G.yaml')));
    expect(f.cubeTflops).toBeCloseTo(771.42, 6); // 0.78 x 989
    expect(f.vectorTflops).toBeCloseTo(93.66, 6); // 0.7 x 133.8
    expect(f.hbmTBPerS).toBeCloseTo(2.8475, 6); // 0.85 x 3.35
    expect(f.commBw).toBe('40 | 360'); // 0.8 x 50 | 0.8 x 450
  });
});

// scripts/calibrate-profiles.sh writes these from data/device-specs/ and the kernel tables.
describe('calibrated built-ins (H100, B200)', () => {
  it.each(CALIBRATED)('%s: the shipped curve groups are fitted, the others are the specification base\'s', (name) => {
    const spec = loadDeviceFile(path.join(root, `data/device-specs/${name}.yaml`));
    const cal = loadDevice(name);
    expect(spec.calibration).toBe('specification');
    for (const key of ['matrixPeakFlopsPerS', 'vectorPeakFlopsPerS', 'memoryBytes', 'hbmBandwidthBytesPerS'] as const) expect(cal[key], key).toEqual(spec[key]);
    // The grid is the sheet's but for the NVLink hop latency, fitted to NCCL's ring (comm.latency).
    const [inner, ...outer] = cal.commGrid;
    const [specInner, ...specOuter] = spec.commGrid;
    expect(outer).toEqual(specOuter);
    expect({ ...inner, latencyS: 0 }).toEqual({ ...specInner, latencyS: 0 });
    expect(inner!.latencyS).not.toBe(specInner!.latencyS);
    expect(inner!.latencyS * 1e6).toBeGreaterThan(0.5);
    expect(inner!.latencyS * 1e6).toBeLessThan(2);
    expect(cal.sources['commGrid.0.latencyS']).toMatch(/fitted by optix calibrate to nccl_perf\.csv/);
    // Static costs: the vector / memory ones and the engines' own collective floor are the
    // specification's; the GEMM floor is fitted (static), the attention kernels' own floors
    // with the attention curves, NCCL's floor with the hop latency.
    const { attentionPrefillOp, attentionDecodeOp, attentionDecodePerKvPair, matrixOp, ncclCollective, ...rest } = cal.staticCostS;
    const { matrixOp: specMatrixOp, ...specRest } = spec.staticCostS;
    expect(rest).toEqual(specRest);
    expect(matrixOp).not.toBe(specMatrixOp);
    expect(cal.sources['staticCostS.matrixOp']).toMatch(/fitted by optix calibrate/);
    expect(ncclCollective).toBeGreaterThan(0);
    expect(ncclCollective).toBeLessThan(spec.staticCostS.collective);
    expect(cal.sources['staticCostS.ncclCollective']).toMatch(/fitted by optix calibrate to nccl_perf\.csv/);
    expect(attentionPrefillOp).toBeGreaterThan(spec.staticCostS.matrixOp);
    expect(attentionDecodeOp).toBeGreaterThan(0);
    expect(attentionDecodePerKvPair).toBeGreaterThan(0);
    // Left at specification: memory, collective bandwidth; B200's fp4 GEMMs. Both ship their fp8 GEMM fit
    // (scripts/calibrate-profiles.sh): on H100 every GEMM dtype of the table is then fitted, so
    // the single curves take bf16's; on B200 the unfitted fp4 keeps the single default curves.
    expect(cal.efficiency.memoryByBytes).toEqual(spec.efficiency.memoryByBytes);
    expect(cal.efficiency.commByBytes).toEqual(spec.efficiency.commByBytes);
    expect(cal.efficiency.gemmByM.fp8).toBeDefined();
    expect(cal.efficiency.gemmByM.int8).toEqual(cal.efficiency.gemmByM.fp8);
    expect(Object.keys(cal.efficiency.gemmMemoryByBytesByDtype ?? {}).sort()).toEqual(['bf16', 'fp8']);
    expect(cal.sources['efficiency.gemmByM.fp8']).toMatch(/fitted by optix calibrate/);
    if (name === 'H100_SXM_80G') {
      expect(cal.efficiency.gemmByM.default).toEqual(cal.efficiency.gemmByM.bf16);
      expect(cal.efficiency.gemmByNK).toEqual(cal.efficiency.gemmByNKByDtype?.bf16);
    } else {
      expect(cal.efficiency.gemmByM.default).toEqual(spec.efficiency.gemmByM.default);
      expect(cal.efficiency.gemmByNK).toEqual(spec.efficiency.gemmByNK);
      expect(cal.efficiency.gemmByM.fp4).toBeUndefined();
    }
    // Fitted: bf16 GEMMs, prefill and decode attention; each with its source note.
    expect(cal.efficiency.gemmByM.bf16).toBeDefined();
    expect(cal.efficiency.attentionPrefillBySeqByDtype?.bf16).toBeDefined();
    expect(cal.efficiency.attentionPrefillByHeadDim).toBeDefined();
    expect(cal.efficiency.attentionDecodeByBytesByDtype?.bf16).toBeDefined();
    expect(cal.efficiency.attentionDecodeByGroup).toBeDefined();
    expect(cal.efficiency.attentionDecodePairByGroupByDtype?.bf16).toBeDefined();
    expect(cal.sources['efficiency.memoryByBytes']).toBeUndefined();
    for (const key of ['efficiency.gemmByM.bf16', 'efficiency.attentionDecodeByBytesByDtype.bf16']) {
      expect(cal.sources[key], key).toMatch(/fitted by optix calibrate/);
    }
  });

  it.each(BUILT_INS)('%s: time (x / efficiency) never falls from one curve point to the next', (name) => {
    const e = loadDevice(name).efficiency;
    const curves: Array<[string, EfficiencyCurve | undefined]> = [
      ['memoryByBytes', e.memoryByBytes],
      ['commByBytes', e.commByBytes],
      ['gemmByNK', e.gemmByNK],
      ['attentionPrefillBySeq', e.attentionPrefillBySeq],
      ['attentionDecodeByBytes', e.attentionDecodeByBytes],
      ['attentionPrefillByWork', e.attentionPrefillByWork],
      ['attentionPrefillByBytes', e.attentionPrefillByBytes],
      ...Object.entries(e.gemmByM).map(([d, c]) => [`gemmByM.${d}`, c] as [string, EfficiencyCurve]),
      ...Object.entries(e.attentionDecodeByBytesByDtype ?? {}).map(([d, c]) => [`attentionDecodeByBytesByDtype.${d}`, c] as [string, EfficiencyCurve]),
      ...Object.entries(e.attentionPrefillBySeqByDtype ?? {}).map(([d, c]) => [`attentionPrefillBySeqByDtype.${d}`, c] as [string, EfficiencyCurve]),
    ];
    for (const [key, c] of curves) if (c) expect(timeFallsAt(c), key).toBeUndefined();
  });
});

describe('bad profiles', () => {
  const base = builtInText('TEST_DEVICE');

  it('a curve whose time would fall as x grows names the point and the fix', () => {
    const text = base.replace(/memoryByBytes: .*/, 'memoryByBytes: [[64 KiB, 0.1], [128 KiB, 0.5]]');
    const file = tempProfile('falls.yaml', text.replace('name: TEST_DEVICE', 'name: falls'));
    const e = userError(() => loadDeviceFile(file));
    expect(e.message).toMatch(/efficiency\.memoryByBytes: efficiency grows faster than x from point 0 to point 1/);
    expect(e.file).toBe(file);
    expect(e.line).toBe(lineOf(text, 'memoryByBytes: [[64 KiB, 0.1], [128 KiB, 0.5]]'));
    expect(e.hint).toMatch(/lower point 1's efficiency/);
  });

  it('YAML syntax error gives file:line:column', () => {
    const text = base.replace('vendor: TEST_VENDOR', 'vendor: [TEST_VENDOR');
    const file = tempProfile('syntax.yaml', text);
    const e = userError(() => loadDeviceFile(file));
    expect(e.file).toBe(file);
    expect(e.line).toBeGreaterThanOrEqual(lineOf(text, 'vendor: [TEST_VENDOR'));
    expect(e.column).toBeGreaterThan(0);
    expect(e.format()).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: YAML syntax error`));
  });

  it('a bad quantity points at its value with a hint', () => {
    const text = base.replace('memoryBytes: 64 GiB', 'memoryBytes: 64 gigs');
    const file = tempProfile('quantity.yaml', text);
    const e = userError(() => loadDeviceFile(file));
    expect(e.line).toBe(lineOf(text, 'memoryBytes: 64 gigs'));
    expect(e.column).toBe('memoryBytes: '.length + 1);
    expect(e.message).toContain('memoryBytes');
    expect(e.hint).toContain('GiB');
  });

  it('an unknown field points at its key and lists the valid ones', () => {
    const text = `${base}\nclockGHz: 1.8\n`;
    const e = userError(() => parseDeviceProfile(text, 'extra.yaml'));
    expect(e.format()).toMatch(new RegExp(`^extra\\.yaml:${lineOf(text, 'clockGHz')}:1: \\(top level\\): unknown field 'clockGHz'`));
    expect(e.hint).toContain('hbmBandwidthBytesPerS');
  });

  it('an unknown dtype key points at the key', () => {
    const text = base.replace('  fp4: 1415.6 TFLOPS', '  fp64: 1415.6 TFLOPS');
    const e = userError(() => parseDeviceProfile(text, 'dtype.yaml'));
    expect(e.line).toBe(lineOf(text, 'fp64: 1415.6'));
    expect(e.column).toBe(3);
    expect(e.hint).toContain('bf16');
  });

  it('a figure without a source is rejected', () => {
    const text = base.replace(/^ {2}commGrid: .*\n/m, '');
    const e = userError(() => parseDeviceProfile(text, 'nosource.yaml'));
    expect(e.message).toContain("sources: missing required field 'commGrid'");
    expect(e.line).toBe(lineOf(text, '  matrixPeakFlopsPerS: "')); // the sources map starts there
  });

  it('an efficiency above 1 is rejected at its line', () => {
    const text = base.replace('  vector: 0.7', '  vector: 1.7');
    const e = userError(() => parseDeviceProfile(text, 'eff.yaml'));
    expect(e.message).toContain('efficiency.vector');
    expect(e.line).toBe(lineOf(text, 'vector: 1.7'));
  });

  it('a comm tier that is not a multiple of the one inside it is rejected', () => {
    const text = base.replace('devices: 2048', 'devices: 2044');
    const e = userError(() => parseDeviceProfile(text, 'grid.yaml'));
    expect(e.message).toContain('commGrid[1].devices (2044)');
    expect(e.line).toBe(lineOf(text, 'devices: 2044'));
    expect(e.column).toBe('    devices: '.length + 1);
  });

  it('curve points must increase in x', () => {
    const text = base.replace('memoryByBytes: [[1 B, 0.6]]', 'memoryByBytes: [[1 MiB, 0.6], [1 KiB, 0.7]]');
    const e = userError(() => parseDeviceProfile(text, 'curve.yaml'));
    expect(e.message).toContain('efficiency.memoryByBytes');
    expect(e.line).toBe(lineOf(text, 'memoryByBytes: [[1 MiB'));
  });

  it('a built-in whose name differs from its file is rejected, even without the schema pass', () => {
    const e = userError(() => parseDeviceProfile(base, 'OTHER.yaml', { expectedName: 'OTHER', schema: false }));
    expect(e.message).toContain("does not match its file name 'OTHER.yaml'");
    expect(e.line).toBe(lineOf(base, 'name: TEST_DEVICE'));
  });

  it('without the schema pass a malformed file still gets the schema error', () => {
    const text = base.replace(/^commGrid:\n(?: {2}.*\n)+/m, 'commGrid: 8\n');
    const e = userError(() => parseDeviceProfile(text, 'trusted.yaml', { schema: false }));
    expect(e.message).toContain('commGrid: must be array');
    expect(e.line).toBe(lineOf(text, 'commGrid: 8'));
  });

  it('a missing file is a user error', () => {
    expect(() => loadDeviceFile(path.join(tmp, 'nope.yaml'))).toThrow(/device file not found/);
  });
});

describe('resolveDevices', () => {
  it('dedupes preserving order', () => {
    const got = resolveDevices(['H100_SXM_80G', 'TEST_DEVICE', 'h100_sxm_80g']).map((d) => d.name);
    expect(got).toEqual(['H100_SXM_80G', 'TEST_DEVICE']);
  });

  it('unknown names list the valid ones', () => {
    const e = userError(() => resolveDevices(['H100_SXM_80G', 'H900']));
    expect(e.message).toBe("unknown device 'H900'");
    for (const name of BUILT_INS) expect(e.hint).toContain(name);
  });

  it('user files: named ones in order, unnamed ones appended, and their names are valid names', () => {
    const text = builtInText('TEST_DEVICE').replace('name: TEST_DEVICE', 'name: MY_NPU');
    const file = tempProfile('my.yaml', text);
    const mine: DeviceProfile = loadDeviceFile(file);
    expect(mine.name).toBe('MY_NPU');
    expect(resolveDevices(['TEST_DEVICE', 'MY_NPU'], [file]).map((d) => d.name)).toEqual(['TEST_DEVICE', 'MY_NPU']);
    expect(resolveDevices(['TEST_DEVICE'], [file]).map((d) => d.name)).toEqual(['TEST_DEVICE', 'MY_NPU']);
    const e = userError(() => resolveDevices(['NOPE'], [file]));
    expect(e.hint).toContain('MY_NPU');
  });
});
