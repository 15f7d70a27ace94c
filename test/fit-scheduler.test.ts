/**
 * scripts/fit-scheduler.ts end to end: measured points made from known queue
 * laws (on the script's grid) must give those laws back.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { parse } from 'csv-parse/sync';
import { afterAll, describe, expect, it } from 'vitest';
import { SCHEDULERS } from '../src/engine/scheduler.js';
import { cli, root } from './cli.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'optix-fit-scheduler-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const HEADER =
  'id,silicon_data_source,backend,backend_version,model_path,system,precision,mode,isl,osl,gemm_quant_mode,moe_quant_mode,batch_size,tp_size,pp_size,attention_dp_size,moe_tp_size,moe_ep_size,' +
  'prefill_batch_size,prefill_num_workers,prefill_tp_size,prefill_pp_size,prefill_attention_dp_size,prefill_moe_tp_size,prefill_moe_ep_size,' +
  'decode_batch_size,decode_num_workers,decode_tp_size,decode_pp_size,decode_attention_dp_size,decode_moe_tp_size,decode_moe_ep_size,silicon_ttft_ms,silicon_tpot_ms';

/** The laws the synthetic measurements follow (every value is a point of the script's grid). */
const TRUE_LAWS = {
  vllm: { requestOverheadMs: 20, basePrefills: 2, clientsPerPrefill: 8 },
  sglang: { requestOverheadMs: 150, basePrefills: 1.5, clientsPerPrefill: 4 },
} as const;

describe('scripts/fit-scheduler.js', () => {
  it('recovers the per-engine TTFT laws and the pooled decode law of synthetic measurements', async () => {
    const rows: string[] = [];
    for (const backend of ['vllm', 'sglang'] as const)
      for (const [model, system, tp] of [
        ['Qwen/Qwen3-32B', 'h100_sxm', 2],
        ['meta-llama/Llama-3.1-8B-Instruct', 'b200_sxm', 1],
      ] as const)
        for (const isl of [1024, 4096])
          for (const c of [4, 16, 64])
            rows.push(`${backend}-${system}-${isl}-${c},x,${backend},0,${model},${system},fp8,agg,${isl},512,fp8,fp8,${c},${tp},1,1,1,1,,,,,,,,,,,,,,,1,1`);
    const draft = path.join(tmp, 'draft.csv');
    writeFileSync(draft, [HEADER, ...rows].join('\n') + '\n');
    // The engine's own parts for each row: one request's prefill P, the queue B, the TPOT it predicts.
    const predFile = path.join(tmp, 'pred.csv');
    const pred = await execa('node', [cli, 'accuracy', '--measured', draft, '--out', predFile], { cwd: root, reject: false });
    expect(pred.exitCode, pred.stderr).toBe(0);
    const parts = parse(readFileSync(predFile, 'utf8'), { columns: true }) as Array<Record<string, string>>;
    expect(parts.every((p) => p.predicted_ttft_ms !== '')).toBe(true);
    const measured = rows.map((line, i) => {
      const p = parts[i]!;
      const law = TRUE_LAWS[p.backend as keyof typeof TRUE_LAWS];
      const ttft = law.requestOverheadMs + Number(p.predicted_prefill_step_ms) * (law.basePrefills + Number(p.prefill_queue_requests) / law.clientsPerPrefill);
      // TPOT exactly as the engine predicts it: the pooled decode law must come back unchanged.
      return line.replace(/,1,1$/, `,${ttft},${p.predicted_tpot_ms}`);
    });
    const file = path.join(tmp, 'synthetic.csv');
    writeFileSync(file, [HEADER, ...measured].join('\n') + '\n');

    const r = await execa('node', [path.join(root, 'dist/scripts/fit-scheduler.js'), file], { cwd: root, reject: false });
    expect(r.exitCode, r.stderr).toBe(0);
    const decode = SCHEDULERS.generic;
    for (const [engine, law] of Object.entries(TRUE_LAWS)) {
      expect(r.stdout).toContain(
        `${engine}: { requestOverheadMs: ${law.requestOverheadMs}, basePrefills: ${law.basePrefills}, clientsPerPrefill: ${law.clientsPerPrefill}, ` +
          `decodeStepScale: ${decode.decodeStepScale}, iterationOverheadMs: ${decode.iterationOverheadMs}, prefillInterleave: ${decode.prefillInterleave} }`,
      );
    }
    // Exact laws: in-sample and held-out errors vanish for the per-engine form.
    expect(r.stdout).toMatch(/TTFT, agg and disagg rows: TTFT median APE 0\.0%/);
    expect(r.stdout).toMatch(/by system, chosen: TTFT per engine, TPOT pooled: TTFT 0\.0%, TPOT 0\.0%/);
  }, 120_000);
});
