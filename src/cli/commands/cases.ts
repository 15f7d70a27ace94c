/**
 * `optix cases`: the Benchmark Cases Runner (seed 000). A CSV of cases in, one
 * CSV of results out; each case runs the optimizer in-process.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { OptixUserError } from '../../errors.js';
import {
  FLUSH_EVERY,
  formatProblem,
  parseCasesCsv,
  rowJson,
  runCases,
  validateCases,
  templateCsv,
  writeTemplate,
  TEMPLATE_ROWS,
  type CaseOutcome,
  type ParsedCases,
  type RunCasesResult,
} from '../../cases/index.js';
import { asciiTable, printJson } from '../format.js';

export const DEFAULT_OUTPUT_CSV = 'benchmark_cases_results.csv';
/** Test hook (documented in docs/cases.md): milliseconds to pause after each case. */
export const DELAY_ENV = 'OPTIX_CASES_DELAY_MS';

interface CasesFlags {
  writeTemplate?: string;
  validateCsv?: string;
  inputCsv?: string;
  outputCsv?: string;
  resume: boolean;
  testConversion: boolean;
  json: boolean;
}

export function register(program: Command): void {
  program
    .command('cases')
    .description('Benchmark Cases Runner: run every case of a CSV through the optimizer, one result CSV out')
    .option('--input-csv <path>', 'CSV of benchmark cases, one per row (header: the template\'s columns)')
    .option('--output-csv <path>', `result CSV (default '${DEFAULT_OUTPUT_CSV}' with --input-csv)`)
    .option('--write-template <path>', 'write a template CSV with three example cases to PATH and exit')
    .option('--validate-csv <path>', 'check every row of the CSV and print a summary per case, without running')
    .option('--resume', 'skip cases already in --output-csv (by Case_Name) and append the rest', false)
    .option('--test-conversion', 'check that every template row maps to the same optimizer request as its `optix optimize` command, and exit', false)
    .option('--json', 'print machine-readable JSON', false)
    .addHelpText(
      'after',
      `
Examples:
  optix cases --write-template cases.csv
  optix cases --validate-csv cases.csv
  optix cases --input-csv cases.csv --output-csv results.csv
  optix cases --input-csv cases.csv --output-csv results.csv --resume

Results are written every ${FLUSH_EVERY} cases (and on Ctrl-C) by replacing the file atomically.
Exit status: 0 all cases ran; 1 some case failed (or --validate-csv found a bad row);
2 unusable input (missing required column, unknown column, CSV syntax); 130 interrupted.`,
    )
    .action(async (flags: CasesFlags) => {
      await run(flags);
    });
}

function exactlyOneAction(f: CasesFlags): 'template' | 'validate' | 'run' {
  const given = [
    ['--write-template', f.writeTemplate],
    ['--validate-csv', f.validateCsv],
    ['--input-csv', f.inputCsv],
  ].filter(([, v]) => v !== undefined);
  if (given.length !== 1) {
    throw new OptixUserError(given.length === 0 ? 'nothing to do' : `${given.map(([n]) => n).join(' and ')} cannot be combined`, {
      hint: 'pass one of --write-template PATH, --validate-csv PATH or --input-csv PATH',
    });
  }
  if (f.inputCsv === undefined && (f.outputCsv !== undefined || f.resume)) {
    throw new OptixUserError(`${f.outputCsv !== undefined ? '--output-csv' : '--resume'} only applies with --input-csv`);
  }
  return f.writeTemplate !== undefined ? 'template' : f.validateCsv !== undefined ? 'validate' : 'run';
}

