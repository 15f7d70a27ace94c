import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { cli, root } from './cli.js';
import { afterAll, describe, expect, it } from 'vitest';
import { userError } from './user-error.js';
import { parseMeasuredCsv } from '../src/sweep/measured.js';

const fixture = path.join(root, 'test/fixtures/sweep/measured.csv');
const tmp = mkdtempSync(path.join(tmpdir(), 'optix-mfu-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function optix(...args: string[]) {
  return execa('node', [cli, ...args], { cwd: root, reject: false });
}

describe('measured latency CSV', () => {
  it('accepts header aliases, comments, extra columns and latency units', () => {
    expect(parseMeasuredCsv('bsz,seq,stage,latency_us\n4,512,extend,2500\n', 'm.csv')).toEqual([{ line: 2, batchSize: 4, seqLen: 512, phase: 'prefill', latencyMs: 2.5 }]);
    expect(parseMeasuredCsv('phase,latency_s,batch_size,seq_len\ndecode,0.01,2,64\n', 'm.csv')[0]).toMatchObject({ phase: 'decode', latencyMs: 10, batchSize: 2, seqLen: 64 });
    const rows = parseMeasuredCsv('# c\nBatch Size,Seq Len,Phase,Latency (ms),x\n\n1,128,Prefill,1.5,a\n', 'm.csv');
    expect(rows).toEqual([{ line: 4, batchSize: 1, seqLen: 128, phase: 'prefill', latencyMs: 1.5 }]);
  });

  it.each([
    ['batch_size,seq_len,phase\n1,2,prefill\n', 1, /no latency column/],
    ['batch_size,seq_len,phase,latency_ms\n1,2,warmup,3\n', 2, /phase must be prefill or decode, got 'warmup'/],
    ['batch_size,seq_len,phase,latency_ms\n1,2,decode,-3\n', 2, /latency_ms must be a positive number, got '-3'/],
    ['batch_size,seq_len,phase,latency_ms\n1,2,decode,3\n0.5,2,decode,3\n', 3, /batch_size must be a positive integer, got '0.5'/],
    ['batch_size,seq_len,phase,latency_ms\n1,2,decode\n', 2, /CSV syntax error/],
  ])('rejects %j at line %i', (text, line, message) => {
    const e = userError(() => parseMeasuredCsv(text, 'm.csv'));
    expect(e.message).toMatch(message);
    expect(e.file).toBe('m.csv');
    expect(e.line).toBe(line);
  });

  it('rejects a file with only a header', () => {
    expect(userError(() => parseMeasuredCsv('batch_size,seq_len,phase,latency_ms\n', 'm.csv')).message).toMatch(/no measurements/);
  });
});

describe('optix mfu (end to end)', () => {
  it('computes MFU/MBU of measured latencies with the sweep FLOP counts, and the prediction error', async () => {
    const r = await optix('mfu', '--measured', fixture, '--model', 'qwen', '--mconf', '2l', '--device', 'H200_SXM_141G', '--json');
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const j = JSON.parse(r.stdout) as {
      numDevices: number;
      points: Array<{ phase: string; measuredMs: number; mfu: number; modelFlops: { total: number }; predictedMs: number; error: number }>;
      meanAbsError: number;
    };
    expect(j.numDevices).toBe(1);
    const [pre, dec] = j.points;
    // Qwen3-30B-A3B, 2 layers. Body parameters (active): per layer attention 18,874,624
    // (q 2048*32*128 + k,v 2*2048*4*128 + o 32*128*2048 + q/k norms 256) + norms 4,096 +
    // router 2048*128 + 8 experts * 3*2048*768 = 38,010,880 -> 56,889,600; x 2 + final norm 2048
    // = 113,781,248. LM head 151,936 * 2048 = 311,164,928.
    // Prefill 1 x 128: 2 * 113,781,248 * 128 = 29,127,999,488 + head 2 * 311,164,928 = 622,329,856
    // + attention 2 layers * 8,256 causal pairs * (2 * 32 heads * 256) = 270,532,608 -> 30,020,861,952.
    expect(pre!.modelFlops.total).toBe(30_020_861_952);
    // 1 ms on one H200 (989 TFLOP/s bf16): 30,020,861,952 / (1e-3 * 989e12) = 0.0303548
    expect(pre!.mfu).toBeCloseTo(0.030354764359959555, 12);
    // Decode 1 at context 128: 2 * 113,781,248 + 622,329,856 + 2 * 128 * 16,384 = 854,086,656; 2 ms -> 0.000431793
    expect(dec!.modelFlops.total).toBe(854_086_656);
    expect(dec!.mfu).toBeCloseTo(0.00043179305156723966, 14);
    for (const p of j.points) {
      expect(p.predictedMs).toBeGreaterThan(0);
      expect(p.error).toBeCloseTo((p.predictedMs - p.measuredMs) / p.measuredMs, 12);
    }
    expect(j.meanAbsError).toBeCloseTo((Math.abs(pre!.error) + Math.abs(dec!.error)) / 2, 12);
  });

  it('prints a table with measured and predicted latency; --deploy spreads FLOPs over the devices', async () => {
    const one = await optix('mfu', '--measured', fixture, '--model', 'qwen', '--mconf', '2l', '--device', 'H200_SXM_141G');
    expect(one.exitCode).toBe(0);
    expect(one.stdout).toMatch(/\| bsz \| seq \| phase\s+\| measured \(ms\) \| token\/s\s+\| MFU % \| MBU % \| predicted \(ms\) \| pred MFU % \| error %/);
    // 3.04% MFU at 1 ms on one device (see above)
    expect(one.stdout).toMatch(/\| 1\s+\| 128 \| prefill \| 1\.000\s+\| 128000\.0 \| 3\.0\s+\|/);
    expect(one.stdout).toContain("mean |error| of the engine's predictions:");
    const eight = await optix('mfu', '--measured', fixture, '--model', 'qwen', '--mconf', '2l', '--device', 'H200_SXM_141G', '--deploy', 'tp8ep8', '--json');
    const j = JSON.parse(eight.stdout) as { numDevices: number; points: Array<{ mfu: number }> };
    expect(j.numDevices).toBe(8);
    expect(j.points[0]!.mfu).toBeCloseTo(0.030354764359959555 / 8, 12);
  });

  it('accepts a catalog id or a config path as --model', async () => {
    const r = await optix('mfu', '--measured', fixture, '--model', path.join(root, 'model_conf/qwen/config_2l.json'), '--device', 'H200_SXM_141G', '--json');
    expect(r.exitCode).toBe(0);
    expect((JSON.parse(r.stdout) as { points: Array<{ modelFlops: { total: number } }> }).points[0]!.modelFlops.total).toBe(30_020_861_952);
    const c = await optix('mfu', '--measured', fixture, '--model', 'Qwen/Qwen3-30B-A3B', '--device', 'H200_SXM_141G', '--deploy', 'tp8ep8', '--json');
    expect(c.exitCode).toBe(0);
  });

  it('reports bad measurement files with their line', async () => {
    const bad = path.join(tmp, 'bad.csv');
    writeFileSync(bad, 'batch_size,seq_len,phase,latency_ms\n1,128,prefill,abc\n');
    const r = await optix('mfu', '--measured', bad, '--model', 'qwen', '--mconf', '2l', '--device', 'H200_SXM_141G');
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`${bad}:2: latency_ms must be a positive number, got 'abc'`);
  });
});
