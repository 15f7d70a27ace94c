import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { parse } from 'csv-parse/sync';
import { afterAll, describe, expect, it } from 'vitest';
import { appendCsvRows } from '../src/result-saver/append.js';
import { RESULT_COLUMNS, RESULTS_FILE, ResultSaver, csvHeader, outputPathFromEnv, rowsForResult, type CaseFields } from '../src/result-saver/index.js';

const fields: CaseFields = {
  caseId: 'agg_perf_x',
  testType: 'agg',
  category: 'perf',
  runner: 'engine',
  model: 'Qwen/Qwen3-8B',
  device: 'H100_SXM_80G',
  precision: 'fp8',
  servingMode: 'agg',
  inputLength: 128,
  outputLength: 64,
};

const tmpRoot = mkdtempSync(path.join(os.tmpdir(), 'optix-saver-'));
afterAll(() => rmSync(tmpRoot, { recursive: true, force: true }));
const tmp = () => mkdtempSync(path.join(tmpRoot, 'case-'));
const readRows = (file: string) => parse(readFileSync(file, 'utf8'), { columns: true }) as Record<string, string>[];

describe('rowsForResult', () => {
  it('writes one row per point with the metrics in their columns and the rest as JSON', () => {
    const rows = rowsForResult(
      fields,
      {
        caseId: 'agg_perf_x',
        ok: true,
        points: [
          { concurrency: 1, metrics: { ttftMs: 12.5, tpotMs: 3, tokensPerS: 320, tp: 2, batchSize: 1, oom: 0 } },
          { concurrency: 8, metrics: { ttftMs: 40, tpotMs: 4 } },
        ],
      },
      'run1',
      '2026-01-01T00:00:00.000Z',
    );
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ run_id: 'run1', case_id: 'agg_perf_x', concurrency: '1', ttft_ms: '12.5', tpot_ms: '3', tokens_per_s: '320', tp: '2', batch_size: '1', ok: 'true', error: '', other_metrics: '{"oom":0}' });
    expect(rows[1]?.concurrency).toBe('8');
  });

  it('keeps a failed case as one row with its error on one line', () => {
    const rows = rowsForResult(fields, { caseId: 'x', ok: false, points: [], error: 'exit 1\nlast line' }, 'r', 't');
    expect(rows).toEqual([expect.objectContaining({ ok: 'false', concurrency: '', error: 'exit 1\\nlast line' })]);
  });
});