async function run(f: CasesFlags): Promise<void> {
  if (f.testConversion) {
    await runTestConversion(f.json);
    return;
  }
  const action = exactlyOneAction(f);
  if (action === 'template') {
    writeTemplate(f.writeTemplate!);
    if (f.json) printJson({ template: f.writeTemplate, cases: TEMPLATE_ROWS.map((r) => r.case_name) });
    else process.stdout.write(`Wrote ${f.writeTemplate} (${TEMPLATE_ROWS.length} example cases); edit it, then: optix cases --validate-csv ${f.writeTemplate}\n`);
    return;
  }
  const parsed = readCases(action === 'validate' ? f.validateCsv! : f.inputCsv!);
  if (action === 'validate') {
    validate(parsed, f.json);
    return;
  }
  await runAll(parsed, f);
}

function readCases(file: string): ParsedCases {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new OptixUserError(`cannot read the cases CSV: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`, {
      file,
      hint: 'create one with `optix cases --write-template cases.csv`',
    });
  }
  return parseCasesCsv(text, file);
}

function validate(parsed: ParsedCases, json: boolean): void {
  const report = validateCases(parsed);
  const total = report.cases.length + report.invalid.length;
  if (json) {
    printJson({
      file: parsed.file,
      valid: report.invalid.length === 0,
      cases: report.cases,
      invalid: report.invalid.map((r) => ({ ...r, messages: r.problems.map((p) => formatProblem(parsed.file, p)) })),
    });
  } else {
    if (report.cases.length > 0) {
      process.stdout.write(
        `${asciiTable(
          ['Line', 'Case', 'Device', 'Devices', 'Model', 'Input', 'Output', 'TTFT limit (ms)', 'TPOT limit (ms)', 'Mode', 'Quant (linear/attn)', 'Search space', 'MTP', 'Max prefill tokens', 'Batch range'],
          report.cases.map((c) => [c.line, c.caseName, c.device, c.numDevices, c.model, c.inputLength, c.outputLength, c.ttftLimitMs ?? 'none', c.tpotLimitMs, c.mode, c.quant, c.searchSpace, c.mtp, c.maxPrefillTokens, c.batchRange]),
        )}\n`,
      );
    }
    for (const bad of report.invalid) {
      process.stderr.write(`optix cases: line ${bad.line}, case '${bad.caseName}' is invalid:\n`);
      for (const p of bad.problems) process.stderr.write(`  ${formatProblem(parsed.file, p)}\n`);
    }
    const verdict = report.invalid.length === 0 ? 'all valid' : `${report.invalid.length} invalid (lines ${report.invalid.map((r) => r.line).join(', ')})`;
    process.stdout.write(`${parsed.file}: ${total} case${total === 1 ? '' : 's'}, ${verdict}\n`);
  }
  if (report.invalid.length > 0) process.exitCode = 1;
}

/** Writes above the progress bar when there is one, so the two do not garble each other. */
interface Reporter {
  start(total: number): void;
  caseStarted(name: string, i: number): void;
  caseDone(i: number): void;
  log(line: string): void;
  stop(): void;
}

async function progressReporter(): Promise<Reporter> {
  if (!process.stderr.isTTY) {
    return { start() {}, caseStarted() {}, caseDone() {}, log: (l) => void process.stderr.write(`${l}\n`), stop() {} };
  }
  const { MultiBar, Presets } = await import('cli-progress');
  const multi = new MultiBar(
    {
      stream: process.stderr,
      format: 'cases [{bar}] {value}/{total} | elapsed {duration_formatted} | ETA {eta_formatted} | {caseName}',
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 20,
    },
    Presets.shades_classic,
  );
  let bar: ReturnType<typeof multi.create> | undefined;
  return {
    start: (total) => void (bar = multi.create(total, 0, { caseName: '' })),
    caseStarted: (name) => bar?.update({ caseName: name }),
    caseDone: (i) => bar?.update(i + 1),
    log: (l) => multi.log(`${l}\n`),
    stop: () => multi.stop(),
  };
}

