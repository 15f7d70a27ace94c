import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { runCompare } from '../src/cli/commands/compare.js';
import { OptixUserError } from '../src/errors.js';
import { compareResults, hasRegressions, latestByKey, readResultsCsv, type CsvRecord } from '../src/result-saver/compare.js';
import { RESULT_COLUMNS, csvBody, csvHeader, type ResultRow } from '../src/result-saver/index.js';

function row(over: Partial<ResultRow>): ResultRow {
  const r = Object.fromEntries(RESULT_COLUMNS.map((c) => [c, ''])) as ResultRow;
  return { ...r, ok: 'true', ...over };
}

const base = (run: string, ts: string, caseId: string, c: string, ttft: string, tput: string): ResultRow =>
  row({ run_id: run, timestamp: ts, case_id: caseId, concurrency: c, ttft_ms: ttft, tpot_ms: '10', tokens_per_s: tput });

describe('compareResults', () => {
  it('matches by case + concurrency and flags latency up / throughput down beyond the threshold', () => {
    const old = [base('r1', 't1', 'a', '1', '100', '1000'), base('r1', 't1', 'a', '8', '200', '5000'), base('r1', 't1', 'b', '1', '50', '700')];
    const now = [
      base('r2', 't2', 'a', '1', '104', '1000'), // +4% TTFT: within 5%
      base('r2', 't2', 'a', '8', '200', '4000'), // tokens/s 5000 -> 4000 = -20%
      base('r2', 't2', 'b', '1', '40', '700'), //   TTFT 50 -> 40 = -20%: an improvement
      base('r2', 't2', 'c', '1', '1', '1'),
    ];
    const r = compareResults(old as CsvRecord[], now as CsvRecord[], 5);
    expect(r.matched).toBe(3);
    expect(r.regressions).toEqual([{ caseId: 'a', concurrency: '8', metric: 'tokens_per_s', old: 5000, new: 4000, changePct: -20 }]);
    expect(r.improvements).toEqual([{ caseId: 'b', concurrency: '1', metric: 'ttft_ms', old: 50, new: 40, changePct: -20 }]);
    expect(r.added).toEqual(['c@1']);
    expect(hasRegressions(r)).toBe(true);
    expect(hasRegressions(compareResults(old as CsvRecord[], now as CsvRecord[], 25))).toBe(false);
  });

  it('uses the latest row of each key when a file holds several runs', () => {
    const rows = [base('r1', '2026-01-01', 'a', '1', '100', '1'), base('r2', '2026-02-01', 'a', '1', '300', '1'), base('r0', '2025-12-01', 'a', '1', '1', '1')];
    expect(latestByKey(rows as CsvRecord[]).get('a@1')?.run_id).toBe('r2');
  });

  it('a case that used to run and now fails is a regression; a dropped case is only listed', () => {
    const old = [base('r1', 't', 'a', '1', '1', '1'), base('r1', 't', 'gone', '1', '1', '1')];
    const now = [row({ run_id: 'r2', timestamp: 't2', case_id: 'a', concurrency: '1', ok: 'false', error: 'OOM' })];
    const r = compareResults(old as CsvRecord[], now as CsvRecord[], 5);
    expect(r.newFailures).toEqual([{ caseId: 'a', concurrency: '1', error: 'OOM' }]);
    expect(r.missing).toEqual(['gone@1']);
    expect(hasRegressions(r)).toBe(true);
  });
});

describe('optix compare (front door)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'optix-compare-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, rows: ResultRow[]) => {
    const f = path.join(dir, name);
    writeFileSync(f, csvHeader() + csvBody(rows));
    return f;
  };
  const oldFile = write('old.csv', [base('r1', 't1', 'agg_perf_x', '8', '100', '1000')]);
  const newFile = write('new.csv', [base('r2', 't2', 'agg_perf_x', '8', '130', '1000')]);

  it('prints the regression and returns 1; returns 0 under a looser threshold', () => {
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(runCompare(oldFile, newFile, { threshold: '10', json: false })).toBe(1);
      const text = out.mock.calls.map((c) => String(c[0])).join('');
      expect(text).toMatch(/Regressions \(1\):/);
      expect(text).toMatch(/\| agg_perf_x \| 8 +\| ttft_ms \| 100\.0 \| 130\.0 \| \+30\.0% \|/);
      expect(text).toMatch(/FAIL: regressions beyond the threshold/);
      out.mockClear();
      expect(runCompare(oldFile, newFile, { threshold: '30', json: true })).toBe(0);
      const json = JSON.parse(out.mock.calls.map((c) => String(c[0])).join('')) as { regressions: unknown[]; matched: number };
      expect(json).toMatchObject({ regressions: [], matched: 1 });
    } finally {
      out.mockRestore();
    }
  });

  it('rejects a bad threshold and a file that is not a results CSV', () => {
    expect(() => runCompare(oldFile, newFile, { threshold: 'x', json: false })).toThrow(OptixUserError);
    const notResults = path.join(dir, 'other.csv');
    writeFileSync(notResults, 'a,b\n1,2\n');
    expect(() => readResultsCsv(notResults)).toThrow(/not a results CSV/);
    expect(() => readResultsCsv(path.join(dir, 'missing.csv'))).toThrow(/cannot read results file/);
  });
});
