/** Name mapping, measured-row parsing and the error summary of `optix accuracy` (issue 4). */
import { describe, expect, it } from 'vitest';
import { AICONFIGURATOR_EVAL_LENGTHS, attentionDpBalanceOf, EXACT_LENGTHS, INFERENCEX_DEEPSEEK_ATTENTION_DP_BALANCE, INFERENCEX_LENGTHS, lengthSamplingOf, mapKvCache, mapLayout, mapQuant, mapSystem, meanLength, NVFP4_GROUP_SIZE, undoEpMultipliedSizes } from '../src/accuracy/mapping.js';
import { TRTLLM_ATTENTION_DP_BALANCE } from '../src/engine/adp-balance.js';
import { predictRows } from '../src/accuracy/predict.js';
import { parseMeasuredCsv, sourceConcurrency } from '../src/accuracy/measured.js';
import { apePct, median, quantile } from '../src/accuracy/stats.js';
import { summarize, summarizeByDeployment, type RowOutcome } from '../src/accuracy/summary.js';
import { getCatalogModel } from '../src/engine/models/index.js';
import { KERNEL_PRICING, kernelSamples, predictS } from '../src/accuracy/kernels.js';
import { loadDevice } from '../src/catalog/devices.js';
import { priceOp } from '../src/engine/perf.js';

const dense = getCatalogModel('Qwen/Qwen3-32B');
const moe = getCatalogModel('deepseek-ai/DeepSeek-R1');

describe('name mapping', () => {
  it('maps the data systems onto profiles, case-insensitively', () => {
    expect(mapSystem('h100_sxm')).toBe('H100_SXM_80G');
    expect(mapSystem('H200_SXM')).toBe('H200_SXM_141G');
    expect(mapSystem('b200_sxm')).toBe('B200_SXM_180G');
    expect(mapSystem('b300_sxm')).toBe('B300_SXM_288G');
    expect(mapSystem('gb200')).toBe('GB200');
    expect(mapSystem('gb300')).toBe('GB300');
    expect(mapSystem('tpu_v5')).toBeUndefined();
  });

  it('maps quant modes, falling back to precision, then to the checkpoint dtype', () => {
    expect(mapQuant('fp8', 'fp8')).toEqual({ ok: true, value: { linear: 'FP8', mxfp4GroupSize: 32 } });
    expect(mapQuant('fp8_block', '')).toEqual({ ok: true, value: { linear: 'FP8', mxfp4GroupSize: 32 } });
    expect(mapQuant('nvfp4', 'fp4')).toEqual({ ok: true, value: { linear: 'MXFP4', mxfp4GroupSize: NVFP4_GROUP_SIZE } });
    expect(NVFP4_GROUP_SIZE).toBe(16);
    expect(mapQuant('bfloat16', '')).toEqual({ ok: true, value: { linear: 'DISABLED', mxfp4GroupSize: 32 } });
    expect(mapQuant('', 'bf16')).toEqual({ ok: true, value: { linear: 'DISABLED', mxfp4GroupSize: 32 } });
    expect(mapQuant('', '', moe)).toEqual({ ok: true, value: { linear: 'FP8', mxfp4GroupSize: 32 } }); // fp8 checkpoint
    expect(mapQuant('', '', dense)).toEqual({ ok: true, value: { linear: 'DISABLED', mxfp4GroupSize: 32 } });
    expect(mapQuant('int4_wo', 'int4')).toEqual({ ok: false, reason: 'unsupported quantization (gemm_quant_mode int4_wo)' });
  });

  it('assumes an fp8 KV cache only for quantized TensorRT-LLM rows', () => {
    expect(mapKvCache('trtllm', 'FP8')).toBe('FP8');
    expect(mapKvCache('trtllm', 'MXFP4')).toBe('FP8');
    expect(mapKvCache('trtllm', 'DISABLED')).toBe('DISABLED');
    expect(mapKvCache('sglang', 'FP8')).toBe('DISABLED');
    expect(mapKvCache('vllm', 'MXFP4')).toBe('DISABLED');
  });

  it('derives moeDp = tp x dp / (moeTp x ep)', () => {
    // tp 4, dp 4 -> 16 devices per stage; moe_tp 1 x ep 8 -> moeDp 2.
    expect(mapLayout({ tp: 4, pp: 1, attentionDp: 4, moeTp: 1, moeEp: 8 }, moe)).toEqual({ ok: true, value: { tp: 4, dp: 4, pp: 1, ep: 8, moeTp: 1, moeDp: 2 } });
    // Empty PP/DP default to 1; a missing moe_tp follows from ep.
    expect(mapLayout({ tp: 8, pp: NaN, attentionDp: NaN, moeTp: NaN, moeEp: 8 }, moe)).toEqual({ ok: true, value: { tp: 8, dp: 1, pp: 1, ep: 8, moeTp: 1, moeDp: 1 } });
    // Dense models ignore the MoE columns.
    expect(mapLayout({ tp: 2, pp: 1, attentionDp: 1, moeTp: 1, moeEp: NaN }, dense)).toEqual({ ok: true, value: { tp: 2, dp: 1, pp: 1, ep: 1, moeTp: 2, moeDp: 1 } });
    // ep 3 does not divide 8 devices: moeDp would be 8/3.
    expect(mapLayout({ tp: 8, pp: 1, attentionDp: 1, moeTp: 1, moeEp: 3 }, moe).ok).toBe(false);
    expect(mapLayout({ tp: NaN, pp: 1, attentionDp: 1, moeTp: 1, moeEp: 1 }, moe)).toEqual({ ok: false, reason: 'invalid layout (tp_size missing)' });
  });
});

