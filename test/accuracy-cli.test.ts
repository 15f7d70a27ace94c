/**
 * `optix accuracy` end to end (the built CLI). The targets of issue 4 are
 * checked on ../shared/reference when it is there (tests run from the repo
 * root, so that is /work/shared/reference next to it); skipped with a message otherwise.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { parse } from 'csv-parse/sync';
import { cli, root } from './cli.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const reference = path.resolve(root, '..', 'shared', 'reference');
const silicon = path.join(reference, 'silicon_calibration.csv');
const tmp = mkdtempSync(path.join(tmpdir(), 'optix-accuracy-cli-'));

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function optix(...args: string[]) {
  return execa('node', [cli, ...args], { cwd: root, reject: false });
}

interface Summary {
  rows: number;
  predicted: number;
  unsupported: Record<string, number>;
  ttft: { medianApePct: number; p90ApePct: number };
  tpot: { medianApePct: number; p90ApePct: number };
  groups: Array<{ system: string; backend: string; mode: string; rows: number; ttftMedianApePct: number | null; tpotMedianApePct: number | null }>;
}

const HEADER =
  'id,silicon_data_source,backend,backend_version,model_path,system,precision,mode,isl,osl,gemm_quant_mode,moe_quant_mode,batch_size,tp_size,pp_size,attention_dp_size,moe_tp_size,moe_ep_size,' +
  'prefill_batch_size,prefill_num_workers,prefill_tp_size,prefill_pp_size,prefill_attention_dp_size,prefill_moe_tp_size,prefill_moe_ep_size,' +
  'decode_batch_size,decode_num_workers,decode_tp_size,decode_pp_size,decode_attention_dp_size,decode_moe_tp_size,decode_moe_ep_size,silicon_ttft_ms,silicon_tpot_ms';

/** `accuracy --measured file --out` with extra flags: the prediction rows it wrote. */
async function predictionRows(file: string, ...args: string[]): Promise<Array<Record<string, string>>> {
  const out = `${file}.pred.csv`;
  const r = await optix('accuracy', '--measured', file, '--out', out, ...args);
  expect(r.exitCode, r.stderr).toBe(0);
  return parse(readFileSync(out, 'utf8'), { columns: true }) as Array<Record<string, string>>;
}

