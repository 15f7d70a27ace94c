/**
 * End-to-end runs of the built `optix optimize` for every example command of
 * seed 002 (TEST_DEVICE / ATLAS names) and the NVIDIA ones of issue 3.
 * Independent runs go concurrently; each is well under a second.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { parse } from 'csv-parse/sync';
import { execa } from 'execa';
import { cli, root } from './cli.js';
import { afterAll, describe, expect, it } from 'vitest';

const tmp = mkdtempSync(path.join(tmpdir(), 'optix-optimize-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function optix(args: string) {
  return execa('node', [cli, 'optimize', ...args.split(/\s+/).filter(Boolean)], { cwd: root, reject: false });
}

const SEED = '--input-length 3500 --output-length 1500 --compile --quantize-linear-action W8A8_DYNAMIC --quantize-attention-action DISABLED';
const AGG = `Qwen/Qwen3-32B --device TEST_DEVICE --num-devices 8 ${SEED} --tpot-limits 50`;
const AGG_HEAD = '| Top | Throughput (token/s) | TTFT (ms) | TPOT (ms) | concurrency | num_devices | parallel | batch_size |';
const STARS = '*'.repeat(80);
const RULE = '-'.repeat(76);

/** Cells of the table rows after the line `title` (collapsed spaces, as the seed shows them). */
function table(out: string, title: string): { head: string; rows: string[][] } {
  const lines = out.split('\n');
  const at = lines.findIndex((l) => l.startsWith(title));
  expect(at, `no '${title}' in output`).toBeGreaterThanOrEqual(0);
  const top = lines.findIndex((l, i) => i > at && l.startsWith('+'));
  const head = lines[top + 1]!.replace(/\s+/g, ' ');
  const rows: string[][] = [];
  for (let i = top + 3; lines[i]?.startsWith('|'); i++) {
    rows.push(lines[i]!.split('|').slice(1, -1).map((c) => c.trim()));
  }
  return { head, rows };
}

/** The seed's parallel cell contains ' | ' itself: rejoin it. */
function parallelCell(row: string[], from: number): { parallel: string; rest: string[] } {
  const end = row.findIndex((c, i) => i > from && !/^(PP|DP|EP|MOE-DP)=/.test(c));
  return { parallel: row.slice(from, end).join(' | '), rest: row.slice(end) };
}

function number(out: string, re: RegExp): number {
  const m = re.exec(out);
  expect(m, `no match for ${re}`).not.toBeNull();
  return Number(m![1]);
}

