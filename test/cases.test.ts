/**
 * Benchmark Cases Runner (seed 000), unit level: CSV parsing and validation,
 * the CSV -> optimizer mapping, result rows, the result file.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { userError } from './user-error.js';
import {
  INPUT_COLUMNS,
  OUTPUT_COLUMNS,
  ResultsFile,
  TEMPLATE_ROWS,
  formatProblem,
  parseCasesCsv,
  resolveCase,
  runCase,
  templateCsv,
  validateCases,
  type OutputRow,
  type ParsedCases,
} from '../src/cases/index.js';
import { optimize } from '../src/engine/index.js';
import { GIB } from '../src/engine/defaults.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'optix-cases-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const HEAD = 'case_name,device,num_devices,model_id,input_length,output_length,ttft_limits,tpot_limits';
const FAST = 'TEST_DEVICE,1,Qwen/Qwen3-0.6B,128,32';

function csv(...lines: string[]): ParsedCases {
  return parseCasesCsv(`${lines.join('\n')}\n`, 'cases.csv');
}

describe('parsing and defaults (seed 000 table)', () => {
  it('applies every default of the seed table to a minimal row', () => {
    const p = csv('device,num_devices,model_id,input_length,output_length', FAST);
    const spec = p.rows[0]!.spec!;
    expect(spec).toEqual({
      caseName: 'row_1',
      device: 'TEST_DEVICE',
      numDevices: 1,
      modelId: 'Qwen/Qwen3-0.6B',
      inputLength: 128,
      outputLength: 32,
      tpotLimitMs: 50,
      quantizeLinearAction: 'W8A8_DYNAMIC',
      quantizeAttentionAction: 'DISABLED',
      numMtpTokens: 0,
      mtpAcceptanceRates: [0.9, 0.6, 0.4, 0.2],
      compile: false,
      mode: 'agg',
      maxPrefillTokens: 8192,
      servingCost: 0,
      jobs: 8,
      logLevel: 'info',
      mxfp4GroupSize: 32,
      reservedMemoryGb: 0,
      compileAllowGraphBreak: false,
    });
    expect(spec.ttftLimitMs).toBeUndefined();
  });

  it('names unnamed cases row_N by data row, and reports the line a row starts on', () => {
    // Line 1 header; line 2 a case; line 3 blank; lines 4-5 one case whose quoted
    // name spans two lines; line 6 an unnamed case, the 3rd data row.
    const p = parseCasesCsv(`${HEAD}\na,${FAST},,50\n\n"two\nlines",${FAST},,50\n,${FAST},,50\n`, 'cases.csv');
    expect(p.rows.map((r) => [r.line, r.caseName])).toEqual([
      [2, 'a'],
      [4, 'two\nlines'],
      [6, 'row_3'],
    ]);
  });

  it('skips rows of empty cells', () => {
    const p = csv(HEAD, `a,${FAST},,50`, ',,,,,,,');
    expect(p.rows).toHaveLength(1);
  });

  it('reads ; lists, booleans and choices case-insensitively, in canonical spelling', () => {
    const p = csv(
      `${HEAD},tp_sizes,ep_sizes,mtp_acceptance_rate,compile,mode,quantize_linear_action,quantize_attention_action,batch_range,log_level`,
      `a,TEST_DEVICE,8,Qwen/Qwen3-30B-A3B,128,32,2000,40,1;2; 4,8,0.9;0.5,TRUE,Disagg,w4a8_dynamic,int8,64,WARNING`,
    );
    expect(p.rows[0]!.problems).toEqual([]);
    expect(p.rows[0]!.spec).toMatchObject({
      ttftLimitMs: 2000,
      tpotLimitMs: 40,
      tpSizes: [1, 2, 4],
      epSizes: [8],
      mtpAcceptanceRates: [0.9, 0.5],
      compile: true,
      mode: 'disagg',
      quantizeLinearAction: 'W4A8_DYNAMIC',
      quantizeAttentionAction: 'INT8',
      batchRange: [1, 64],
      logLevel: 'warning',
    });
  });

  it('rejects more than one value in ttft_limits or tpot_limits, telling the user to split the row', () => {
    const p = csv(HEAD, `a,${FAST},1000;2000,50`, `b,${FAST},,"50,100"`);
    const [a, b] = p.rows;
    expect(a!.spec).toBeUndefined();
    expect(a!.problems).toEqual([expect.objectContaining({ line: 2, column: 'ttft_limits', columnNumber: 7, hint: expect.stringContaining('split them into separate CSV rows') })]);
    expect(b!.problems).toEqual([expect.objectContaining({ line: 3, column: 'tpot_limits', columnNumber: 8 })]);
    expect(formatProblem('cases.csv', a!.problems[0]!)).toBe(
      "cases.csv:2:7: column 'ttft_limits': has 2 values (1000, 2000); a case takes at most one (split them into separate CSV rows, one limit per row)",
    );
  });

  it('lists every malformed cell of a row, each with its column', () => {
    const p = csv(`${HEAD},compile,num_mtp_tokens`, `a,TEST_DEVICE,8x,Qwen/Qwen3-0.6B,12.5,0,,-5,yes,10`);
    expect(p.rows[0]!.problems.map((x) => [x.column, x.message])).toEqual([
      ['num_devices', "'8x' is not an integer"],
      ['input_length', "'12.5' is not an integer"],
      ['output_length', '0 is out of range'],
      ['tpot_limits', '-5 is out of range'],
      ['num_mtp_tokens', '10 is out of range'],
      ['compile', "'yes' is not a boolean"],
    ]);
  });

  it('flags an empty required cell, a wrong field count and a duplicate case name', () => {
    const p = csv(HEAD, `a,,1,Qwen/Qwen3-0.6B,128,32,,50`, `b,${FAST},,50,extra`, `a,${FAST},,50`);
    expect(p.rows[0]!.problems).toEqual([expect.objectContaining({ column: 'device', message: 'is empty' })]);
    expect(p.rows[1]!.problems).toEqual([expect.objectContaining({ line: 3, message: 'row has 9 fields, the header has 8' })]);
    expect(p.rows[2]!.problems).toEqual([expect.objectContaining({ line: 4, column: 'case_name', message: "duplicate case name 'a' (first on line 2)" })]);
  });

  it('stops at once on a missing required column, naming it', () => {
    const e = userError(() => csv('case_name,device,model_id,input_length,output_length', `a,TEST_DEVICE,Qwen/Qwen3-0.6B,128,32`));
    expect(e.format()).toMatch(/^cases\.csv:1: missing required column 'num_devices'/);
  });

  it('treats case_name, ttft_limits and tpot_limits as optional columns (seed 000 note)', () => {
    const p = csv('device,num_devices,model_id,input_length,output_length', FAST);
    expect(p.rows[0]!.problems).toEqual([]);
  });

  it('rejects unknown and repeated columns, suggesting the near name', () => {
    expect(userError(() => csv(`${HEAD.replace('tpot_limits', 'tpot_limit')}`)).format()).toBe("cases.csv:1:8: unknown column 'tpot_limit' (did you mean 'tpot_limits'?)");
    expect(userError(() => csv(`${HEAD},device`)).message).toBe("column 'device' appears twice in the header");
  });

  it('reports broken CSV quoting with its line', () => {
    const e = userError(() => parseCasesCsv(`${HEAD}\n"a,${FAST},,50\n`, 'cases.csv'));
    expect(e.line).toBe(2);
    expect(e.message).toMatch(/^CSV syntax error/);
  });
});

describe('CSV -> optimizer request (seed 000 mapping)', () => {
  it('maps every column onto the optimizer argument it stands for', () => {
    const p = csv(
      `${HEAD},max_prefill_tokens,reserved_memory_gb,batch_range,compile_allow_graph_break,mxfp4_group_size,serving_cost,mode,tp_sizes`,
      `a,TEST_DEVICE,4,Qwen/Qwen3-0.6B,1000,200,3000,40,4096,2.5,8;128,true,64,1.5,disagg,1;2`,
    );
    const r = resolveCase(p.rows[0]!.spec!, 2);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const req = r.resolved.request;
    expect(req.numDevices).toBe(4);
    expect(req.workload).toEqual({ inputLength: 1000, outputLength: 200, prefixCacheHitRate: 0 });
    expect(req.limits).toEqual({ ttftMs: 3000, tpotMs: 40 });
    expect(req.mode).toBe('disagg');
    expect(req.search).toEqual({ tpSizes: [1, 2] });
    expect(req.batchRange).toEqual([8, 128]);
    expect(req.servingCost).toBe(1.5);
    expect(req.quant).toEqual({ linear: 'W8A8_DYNAMIC', attention: 'DISABLED', mxfp4GroupSize: 64 });
    // max_prefill_tokens -> --max-batched-tokens; 2.5 GiB reserved; graph breaks imply compile.
    expect(req.serving).toMatchObject({ maxBatchedTokens: 4096, reservedMemoryBytes: 2.5 * GIB, compile: true, compileAllowGraphBreak: true, numMtpTokens: 0, visionTokens: 0 });
  });

  it('reports problems that need the model or the device against their column', () => {
    const p = csv(`${HEAD},num_mtp_tokens,tp_sizes`, `a,TEST_DEVICE,2,Qwen/Qwen3-0.6B,128,32,,50,1,1;4`, `b,NOPE,1,nobody/nothing,128,32,,50,0,`);
    const report = validateCases(p);
    expect(report.cases).toEqual([]);
    expect(report.invalid.map((r) => r.problems.map((x) => [x.line, x.column, x.columnNumber]))).toEqual([
      [
        [2, 'tp_sizes', 10],
        [2, 'num_mtp_tokens', 9],
      ],
      [
        [3, 'device', 2],
        [3, 'model_id', 4],
      ],
    ]);
  });
});

describe('result rows', () => {
  const row = (p: ParsedCases, i = 0) => runCase(p, p.rows[i]!);

  it('agg: Decode_* from the best point in full, Prefill_* its TTFT and layout only', () => {
    const p = csv(HEAD, `a,${FAST},,50`);
    const out = row(p);
    expect(out.status).toBe('ok');
    const r = resolveCase(p.rows[0]!.spec!, 2);
    if (!r.ok) throw new Error('unresolved');
    const best = optimize(r.resolved.request).perDevice[0]!.agg!.best!;
    const cells: OutputRow = out.row;
    expect(cells['Decode_TPOT(ms)']).toBe(Number(best.tpotMs.toFixed(2)));
    expect(cells['Decode_Concurrency']).toBe(best.concurrency);
    expect(cells['Decode_Total TPS']).toBe(Number(best.tokensPerS.toFixed(2)));
    expect(cells['Decode_TPOT Target(ms)']).toBe(50);
    expect(cells['Prefill_TTFT(ms)']).toBe(Number(best.ttftMs.toFixed(2)));
    expect(cells['Prefill_Concurrency']).toBe(best.concurrency);
    expect(cells['Prefill_TTFT Target(ms)']).toBeUndefined();
    expect(cells['Prefill_Total TPS']).toBeUndefined();
    expect(cells['Prefill_Mem']).toBeUndefined();
    // Shares are percentages of the step: they add up to 100 (each rounded to 0.01).
    const sum = (['Decode_Mem', 'Decode_Comm', 'Decode_Cube', 'Decode_Vec'] as const).reduce((s, c) => s + (cells[c] as number), 0);
    expect(sum).toBeCloseTo(100, 1);
    expect(cells['Decode_Use EP']).toBeUndefined(); // dense model: EP 1 is not shown
    expect(cells.QuantizeLinearAction_options).toBeUndefined();
  });

  it('disagg without a TTFT limit is decode-only: the Prefill_* columns stay empty', () => {
    const p = csv(`${HEAD},mode`, `a,${FAST},,50,disagg`);
    const cells = row(p).row;
    expect(cells['Decode_TPOT(ms)']).toEqual(expect.any(Number));
    for (const c of OUTPUT_COLUMNS.filter((c) => c.startsWith('Prefill_'))) expect(cells[c], c).toBeUndefined();
  });

  it('disagg with both limits fills both phases from their own best points', () => {
    const p = csv(`${HEAD},mode`, `a,${FAST},500,50,disagg`);
    const r = resolveCase(p.rows[0]!.spec!, 2);
    if (!r.ok) throw new Error('unresolved');
    const res = optimize(r.resolved.request).perDevice[0]!;
    const cells = row(p).row;
    expect(cells['Prefill_TTFT(ms)']).toBe(Number(res.prefill!.best!.ttftMs.toFixed(2)));
    expect(cells['Prefill_Total TPS']).toBe(Number(res.prefill!.best!.tokensPerS.toFixed(2)));
    expect(cells['Prefill_TTFT Target(ms)']).toBe(500);
    expect(cells['Decode_TPOT(ms)']).toBe(Number(res.decode!.best!.tpotMs.toFixed(2)));
  });

  it('no config meets the SLO: the row holds the closest attempt, with a warning', () => {
    const p = csv(HEAD, `a,${FAST},,0.001`);
    const out = row(p);
    expect(out.status).toBe('ok');
    expect(out.row['Decode_TPOT(ms)']).toEqual(expect.any(Number));
    expect(out.row['Decode_TPOT(ms)'] as number).toBeGreaterThan(0.001);
    expect(out.warnings.join('\n')).toMatch(/closest attempt/);
  });

  it('a failing case keeps its identity columns and nothing else', () => {
    const p = csv(HEAD, `a,NOPE,1,Qwen/Qwen3-0.6B,128,32,,50`);
    const out = row(p);
    expect(out.status).toBe('failed');
    expect(out.errors[0]).toMatch(/^cases\.csv:2:2: column 'device': unknown device 'NOPE'/);
    const filled = OUTPUT_COLUMNS.filter((c) => out.row[c] !== undefined);
    expect(filled).toEqual(['Case_Name', 'Device Type', 'Number of Devices', 'Input Length', 'Output Length', 'Model']);
  });
});

describe('template', () => {
  it('has every column in seed order and runs its three cases within their limits', () => {
    const p = parseCasesCsv(templateCsv(), 'template.csv');
    expect(p.header).toEqual([...INPUT_COLUMNS]);
    expect(p.rows.map((r) => r.caseName)).toEqual(['1card_agg_w8a8', '8card_agg_w8a8', '4card_disagg_mtp']);
    expect(TEMPLATE_ROWS).toHaveLength(3);
    expect(validateCases(p).invalid).toEqual([]);
    const outs = p.rows.map((r) => runCase(p, r));
    // Every case meets its SLO (no closest-attempt warning) and fits in memory.
    for (const o of outs) expect([o.status, o.warnings]).toEqual(['ok', []]);
    const mtp = outs[2]!.row;
    expect(mtp['Decode_MTP Tokens']).toBe(1);
    expect(mtp['Prefill_TTFT(ms)'] as number).toBeLessThanOrEqual(2000);
    expect(mtp['Decode_TPOT(ms)'] as number).toBeLessThanOrEqual(50);
    expect(mtp['Decode_Use EP']).toBe(4);
  });
});

describe('result file', () => {
  it('writes header and reference row, and resumes the case rows only', () => {
    const file = path.join(tmp, 'r.csv');
    const f = ResultsFile.fresh(file);
    f.add({ Case_Name: 'x', 'Device Type': 'TEST_DEVICE', 'Decode_TPOT(ms)': 12.5 });
    f.flush();
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe(OUTPUT_COLUMNS.join(','));
    expect(lines[1]).toBe(`${','.repeat(OUTPUT_COLUMNS.length - 2)}DISABLED;W8A16_STATIC;W8A8_STATIC;W4A8_STATIC;W8A16_DYNAMIC;W8A8_DYNAMIC;W4A8_DYNAMIC;FP8;MXFP4,DISABLED;INT8;FP8`);
    const again = ResultsFile.resume(file);
    expect(again.size).toBe(1);
    expect(again.has('x')).toBe(true);
    expect(again.has('')).toBe(false);
  });

  it('refuses to resume from a file with other columns', () => {
    const file = path.join(tmp, 'other.csv');
    writeFileSync(file, 'a,b\n1,2\n');
    expect(userError(() => ResultsFile.resume(file)).message).toMatch(/cannot resume/);
  });
});