describe("the attention-DP balancer of a row's benchmark", () => {
  const gptOss = getCatalogModel('openai/gpt-oss-120b');

  it("follows InferenceX's TensorRT-LLM launch scripts: 60 / 0 for DeepSeek-R1, TensorRT-LLM's defaults otherwise", () => {
    const infx = { backend: 'trtllm', lengthSampling: INFERENCEX_LENGTHS };
    expect(attentionDpBalanceOf(infx, moe)).toBe(INFERENCEX_DEEPSEEK_ATTENTION_DP_BALANCE);
    expect(INFERENCEX_DEEPSEEK_ATTENTION_DP_BALANCE).toEqual({ timeoutIterations: 60, batchingWaitIterations: 0 });
    expect(attentionDpBalanceOf(infx, gptOss)).toBe(TRTLLM_ATTENTION_DP_BALANCE);
    // Other engines, and benchmarks whose launch settings are not known: none.
    expect(attentionDpBalanceOf({ backend: 'sglang', lengthSampling: INFERENCEX_LENGTHS }, moe)).toBeNull();
    expect(attentionDpBalanceOf({ backend: 'trtllm', lengthSampling: EXACT_LENGTHS }, moe)).toBeNull();
  });

  it('holds the prefills of an InferenceX attention-DP row, and only its agg TTFT', () => {
    const row = (id: string, source: string, dp: number) =>
      `${id},"${source}",trtllm,1.2.0,deepseek-ai/DeepSeek-R1,b200_sxm,fp8,agg,1024,1024,fp8,fp8,8,${8 / dp},1,${dp},1,8,,,,,,,,,,,,,,,1800,19`;
    const { rows } = parseMeasuredCsv(
      [HEADER, row('infx', 'source_file=2026-04-06.csv; silicon_concurrency=64', 8), row('other', 'source_file=somewhere.csv', 8), row('tep', 'source_file=2026-04-06.csv', 1)].join('\n'),
    );
    // The same request lengths for all three (InferenceX's 0.8 range), so that only the balancer differs.
    const [infx, other, tep] = predictRows(rows, { lengthRangeRatio: 0.8 });
    expect(infx!.ttftMs).toBeDefined();
    expect(infx!.ttftMs!).toBeGreaterThan(other!.ttftMs! + 200);
    expect(infx!.tpotMs).toBe(other!.tpotMs);
    // Without DP attention the script sets no balancer: TP 8 is priced as it always was.
    expect(tep!.ttftMs).toBe(predictRows([{ ...rows[2]!, lengthSampling: EXACT_LENGTHS }], { lengthRangeRatio: 0.8 })[0]!.ttftMs);
  });
});