describe('seed 002 examples', () => {
  it('aggregation: the seed blocks, columns, limits and plots', async () => {
    const [r, prefix] = await Promise.all([optix(AGG), optix(`${AGG} --prefix-cache-hit-rate 0.5`)]);
    expect(r.exitCode, r.stderr).toBe(0);
    const out = r.stdout;
    const lines = out.split('\n');
    expect(lines.slice(0, 9)).toEqual([
      STARS,
      RULE,
      'Input Configuration:',
      'Model: Qwen/Qwen3-32B',
      'Quantize Linear action: W8A8_DYNAMIC',
      'Quantize Attention action: DISABLED',
      'Devices: 8 TEST_DEVICE',
      'TTFT Limits: None ms',
      'TPOT Limits: 50.0 ms',
    ]);
    expect(lines[9]).toBe(RULE);
    expect(lines[10]).toBe('Overall Best Configuration:');
    expect(lines[11]).toMatch(/^Best Throughput: \d+\.\d\d tokens\/s$/);
    expect(lines[12]).toMatch(/^TTFT: \d+\.\d\d ms$/);
    expect(lines[13]).toMatch(/^TPOT: \d+\.\d\d ms$/);
    const t = table(out, 'Top ');
    expect(lines.find((l) => l.startsWith('Top '))).toBe(`Top ${t.rows.length} Aggregation Configurations:`);
    expect(t.head).toBe(AGG_HEAD);
    // TP-only search over 1, 2, 4, 8 -> four layouts, each DP = 8 / TP.
    expect(t.rows).toHaveLength(4);
    const tps = t.rows.map((row) => Number(row[1]));
    expect(tps).toEqual([...tps].sort((a, b) => b - a));
    expect(tps[0]).toBe(number(out, /Best Throughput: ([\d.]+)/));
    for (const row of t.rows) {
      expect(Number(row[3])).toBeLessThanOrEqual(50);
      const { parallel, rest } = parallelCell(row, 6);
      const [tp, pp, dp] = /TP=(\d+) \| PP=(\d+) \| DP=(\d+)/.exec(parallel)!.slice(1).map(Number);
      expect(tp! * pp! * dp!).toBe(8);
      // concurrency = batch_size x DP
      expect(Number(row[4])).toBe(Number(rest[0]) * dp!);
    }
    expect(out).toContain('Throughput vs Concurrency (token/s)');
    expect(out).toContain('Throughput vs TPOT (token/s)');
    expect(out).toMatch(/A: TP=\d+ \| PP=1 \| DP=\d+/);
    expect(out).not.toContain('Cross-hardware');

    expect(prefix.exitCode, prefix.stderr).toBe(0);
    expect(prefix.stdout).toContain('Prefix Cache Hit Rate: 0.5');
    // Half the prompt cached: the best configuration serves more tokens/s.
    expect(number(prefix.stdout, /Best Throughput: ([\d.]+)/)).toBeGreaterThan(tps[0]!);
  });

  it('disaggregation: prefill under a TTFT limit, decode under a TPOT limit, both', async () => {
    const base = `Qwen/Qwen3-32B --device TEST_DEVICE --num-devices 8 ${SEED} --disagg`;
    const [pre, dec, both] = await Promise.all([optix(`${base} --ttft-limits 2000`), optix(`${base} --tpot-limits 50`), optix(`${base} --ttft-limits 2000 --tpot-limits 50`)]);
    for (const r of [pre, dec, both]) expect(r.exitCode, r.stderr).toBe(0);
    const p = table(pre.stdout, 'Top ');
    expect(p.head).toBe('| Top | Throughput (input token/s) | TTFT (ms) | concurrency | num_devices | parallel | batch_size |');
    for (const row of p.rows) expect(Number(row[2])).toBeLessThanOrEqual(2000);
    expect(pre.stdout).toContain('Overall Best Prefill Configuration:');
    expect(pre.stdout).toMatch(/Top \d+ Prefill Configurations:/);
    expect(pre.stdout).toContain('Prefill: Throughput vs TTFT (input token/s)');
    expect(pre.stdout).not.toContain('Decode Configurations');
    const d = table(dec.stdout, 'Top ');
    expect(d.head).toBe('| Top | Throughput (token/s) | TPOT (ms) | concurrency | num_devices | parallel | batch_size |');
    for (const row of d.rows) expect(Number(row[2])).toBeLessThanOrEqual(50);
    expect(dec.stdout).toContain('Decode: Throughput vs TPOT (token/s)');
    expect(dec.stdout).not.toContain('Prefill Configurations');
    expect(both.stdout).toContain('Overall Best Prefill Configuration:');
    expect(both.stdout).toContain('Overall Best Decode Configuration:');
  });

  it('PD ratio (seed example, no --num-devices): QPS columns, ratio, no split', async () => {
    const r = await optix(
      `deepseek-ai/DeepSeek-V3.1 --device TEST_DEVICE ${SEED} --enable-optimize-prefill-decode-ratio --prefill-devices-per-instance 16 --decode-devices-per-instance 16 --log-level info`,
    );
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('Prefill Devices per Instance: 16');
    expect(r.stdout).toContain('no --num-devices: no P:D instance split');
    const pQps = number(r.stdout, /P QPS ([\d.]+) req\/s/);
    const dQps = number(r.stdout, /D QPS ([\d.]+) req\/s/);
    expect(number(r.stdout, /PD Ratio \(D QPS \/ P QPS\): ([\d.]+)/)).toBeCloseTo(dQps / pQps, 2);
    expect(r.stdout).not.toContain('P:D Instances: ');
    expect(table(r.stdout, 'Top ').head).toContain('| QPS (req/s) | PD Ratio |');
    expect(r.stdout).toContain('Throughput vs TPOT (Decode-side TPS)');
    // --log-level info: skipped layouts by reason, on stderr.
    expect(r.stderr).toMatch(/INFO: TEST_DEVICE prefill: \d+ layout\(s\) meet the limits; skipped layouts: /);
  });

  it('search dimensions: TP, TP/EP, TP/EP/MoE-DP, EP with the default range', async () => {
    const base = `Qwen/Qwen3-30B-A3B --device TEST_DEVICE --num-devices 8 --input-length 3500 --output-length 1500 --tpot-limits 50 --json`;
    const runs = await Promise.all(
      ['--tp-sizes 1 2 4 8', '--tp-sizes 1 2 4 8 --ep-sizes 1 2 4 8', '--tp-sizes 1 2 4 8 --ep-sizes 1 2 4 8 --moe-dp-sizes 1 2 4 8', '--ep-sizes'].map((s) => optix(`${base} --top-k 100 ${s}`)),
    );
    const layouts = runs.map((r) => {
      expect(r.exitCode, r.stderr).toBe(0);
      const j = JSON.parse(r.stdout) as { perDevice: Array<{ agg: { top: Array<{ parallel: Record<string, number> }>; skipped: Record<string, number> } }> };
      return j.perDevice[0]!.agg.top.map((p) => p.parallel);
    });
    // TP only: ep fixed to num_devices (8), moe-dp 1.
    expect(new Set(layouts[0]!.map((p) => p.tp))).toEqual(new Set([1, 2, 4, 8]));
    for (const p of layouts[0]!) expect([p.ep, p.moeDp]).toEqual([8, 1]);
    expect(new Set(layouts[1]!.map((p) => p.ep))).toEqual(new Set([1, 2, 4, 8]));
    for (const p of layouts[1]!) expect(p.moeDp).toBe(1);
    expect(layouts[2]!.some((p) => (p.moeDp ?? 0) > 1)).toBe(true);
    // --ep-sizes alone: tp fixed to num_devices.
    for (const p of layouts[3]!) expect(p.tp).toBe(8);
    expect(new Set(layouts[3]!.map((p) => p.ep))).toEqual(new Set([1, 2, 4, 8]));
  });

  it('several devices: per-device blocks, the profile comparison, the ranked summary, no plots', async () => {
    const r = await optix(`Qwen/Qwen3-32B --device ATLAS_800_A2_280T_64G ATLAS_800_A3_560T_128G_DIE ATLAS_800_A2_280T_64G --num-devices 8 ${SEED} --tpot-limits 50`);
    expect(r.exitCode, r.stderr).toBe(0);
    // Duplicates removed, order kept.
    expect([...r.stdout.matchAll(/^Devices: 8 (\S+)$/gm)].map((m) => m[1])).toEqual(['ATLAS_800_A2_280T_64G', 'ATLAS_800_A3_560T_128G_DIE']);
    expect(r.stdout).toContain('Device profile parameter comparison (effective compute / memory BW / comm BW)');
    const prof = table(r.stdout, 'Device profile parameter comparison');
    expect(prof.head).toBe('| Device | Cube Compute (TFLOPS) | Vector Compute (TFLOPS) | HBM BW (TB/s) | Memory (GB) | Comm Grid | Comm BW (GB/s) |');
    expect(prof.rows.map((x) => x[0])).toEqual(['ATLAS_800_A2_280T_64G', 'ATLAS_800_A3_560T_128G_DIE']);
    const sum = table(r.stdout, 'Cross-hardware - PD Aggregated');
    expect(sum.head).toBe('| Top | Device | Throughput (token/s) | TTFT (ms) | TPOT (ms) | Concurrency | Parallel | Batch | num_devices |');
    expect(sum.rows.map((x) => x[0])).toEqual(['1', '2']);
    expect(Number(sum.rows[0]![2])).toBeGreaterThanOrEqual(Number(sum.rows[1]![2]));
    expect(r.stdout).not.toContain('Throughput vs Concurrency');
  });

  it('plots example: --batch-range 1 256 bounds every batch', async () => {
    const r = await optix('Qwen/Qwen3-32B --device ATLAS_800_A2_280T_64G --num-devices 8 --input-length 3500 --output-length 1500 --tpot-limits 50 --batch-range 1 256');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('Batch Range: [1, 256]');
    for (const row of table(r.stdout, 'Top ').rows) expect(Number(row.at(-1))).toBeLessThanOrEqual(256);
    expect(r.stdout).toContain('Throughput vs TPOT (token/s)');
  });
});

