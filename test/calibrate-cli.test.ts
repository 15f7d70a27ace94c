/**
 * `optix calibrate` end to end on a slice of the reference kernel tables (the
 * first rows of each, so it runs in seconds): the written profile loads with
 * --device-file (schema-checked) and fits the slice better than the start.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { cli, root } from './cli.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDeviceFile, parseDeviceProfile } from '../src/catalog/devices.js';

// The built-in H100 ships calibrated; these tests start from its specification base.
const specBase = path.join(root, 'data', 'device-specs', 'H100_SXM_80G.yaml');
import type { DeviceProfile } from '../src/engine/types.js';

const kernels = path.resolve(root, '..', 'shared', 'reference', 'kernels', 'h100_sxm');
const TABLES = ['gemm_perf.csv', 'context_attention_perf.csv', 'generation_attention_perf.csv', 'nccl_perf.csv'];
const tmp = mkdtempSync(path.join(tmpdir(), 'optix-calibrate-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function optix(...args: string[]) {
  return execa('node', [cli, ...args], { cwd: root, reject: false });
}

describe.runIf(existsSync(kernels))('optix calibrate --kernels (h100_sxm slice)', () => {
  const slice = path.join(tmp, 'h100_slice');
  beforeAll(async () => {
    mkdirSync(slice);
    for (const t of TABLES) {
      // Every 40th row keeps the tables' spread of shapes at a fraction of the size.
      const lines = readFileSync(path.join(kernels, t), 'utf8').split('\n');
      const head = lines.filter((l) => l.startsWith('#')).concat(lines.find((l) => !l.startsWith('#'))!);
      const body = lines.filter((l) => !l.startsWith('#') && l.trim() !== '').slice(1);
      writeFileSync(path.join(slice, t), [...head, ...body.filter((_, i) => t === 'nccl_perf.csv' || i % 40 === 0)].join('\n') + '\n');
    }
  }, 120_000);

  it('writes a schema-valid calibrated profile that beats the start on every family', async () => {
    const out = path.join(tmp, 'H100_cal.yaml');
    const r = await optix('calibrate', '--kernels', slice, '--device', 'TEST_DEVICE', '--out', out, '--passes', '2', '--json');
    expect(r.exitCode, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout) as { before: Array<{ family: string; medianApePct: number }>; after: Array<{ family: string; medianApePct: number }> };
    for (const a of res.after) {
      const b = res.before.find((x) => x.family === a.family)!;
      expect(a.medianApePct, a.family).toBeLessThan(b.medianApePct);
    }
    const text = readFileSync(out, 'utf8');
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=../../schemas/device-profile.schema.json');
    expect(text).toMatch(/^calibration: calibrated from gemm_perf\.csv, context_attention_perf\.csv, generation_attention_perf\.csv, nccl_perf\.csv \(TRT-LLM 1\.3\.0rc20, NCCL 2\.29\.2\)$/m);
    expect(text).toMatch(/efficiency\.gemmByNK: fitted by optix calibrate to gemm_perf\.csv/);
    const p = parseDeviceProfile(text, out, { schema: true });
    // Per-dtype curves for the tables' dtypes, the second prefill axis and its bytes curve.
    expect(text).toMatch(/efficiency\.gemmByNKByDtype\.fp8: fitted by optix calibrate to gemm_perf\.csv/);
    expect(text).toMatch(/efficiency\.attentionPrefillByWork: fitted by optix calibrate to context_attention_perf\.csv/);
    const e = p.efficiency;
    expect(Object.keys(e.attentionPrefillBySeqByDtype ?? {}).sort()).toEqual(['bf16', 'fp16', 'fp8', 'int8']);
    for (const c of [
      e.gemmByNK,
      e.gemmByNKByDtype!.fp8!,
      e.attentionPrefillBySeq,
      e.attentionPrefillBySeqByDtype!.fp8!,
      e.attentionPrefillByWork!,
      e.attentionPrefillByBytes!,
      e.attentionDecodeByBytes,
      e.attentionDecodeByBytesByDtype!.fp8!,
      e.commByBytes,
    ]) {
      for (const [, e] of c) expect(e > 0 && e <= 1).toBe(true);
    }
    // Usable with --device-file by the accuracy front door.
    const acc = await optix('accuracy', '--kernels', slice, '--device', 'TEST_DEVICE', '--device-file', out, '--json');
    expect(acc.exitCode, acc.stderr).toBe(0);
    const fams = (JSON.parse(acc.stdout) as { families: Array<{ family: string; medianApePct: number }> }).families;
    expect(fams.map((f) => f.family)).toEqual(['gemm', 'context_attention', 'generation_attention', 'all_reduce']);
    expect(fams.find((f) => f.family === 'gemm')!.medianApePct).toBe(res.after.find((f) => f.family === 'gemm')!.medianApePct);
  }, 120_000);

  it('--curves with a group the tables have no rows for fits nothing and says so on stderr', async () => {
    const out = path.join(tmp, 'H100_fp4.yaml');
    const r = await optix('calibrate', '--kernels', slice, '--device', 'H100_SXM_80G', '--device-file', specBase, '--out', out, '--passes', '1', '--curves', 'gemm.fp4');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--curves gemm\.fp4: no rows/);
    expect(r.stdout).not.toMatch(/no rows/);
    const { calibration, ...written } = loadDeviceFile(out);
    const { calibration: _, ...base } = loadDeviceFile(specBase);
    expect(written).toEqual(base);
    expect(calibration).toMatch(/\(groups: gemm\.fp4; others keep the base profile's figures\)$/);
  }, 120_000);

  it('rejects a missing kernel directory with one line', async () => {
    const r = await optix('calibrate', '--kernels', path.join(tmp, 'nope'), '--device', 'H100_SXM_80G', '--out', path.join(tmp, 'x.yaml'));
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/kernel directory not found/);
  });
});
if (!existsSync(kernels)) {
  describe('optix calibrate', () => {
    it.skip(`skipped: ${kernels} not found`, () => {});
  });
}

/**
 * `--curves` on the full h100_sxm tables (one pass each): only the chosen
 * groups' fits are written, the rest (and the fallback curves other dtypes
 * use) stay the base profile's.
 */