describe('EP-multiplied export sizes', () => {
  const l = (tp: number, attentionDp: number, moeTp: number, moeEp: number) => ({ tp, pp: 1, attentionDp, moeTp, moeEp });

  it('reads tp x dp = ep x ep with moe_tp = ep beyond one scale-up domain as tp x dp / ep devices', () => {
    // b200_sxm: 8 devices per NVLink domain.
    expect(undoEpMultipliedSizes(l(16, 1, 4, 4), 8)).toEqual(l(4, 1, 1, 4));
    expect(undoEpMultipliedSizes(l(64, 1, 8, 8), 8)).toEqual(l(8, 1, 1, 8));
    expect(undoEpMultipliedSizes(l(1, 64, 8, 8), 8)).toEqual(l(1, 8, 1, 8));
    expect(undoEpMultipliedSizes(l(1, 16, 4, 4), 8)).toEqual(l(1, 4, 1, 4));
  });

  it('reads a TP-k vLLM expert-parallel worker written as tp k / dp k / ep k x k beyond one domain as tp k, ep k', () => {
    expect(undoEpMultipliedSizes(l(4, 4, 1, 16), 8)).toEqual(l(4, 1, 1, 4));
    expect(undoEpMultipliedSizes({ tp: 4, pp: 1, attentionDp: 4, moeTp: NaN, moeEp: 16 }, 8)).toEqual({ tp: 4, pp: 1, attentionDp: 1, moeTp: NaN, moeEp: 4 });
    // The twin export lists such a run at tp 4 / ep 4 with 4x the batch: the clients are kept.
    const header = 'id,silicon_data_source,backend,model_path,system,mode,isl,osl,batch_size,tp_size,attention_dp_size,moe_tp_size,moe_ep_size,silicon_ttft_ms,silicon_tpot_ms';
    const { rows } = parseMeasuredCsv(`${header}\nx,db-dump/2026-04-27; silicon_concurrency=16,vllm,moonshotai/Kimi-K2.5,b200_sxm,agg,1024,1024,4,4,4,1,16,200,14\n`);
    expect(rows[0]!.agg!.concurrency).toBe(16);
  });

  it('takes every other layout as written', () => {
    const asWritten = [
      [l(4, 1, 2, 2), 8], // fits one domain: a real moe_tp x ep split is possible
      [l(16, 1, 4, 4), 72], // fits an NVL72 domain
      [l(8, 1, 2, 4), 8], // moe_tp != ep
      [l(16, 1, 1, 16), 8], // plain EP
      [l(32, 1, 4, 8), 8], // stage != ep x ep
      [l(4, 4, 4, 4), 8], // both tp and dp: no single size to divide
      [l(4, 4, 1, 16), 16], // fits the domain
      [l(4, 2, 1, 8), 8], // dp != tp: fits the domain anyway
      [l(8, 2, 1, 16), 8], // dp != tp
      [l(4, 4, 2, 8), 8], // moe_tp > 1
      [{ tp: 8, pp: 1, attentionDp: NaN, moeTp: NaN, moeEp: 8 }, 8],
    ] as const;
    for (const [layout, domain] of asWritten) expect(undoEpMultipliedSizes(layout, domain)).toBe(layout);
  });

  it('prices a silicon row written with multiplied sizes as its twin, and leaves results-CSV layouts alone', () => {
    const row = (id: string, tp: number, moeTp: number) =>
      `${id},x,sglang,0.5.9,deepseek-ai/DeepSeek-R1,b200_sxm,fp4,agg,1024,1024,nvfp4,nvfp4,8,${tp},1,1,${moeTp},4,,,,,,,,,,,,,,,200,9`;
    const { rows } = parseMeasuredCsv([HEADER, row('inflated', 16, 4), row('twin', 4, 1)].join('\n'));
    const [inflated, twin] = predictRows(rows);
    expect(inflated!.epMultipliedSizes).toBe(true);
    expect(twin!.epMultipliedSizes).toBeUndefined();
    expect(inflated!.ttftMs).toBeDefined();
    expect(inflated!.ttftMs).toBe(twin!.ttftMs);
    expect(inflated!.tpotMs).toBe(twin!.tpotMs);
    // The same sizes from the harness's own results CSV are what the user ran.
    const results = predictRows([{ ...rows[0]!, format: 'results' }]);
    expect(results[0]!.epMultipliedSizes).toBeUndefined();
    expect(results[0]!.ttftMs).not.toBe(twin!.ttftMs);
  });
});