describe('issue 3 NVIDIA / Ascend examples', () => {
  it('Qwen3-30B-A3B on H200 with TP/EP search, and DeepSeek-V3 PD ratio on 64 A3 dies', async () => {
    const [h200, pd] = await Promise.all([
      optix('Qwen/Qwen3-30B-A3B --device H200_SXM_141G --num-devices 8 --input-length 3500 --output-length 1500 --tpot-limits 50 --tp-sizes 1 2 4 8 --ep-sizes 1 2 4 8'),
      optix(
        'deepseek-ai/DeepSeek-V3 --device ATLAS_800_A3_752T_128G_DIE --input-length 3500 --output-length 1500 --enable-optimize-prefill-decode-ratio --prefill-devices-per-instance 16 --decode-devices-per-instance 16 --num-devices 64',
      ),
    ]);
    expect(h200.exitCode, h200.stderr).toBe(0);
    expect(h200.stdout).toContain('Devices: 8 H200_SXM_141G');
    expect(table(h200.stdout, 'Top ').head).toBe(AGG_HEAD);
    expect(h200.stdout).toMatch(/EP=\d/);

    expect(pd.exitCode, pd.stderr).toBe(0);
    const m = /P:D Instances: (\d+):(\d+) \((\d+) of 64 devices\), System QPS: ([\d.]+) req\/s/.exec(pd.stdout);
    expect(m).not.toBeNull();
    const [p, d, used] = m!.slice(1, 4).map(Number);
    expect(p! * 16 + d! * 16).toBe(used);
    expect(used).toBeLessThanOrEqual(64);
    // System QPS = min(p x P QPS, d x D QPS)
    const pQps = number(pd.stdout, /P QPS ([\d.]+)/);
    const dQps = number(pd.stdout, /D QPS ([\d.]+)/);
    expect(Number(m![4])).toBeCloseTo(Math.min(p! * pQps, d! * dQps), 2);
  });
});

