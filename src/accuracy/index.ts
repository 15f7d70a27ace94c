/**
 * The accuracy front door's library: measured rows in, predictions and the
 * issue-4 summary out. The CLI (src/cli/commands/accuracy.ts) only adds flags and printing.
 */
import { readMeasuredFile, type MeasuredRow } from './measured.js';
import { predictRows, type PredictOptions, type RowPrediction } from './predict.js';
import { summarize, type AccuracySummary } from './summary.js';

export interface MeasuredFilter {
  system?: string;
  backend?: string;
  mode?: 'agg' | 'disagg';
  /** Rows that give their whole deployment, or whose worker counts the predictor assumes (MeasuredRow.deployment). */
  deployment?: 'given' | 'assumed';
  /** Keep the first N rows (after the other filters). */
  limit?: number;
}

export function filterRows(rows: readonly MeasuredRow[], f: MeasuredFilter): MeasuredRow[] {
  const eq = (a: string, b: string | undefined): boolean => b === undefined || a.toLowerCase() === b.toLowerCase();
  const kept = rows.filter((r) => eq(r.system, f.system) && eq(r.backend, f.backend) && eq(r.mode, f.mode) && eq(r.deployment, f.deployment));
  return f.limit === undefined ? kept : kept.slice(0, f.limit);
}

export interface MeasuredAccuracy {
  summary: AccuracySummary;
  rows: RowPrediction[];
}

export function measuredAccuracy(file: string, filter: MeasuredFilter = {}, opts: PredictOptions = {}): MeasuredAccuracy {
  const { rows } = readMeasuredFile(file);
  const predictions = predictRows(filterRows(rows, filter), opts);
  return { summary: summarize(predictions), rows: predictions };
}

export { summarize } from './summary.js';
export type { AccuracySummary } from './summary.js';