function delayFromEnv(): number | undefined {
  const raw = process.env[DELAY_ENV];
  if (raw === undefined || raw === '') return undefined;
  const ms = Number(raw);
  if (!Number.isFinite(ms) || ms < 0) throw new OptixUserError(`${DELAY_ENV} must be a number of milliseconds >= 0, got '${raw}'`);
  return ms;
}

async function runAll(parsed: ParsedCases, f: CasesFlags): Promise<void> {
  const outputFile = f.outputCsv ?? DEFAULT_OUTPUT_CSV;
  if (path.resolve(outputFile) === path.resolve(parsed.file)) {
    throw new OptixUserError('--output-csv is the input CSV; the run would overwrite its cases', { hint: 'pass another --output-csv' });
  }
  const reporter = await progressReporter();
  const abort = new AbortController();
  const onSignal = (): void => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const started = Date.now();
  let result: RunCasesResult;
  try {
    const delayMs = delayFromEnv();
    result = await runCases(parsed, {
      outputFile,
      resume: f.resume,
      signal: abort.signal,
      ...(delayMs === undefined ? {} : { delayMs }),
      onStart: ({ total, skipped }) => {
        if (skipped.length > 0) reporter.log(`optix cases: resuming ${outputFile}: ${skipped.length} case${skipped.length === 1 ? '' : 's'} already done, ${total} to run`);
        reporter.start(total);
      },
      onCaseStart: (row, i) => reporter.caseStarted(row.caseName, i),
      onCaseDone: (o, i) => {
        report(o, reporter);
        reporter.caseDone(i);
      },
    });
  } finally {
    reporter.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const failed = result.outcomes.filter((o) => o.status === 'failed').length;
  const ok = result.outcomes.length - failed;
  if (f.json) {
    printJson({
      input: parsed.file,
      output: outputFile,
      interrupted: result.interrupted,
      skipped: result.skipped,
      cases: result.outcomes.map((o) => ({
        caseName: o.caseName,
        line: o.line,
        status: o.status,
        errors: o.errors,
        warnings: o.warnings,
        elapsedMs: o.elapsedMs,
        row: rowJson(o.row),
      })),
    });
  } else {
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const parts = [`${ok} ok`, `${failed} failed`, ...(result.skipped.length > 0 ? [`${result.skipped.length} skipped (already in ${outputFile})`] : [])];
    process.stdout.write(`Ran ${result.outcomes.length} case${result.outcomes.length === 1 ? '' : 's'} in ${seconds} s: ${parts.join(', ')}. Results: ${outputFile}\n`);
  }
  if (result.interrupted) {
    process.stderr.write(`optix cases: interrupted; ${result.outcomes.length} completed case(s) are in ${outputFile}; rerun with --resume to finish\n`);
    process.exitCode = 130;
  } else if (failed > 0) {
    process.exitCode = 1;
  }
}

function report(o: CaseOutcome, reporter: Reporter): void {
  for (const e of o.errors) reporter.log(`optix cases: case '${o.caseName}' failed: ${e}`);
  for (const w of o.warnings) reporter.log(`optix cases: case '${o.caseName}': warning: ${w}`);
}

/** Seed 000's --test-conversion on the template rows. Exit 1 when any mapping differs. */
async function runTestConversion(json: boolean): Promise<void> {
  const { testConversion } = await import('../../cases/conversion.js');
  const specs = parseCasesCsv(templateCsv(), 'template').rows.map((r) => r.spec!);
  const checks = await testConversion(specs);
  const failed = checks.filter((c) => c.differences.length > 0);
  if (json) printJson({ cases: checks, ok: failed.length === 0 });
  else {
    for (const c of checks) {
      process.stdout.write(`${c.differences.length === 0 ? 'ok  ' : 'FAIL'} ${c.caseName}: ${c.command}\n`);
      for (const d of c.differences) process.stdout.write(`       ${d}\n`);
    }
    process.stdout.write(`${checks.length - failed.length} passed, ${failed.length} failed\n`);
  }
  if (failed.length > 0) process.exitCode = 1;
}