describe('--json, --dump-original-results, --serving-cost, --jobs', () => {
  it('--json prints only the result object, without the sweep; --dump adds it and writes the CSV', async () => {
    const csv = path.join(tmp, 'sweep.csv');
    const [plain, dumped] = await Promise.all([optix(`${AGG} --json`), optix(`${AGG} --json --dump-original-results ${csv}`)]);
    expect(plain.exitCode, plain.stderr).toBe(0);
    const j = JSON.parse(plain.stdout);
    expect(j.request).toMatchObject({ model: 'Qwen/Qwen3-32B', devices: ['TEST_DEVICE'], numDevices: 8, mode: 'agg', limits: { tpotMs: 50 } });
    const agg = j.perDevice[0].agg;
    expect(Object.keys(agg).sort()).toEqual(['best', 'phase', 'skipped', 'top']);
    expect(agg.best.tpotMs).toBeLessThanOrEqual(50);
    expect(plain.stdout).not.toContain('Input Configuration');

    expect(dumped.exitCode, dumped.stderr).toBe(0);
    const sweep = JSON.parse(dumped.stdout).perDevice[0].agg.sweep as Array<{ oom: boolean }>;
    expect(sweep.length).toBeGreaterThan(4);
    const rows = parse(readFileSync(csv, 'utf8'), { columns: true }) as Array<Record<string, string>>;
    expect(rows).toHaveLength(sweep.length);
    expect(Object.keys(rows[0]!)).toEqual(expect.arrayContaining(['device', 'mode', 'tp', 'pp', 'dp', 'ep', 'moe_dp', 'batch_size', 'concurrency', 'ttft_ms', 'tpot_ms', 'tokens_per_s', 'tokens_per_s_per_device', 'tokens_per_s_per_user', 'qps', 'oom', 'mem_share', 'comm_share', 'cube_share', 'vec_share', 'memory_gb']));
    for (const row of rows) {
      expect(row.oom).toBe('false');
      const shares = Number(row.mem_share) + Number(row.comm_share) + Number(row.cube_share) + Number(row.vec_share);
      expect(shares).toBeCloseTo(1, 6);
    }
    // The best point is in the sweep.
    expect(rows.some((x) => Number(x.tp) === agg.best.parallel.tp && Number(x.batch_size) === agg.best.batchSize && x.meets_limits === 'true')).toBe(true);
  });

  it('--request-lengths fixed: SGLang\'s lockstep waves cost TTFT, so the search settles elsewhere under a TTFT limit', async () => {
    const base = 'Qwen/Qwen3-32B --device H100_SXM_80G --num-devices 8 --input-length 2048 --output-length 256 --ttft-limits 2000 --tpot-limits 50 --scheduling steady-state --serving-engine sglang --json';
    const [varied, fixed] = await Promise.all([optix(base), optix(`${base} --request-lengths fixed`)]);
    expect(fixed.exitCode, fixed.stderr).toBe(0);
    const best = (r: typeof fixed) => JSON.parse(r.stdout).perDevice[0].agg.best as { ttftMs: number; tpotMs: number; tokensPerS: number };
    expect(best(fixed).ttftMs).toBeLessThanOrEqual(2000);
    expect(best(fixed).tokensPerS).toBeLessThan(best(varied).tokensPerS);
    // The text report names the serving model its numbers assume.
    const text = await optix(base.replace(' --json', ' --request-lengths fixed'));
    expect(text.stdout).toContain('Scheduling: steady-state, sglang scheduler, fixed request lengths');
  });

  it("--attention-dp-balance: TensorRT-LLM's hold costs attention-DP layouts TTFT, so a TTFT limit leaves less throughput", async () => {
    // TP at most 8 on 16 devices: every candidate runs attention DP (2-16 replicas), the layouts the balancer holds.
    const base = 'deepseek-ai/DeepSeek-V3 --device H100_SXM_80G --num-devices 16 --tp-sizes 1 2 4 8 --input-length 1024 --output-length 1024 --ttft-limits 1000 --tpot-limits 50 --quantize-linear-action FP8 --scheduling steady-state --serving-engine trtllm --json';
    const [free, held] = await Promise.all([optix(base), optix(`${base} --attention-dp-balance 60,0`)]);
    expect(held.exitCode, held.stderr).toBe(0);
    const best = (r: typeof held) => JSON.parse(r.stdout).perDevice[0].agg.best as { ttftMs: number; tokensPerS: number; attentionDpBalanceWaitMs: number };
    expect(best(held).ttftMs).toBeLessThanOrEqual(1000);
    expect(best(held).tokensPerS).toBeLessThan(best(free).tokensPerS);
    expect(best(free).attentionDpBalanceWaitMs).toBe(0);
    const text = await optix(base.replace(' --json', ' --attention-dp-balance 60,0'));
    expect(text.stdout).toContain('Scheduling: steady-state, trtllm scheduler, attention-DP balance (timeout 60, wait 0 iterations)');
  });

  it('--serving-cost: cost per 1M output tokens = cost x devices / (tokens/s x 3600) x 1e6', async () => {
    const r = await optix(`${AGG} --serving-cost 2.5`);
    expect(r.exitCode, r.stderr).toBe(0);
    const tput = number(r.stdout, /Best Throughput: ([\d.]+)/);
    expect(number(r.stdout, /Cost per 1M output tokens: ([\d.]+)/)).toBeCloseTo(((2.5 * 8) / (tput * 3600)) * 1e6, 3);
    expect(table(r.stdout, 'Top ').head).toContain('| Cost per 1M output tokens |');
  });

  it('the result is the same for any --jobs, in-process or on worker threads', async () => {
    const base = `Qwen/Qwen3-30B-A3B --device TEST_DEVICE H100_SXM_80G ATLAS_800_A2_376T_64G --num-devices 8 --input-length 2000 --output-length 500 --tpot-limits 40 --tp-sizes --ep-sizes --json`;
    const runs = await Promise.all([optix(`${base} --jobs 1`), optix(`${base} --jobs 8`), optix(`${base} --jobs 2 --force-workers --log-level info`)]);
    const views = runs.map((r) => {
      expect(r.exitCode, r.stderr).toBe(0);
      const j = JSON.parse(r.stdout);
      for (const d of j.perDevice) delete d.elapsedMs;
      return j;
    });
    expect(runs[2]!.stderr).toContain('worker thread(s)');
    expect(views[1]).toEqual(views[0]);
    expect(views[2]).toEqual(views[0]);
  });
});