describe('optix accuracy --measured (small file)', () => {
  const file = path.join(tmp, 'small.csv');
  writeFileSync(
    file,
    [
      HEADER,
      'llama,x,trtllm,1.0,meta-llama/Llama-3.1-8B-Instruct,h100_sxm,,agg,1024,128,,,8,1,1,1,1,1,,,,,,,,,,,,,,,30,8',
      'qwen,x,vllm,0.1,Qwen/Qwen3-32B,h100_sxm,fp8,agg,1024,1024,fp8,fp8,16,2,1,1,1,1,,,,,,,,,,,,,,,60,12',
      'tpu,x,vllm,0.1,Qwen/Qwen3-32B,tpu_v5,fp8,agg,1024,1024,fp8,fp8,16,2,1,1,1,1,,,,,,,,,,,,,,,60,12',
      'int4,x,vllm,0.1,Qwen/Qwen3-32B,h100_sxm,int4,agg,1024,1024,int4_wo,int4_wo,16,2,1,1,1,1,,,,,,,,,,,,,,,60,12',
      'nomodel,x,vllm,0.1,acme/NoSuchModel-1B,h100_sxm,fp8,agg,1024,1024,fp8,fp8,16,2,1,1,1,1,,,,,,,,,,,,,,,60,12',
    ].join('\n') + '\n',
  );

  it('prints the summary object, counting unsupported rows by reason', async () => {
    const r = await optix('accuracy', '--measured', file, '--json');
    expect(r.exitCode, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as Summary;
    expect(Object.keys(s)).toEqual(['rows', 'predicted', 'unsupported', 'ttft', 'tpot', 'groups']);
    expect(s.rows).toBe(5);
    expect(s.predicted).toBe(2);
    expect(s.unsupported).toEqual({ 'unknown system': 1, 'unsupported quantization (gemm_quant_mode int4_wo)': 1, 'unknown model': 1 });
    expect(s.ttft.medianApePct).toBeGreaterThanOrEqual(0);
    expect(s.groups.map((g) => `${g.system}/${g.backend}/${g.mode}:${g.rows}`)).toEqual(['h100_sxm/trtllm/agg:1', 'h100_sxm/vllm/agg:3', 'tpu_v5/vllm/agg:1']);
  });

  it('writes one prediction row per measured row with --out, and a readable report', async () => {
    const out = path.join(tmp, 'pred.csv');
    const r = await optix('accuracy', '--measured', file, '--out', out);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Rows: 5, predicted: 2 \(40\.0%\)/);
    expect(r.stdout).toMatch(/By model family:/);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(6);
    expect(lines[0]).toMatch(/^id,line,system,profile,backend,mode,model_path,family,quant,isl,osl,mean_isl,mean_osl,request_lengths,concurrency,measured_ttft_ms,measured_tpot_ms,predicted_ttft_ms,predicted_tpot_ms,ttft_ape_pct,tpot_ape_pct,predicted_prefill_step_ms,predicted_decode_step_ms,prefill_queue_requests,attention_dp_balance_ms,deployment,reason$/);
    expect(lines[1]).toMatch(/^llama,2,h100_sxm,H100_SXM_80G,trtllm,agg,.*LlamaForCausalLM,DISABLED kv:bf16,1024,128,1024,128,varied,8,30,8,[\d.]+,[\d.]+,[\d.]+,[\d.]+,[\d.]+,[\d.]+,8,0,given,$/);
    expect(lines[3]).toMatch(/,unknown system$/);
  });

  it('rejects bad input with one line and exit 2', async () => {
    const none = await optix('accuracy');
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toMatch(/give exactly one of --measured FILE.csv or --kernels DIR/);
    const bad = path.join(tmp, 'bad.csv');
    writeFileSync(bad, 'a,b\n1,2\n');
    const r = await optix('accuracy', '--measured', bad);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/bad\.csv:1:1: unrecognized measured-data columns/);
    const k = await optix('accuracy', '--kernels', tmp);
    expect(k.stderr).toMatch(/--kernels needs --device NAME/);
    const d = await optix('accuracy', '--measured', file, '--deployment', 'nope');
    expect(d.exitCode).toBe(2);
    expect(d.stderr).toMatch(/--deployment must be given or assumed, got 'nope'/);
  });

  it("--length-range-ratio: InferenceX rows get their benchmark's mean lengths; 1 gives every row exactly isl / osl; bad values exit 2", async () => {
    const ix = path.join(tmp, 'inferencex.csv');
    const row = (id: string, source: string): string => `${id},${source},vllm,0.1,Qwen/Qwen3-32B,h100_sxm,fp8,agg,8192,1024,fp8,fp8,16,2,1,1,1,1,,,,,,,,,,,,,,,900,20`;
    writeFileSync(ix, [HEADER, row('ix', 'source_file=2026-04-06.csv; model=Qwen3-32B; silicon_concurrency=16; wip=False'), row('aic', 'source_file=/data/h100_sxm/vllm/0.12.0/Qwen3-32B.csv')].join('\n') + '\n');
    const csvRows = (...args: string[]) => predictionRows(ix, ...args);
    const auto = await csvRows();
    // uniform in [floor(0.8 x 8192), 8192] = [6553, 8192]: mean 7372.5; [819, 1024]: 921.5
    expect(auto.map((r) => [r.mean_isl, r.mean_osl])).toEqual([
      ['7373', '922'],
      ['8192', '1024'],
    ]);
    // Same deployment and concurrency: the shorter mean prompt prefills faster.
    expect(Number(auto[0]!.predicted_prefill_step_ms)).toBeLessThan(Number(auto[1]!.predicted_prefill_step_ms));
    const exact = await csvRows('--length-range-ratio', '1');
    expect(exact.map((r) => r.mean_isl)).toEqual(['8192', '8192']);
    expect(exact[0]!.predicted_ttft_ms).toBe(exact[1]!.predicted_ttft_ms);
    const fixed = await csvRows('--request-lengths', 'fixed');
    expect(fixed.map((r) => r.mean_isl)).toEqual(['8192', '8192']);
    expect(auto.map((r) => r.request_lengths)).toEqual(['varied', 'varied']);
    const half = await csvRows('--length-range-ratio', '0.5');
    expect(half.map((r) => r.mean_isl)).toEqual(['6144', '6144']);
    const report = await optix('accuracy', '--measured', ix);
    expect(report.stdout).toMatch(/Request lengths: 1 rows priced at their benchmark's mean lengths .*, 1 at isl \/ osl/);
    const label = await optix('accuracy', '--measured', ix, '--length-range-ratio', '1');
    expect(label.stdout).toMatch(/request lengths exactly isl \/ osl/);
    expect(label.stdout).not.toMatch(/Request lengths:/);
    for (const v of ['0', '1.5', 'most']) {
      const bad = await optix('accuracy', '--measured', ix, '--length-range-ratio', v);
      expect(bad.exitCode).toBe(2);
      expect(bad.stderr).toMatch(new RegExp(`--length-range-ratio must be 'auto' or a number in \\(0, 1\\], got '${v}'`));
    }
  });

  it("prices rows of aiconfigurator's fixed-length eval as fixed-length runs: lockstep waves on SGLang", async () => {
    const file = path.join(tmp, 'aic.csv');
    const row = (id: string, source: string): string => `${id},${source},sglang,0.5.1.post1,Qwen/Qwen3-32B,h100_sxm,bf16,agg,1024,128,bf16,,64,2,1,1,1,1,,,,,,,,,,,,,,,2500,30`;
    writeFileSync(file, [HEADER, row('aic', 'source_file=/home/u/aic-auto-gap-analysis/data/h100_sxm/sglang/0.5.1.post1/Qwen_Qwen3-32B.csv; silicon_concurrency=64'), row('other', 'source_file=qwen3-gap-analysis.csv; silicon_concurrency=64')].join('\n') + '\n');
    const csvRows = (...args: string[]) => predictionRows(file, ...args);
    const [auto, fixed, varied] = [await csvRows(), await csvRows('--request-lengths', 'fixed'), await csvRows('--request-lengths', 'varied')];
    expect(auto.map((r) => r.request_lengths)).toEqual(['fixed', 'varied']);
    // Same deployment and lengths: only the request-length law tells the rows apart.
    expect(auto[0]!.predicted_ttft_ms).toBe(fixed[0]!.predicted_ttft_ms);
    expect(auto[1]!.predicted_ttft_ms).toBe(varied[1]!.predicted_ttft_ms);
    expect(auto[0]!.predicted_ttft_ms).not.toBe(auto[1]!.predicted_ttft_ms);
    expect(fixed.map((r) => r.request_lengths)).toEqual(['fixed', 'fixed']);
    expect(varied.map((r) => r.request_lengths)).toEqual(['varied', 'varied']);
    const report = await optix('accuracy', '--measured', file);
    expect(report.stdout).toMatch(/Fixed request lengths: 1 rows from a benchmark that sends every request at exactly isl \/ osl \(e\.g\. aiconfigurator eval; --request-lengths\), 1 of them aggregated on a prefill-first engine: lockstep waves/);
    const forced = await optix('accuracy', '--measured', file, '--request-lengths', 'varied');
    expect(forced.stdout).toMatch(/Accuracy against .*aic\.csv, varied request lengths/);
    expect(forced.stdout).not.toMatch(/Fixed request lengths:/);
  });

  it('--deployment filters rows: every agg row gives its deployment', async () => {
    const given = JSON.parse((await optix('accuracy', '--measured', file, '--deployment', 'given', '--json')).stdout) as Summary;
    const assumed = JSON.parse((await optix('accuracy', '--measured', file, '--deployment', 'assumed', '--json')).stdout) as Summary;
    expect([given.rows, assumed.rows]).toEqual([5, 0]);
  });
});

