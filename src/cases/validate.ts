/** Every row parsed and resolved, nothing run: what `--validate-csv` reports. */
import type { CellProblem } from './cells.js';
import { locate, type ParsedCases, type ParsedRow } from './parse.js';
import { resolveCase, resolveNames } from './request.js';
import { summarize, type CaseSummary } from './summary.js';

export interface ValidationReport {
  cases: CaseSummary[];
  /** Bad rows, in file order, every problem of each. */
  invalid: Array<{ line: number; caseName: string; problems: CellProblem[] }>;
}

export function validateCases(parsed: ParsedCases): ValidationReport {
  const report: ValidationReport = { cases: [], invalid: [] };
  for (const row of parsed.rows) {
    if (!row.spec) {
      report.invalid.push({ line: row.line, caseName: row.caseName, problems: badRowProblems(parsed, row) });
      continue;
    }
    const r = resolveCase(row.spec, row.line);
    if (r.ok) report.cases.push(summarize(row.line, r.resolved));
    else report.invalid.push({ line: row.line, caseName: row.caseName, problems: locate(parsed, r.problems) });
  }
  return report;
}

/**
 * A row that did not parse: its cell problems plus an unknown device or model,
 * so that one pass shows every fix.
 */
export function badRowProblems(parsed: ParsedCases, row: ParsedRow): CellProblem[] {
  const flagged = new Set(row.problems.map((p) => p.column));
  const wholeRow = flagged.has(undefined);
  const names = wholeRow ? { problems: [] } : resolveNames(flagged.has('device') ? '' : row.identity.device, flagged.has('model_id') ? '' : row.identity.modelId, row.line);
  return [...row.problems, ...locate(parsed, names.problems)].sort((a, b) => (a.columnNumber ?? 0) - (b.columnNumber ?? 0));
}