const HEADER =
  'id,silicon_data_source,backend,backend_version,model_path,system,precision,mode,isl,osl,gemm_quant_mode,moe_quant_mode,batch_size,tp_size,pp_size,attention_dp_size,moe_tp_size,moe_ep_size,' +
  'prefill_batch_size,prefill_num_workers,prefill_tp_size,prefill_pp_size,prefill_attention_dp_size,prefill_moe_tp_size,prefill_moe_ep_size,' +
  'decode_batch_size,decode_num_workers,decode_tp_size,decode_pp_size,decode_attention_dp_size,decode_moe_tp_size,decode_moe_ep_size,silicon_ttft_ms,silicon_tpot_ms';

describe('benchmark request lengths', () => {
  it("recognizes InferenceX rows by their source (the dashboard's dated exports and its database dump)", () => {
    expect(lengthSamplingOf('source_file=2026-03-25.csv; model=DeepSeek-R1; silicon_concurrency=2; wip=False')).toBe(INFERENCEX_LENGTHS);
    expect(lengthSamplingOf('db-dump/2026-04-27; config_id=733; silicon_concurrency=128; workflow_run_id=797')).toBe(INFERENCEX_LENGTHS);
    // aiconfigurator's eval (its automation's data tree): every request exactly isl / osl.
    expect(lengthSamplingOf('source_file=/Users/x/aic-auto-gap-analysis/data/h100_sxm/trtllm/1.0.0rc3/Qwen3-32B.csv')).toBe(AICONFIGURATOR_EVAL_LENGTHS);
    expect(lengthSamplingOf('source_file=/Users/x/aic-auto-gap-analysis/data/gb200/trtllm/1.0.0rc3/q.csv; gtl_job_id=1')).toBe(AICONFIGURATOR_EVAL_LENGTHS);
    expect(AICONFIGURATOR_EVAL_LENGTHS).toEqual({ benchmark: 'aiconfigurator eval', rangeRatio: 1, requestLengths: 'fixed' });
    // Anything unknown: the lengths as given, not assumed fixed.
    expect(lengthSamplingOf('source_file=notes/aic-auto-gap-analysis.csv')).toBe(EXACT_LENGTHS);
    expect(EXACT_LENGTHS.requestLengths).toBe('varied');
    expect(INFERENCEX_LENGTHS.requestLengths).toBe('varied');
    // The gap-analysis files re-export InferenceX runs (same TTFT and TPOT as its rows).
    expect(lengthSamplingOf('source_file=qwen3.5-397b-gap-analysis.csv; aic_database_mode=SILICON')).toBe(INFERENCEX_LENGTHS);
    expect(lengthSamplingOf('source_file=kimi-k2.5-gap-analysis.csv; silicon_concurrency=4')).toBe(INFERENCEX_LENGTHS);
    expect(lengthSamplingOf('')).toBe(EXACT_LENGTHS);
    expect(INFERENCEX_LENGTHS.rangeRatio).toBe(0.8);
  });

  it('takes the mean of integers uniform in [floor(r x L), L]', () => {
    expect(meanLength(1024, 0.8)).toBe(922); // (819 + 1024) / 2 = 921.5
    expect(meanLength(8192, 0.8)).toBe(7373); // (6553 + 8192) / 2
    expect(meanLength(1000, 0.5)).toBe(750);
    expect(meanLength(1024, 1)).toBe(1024);
  });

  it('gives each parsed row the sampling of its source', () => {
    const header = 'id,silicon_data_source,backend,model_path,system,mode,isl,osl,batch_size,tp_size,silicon_ttft_ms,silicon_tpot_ms';
    const { rows } = parseMeasuredCsv(`${header}\na,"source_file=2026-04-06.csv; wip=False",vllm,Qwen/Qwen3-32B,h100_sxm,agg,1024,1024,4,1,50,10\nb,other,vllm,Qwen/Qwen3-32B,h100_sxm,agg,1024,1024,4,1,50,10\n`);
    expect(rows.map((r) => r.lengthSampling.benchmark)).toEqual(['InferenceX', 'as given']);
  });
});

