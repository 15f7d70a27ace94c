import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { parse } from 'csv-parse/sync';
import { execa } from 'execa';
import { cli, root } from './cli.js';
import { afterAll, describe, expect, it } from 'vitest';
import { makeVariant } from '../src/sweep/variants.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'optix-sweep-cli-'));

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function optix(...args: string[]) {
  return execa('node', [cli, ...args], { cwd: tmp, reject: false });
}

const BASE = ['sweep', '--model', 'qwen', '--mconf', '2l', '--device', 'H200_SXM_141G'];

describe('shipped model_conf', () => {
  it('config_2l.json is config_full.json with 2 layers, as make-variant writes it', () => {
    const full = JSON.parse(readFileSync(path.join(root, 'model_conf/qwen/config_full.json'), 'utf8')) as Record<string, unknown>;
    const two = JSON.parse(readFileSync(path.join(root, 'model_conf/qwen/config_2l.json'), 'utf8')) as Record<string, unknown>;
    expect(full.num_hidden_layers).toBe(48);
    expect(two).toEqual(makeVariant(full, { layers: 2 }, 'config_full.json'));
  });

  it('makeVariant scales experts and keeps layer-indexed fields consistent', () => {
    const cfg = { num_hidden_layers: 8, num_experts: 128, num_experts_per_tok: 8, mlp_only_layers: [0, 5], max_window_layers: 8, layer_types: ['a', 'b', 'a', 'b', 'a', 'b', 'a', 'b'] };
    const v = makeVariant(cfg, { layers: 3, experts: 32 }, 'c.json');
    expect(v).toEqual({ num_hidden_layers: 3, num_experts: 32, num_experts_per_tok: 8, mlp_only_layers: [0], max_window_layers: 3, layer_types: ['a', 'b', 'a'] });
    expect(cfg.num_hidden_layers).toBe(8); // the source is not modified
  });
});

