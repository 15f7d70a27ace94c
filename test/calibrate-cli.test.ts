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
import { parseDeviceProfile } from '../src/catalog/devices.js';

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