describe('measured rows', () => {
  it('reads agg concurrency as batch x attention DP and disagg workers from their columns', () => {
    const text = [
      HEADER,
      'a,x; silicon_concurrency=256,vllm,0.19,MiniMaxAI/MiniMax-M2.5,b300_sxm,fp8,agg,1024,1024,fp8,fp8,64,4,1,4,1,16,,,,,,,,,,,,,,,205.5,17.7',
      'd,source_file=x; silicon_concurrency=10,trtllm,,zai-org/GLM-5,gb200,fp4,disagg,8192,1024,nvfp4,nvfp4,,,,,,,,,4,1,1,4,1,,,4,1,2,4,1,1134.55,13.49',
      'e,x,sglang,,Qwen/Qwen3-32B,h100_sxm,fp8,agg,1024,1024,fp8,fp8,8,2,1,0,1,0,,,,,,,,,,,,,,,50,10',
      'f,x,sglang,,Qwen/Qwen3-32B,h100_sxm,fp8,agg,1024,1024,fp8,fp8,8,2,1,1,1,1,,,,,,,,,,,,,,,,',
    ].join('\n');
    const { layout, rows } = parseMeasuredCsv(text);
    expect(layout).toBe('silicon');
    expect(rows[0]!.agg).toEqual({ layout: { tp: 4, pp: 1, attentionDp: 4, moeTp: 1, moeEp: 16 }, concurrency: 256 });
    // No batch columns: the client concurrency from silicon_data_source goes to the decode
    // worker (10 over dp 2 -> 5 per replica inside the engine); prefill sees the clients per prefill worker.
    expect(rows[1]!.decode).toEqual({ layout: { tp: 4, pp: 1, attentionDp: 2, moeTp: 4, moeEp: 1 }, concurrency: 10 });
    // The prefill pool serves the whole closed loop: 10 clients over one prefill worker (no worker column).
    expect(rows[1]!.prefill!.concurrency).toBe(10);
    expect(rows[1]!.line).toBe(3);
    // Which rows gave their deployment: the disagg row without a decode batch size did not.
    expect(rows.map((r) => r.deployment)).toEqual(['given', 'assumed', 'given', 'given']);
    // 0 in a size column means "not set"; no measured latency -> invalid, kept with a reason.
    expect(rows[2]!.agg?.layout.attentionDp).toBeNaN();
    expect(rows[2]!.agg?.concurrency).toBe(8);
    expect(rows[3]!.invalid).toBe('invalid row (no measured TTFT/TPOT)');
  });

  it('finds the concurrency in silicon_data_source', () => {
    expect(sourceConcurrency('db-dump/2026-04-27; config_id=733; silicon_concurrency=128; measured=x')).toBe(128);
    expect(sourceConcurrency('source_file=a.csv; model=GLM-5; silicon_concurrency=10')).toBe(10);
    expect(sourceConcurrency('source_file=a.csv')).toBeNaN();
  });

  it('rejects a CSV with neither layout, naming the missing columns', () => {
    expect(() => parseMeasuredCsv('a,b\n1,2\n', 'x.csv')).toThrow(/unrecognized measured-data columns \(missing model_path/);
  });
});

describe('error statistics', () => {
  it('APE is |pred - meas| / meas x 100', () => {
    expect(apePct(110, 100)).toBeCloseTo(10, 12);
    expect(apePct(45, 50)).toBeCloseTo(10, 12);
  });

  it('median and p90 interpolate between order statistics', () => {
    // sorted [1, 2, 3, 4]: median at position 1.5 -> (2 + 3) / 2 = 2.5
    expect(median([4, 1, 3, 2])).toBe(2.5);
    // 10 values 1..10: p90 at position 0.9 x 9 = 8.1 -> 9 + 0.1 x (10 - 9) = 9.1
    expect(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9)).toBeCloseTo(9.1, 12);
    expect(median([7])).toBe(7);
    expect(median([])).toBeNaN();
  });

  it('summarizes in the issue-4 shape, counting unsupported rows by reason', () => {
    const row = (system: string, mode: 'agg' | 'disagg', ttft?: number, tpot?: number, reason?: string): RowOutcome => ({
      id: `${system}-${mode}-${ttft ?? reason}`,
      system,
      backend: 'trtllm',
      mode,
      family: 'LlamaForCausalLM',
      deployment: mode === 'disagg' && ttft === 40 ? 'assumed' : 'given',
      ...(ttft !== undefined ? { ttftApePct: ttft } : {}),
      ...(tpot !== undefined ? { tpotApePct: tpot } : {}),
      ...(reason !== undefined ? { reason } : {}),
    });
    const rows = [
      row('h100_sxm', 'agg', 10, 5),
      row('h100_sxm', 'agg', 20, 15),
      row('h100_sxm', 'agg', 30, 25),
      row('b200_sxm', 'disagg', 40, 35),
      row('b200_sxm', 'disagg', undefined, undefined, 'unknown system'),
      row('b200_sxm', 'disagg', undefined, undefined, 'OOM (engine memory model)'),
      row('b200_sxm', 'disagg', undefined, undefined, 'unknown system'),
    ];
    const s = summarize(rows);
    // TTFT APEs [10, 20, 30, 40]: median 25; p90 at 0.9 x 3 = 2.7 -> 30 + 0.7 x 10 = 37.
    // TPOT APEs [5, 15, 25, 35]: median 20; p90 -> 25 + 0.7 x 10 = 32.
    expect(s).toEqual({
      rows: 7,
      predicted: 4,
      unsupported: { 'unknown system': 2, 'OOM (engine memory model)': 1 },
      ttft: { medianApePct: 25, p90ApePct: 37 },
      tpot: { medianApePct: 20, p90ApePct: 32 },
      groups: [
        { system: 'b200_sxm', backend: 'trtllm', mode: 'disagg', rows: 4, ttftMedianApePct: 40, tpotMedianApePct: 35 },
        { system: 'h100_sxm', backend: 'trtllm', mode: 'agg', rows: 3, ttftMedianApePct: 20, tpotMedianApePct: 15 },
      ],
    });
    // The text report's split: 6 rows gave their deployment (3 predicted), 1 was assumed.
    expect(summarizeByDeployment(rows)).toEqual([
      { deployment: 'given', rows: 6, predicted: 3, ttftMedianApePct: 20, tpotMedianApePct: 15 },
      { deployment: 'assumed', rows: 1, predicted: 1, ttftMedianApePct: 40, tpotMedianApePct: 35 },
    ]);
  });
});