describe('optix sweep (end to end on the 2-layer Qwen3-30B-A3B variant)', () => {
  it('prints one row per point and phase, with MFU, MBU and the bucket split', async () => {
    const r = await optix(...BASE, '--deploy', 'tp8ep8', '--grid', '1,4;128,512');
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('Deploy: tp8ep8 = 8 x H200_SXM_141G (SGLang --tp 8 --ep-size 8): attention TP 8 x DP 1, PP 1; experts EP 8 x MoE-TP 1');
    expect(r.stdout).toContain('GEMMs in bf16, peak 989.0 TFLOP/s');
    expect(r.stdout).toMatch(/\| bsz \| seq\s+\| phase\s+\| latency \(ms\) \| token\/s\s+\| MFU % \| MBU % \| Cube % \| Vec % \| Mem % \| Comm %/);
    const rows = r.stdout.split('\n').filter((l) => /^\| \d/.test(l));
    expect(rows).toHaveLength(8);
    expect(rows[0]).toMatch(/^\| 1\s+\| 128\s+\| prefill/);
    expect(rows[1]).toMatch(/^\| 1\s+\| 128\s+\| decode/);
  });

  it('--json: tp8ep8dp8 is attention DP 8 on 8 devices; numbers hang together', async () => {
    const r = await optix(...BASE, '--deploy', 'tp8ep8dp8', '--grid', '{8,16};{1024}', '--json');
    expect(r.exitCode).toBe(0);
    const out = JSON.parse(r.stdout) as {
      numDevices: number;
      parallel: Record<string, number>;
      points: Array<{ phase: string; batchSize: number; seqLen: number; sequencesPerReplica: number; latencyMs: number; tokensPerS: number; mfu: number; mbu: number; modelFlops: { total: number }; shares: { cube: number; vec: number; mem: number; comm: number }; memory: { oom: boolean } }>;
    };
    expect(out.numDevices).toBe(8);
    expect(out.parallel).toEqual({ tp: 1, dp: 8, pp: 1, ep: 8, moeTp: 1, moeDp: 1 });
    expect(out.points.map((p) => `${p.phase}:${p.batchSize}:${p.sequencesPerReplica}`)).toEqual(['prefill:8:1', 'decode:8:1', 'prefill:16:2', 'decode:16:2']);
    for (const p of out.points) {
      const t = p.latencyMs / 1000;
      expect(p.mfu).toBeCloseTo(p.modelFlops.total / (t * 989e12 * 8), 12);
      expect(p.tokensPerS).toBeCloseTo((p.phase === 'prefill' ? p.batchSize * p.seqLen : p.batchSize) / t, 3);
      expect(p.shares.cube + p.shares.vec + p.shares.mem + p.shares.comm).toBeCloseTo(1, 9);
      expect(p.mfu).toBeGreaterThan(0);
      expect(p.mfu).toBeLessThan(1);
      expect(p.mbu).toBeGreaterThan(0);
      expect(p.memory.oom).toBe(false);
    }
    // Twice the sequences per replica take longer to prefill.
    expect(out.points[2]!.latencyMs).toBeGreaterThan(out.points[0]!.latencyMs);
  });

  it('--profile decode keeps only decode rows', async () => {
    const r = await optix(...BASE, '--deploy', 'tp8ep8', '--grid', '1;128', '--profile', 'decode', '--json');
    expect(r.exitCode).toBe(0);
    expect((JSON.parse(r.stdout) as { points: Array<{ phase: string }> }).points.map((p) => p.phase)).toEqual(['decode']);
  });

  it('--save writes the CSV and the per-op raw log under --out-dir', async () => {
    const out = path.join(tmp, 'results');
    const grid = path.join(tmp, 'grid.csv');
    writeFileSync(grid, '# tiny grid\n{1,2};{256}\n');
    const r = await optix(...BASE, '--deploy', 'tp8ep8', '--bsz-seq', grid, '--save', '--out-dir', out);
    expect(r.exitCode).toBe(0);
    const csvs = readdirSync(path.join(out, 'csv'));
    expect(csvs).toHaveLength(1);
    expect(csvs[0]).toMatch(/^qwen_2l_tp8ep8_H200_SXM_141G_\d{8}T\d{6}Z\.csv$/);
    expect(r.stdout).toContain(`saved: ${path.join(out, 'csv', csvs[0]!)}`);
    const rows = parse(readFileSync(path.join(out, 'csv', csvs[0]!), 'utf8'), { columns: true }) as Array<Record<string, string>>;
    expect(rows.map((x) => `${x.phase}:${x.batch_size}:${x.seq_len}`)).toEqual(['prefill:1:256', 'decode:1:256', 'prefill:2:256', 'decode:2:256']);
    expect(rows[0]).toMatchObject({ model: 'qwen', mconf: '2l', deploy: 'tp8ep8', device: 'H200_SXM_141G', num_devices: '8', oom: '0' });
    expect(Number(rows[0]!.mfu)).toBeGreaterThan(0);
    const raw = readFileSync(path.join(out, 'raw_output', csvs[0]!.replace(/\.csv$/, '.log')), 'utf8');
    expect(raw).toContain('== prefill bsz 1 seq 256');
    expect(raw).toContain('== decode bsz 2 seq 256');
    // The per-op tables of each point.
    expect(raw).toMatch(/\| experts_gate_up\s+\| 2\s+\| /);
    // Expert parallelism under attention TP sums the experts with one all-reduce (no token all-to-all).
    expect(raw).toMatch(/\| moe_tp_all_reduce\s+\| 2\s+\| comm/);
    expect(raw).not.toContain('ep_dispatch_all_to_all');
  });

  it('uses ./scripts/bsz_seq.csv and ./model_conf of the working directory when present', async () => {
    const work = path.join(tmp, 'bench');
    cpSync(path.join(root, 'model_conf'), path.join(work, 'model_conf'), { recursive: true });
    cpSync(path.join(root, 'scripts/bsz_seq.csv'), path.join(work, 'scripts/bsz_seq.csv'));
    writeFileSync(path.join(work, 'scripts/bsz_seq.csv'), '3;77\n');
    const r = await execa('node', [cli, ...BASE, '--deploy', 'tp2ep2', '--json'], { cwd: work, reject: false });
    expect(r.exitCode).toBe(0);
    const j = JSON.parse(r.stdout) as { configFile: string; grid: { batchSizes: number[]; seqLens: number[] } };
    expect(j.grid).toMatchObject({ batchSizes: [3], seqLens: [77] });
    expect(j.configFile).toBe(path.join(work, 'model_conf/qwen/config_2l.json'));
  });

  it('the shipped grid runs the full 48-layer model', async () => {
    const r = await optix('sweep', '--model', 'qwen', '--deploy', 'tp8ep8', '--device', 'H200_SXM_141G', '--json');
    expect(r.exitCode).toBe(0);
    const j = JSON.parse(r.stdout) as { grid: { batchSizes: number[]; seqLens: number[] }; points: unknown[] };
    expect(j.points).toHaveLength(2 * j.grid.batchSizes.length * j.grid.seqLens.length);
  });

  it('flags OOM points', async () => {
    const r = await optix('sweep', '--model', 'qwen', '--deploy', 'tp1', '--device', 'H100_SXM_80G', '--grid', '1,512;32768', '--profile', 'prefill');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/\| 512\s+\| 32768 \| prefill .*\| OOM\s+\|/);
    expect(r.stdout).toMatch(/\| 1\s+\| 32768 \| prefill .*\| ok\s+\|/);
    expect(r.stdout).toContain('warning: 1 of 2 points do not fit');
  });

  it.each([
    [['--deploy', 'tp8ep3'], /--deploy 'tp8ep3': ep 3 must divide the 8 devices/],
    [['--deploy', 'tp8xx2'], /unknown token 'xx'/],
    [['--deploy', 'tp8dp3'], /dp 3 must divide tp 8/],
    [['--deploy', 'tp16ep16', '--grid', '1;128', '--device', 'TEST_DEVICE', '--mconf', 'nope'], /no variant 'nope' for model 'qwen'.*variants: 2l, full/],
    [['--deploy', 'tp8', '--grid', '1;12x'], /--grid:1:3: '12x' is not a sequence length value/],
    [['--deploy', 'tp8', '--profile', 'warmup'], /--profile must be prefill, decode or both/],
  ])('rejects bad input %j with one line and exit 2', async (extra, message) => {
    const r = await optix(...BASE, ...extra);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('rejects a missing --deploy', async () => {
    const r = await optix(...BASE);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('missing --deploy');
  });
});

describe('optix sweep make-variant', () => {
  it('writes a 2-layer variant that sweep can run, and refuses to overwrite', async () => {
    const modelRoot = path.join(tmp, 'mc');
    cpSync(path.join(root, 'model_conf'), modelRoot, { recursive: true });
    rmSync(path.join(modelRoot, 'qwen/config_2l.json'));
    const r = await optix('sweep', 'make-variant', '--model', 'qwen', '--from', 'full', '--layers', '2', '--model-root', modelRoot);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('2 layers, 128 experts (top-8)');
    const written = JSON.parse(readFileSync(path.join(modelRoot, 'qwen/config_2l.json'), 'utf8')) as unknown;
    expect(written).toEqual(JSON.parse(readFileSync(path.join(root, 'model_conf/qwen/config_2l.json'), 'utf8')));

    const again = await optix('sweep', 'make-variant', '--model', 'qwen', '--layers', '2', '--model-root', modelRoot);
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toMatch(/config_2l\.json exists \(pass --force/);

    const e = await optix('sweep', 'make-variant', '--model', 'qwen', '--layers', '4', '--experts', '64', '--model-root', modelRoot, '--json');
    expect(e.exitCode).toBe(0);
    expect(JSON.parse(e.stdout)).toMatchObject({ variant: '4l64e', layers: 4, experts: 64 });

    const s = await optix('sweep', '--model', 'qwen', '--mconf', '4l64e', '--model-root', modelRoot, '--deploy', 'tp8ep8', '--device', 'H200_SXM_141G', '--grid', '1;128', '--json');
    expect(s.exitCode).toBe(0);
    expect(JSON.parse(s.stdout)).toMatchObject({ mconf: '4l64e' });

    const bad = await optix('sweep', 'make-variant', '--model', 'qwen', '--experts', '4', '--model-root', modelRoot);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/--experts 4 is fewer than the 8 experts each token is routed to/);
  });
});
