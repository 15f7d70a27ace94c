/**
 * `optix cases` end to end through the built CLI: template -> validate -> run,
 * bad input, a run killed with SIGKILL after its first batch, and --resume.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { parse } from 'csv-parse/sync';
import { execa } from 'execa';
import { cli, root } from './cli.js';
import { afterAll, describe, expect, it } from 'vitest';

const fixtures = path.join(root, 'test/fixtures/cases');
const tmp = mkdtempSync(path.join(tmpdir(), 'optix-cases-cli-'));

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function optix(args: string[], env: Record<string, string> = {}) {
  return execa('node', [cli, 'cases', ...args], { cwd: tmp, reject: false, env });
}

/** Header, reference row and case rows of a result file. */
function readResults(file: string): { header: string[]; reference: string[]; rows: string[][]; text: string } {
  const text = readFileSync(file, 'utf8');
  const [header, reference, ...rows] = parse(text) as string[][];
  return { header: header!, reference: reference!, rows, text };
}

const CASE_HEAD = 'case_name,device,num_devices,model_id,input_length,output_length,ttft_limits,tpot_limits,mode';

describe('optix cases', () => {
  it('template -> validate -> run round trip', async () => {
    const t = await optix(['--write-template', 'template.csv']);
    expect(t.exitCode).toBe(0);
    const v = await optix(['--validate-csv', 'template.csv']);
    expect(v.exitCode, v.stderr).toBe(0);
    expect(v.stdout).toContain('template.csv: 3 cases, all valid');
    for (const name of ['1card_agg_w8a8', '8card_agg_w8a8', '4card_disagg_mtp']) expect(v.stdout).toContain(name);
    expect(v.stdout).toMatch(/4card_disagg_mtp.*B300_SXM_288G.*deepseek-ai\/DeepSeek-V3.*3500.*1500.*2000.*50.*disagg.*TP 1;2;4 \| EP 4/);

    const r = await optix(['--input-csv', 'template.csv', '--output-csv', 'results.csv']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Ran 3 cases in [\d.]+ s: 3 ok, 0 failed\. Results: results\.csv/);
    const { header, reference, rows } = readResults(path.join(tmp, 'results.csv'));
    expect(header).toEqual([
      'Case_Name', 'Device Type', 'Number of Devices', 'Input Length', 'Output Length', 'Model',
      'Decode_Linear Quant Type', 'Decode_Attn Quant Type', 'Decode_Use EP', 'Decode_MTP Tokens', 'Decode_TPOT Target(ms)',
      'Decode_Concurrency', 'Decode_TPOT(ms)', 'Decode_Total TPS', 'Decode_TPS/Device',
      'Decode_Mem', 'Decode_Comm', 'Decode_Cube', 'Decode_Vec', 'Decode_TP Size', 'Decode_PP Size', 'Decode_DP Size',
      'Prefill_Linear Quant Type', 'Prefill_Attn Quant Type', 'Prefill_Use EP', 'Prefill_MTP Tokens', 'Prefill_TTFT Target(ms)',
      'Prefill_Concurrency', 'Prefill_TTFT(ms)', 'Prefill_Total TPS', 'Prefill_TPS/Device',
      'Prefill_Mem', 'Prefill_Comm', 'Prefill_Cube', 'Prefill_Vec', 'Prefill_TP Size', 'Prefill_PP Size', 'Prefill_DP Size',
      'QuantizeLinearAction_options', 'QuantizeAttentionAction_options',
    ]);
    expect(reference.slice(-2)).toEqual(['DISABLED;W8A16_STATIC;W8A8_STATIC;W4A8_STATIC;W8A16_DYNAMIC;W8A8_DYNAMIC;W4A8_DYNAMIC;FP8;MXFP4', 'DISABLED;INT8;FP8']);
    expect(rows.map((x) => x.slice(0, 6))).toEqual([
      ['1card_agg_w8a8', 'ATLAS_800_A3_752T_128G_DIE', '1', '3500', '1500', 'Qwen/Qwen3-32B'],
      ['8card_agg_w8a8', 'ATLAS_800_A3_752T_128G_DIE', '8', '3500', '1500', 'Qwen/Qwen3-32B'],
      ['4card_disagg_mtp', 'B300_SXM_288G', '4', '3500', '1500', 'deepseek-ai/DeepSeek-V3'],
    ]);
    const col = (name: string) => header.indexOf(name);
    for (const x of rows) {
      expect(Number(x[col('Decode_TPOT(ms)')])).toBeGreaterThan(0);
      expect(Number(x[col('Decode_TPOT(ms)')])).toBeLessThanOrEqual(50);
    }
    expect(Number(rows[2]![col('Prefill_TTFT(ms)')])).toBeLessThanOrEqual(2000);

    const j = await optix(['--input-csv', 'template.csv', '--output-csv', 'results2.csv', '--json']);
    expect(j.exitCode).toBe(0);
    const json = JSON.parse(j.stdout) as { cases: Array<{ caseName: string; status: string; row: Record<string, unknown> }> };
    expect(json.cases.map((c) => [c.caseName, c.status])).toEqual([
      ['1card_agg_w8a8', 'ok'],
      ['8card_agg_w8a8', 'ok'],
      ['4card_disagg_mtp', 'ok'],
    ]);
    expect(json.cases[0]!.row['Decode_TPOT(ms)']).toBe(Number(rows[0]![col('Decode_TPOT(ms)')]));
  });

  it('validation lists every bad row with its line, column and fix, and exits 1', async () => {
    const v = await optix(['--validate-csv', path.join(fixtures, 'bad-cases.csv')]);
    expect(v.exitCode).toBe(1);
    const f = path.join(fixtures, 'bad-cases.csv');
    expect(v.stderr).toContain(`${f}:3:2: column 'device': unknown device 'NO_SUCH_DEVICE' (valid names: `);
    expect(v.stderr).toContain(`${f}:4:8: column 'tpot_limits': has 2 values (50, 100); a case takes at most one (split them into separate CSV rows, one limit per row)`);
    expect(v.stderr).toContain(`${f}:5:3: column 'num_devices': '8x' is not an integer (write an integer, e.g. 8)`);
    expect(v.stdout).toContain('4 cases, 3 invalid (lines 3, 4, 5)');
    expect(v.stdout).toMatch(/\| 2 +\| good +\| TEST_DEVICE/);
  });

  it('a missing required column is an immediate error naming it', async () => {
    const v = await optix(['--validate-csv', path.join(fixtures, 'missing-column.csv')]);
    expect(v.exitCode).toBe(2);
    expect(v.stderr).toMatch(/missing-column\.csv:1: missing required column 'num_devices'/);
    const r = await optix(['--input-csv', path.join(fixtures, 'missing-column.csv'), '--output-csv', 'never.csv']);
    expect(r.exitCode).toBe(2);
    expect(existsSync(path.join(tmp, 'never.csv'))).toBe(false);
  });

  it('a failing case gets its row with empty metrics, its error on stderr, and the run goes on', async () => {
    const r = await optix(['--input-csv', path.join(fixtures, 'bad-cases.csv'), '--output-csv', 'bad-results.csv']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/case 'bad_device' failed: .*unknown device 'NO_SUCH_DEVICE'/);
    expect(r.stderr).toMatch(/case 'double_limit' failed: .*split them into separate CSV rows/);
    const { header, rows } = readResults(path.join(tmp, 'bad-results.csv'));
    expect(rows.map((x) => x[0])).toEqual(['good', 'bad_device', 'double_limit', 'bad_number']);
    expect(rows[0]![header.indexOf('Decode_TPOT(ms)')]).not.toBe('');
    for (const x of rows.slice(1)) expect(x.slice(6).every((c) => c === '')).toBe(true);
  });

  it('a run killed with SIGKILL after its first batch keeps exactly the completed rows; --resume finishes without duplicates', async () => {
    const names = Array.from({ length: 25 }, (_, i) => `case_${String(i + 1).padStart(2, '0')}`);
    writeFileSync(path.join(tmp, 'many.csv'), [CASE_HEAD, ...names.map((n, i) => `${n},TEST_DEVICE,1,Qwen/Qwen3-0.6B,${128 + i},32,,50,agg`)].join('\n') + '\n');
    const out = path.join(tmp, 'many-results.csv');
    const child = execa('node', [cli, 'cases', '--input-csv', 'many.csv', '--output-csv', out], {
      cwd: tmp,
      reject: false,
      env: { OPTIX_CASES_DELAY_MS: '150' },
    });
    // Poll for the first batch (10 rows), then kill -9 before the second (at about 3 s).
    const deadline = Date.now() + 20_000;
    let seen = 0;
    while (Date.now() < deadline) {
      if (existsSync(out)) {
        seen = readResults(out).rows.length;
        if (seen >= 10) break;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    child.kill('SIGKILL');
    const killed = await child;
    expect(killed.signal).toBe('SIGKILL');
    expect(seen).toBeGreaterThanOrEqual(10);

    const after = readResults(out);
    expect(after.text.endsWith('\n')).toBe(true);
    expect([10, 20]).toContain(after.rows.length);
    expect(after.rows.map((x) => x[0])).toEqual(names.slice(0, after.rows.length));
    for (const x of after.rows) expect(x).toHaveLength(after.header.length);
    // Every line of the file is a complete record: header + reference + rows.
    expect(after.text.trimEnd().split('\n')).toHaveLength(2 + after.rows.length);

    const resumed = await optix(['--input-csv', 'many.csv', '--output-csv', out, '--resume']);
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(`${after.rows.length} cases already done, ${25 - after.rows.length} to run`);
    const done = readResults(out);
    expect(done.rows.map((x) => x[0])).toEqual(names);
    // Rows written before the kill are kept as they were.
    expect(done.rows.slice(0, after.rows.length)).toEqual(after.rows);

    const again = await optix(['--input-csv', 'many.csv', '--output-csv', out, '--resume']);
    expect(again.stdout).toMatch(/Ran 0 cases .* 25 skipped/);
    expect(readResults(out).rows).toHaveLength(25);
  });

  it('rejects conflicting or missing actions', async () => {
    const none = await optix([]);
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toMatch(/nothing to do/);
    const both = await optix(['--validate-csv', 'a.csv', '--write-template', 'b.csv']);
    expect(both.exitCode).toBe(2);
    expect(both.stderr).toMatch(/cannot be combined/);
  });
});
