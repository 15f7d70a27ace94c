import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { loadDevice } from '../src/catalog/devices.js';
import { cli, root } from './cli.js';
import { afterAll, describe, expect, it } from 'vitest';

const tmp = mkdtempSync(path.join(tmpdir(), 'optix-devices-cli-'));

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function optix(...args: string[]) {
  return execa('node', [cli, ...args], { cwd: root, reject: false });
}

describe('optix devices list', () => {
  it('prints one row per built-in profile', async () => {
    const r = await optix('devices', 'list');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/TEST_DEVICE\s.*353\.9\s.*707\.8\s.*64\s.*1\.759\s.*256 x 8\s.*specification/);
    expect(r.stdout).toMatch(/H100_SXM_80G\s.*NVIDIA\s.*989\s.*1979\s.*80\s.*3\.350\s.*128 x 8/);
    expect(r.stdout).toMatch(/A100_SXM_80G\s.*312\s+│\s+-\s/); // no fp8 on Ampere
    expect(r.stdout).toContain('16 device profiles');
  });

  it('--json gives the same rows as data', async () => {
    const r = await optix('devices', 'list', '--json');
    expect(r.exitCode).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(rows).toHaveLength(16);
    expect(rows.find((x) => x.name === 'ATLAS_800_A3_752T_128G_DIE')).toEqual({
      name: 'ATLAS_800_A3_752T_128G_DIE',
      vendor: 'Huawei',
      bf16Tflops: 353.9,
      fp8Tflops: null,
      hbmGiB: 64,
      hbmTBPerS: 1.759, // 1.6 TiB/s = 1.7592 TB/s
      commGrid: '48 x 8 x 2',
      calibration: 'specification',
    });
    expect(rows.find((x) => x.name === 'GB200')).toMatchObject({ bf16Tflops: 2500, fp8Tflops: 5000, hbmTBPerS: 8, commGrid: '16 x 72' });
  });
});

describe('optix devices show', () => {
  it('prints every figure with its source and the effective figures', async () => {
    const r = await optix('devices', 'show', 'test_device');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/matrixPeakFlopsPerS\.bf16\s+│ 353\.9 TFLOPS\s+│ Ascend\/msmodeling/);
    expect(r.stdout).toMatch(/memoryBytes\s+│ 64 GiB/);
    expect(r.stdout).toMatch(/hbmBandwidthBytesPerS\s+│ .*\(1\.6 TiB\/s\)/);
    expect(r.stdout).toMatch(/commGrid\.1\s+│ scale-out: groups of 2048, 50 GB\/s, 10 us/);
    expect(r.stdout).toContain('effective: cube 247.73 TFLOPS, vector 7.70 TFLOPS');
    expect(r.stdout).toContain('(0.960 TiB/s), comm 35 | 137.2 GB/s (grid 256 x 8)');
  });

  it('prints the longest figure names of a calibrated profile whole', async () => {
    const r = await optix('devices', 'show', 'H100_SXM_80G');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).not.toContain('…');
    for (const name of ['efficiency.attentionDecodePairByGroupByDtype.bf16', 'efficiency.attentionDecodeByBytesByDtype.fp8', 'efficiency.gemmMemoryByBytesByDtype.bf16']) {
      expect(r.stdout).toContain(`│ ${name} `);
    }
  });

  it('--json: profile in SI, one source per figure', async () => {
    const r = await optix('devices', 'show', 'H100_SXM_80G', '--json');
    expect(r.exitCode).toBe(0);
    const j = JSON.parse(r.stdout) as {
      profile: { matrixPeakFlopsPerS: Record<string, number>; memoryBytes: number };
      figures: Array<{ figure: string; value: unknown; source: string }>;
      effective: { cubeTflops: number; commGrid: string };
    };
    expect(j.profile.matrixPeakFlopsPerS.fp8).toBe(1979e12);
    expect(j.profile.memoryBytes).toBe(80 * 1024 ** 3);
    const fp8 = j.figures.find((f) => f.figure === 'matrixPeakFlopsPerS.fp8');
    expect(fp8?.source).toContain('NVIDIA H100 datasheet');
    for (const f of j.figures) expect(f.source, f.figure).not.toBe('(no source given)');
    expect(j.effective.commGrid).toBe('128 x 8');
    // Every optional curve a calibrated profile carries is listed with its source.
    for (const figure of ['efficiency.attentionPrefillByHeadDim', 'efficiency.attentionDecodeByGroup', 'efficiency.attentionDecodePairByGroupByDtype.bf16', 'efficiency.gemmMemoryByBytesByDtype.bf16', 'efficiency.attentionPrefillByWork', 'staticCostS.ncclCollective', 'commGrid.0.latencyS']) {
      expect(j.figures.find((f) => f.figure === figure)?.source, figure).toMatch(/fitted by optix calibrate/);
    }
    // The bf16 GEMM curve's plateau x the bf16 peak (H100 ships with a calibrated bf16 curve).
    const bf16 = loadDevice('H100_SXM_80G').efficiency.gemmByM.bf16!;
    expect(j.effective.cubeTflops).toBeCloseTo(bf16[bf16.length - 1]![1] * 989, 6);
  });

  it('--device-file shows a user profile', async () => {
    const text = readFileSync(path.join(root, 'data/devices/TEST_DEVICE.yaml'), 'utf8').replace('name: TEST_DEVICE', 'name: MY_NPU');
    const file = path.join(tmp, 'my.yaml');
    writeFileSync(file, text);
    const r = await optix('devices', 'show', '--device-file', file, '--json');
    expect(r.exitCode).toBe(0);
    expect((JSON.parse(r.stdout) as { profile: { name: string } }).profile.name).toBe('MY_NPU');
  });

  it('--device-file with optional calibration curves lists them', async () => {
    const text = readFileSync(path.join(root, 'data/devices/TEST_DEVICE.yaml'), 'utf8')
      .replace('name: TEST_DEVICE', 'name: MY_CAL')
      .replace('  gemmByNK: [[1, 1.0]]\n', '  gemmByNK: [[1, 1.0]]\n  gemmByNKByDtype:\n    fp8: [[256, 0.5], [4096, 1.0]]\n');
    const file = path.join(tmp, 'cal.yaml');
    writeFileSync(file, text);
    const r = await optix('devices', 'show', '--device-file', file);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/efficiency\.gemmByNKByDtype\.fp8 .*min\(N,K\) -> x: 256:0\.5 4096:1/);
  });

  it('a bad --device-file is one line with file:line:column, exit 2', async () => {
    const text = readFileSync(path.join(root, 'data/devices/TEST_DEVICE.yaml'), 'utf8').replace('hbmBandwidthBytesPerS: 1.6 TiB/s', 'hbmBandwidthBytesPerS: fast');
    const file = path.join(tmp, 'bad.yaml');
    writeFileSync(file, text);
    const line = text.split('\n').findIndex((l) => l.startsWith('hbmBandwidthBytesPerS: fast')) + 1;
    const r = await optix('devices', 'show', '--device-file', file);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`${file}:${line}:24: hbmBandwidthBytesPerS: "fast" is not a bytesPerS quantity`);
  });

  it('an unknown name lists the valid names, exit 2', async () => {
    const r = await optix('devices', 'show', 'H900');
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("optix: error: unknown device 'H900' (valid names: A100_SXM_80G,");
    expect(r.stderr).toContain('TEST_DEVICE');
  });
});