describe('limits not met, MTP, aliases', () => {
  it('says so when no configuration meets the SLO and shows the closest attempt', async () => {
    const r = await optix(`${AGG.replace('--tpot-limits 50', '--tpot-limits 1')}`);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('No configuration meets the limits (TPOT <= 1.0 ms).');
    expect(r.stdout).toMatch(/Closest attempt: TP=\d+ \| PP=1 \| DP=\d+, batch_size 1, TTFT [\d.]+ ms, TPOT [\d.]+ ms/);
  });

  it('MTP on DeepSeek, --max-prefill-tokens as an alias of --max-batched-tokens', async () => {
    const [mtp, alias] = await Promise.all([
      optix('deepseek-ai/DeepSeek-V3 --device TEST_DEVICE --num-devices 16 --input-length 2000 --output-length 1000 --tpot-limits 60 --num-mtp-tokens 1'),
      optix(`${AGG} --max-prefill-tokens 4096 --json`),
    ]);
    expect(mtp.exitCode, mtp.stderr).toBe(0);
    expect(mtp.stdout).toContain('MTP Tokens: 1 (acceptance rates 0.9)');
    expect(alias.exitCode, alias.stderr).toBe(0);
    expect(JSON.parse(alias.stdout).request.serving.maxBatchedTokens).toBe(4096);
  });
});

