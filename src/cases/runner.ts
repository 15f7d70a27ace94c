/**
 * Runs the cases of a CSV one after another, in row order, each through the
 * optimizer in-process (seed 000). A case that fails gets its row with empty
 * metrics and the run goes on; rows reach the disk every `flushEvery` cases.
 */
import { setImmediate as nextTick, setTimeout as sleep } from 'node:timers/promises';
import { optimize } from '../engine/index.js';
import type { DeviceOptimizeResult, PhaseResult } from '../engine/api.js';
import { formatProblem, locate, type ParsedCases, type ParsedRow } from './parse.js';
import { resolveCase } from './request.js';
import { identityRow, reportedPoint, resultRow, type OutputRow } from './output.js';
import { ResultsFile } from './results-file.js';
import { badRowProblems } from './validate.js';

export const FLUSH_EVERY = 10;

export interface CaseOutcome {
  caseName: string;
  line: number;
  status: 'ok' | 'failed';
  /** One line per problem (file:line:col: message (fix)) or the optimizer's error. */
  errors: string[];
  /** Things the user should know that did not stop the case (fallbacks, closest attempts). */
  warnings: string[];
  row: OutputRow;
  elapsedMs: number;
}

export interface RunCasesOptions {
  outputFile: string;
  resume?: boolean;
  flushEvery?: number;
  /** Test hook: pause between cases so a test can kill the run at a known point. */
  delayMs?: number;
  /** Stops the run between cases (Ctrl-C); completed rows are flushed first. */
  signal?: AbortSignal;
  /** Called once the cases to run are known (after --resume skips). */
  onStart?: (info: { total: number; skipped: string[] }) => void;
  onCaseStart?: (row: ParsedRow, i: number) => void;
  onCaseDone?: (outcome: CaseOutcome, i: number) => void;
  onFlush?: (rowsOnDisk: number) => void;
}

export interface RunCasesResult {
  outputFile: string;
  outcomes: CaseOutcome[];
  /** Case names skipped because the output already had them (--resume). */
  skipped: string[];
  interrupted: boolean;
}

/** One case, never throwing for the user's mistakes: they become a failed outcome. */
export function runCase(parsed: ParsedCases, row: ParsedRow, now: () => number = Date.now): CaseOutcome {
  const start = now();
  const failed = (errors: string[]): CaseOutcome => ({
    caseName: row.caseName,
    line: row.line,
    status: 'failed',
    errors,
    warnings: [],
    row: identityRow(row.caseName, row.identity),
    elapsedMs: now() - start,
  });
  if (!row.spec) return failed(badRowProblems(parsed, row).map((p) => formatProblem(parsed.file, p)));
  const resolved = resolveCase(row.spec, row.line);
  if (!resolved.ok) return failed(locate(parsed, resolved.problems).map((p) => formatProblem(parsed.file, p)));
  const { spec, request } = resolved.resolved;
  let result: DeviceOptimizeResult;
  try {
    const r = optimize(request);
    result = r.perDevice[0]!;
  } catch (e) {
    // Engine errors are per case (seed 000's isolation), bugs included: the
    // batch keeps going and the message names the case.
    const msg = e instanceof Error ? e.message : String(e);
    return failed([`${parsed.file}:${row.line}: ${msg}`]);
  }
  const warnings = [...result.warnings];
  for (const [label, phase, limit] of [
    ['aggregation', result.agg, `TTFT ${spec.ttftLimitMs ?? 'none'} ms / TPOT ${spec.tpotLimitMs} ms`],
    ['prefill', result.prefill, `TTFT ${spec.ttftLimitMs} ms`],
    ['decode', result.decode, `TPOT ${spec.tpotLimitMs} ms`],
  ] as Array<[string, PhaseResult | undefined, string]>) {
    if (!phase) continue;
    if (!phase.best && phase.closest) warnings.push(`no ${label} configuration meets ${limit}; the row holds the closest attempt`);
    if (!reportedPoint(phase)) warnings.push(`no ${label} configuration could be evaluated (${describeSkipped(phase.skipped)}); its columns are empty`);
  }
  return {
    caseName: row.caseName,
    line: row.line,
    status: 'ok',
    errors: [],
    // log_level error/critical: errors only (the engine itself does not log).
    warnings: spec.logLevel === 'error' || spec.logLevel === 'critical' ? [] : warnings,
    row: resultRow(spec, request.devices[0]!.name, result),
    elapsedMs: now() - start,
  };
}

function describeSkipped(skipped: Record<string, number>): string {
  const parts = Object.entries(skipped).map(([why, n]) => `${why}: ${n}`);
  return parts.length > 0 ? parts.join(', ') : 'no layout to try';
}

export async function runCases(parsed: ParsedCases, opts: RunCasesOptions): Promise<RunCasesResult> {
  const out = opts.resume ? ResultsFile.resume(opts.outputFile) : ResultsFile.fresh(opts.outputFile);
  const flushEvery = opts.flushEvery ?? FLUSH_EVERY;
  const skipped = parsed.rows.filter((r) => out.has(r.caseName)).map((r) => r.caseName);
  const todo = parsed.rows.filter((r) => !out.has(r.caseName));
  // Header and reference row at once: the file exists from the first second.
  out.flush();
  opts.onFlush?.(out.size);
  opts.onStart?.({ total: todo.length, skipped });

  const outcomes: CaseOutcome[] = [];
  let interrupted = false;
  for (const [i, row] of todo.entries()) {
    if (opts.signal?.aborted) {
      interrupted = true;
      break;
    }
    opts.onCaseStart?.(row, i);
    const outcome = runCase(parsed, row);
    outcomes.push(outcome);
    out.add(outcome.row);
    opts.onCaseDone?.(outcome, i);
    if (out.pending >= flushEvery) {
      out.flush();
      opts.onFlush?.(out.size);
    }
    // The engine is synchronous: yield so signals and the progress bar get a turn.
    if (opts.delayMs !== undefined && opts.delayMs > 0) await sleep(opts.delayMs);
    else await nextTick();
  }
  if (opts.signal?.aborted && outcomes.length < todo.length) interrupted = true;
  if (out.pending > 0) {
    out.flush();
    opts.onFlush?.(out.size);
  }
  return { outputFile: opts.outputFile, outcomes, skipped, interrupted };
}