describe('kernel samples', () => {
  const device = loadDevice('H100_SXM_80G');
  const rows = ['bfloat16', 'fp8', 'fp8_block'].map((d) => ({ op_name: 'gemm', kernel_source: 'torch_flow', gemm_dtype: d, m: '16', n: '4096', k: '8192', latency: '0.02' }));

  it("a quantized GEMM row is the Linear's input quantization plus the GEMM, as the microbenchmark times it", () => {
    const { samples } = kernelSamples('gemm', rows, device);
    const [bf16, fp8, block] = samples;
    expect(bf16!.around).toBeUndefined();
    // Per-tensor fp8 quantizes dynamically: an amax pass and a cast pass over the 16 x 8192 bf16 input.
    expect(fp8!.around).toHaveLength(1);
    expect(fp8!.around![0]!.count).toBe(2);
    expect(block!.around![0]!.count).toBe(1);
    const quant = fp8!.around![0]!;
    expect(quant.kind).toBe('vector');
    expect(quant.fused).toBeFalsy();
    expect(quant.bytes).toBe(2 * 16 * 8192 * 2);
    // The price adds the unfused passes (each with the vector op's launch cost) to the GEMM's.
    const gemmOnly = priceOp(fp8!.op, device, KERNEL_PRICING).timeS;
    const onePass = priceOp({ ...quant, count: 1 }, device, KERNEL_PRICING).timeS;
    expect(predictS(fp8!, device)).toBeCloseTo(gemmOnly + 2 * onePass, 15);
    expect(onePass).toBeGreaterThan(0);
    expect(predictS(bf16!, device)).toBeCloseTo(priceOp(bf16!.op, device, KERNEL_PRICING).timeS, 15);
  });

  it("an NCCL all-reduce row is priced as NCCL's ring (latency hops grow with the group)", () => {
    const nccl = [2, 8].map((g) => ({ op_name: 'all_reduce', nccl_dtype: 'half', num_gpus: String(g), message_size: '1024', latency: '0.01' }));
    const { samples } = kernelSamples('all_reduce', nccl, device);
    expect(samples.map((s) => s.op.collective)).toEqual([
      { kind: 'all_reduce', groupSize: 2, messageBytes: 2048, algorithm: 'ring' },
      { kind: 'all_reduce', groupSize: 8, messageBytes: 2048, algorithm: 'ring' },
    ]);
    expect(predictS(samples[1]!, device)).toBeGreaterThan(predictS(samples[0]!, device));
  });
});
