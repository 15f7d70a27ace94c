/** Benchmark Cases Runner (seed 000): CSV of cases in, one CSV of results out. */
export { CASE_DEFAULTS, INPUT_COLUMNS, REQUIRED_COLUMNS, type InputColumn } from './columns.js';
export type { CellProblem } from './cells.js';
export { formatProblem, parseCasesCsv, type CaseSpec, type ParsedCases, type ParsedRow } from './parse.js';
export { resolveCase, toOptimizeRequest, type ResolvedCase } from './request.js';
export { OUTPUT_COLUMNS, referenceRow, resultRow, rowCells, rowJson, type OutputColumn, type OutputRow } from './output.js';
export { ResultsFile } from './results-file.js';
export { FLUSH_EVERY, runCase, runCases, type CaseOutcome, type RunCasesOptions, type RunCasesResult } from './runner.js';
export { summarize, type CaseSummary } from './summary.js';
export { TEMPLATE_ROWS, templateCsv, writeTemplate } from './template.js';
export { validateCases, type ValidationReport } from './validate.js';
