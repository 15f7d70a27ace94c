/** Every row parsed and resolved, nothing run: what `--validate-csv` reports. */
import type { CellProblem } from './cells.js';
import { locate, type ParsedCases } from './parse.js';
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
      // Name the unknown device or model too, so that one pass shows every fix.
      const flagged = new Set(row.problems.map((p) => p.column));
      const names = resolveNames(flagged.has('device') ? '' : row.identity.device, flagged.has('model_id') ? '' : row.identity.modelId, row.line);
      const problems = [...row.problems, ...locate(parsed, names.problems)].sort((a, b) => (a.columnNumber ?? 0) - (b.columnNumber ?? 0));
      report.invalid.push({ line: row.line, caseName: row.caseName, problems });
      continue;
    }
    const r = resolveCase(row.spec, row.line);
    if (r.ok) report.cases.push(summarize(row.line, r.resolved));
    else report.invalid.push({ line: row.line, caseName: row.caseName, problems: locate(parsed, r.problems) });
  }
  return report;
}