describe('ResultSaver', () => {
  it('writes the header once and keeps earlier runs when a new run appends', () => {
    const dir = tmp();
    const a = new ResultSaver({ outputPath: dir, runId: 'run-a' });
    a.add(fields, { caseId: 'x', ok: true, points: [{ concurrency: 1, metrics: { ttftMs: 1 } }] });
    expect(a.pendingRows).toBe(1);
    a.flush();
    expect(a.pendingRows).toBe(0);
    a.flush(); // nothing buffered: no-op
    const b = new ResultSaver({ outputPath: dir, runId: 'run-b' });
    b.add(fields, { caseId: 'x', ok: true, points: [{ concurrency: 1, metrics: { ttftMs: 2 } }, { concurrency: 2, metrics: { ttftMs: 3 } }] });
    b.flush();
    const text = readFileSync(path.join(dir, RESULTS_FILE), 'utf8');
    expect(text.split('\n').filter((l) => l.startsWith('run_id,'))).toHaveLength(1);
    expect(readRows(path.join(dir, RESULTS_FILE)).map((r) => [r.run_id, r.ttft_ms])).toEqual([
      ['run-a', '1'],
      ['run-b', '2'],
      ['run-b', '3'],
    ]);
  });

  it('cuts a torn last line (a writer that died mid-row) before appending', () => {
    const dir = tmp();
    const file = path.join(dir, RESULTS_FILE);
    writeFileSync(file, `${csvHeader()}run0,t,agg_perf_half`);
    const s = new ResultSaver({ outputPath: dir, runId: 'run1' });
    s.add(fields, { caseId: 'x', ok: true, points: [{ concurrency: 4, metrics: { tpotMs: 5 } }] });
    s.flush();
    const rows = readRows(file);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ run_id: 'run1', concurrency: '4', tpot_ms: '5' });
  });

  it('refuses to append under a different header', () => {
    const dir = tmp();
    writeFileSync(path.join(dir, RESULTS_FILE), 'a,b,c\n1,2,3\n');
    const s = new ResultSaver({ outputPath: dir });
    s.add(fields, { caseId: 'x', ok: true, points: [] });
    expect(() => s.flush()).toThrow(/existing header differs/);
  });

  it('OUTPUT_PATH defaults to results', () => {
    expect(outputPathFromEnv({})).toBe('results');
    expect(outputPathFromEnv({ OUTPUT_PATH: '/o' })).toBe('/o');
  });

  it('loses no row when four Vitest workers flush into one file at once', async () => {
    // Real worker processes (Vitest forks) running the real append code, many small flushes each.
    const dir = path.resolve('.tmp', `saver-workers-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    const out = path.join(dir, 'out');
    // Vitest looks for a config upwards; this one keeps the project's include list out.
    writeFileSync(path.join(dir, 'vitest.config.mjs'), "export default { test: { include: ['w*.test.ts'] } };\n");
    const appendModule = path.resolve('src/result-saver/append.ts');
    const saverModule = path.resolve('src/result-saver/index.ts');
    for (let w = 0; w < 4; w++) {
      writeFileSync(
        path.join(dir, `w${w}.test.ts`),
        `import { test } from 'vitest';
import { appendCsvRows } from ${JSON.stringify(appendModule)};
import { csvHeader, csvBody, rowsForResult } from ${JSON.stringify(saverModule)};
test('append', () => {
  for (let i = 0; i < 60; i++) {
    const rows = rowsForResult(${JSON.stringify(fields)}, { caseId: 'c', ok: true, points: [1, 2, 3].map((c) => ({ concurrency: c, metrics: { ttftMs: i } })) }, 'w${w}', String(i));
    appendCsvRows(${JSON.stringify(path.join(out, RESULTS_FILE))}, csvHeader(), csvBody(rows));
  }
});
`,
      );
    }
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST')));
    const r = await execa('node', [path.resolve('node_modules/vitest/vitest.mjs'), 'run', '--root', dir, '--pool', 'forks', '--maxWorkers', '4', '--fileParallelism'], {
      cwd: dir,
      env,
      extendEnv: false,
      reject: false,
      all: true,
    });
    expect(r.exitCode, r.all).toBe(0);
    const rows = readRows(path.join(out, RESULTS_FILE));
    // 4 workers x 60 flushes x 3 rows.
    expect(rows).toHaveLength(720);
    for (let w = 0; w < 4; w++) expect(rows.filter((x) => x.run_id === `w${w}`)).toHaveLength(180);
    expect(Object.keys(rows[0] ?? {})).toEqual([...RESULT_COLUMNS]);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('breaks a lock left by a writer that died, and removes its own', () => {
    const file = path.join(tmp(), 'x.csv');
    writeFileSync(`${file}.lock`, '99999\n');
    const old = new Date(Date.now() - 60_000);
    utimesSync(`${file}.lock`, old, old);
    appendCsvRows(file, 'h\n', '1\n');
    expect(readFileSync(file, 'utf8')).toBe('h\n1\n');
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  it('appendCsvRows creates the directory', () => {
    const file = path.join(tmp(), 'deep', 'x.csv');
    appendCsvRows(file, 'h\n', '1\n');
    appendCsvRows(file, 'h\n', '2\n');
    expect(readFileSync(file, 'utf8')).toBe('h\n1\n2\n');
  });
});