/**
 * Issue 4's targets are TPOT <= 15% and TTFT <= 25% median APE over all rows, with
 * >= 80% of them predicted. All three are met and held at the target (the row share
 * at the level reached); every run prints where the numbers stand.
 */
const E2E = {
  predictedShare: { target: 0.8, guard: 0.86 },
  tpotMedianApePct: { target: 15, guard: 15 },
  ttftMedianApePct: { target: 25, guard: 25 },
};

describe.runIf(existsSync(silicon))('optix accuracy on silicon_calibration.csv (issue 4 targets, regression guards)', () => {
  let s: Summary;
  beforeAll(async () => {
    const r = await optix('accuracy', '--measured', silicon, '--json');
    expect(r.exitCode, r.stderr).toBe(0);
    s = JSON.parse(r.stdout) as Summary;
    console.log(
      `accuracy on silicon_calibration.csv: predicted ${((100 * s.predicted) / s.rows).toFixed(1)}% (target ${100 * E2E.predictedShare.target}%), ` +
        `TPOT median APE ${s.tpot.medianApePct.toFixed(1)}% (target ${E2E.tpotMedianApePct.target}%), ` +
        `TTFT median APE ${s.ttft.medianApePct.toFixed(1)}% (target ${E2E.ttftMedianApePct.target}%)`,
    );
  }, 60_000);

  it('reads every row', () => {
    expect(s.rows).toBe(3384);
  });
  it('predicts at least 80% of the rows (issue target)', () => {
    expect(s.predicted / s.rows).toBeGreaterThanOrEqual(E2E.predictedShare.guard);
  });
  it(`median TPOT APE stays at or below ${E2E.tpotMedianApePct.guard}% (target ${E2E.tpotMedianApePct.target}%)`, () => {
    expect(s.tpot.medianApePct).toBeLessThanOrEqual(E2E.tpotMedianApePct.guard);
  });
  it(`median TTFT APE stays at or below ${E2E.ttftMedianApePct.guard}% (target ${E2E.ttftMedianApePct.target}%)`, () => {
    expect(s.ttft.medianApePct).toBeLessThanOrEqual(E2E.ttftMedianApePct.guard);
  });
});
// The rows that give their whole deployment (all but the 921 disagg rows without worker counts):
// there both of the issue's targets are met, and this holds them.
describe.runIf(existsSync(silicon))('optix accuracy --deployment given on silicon_calibration.csv (issue 4 targets)', () => {
  it(`median TTFT <= ${E2E.ttftMedianApePct.target}% and TPOT <= ${E2E.tpotMedianApePct.target}%`, async () => {
    const r = await optix('accuracy', '--measured', silicon, '--deployment', 'given', '--json');
    expect(r.exitCode, r.stderr).toBe(0);
    const g = JSON.parse(r.stdout) as Summary;
    console.log(`rows with a given deployment: ${g.predicted} of ${g.rows} predicted, TTFT ${g.ttft.medianApePct.toFixed(1)}%, TPOT ${g.tpot.medianApePct.toFixed(1)}%`);
    expect(g.rows).toBe(2463);
    expect(g.ttft.medianApePct).toBeLessThanOrEqual(E2E.ttftMedianApePct.target);
    expect(g.tpot.medianApePct).toBeLessThanOrEqual(E2E.tpotMedianApePct.target);
  }, 60_000);
});
// SGLang's prefill-first scheduler keeps fixed-length closed-loop clients in lockstep waves. The 63
// SGLang agg rows on H100 follow that law with no constant fitted to them (they come from aiconfigurator's
// eval, whose benchmarks send exact lengths: mapping.ts, AICONFIGURATOR_EVAL_LENGTHS), and the queue law
// for varied lengths does not fit them.
describe.runIf(existsSync(silicon))('optix accuracy --request-lengths fixed on silicon_calibration.csv', () => {
  it('the lockstep-wave law fits the SGLang agg rows on H100; the queue law for varied lengths does not', async () => {
    const run = async (lengths: string) => {
      const r = await optix('accuracy', '--measured', silicon, '--system', 'h100_sxm', '--backend', 'sglang', '--mode', 'agg', '--request-lengths', lengths, '--json');
      expect(r.exitCode, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as Summary;
    };
    const [fixed, varied, auto] = [await run('fixed'), await run('varied'), await run('auto')];
    // Their source is aiconfigurator's eval, whose benchmarks send exact lengths: the default prices them so.
    expect(auto).toEqual(fixed);
    console.log(`SGLang agg on H100 (${fixed.predicted} rows): TTFT/TPOT median APE ${fixed.ttft.medianApePct}/${fixed.tpot.medianApePct}% as waves, ${varied.ttft.medianApePct}/${varied.tpot.medianApePct}% by the queue law`);
    expect(fixed.predicted).toBe(63);
    expect(fixed.ttft.medianApePct).toBeLessThanOrEqual(10);
    expect(fixed.tpot.medianApePct).toBeLessThanOrEqual(6);
    expect(varied.ttft.medianApePct).toBeGreaterThan(40);
    const bad = await optix('accuracy', '--measured', silicon, '--request-lengths', 'uniform');
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/--request-lengths.*uniform.*varied, fixed/s);
  }, 60_000);
});
if (!existsSync(silicon)) {
  describe('optix accuracy on silicon_calibration.csv', () => {
    it.skip(`skipped: ${silicon} not found`, () => {});
  });
}