describe('bad inputs exit 2 with one line', () => {
  const cases: Array<[string, RegExp]> = [
    [`Qwen/Qwen3-32B --device NOPE --num-devices 8 ${SEED}`, /unknown device 'NOPE' \(valid names: .*TEST_DEVICE/],
    [`Qwen/Qwen3-32B --num-devices 8 ${SEED} --tpot-limits 50 --disagg --enable-optimize-prefill-decode-ratio --prefill-devices-per-instance 8 --decode-devices-per-instance 8`, /cannot be used together with --disagg/],
    [`Qwen/Qwen3-32B ${SEED} --enable-optimize-prefill-decode-ratio --prefill-devices-per-instance 8`, /needs --decode-devices-per-instance/],
    [`Qwen/Qwen3-32B --num-devices 8 ${SEED} --tpot-limits -5`, /--tpot-limits must be a positive number of ms, got -5/],
    [`Qwen/Qwen3-32B --num-devices 8 ${SEED} --ttft-limits 0`, /--ttft-limits must be a positive number/],
    [`Qwen/Qwen3-32B --num-devices 8 ${SEED} --tpot-limits 50 --tp-sizes 1 16`, /--tp-sizes value 16 exceeds the device count 8/],
    [`Qwen/Qwen3-32B --num-devices 8 ${SEED} --tpot-limits 50 --num-mtp-tokens 1`, /has no MTP layers/],
    [`Qwen/Qwen3-32B --device TEST_DEVICE ATLAS_800_A2_280T_64G_PCIE --num-devices 16 ${SEED} --tpot-limits 50`, /communication grid of ATLAS_800_A2_280T_64G_PCIE/],
    [`Qwen/Qwen3-32B --num-devices 8 ${SEED} --disagg`, /--disagg needs --ttft-limits/],
    [`Qwen/Qwen3-32B --num-devices 8 ${SEED} --batch-range 1 2 3`, /--batch-range takes \[max\] or \[min max\]/],
    [`Qwen/Qwen3-32B --num-devices 8 ${SEED} --batch-range 9 3`, /--batch-range must be/],
    [`Qwen/Qwen3-32B --num-devices 8 ${SEED} --prefix-cache-hit-rate 1`, /prefix cache hit rate must be in \[0, 1\)/],
    [`Qwen/Qwen3-32B --num-devices 8 ${SEED} --image-height 448 --image-width 448`, /image inputs are not supported for Qwen\/Qwen3-32B/],
    [`Qwen/Qwen3-32B --num-devices 8 ${SEED} --jobs 0`, /--jobs must be a positive integer/],
  ];
  it('each is refused in one line on stderr', async () => {
    const runs = await Promise.all(cases.map(([args]) => optix(args)));
    runs.forEach((r, i) => {
      expect(r.exitCode, cases[i]![0]).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
      expect(r.stderr).toMatch(cases[i]![1]);
    });
  });
});