const fullTables = path.resolve(root, '..', 'shared', 'reference', 'kernels', 'h100_sxm');
describe.runIf(existsSync(fullTables))('optix calibrate --curves (h100_sxm)', () => {
  interface Run {
    exitCode: number | undefined;
    stderr: string;
    json: { curves: string[]; before: Array<{ family: string; medianApePct: number }>; after: Array<{ family: string; medianApePct: number }> };
    text: string;
    profile: DeviceProfile;
  }
  const runs: Record<string, Run> = {};
  const base = (): DeviceProfile => loadDeviceFile(specBase);
  beforeAll(async () => {
    const cases: Record<string, string[]> = { default: [], decode: ['--curves', 'attention-decode'], bf16: ['--curves', 'gemm.bf16'], commLatency: ['--curves', 'comm.latency'] };
    await Promise.all(
      Object.entries(cases).map(async ([name, extra]) => {
        const out = path.join(tmp, `H100_${name}.yaml`);
        const r = await optix('calibrate', '--kernels', fullTables, '--device', 'H100_SXM_80G', '--device-file', specBase, '--out', out, '--passes', '1', '--json', ...extra);
        if (r.exitCode !== 0) throw new Error(`calibrate ${extra.join(' ')} failed: ${r.stderr}`);
        runs[name] = { exitCode: r.exitCode, stderr: r.stderr, json: JSON.parse(r.stdout) as Run['json'], text: readFileSync(out, 'utf8'), profile: loadDeviceFile(out) };
      }),
    );
  }, 120_000);

  const gemmOf = (p: DeviceProfile) => ({ gemmByM: p.efficiency.gemmByM, gemmByNK: p.efficiency.gemmByNK, gemmByNKByDtype: p.efficiency.gemmByNKByDtype });
  const prefillOf = (p: DeviceProfile) => ({
    seq: p.efficiency.attentionPrefillBySeq,
    byDtype: p.efficiency.attentionPrefillBySeqByDtype,
    work: p.efficiency.attentionPrefillByWork,
    bytes: p.efficiency.attentionPrefillByBytes,
  });

  it('--curves attention-decode writes only the decode curves', () => {
    const r = runs.decode!;
    const p = r.profile;
    const b = base();
    expect(gemmOf(p)).toEqual(gemmOf(b));
    expect(prefillOf(p)).toEqual(prefillOf(b));
    expect(p.efficiency.memoryByBytes).toEqual(b.efficiency.memoryByBytes);
    expect(p.efficiency.commByBytes).toEqual(b.efficiency.commByBytes);
    // The decode kernels' own floor belongs to the group; every other static cost is the base's.
    const { attentionDecodeOp, attentionDecodePerKvPair, ...otherStatic } = p.staticCostS;
    expect(otherStatic).toEqual(b.staticCostS);
    expect(attentionDecodeOp).toBeGreaterThan(0);
    expect(attentionDecodePerKvPair).toBeGreaterThanOrEqual(0);
    expect(r.text).toMatch(/attentionDecodeOp and attentionDecodePerKvPair fitted/);
    expect(p.efficiency.attentionDecodeByBytesByDtype).toBeDefined();
    expect(p.efficiency.attentionDecodeByBytesByDtype).not.toEqual(b.efficiency.attentionDecodeByBytesByDtype);
    // The head-group axis (a CUDA-core fallback past the tensor-core kernels' largest group) is fitted too.
    expect(p.efficiency.attentionDecodeByGroup).toBeDefined();
    // So is the per-pair cost by group, per KV dtype (fp16 takes bf16's, int8 fp8's).
    const pair = p.efficiency.attentionDecodePairByGroupByDtype;
    expect(pair?.bf16).toBeDefined();
    expect(pair?.fp8).toBeDefined();
    expect(pair?.fp16).toEqual(pair?.bf16);
    expect(pair?.int8).toEqual(pair?.fp8);
    // Decode is the whole family of its fallback curve, so that one takes bf16's fit.
    expect(p.efficiency.attentionDecodeByBytes).toEqual(p.efficiency.attentionDecodeByBytesByDtype!.bf16);
    expect(r.text).toMatch(/^calibration: "calibrated from gemm_perf\.csv, .* \(groups: attention-decode; others keep the base profile's figures\)"$/m);
    expect(r.json.curves).toEqual(['attention-decode']);
    // "after" is the written profile's: untouched families keep their "before" error.
    for (const fam of ['gemm', 'context_attention', 'all_reduce']) {
      expect(r.json.after.find((f) => f.family === fam)!.medianApePct, fam).toBe(r.json.before.find((f) => f.family === fam)!.medianApePct);
    }
    const dec = (x: Run['json']['after']) => x.find((f) => f.family === 'generation_attention')!.medianApePct;
    expect(dec(r.json.after)).toBeLessThan(dec(r.json.before));
  });

  it('--curves comm.latency writes NCCL\'s floor and the innermost hop latency, nothing else', () => {
    const r = runs.commLatency!;
    const p = r.profile;
    const b = base();
    const { ncclCollective, ...otherStatic } = p.staticCostS;
    expect(otherStatic).toEqual(b.staticCostS);
    expect(p.efficiency).toEqual(b.efficiency);
    expect(p.commGrid.slice(1)).toEqual(b.commGrid.slice(1));
    // The table's small all-reduces (2, 4, 8 GPUs: 6.2, 9.5, 15.6 us) are a floor plus 2(n - 1)
    // ring hops: ~4.5 us and ~0.8 us, both below the specification's 10 us and 1 us.
    expect(ncclCollective! * 1e6).toBeGreaterThan(3);
    expect(ncclCollective! * 1e6).toBeLessThan(6);
    expect(p.commGrid[0]!.latencyS * 1e6).toBeGreaterThan(0.5);
    expect(p.commGrid[0]!.latencyS * 1e6).toBeLessThan(1);
    expect(r.text).toMatch(/^ {4}latencyS: [\d.]+ us # per hop, fitted by optix calibrate/m);
    expect(r.text).toMatch(/^ {2}staticCostS\.ncclCollective: fitted by optix calibrate to nccl_perf\.csv/m);
    const ar = (x: Run['json']['after']) => x.find((f) => f.family === 'all_reduce')!.medianApePct;
    expect(ar(r.json.before)).toBeGreaterThan(15);
    expect(ar(r.json.after)).toBeLessThan(15);
    for (const fam of ['gemm', 'context_attention', 'generation_attention']) {
      expect(r.json.after.find((f) => f.family === fam)!.medianApePct, fam).toBe(r.json.before.find((f) => f.family === fam)!.medianApePct);
    }
  });

  it('--curves gemm.bf16 keeps the fallback curves fp8 GEMMs would use', () => {
    const p = runs.bf16!.profile;
    const b = base();
    expect(p.efficiency.gemmByM.default).toEqual(b.efficiency.gemmByM.default);
    expect(p.efficiency.gemmByNK).toEqual(b.efficiency.gemmByNK);
    expect(p.efficiency.gemmByM.bf16).toBeDefined();
    expect(p.efficiency.gemmByM.fp16).toEqual(p.efficiency.gemmByM.bf16);
    expect(p.efficiency.gemmByM.fp8).toBeUndefined();
    expect(p.efficiency.gemmByM.int8).toBeUndefined();
    expect(Object.keys(p.efficiency.gemmByNKByDtype ?? {}).sort()).toEqual(['bf16', 'fp16']);
    expect(p.efficiency.memoryByBytes).toEqual(b.efficiency.memoryByBytes);
    // bf16 GEMMs' own weight-read bandwidth comes with the group; fp8 GEMMs keep memoryByBytes.
    expect(Object.keys(p.efficiency.gemmMemoryByBytesByDtype ?? {})).toEqual(['bf16']);
    expect(p.staticCostS).toEqual(b.staticCostS);
    expect(runs.bf16!.text).not.toMatch(/efficiency\.gemmByNK: fitted/);
    expect(runs.bf16!.text).toMatch(/efficiency\.gemmByM\.bf16: fitted by optix calibrate/);
  });

  it('without --curves every group is written, as before the option', () => {
    const r = runs.default!;
    const p = r.profile;
    const b = base();
    expect(r.json.curves).toEqual(['gemm.bf16', 'gemm.fp8', 'gemm.fp4', 'memory', 'attention-prefill', 'attention-decode', 'comm.latency', 'comm.bandwidth', 'static']);
    expect(r.stderr).toBe('');
    expect(r.text).toMatch(/^calibration: calibrated from gemm_perf\.csv, context_attention_perf\.csv, generation_attention_perf\.csv, nccl_perf\.csv \(TRT-LLM 1\.3\.0rc20, NCCL 2\.29\.2\)$/m);
    expect(p.efficiency.gemmByM.default).toEqual(p.efficiency.gemmByM.bf16);
    expect(p.efficiency.gemmByM.int8).toEqual(p.efficiency.gemmByM.fp8);
    expect(p.efficiency.gemmByNK).not.toEqual(b.efficiency.gemmByNK);
    expect(p.efficiency.memoryByBytes).not.toEqual(b.efficiency.memoryByBytes);
    expect(prefillOf(p)).not.toEqual(prefillOf(b));
    expect(p.efficiency.attentionDecodeByBytes).not.toEqual(b.efficiency.attentionDecodeByBytes);
    expect(p.efficiency.commByBytes).not.toEqual(b.efficiency.commByBytes);
    expect(p.staticCostS.matrixOp).not.toBe(b.staticCostS.matrixOp);
    // NCCL's floor is fitted; the engines' direct collectives keep the base's floor (no table times them).
    expect(p.staticCostS.collective).toBe(b.staticCostS.collective);
    expect(p.staticCostS.ncclCollective).toBeDefined();
    expect(p.staticCostS.ncclCollective).not.toBe(b.staticCostS.collective);
    expect(p.commGrid[0]!.latencyS).not.toBe(b.commGrid[0]!.latencyS);
    expect(p.commGrid.slice(1)).toEqual(b.commGrid.slice(1));
    expect(r.text).toMatch(/^ {2}commGrid\.0\.latencyS: fitted by optix calibrate to nccl_perf\.csv/m);
    expect(r.text).toMatch(/efficiency\.gemmByNK: fitted by optix calibrate/);
  });

  it('rejects an unknown group, naming --curves and the valid ones', async () => {
    const r = await optix('calibrate', '--kernels', fullTables, '--device', 'H100_SXM_80G', '--out', path.join(tmp, 'bad.yaml'), '--curves', 'gemm.bf17');
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/--curves: unknown curve group 'gemm\.bf17'/);
    expect(r.stderr).toMatch(/valid groups: gemm, comm, gemm\.bf16, gemm\.fp8, gemm\.fp4, memory, attention-prefill, attention-decode, comm\.latency, comm\.bandwidth, static/);
    expect(existsSync(path.join(tmp, 'bad.yaml'))).toBe(false);
  });
});
if (!existsSync(fullTables)) {
  describe('optix calibrate --curves', () => {
    it.skip(`skipped: ${fullTables} not found`, () => {});
  });
}