/**
 * Op-level median APE: issue 4's target is 15% per family, met by the shipped profiles on
 * every family (guards at the target, tighter where they are well inside it), and by a
 * full calibration (below).
 */
const KERNEL_SYSTEMS = [
  ['h100_sxm', 'H100_SXM_80G', { gemm: 15, context_attention: 15, generation_attention: 15, all_reduce: 10 }],
  ['b200_sxm', 'B200_SXM_180G', { gemm: 15, context_attention: 13, generation_attention: 10, all_reduce: 10 }],
] as const;

for (const [system, device] of KERNEL_SYSTEMS) {
  const dir = path.join(reference, 'kernels', system);
  describe.runIf(existsSync(dir))(`optix calibrate --kernels ${system}, every group (issue 4's op-level target)`, () => {
    it('the written profile is within 15% median APE on every family', async () => {
      const out = path.join(tmp, `${device}.full.yaml`);
      const r = await optix('calibrate', '--kernels', dir, '--device', device, '--out', out, '--json');
      expect(r.exitCode, r.stderr).toBe(0);
      const after = (JSON.parse(r.stdout) as { after: Array<{ family: string; rows: number; medianApePct: number }> }).after;
      console.log(`${system} full calibration op-level median APE: ${after.map((f) => `${f.family} ${f.medianApePct.toFixed(1)}%`).join(', ')}`);
      expect(after.map((f) => f.family).sort()).toEqual(['all_reduce', 'context_attention', 'gemm', 'generation_attention']);
      for (const f of after) expect(f.medianApePct, f.family).toBeLessThanOrEqual(15);
    }, 120_000);
  });
}

for (const [system, device, guards] of KERNEL_SYSTEMS) {
  const dir = path.join(reference, 'kernels', system);
  describe.runIf(existsSync(dir))(`optix accuracy --kernels ${system} (op-level median APE, target 15%, regression guards)`, () => {
    let families: Array<{ family: string; rows: number; medianApePct: number }> = [];
    beforeAll(async () => {
      const r = await optix('accuracy', '--kernels', dir, '--device', device, '--json');
      expect(r.exitCode, r.stderr).toBe(0);
      families = (JSON.parse(r.stdout) as { families: typeof families }).families;
      console.log(`${system} op-level median APE: ${families.map((f) => `${f.family} ${f.medianApePct.toFixed(1)}%`).join(', ')} (target 15%)`);
    }, 60_000);
    for (const [family, guard] of Object.entries(guards)) {
      it(`${family} <= ${guard}%`, () => {
        const f = families.find((x) => x.family === family);
        expect(f, `${family} checked`).toBeDefined();
        expect(f!.rows).toBeGreaterThan(100);
        expect(f!.medianApePct).toBeLessThanOrEqual(guard);
      });
    }
  });
}
