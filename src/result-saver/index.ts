/**
 * ResultSaver (seed 001): one CSV row per case x concurrency point in
 * `${OUTPUT_PATH:-results}/perf_script_test_results.csv`. Rows are buffered and
 * flushed per batch with one locked append (see append.ts), so earlier runs'
 * rows stay and every run is told apart by run_id + timestamp.
 */
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { stringify } from 'csv-stringify/sync';
import type { RunResult } from '../runners/types.js';
import { appendCsvRows } from './append.js';

export const RESULTS_FILE = 'perf_script_test_results.csv';
export const DEFAULT_OUTPUT_PATH = 'results';

export const RESULT_COLUMNS = [
  'run_id',
  'timestamp',
  'case_id',
  'test_type',
  'category',
  'runner',
  'model',
  'device',
  'precision',
  'serving_mode',
  'input_length',
  'output_length',
  'concurrency',
  'tp',
  'dp',
  'pp',
  'ep',
  'num_devices',
  'batch_size',
  'ttft_ms',
  'tpot_ms',
  'tokens_per_s',
  'tokens_per_s_per_device',
  'tokens_per_s_per_user',
  'ok',
  'error',
  'other_metrics',
] as const;

export type ResultColumn = (typeof RESULT_COLUMNS)[number];
export type ResultRow = Record<ResultColumn, string>;

/** Metric key in RunPoint.metrics -> its own column. The rest go to other_metrics as JSON. */
const METRIC_COLUMNS: Partial<Record<string, ResultColumn>> = {
  tp: 'tp',
  dp: 'dp',
  pp: 'pp',
  ep: 'ep',
  numDevices: 'num_devices',
  batchSize: 'batch_size',
  ttftMs: 'ttft_ms',
  tpotMs: 'tpot_ms',
  tokensPerS: 'tokens_per_s',
  tokensPerSPerDevice: 'tokens_per_s_per_device',
  tokensPerSPerUser: 'tokens_per_s_per_user',
};

/** The case fields a row repeats so the CSV stands alone. */
export interface CaseFields {
  caseId: string;
  testType: string;
  category: string;
  runner: string;
  model: string;
  device: string;
  precision: string;
  servingMode: 'agg' | 'disagg';
  inputLength: number;
  outputLength: number;
}

export function outputPathFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const v = env.OUTPUT_PATH;
  return v !== undefined && v.trim() !== '' ? v : DEFAULT_OUTPUT_PATH;
}

/** One row per point; a case with no points (it failed early) still gets one row carrying its error. */
export function rowsForResult(fields: CaseFields, result: RunResult, runId: string, timestamp: string, extraError?: string): ResultRow[] {
  const error = [result.error, extraError].filter((e): e is string => e !== undefined && e !== '').join('; ');
  const base = (): ResultRow => {
    const row = Object.fromEntries(RESULT_COLUMNS.map((c) => [c, ''])) as ResultRow;
    row.run_id = runId;
    row.timestamp = timestamp;
    row.case_id = fields.caseId;
    row.test_type = fields.testType;
    row.category = fields.category;
    row.runner = fields.runner;
    row.model = fields.model;
    row.device = fields.device;
    row.precision = fields.precision;
    row.serving_mode = fields.servingMode;
    row.input_length = String(fields.inputLength);
    row.output_length = String(fields.outputLength);
    row.ok = result.ok && extraError === undefined ? 'true' : 'false';
    row.error = oneLine(error);
    return row;
  };
  if (result.points.length === 0) return [base()];
  return result.points.map((p) => {
    const row = base();
    row.concurrency = String(p.concurrency);
    const other: Record<string, number> = {};
    for (const [k, v] of Object.entries(p.metrics)) {
      const col = METRIC_COLUMNS[k];
      if (col !== undefined) row[col] = formatNumber(v);
      else other[k] = v;
    }
    row.other_metrics = Object.keys(other).length > 0 ? JSON.stringify(other) : '';
    return row;
  });
}

/** Rows must stay one line each (append.ts repairs torn tails line-wise). */
function oneLine(s: string): string {
  return s.replace(/\r?\n/g, '\\n');
}

function formatNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(8)));
}

export function csvHeader(): string {
  return stringify([], { header: true, columns: [...RESULT_COLUMNS] });
}

export function csvBody(rows: ResultRow[]): string {
  return rows.length === 0 ? '' : stringify(rows, { header: false, columns: [...RESULT_COLUMNS] });
}

export interface ResultSaverOptions {
  outputPath?: string;
  runId?: string;
  now?: () => Date;
}

export class ResultSaver {
  readonly file: string;
  readonly runId: string;
  private readonly now: () => Date;
  private pending: ResultRow[] = [];

  constructor(opts: ResultSaverOptions = {}) {
    this.file = path.join(opts.outputPath ?? outputPathFromEnv(), RESULTS_FILE);
    this.runId = opts.runId ?? newRunId();
    this.now = opts.now ?? (() => new Date());
  }

  add(fields: CaseFields, result: RunResult, extraError?: string): ResultRow[] {
    const rows = rowsForResult(fields, result, this.runId, this.now().toISOString(), extraError);
    this.pending.push(...rows);
    return rows;
  }

  get pendingRows(): number {
    return this.pending.length;
  }

  /** Writes every buffered row in one locked append; a no-op when nothing is buffered. */
  flush(): void {
    if (this.pending.length === 0) return;
    const rows = this.pending;
    appendCsvRows(this.file, csvHeader(), csvBody(rows));
    this.pending = [];
  }
}

/** `OPTIX_RUN_ID` (set by `optix test` so every worker shares it) or a fresh one. */
export function newRunId(env: NodeJS.ProcessEnv = process.env): string {
  const v = env.OPTIX_RUN_ID;
  if (v !== undefined && v !== '') return v;
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomUUID().slice(0, 8)}`;
}
