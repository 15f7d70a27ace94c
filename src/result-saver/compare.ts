/**
 * The CI regression check: two results CSVs, rows matched by case id +
 * concurrency (each file's latest row for that key, so a file holding many
 * runs compares its newest), and every throughput drop or latency rise beyond
 * the threshold reported.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { OptixUserError } from '../errors.js';

/** Column -> which direction is worse. */
export const COMPARED_METRICS: ReadonlyArray<{ column: string; worse: 'up' | 'down' }> = [
  { column: 'ttft_ms', worse: 'up' },
  { column: 'tpot_ms', worse: 'up' },
  { column: 'tokens_per_s', worse: 'down' },
  { column: 'tokens_per_s_per_device', worse: 'down' },
  { column: 'tokens_per_s_per_user', worse: 'down' },
];

export type CsvRecord = Record<string, string>;

export interface MetricChange {
  caseId: string;
  concurrency: string;
  metric: string;
  old: number;
  new: number;
  /** (new - old) / old x 100. */
  changePct: number;
}

export interface CompareReport {
  thresholdPct: number;
  matched: number;
  regressions: MetricChange[];
  improvements: MetricChange[];
  /** Keys that ran fine before and now carry an error. */
  newFailures: Array<{ caseId: string; concurrency: string; error: string }>;
  /** Keys in OLD with no row in NEW (a dropped case is worth a look, not a failure). */
  missing: string[];
  added: string[];
}

export function readResultsCsv(file: string): CsvRecord[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new OptixUserError(`cannot read results file: ${e instanceof Error ? e.message : String(e)}`, { file });
  }
  let rows: CsvRecord[];
  try {
    rows = parse(text, { columns: true, skip_empty_lines: true, relax_column_count: true }) as CsvRecord[];
  } catch (e) {
    throw new OptixUserError(`not a valid CSV: ${e instanceof Error ? e.message : String(e)}`, { file });
  }
  const first = rows[0];
  if (first !== undefined && (!('case_id' in first) || !('concurrency' in first))) {
    throw new OptixUserError('not a results CSV (no case_id/concurrency columns)', { file, line: 1, hint: 'pass perf_script_test_results.csv files written by the harness' });
  }
  return rows;
}

const keyOf = (r: CsvRecord): string => `${r.case_id ?? ''}@${r.concurrency ?? ''}`;

/** Latest row per key: greatest timestamp, later in the file on a tie. */
export function latestByKey(rows: CsvRecord[]): Map<string, CsvRecord> {
  const out = new Map<string, CsvRecord>();
  for (const r of rows) {
    const k = keyOf(r);
    const prev = out.get(k);
    if (prev === undefined || (r.timestamp ?? '') >= (prev.timestamp ?? '')) out.set(k, r);
  }
  return out;
}

export function compareResults(oldRows: CsvRecord[], newRows: CsvRecord[], thresholdPct: number): CompareReport {
  const before = latestByKey(oldRows);
  const after = latestByKey(newRows);
  const report: CompareReport = { thresholdPct, matched: 0, regressions: [], improvements: [], newFailures: [], missing: [], added: [] };
  for (const [k, o] of before) {
    const n = after.get(k);
    if (n === undefined) {
      report.missing.push(k);
      continue;
    }
    report.matched++;
    const caseId = n.case_id ?? '';
    const concurrency = n.concurrency ?? '';
    if (o.ok === 'true' && n.ok !== 'true') {
      report.newFailures.push({ caseId, concurrency, error: n.error ?? '' });
      continue;
    }
    for (const { column, worse } of COMPARED_METRICS) {
      const a = Number(o[column]);
      const b = Number(n[column]);
      if (o[column] === '' || n[column] === '' || !Number.isFinite(a) || !Number.isFinite(b) || a === 0) continue;
      const changePct = ((b - a) / a) * 100;
      const change: MetricChange = { caseId, concurrency, metric: column, old: a, new: b, changePct };
      const signed = worse === 'up' ? changePct : -changePct;
      if (signed > thresholdPct) report.regressions.push(change);
      else if (-signed > thresholdPct) report.improvements.push(change);
    }
  }
  for (const k of after.keys()) if (!before.has(k)) report.added.push(k);
  return report;
}

export function hasRegressions(r: CompareReport): boolean {
  return r.regressions.length > 0 || r.newFailures.length > 0;
}
