/**
 * One harness run inside a Vitest file: a BatchManager over the cases that
 * will really run, a ResultSaver flushed whenever a batch is complete, and the
 * per-test step (run, record, check expectations).
 */
import path from 'node:path';
import { BatchManager } from '../batch-manager/index.js';
import { ResultSaver, type CaseFields } from '../result-saver/index.js';
import { getRunner } from './get-runner.js';
import type { RunnerCase, RunResult } from '../runners/types.js';
import { isDisagg } from './case.js';
import { checkExpectations } from './expect.js';
import type { Plan, PlannedCase } from './plan.js';

export interface CaseOutcome {
  result: RunResult;
  /** Each line `file:line:col: message`. */
  failures: string[];
}

export interface SessionOptions {
  /** Most cases in flight at once; default unlimited (seed 001 puts a whole batch in the queue). */
  maxInFlight?: number;
  log?: (line: string) => void;
  saver?: ResultSaver;
}

export class HarnessSession {
  readonly saver: ResultSaver;
  private manager: BatchManager | undefined;
  private readonly byId = new Map<string, PlannedCase>();
  private readonly doneInBatch = new Map<number, number>();

  constructor(private readonly plan: Plan, private readonly opts: SessionOptions = {}) {
    this.saver = opts.saver ?? new ResultSaver({ outputPath: plan.options.outputPath });
    for (const c of plan.cases) this.byId.set(c.loaded.id, c);
  }

  /** Cases the runner will see: valid, not GPU-filtered, and (when known) selected by Vitest's filters. */
  runnable(selected?: ReadonlySet<string>): PlannedCase[] {
    return this.plan.cases.filter(
      (c) => c.config !== undefined && c.errors.length === 0 && c.skipReason === undefined && (selected === undefined || selected.has(c.loaded.id)),
    );
  }

  start(selected?: ReadonlySet<string>): void {
    const cases = this.runnable(selected).map(
      (c): RunnerCase => ({
        id: c.loaded.id,
        file: c.loaded.file,
        config: c.config as Record<string, unknown>,
        outputDir: path.join(this.plan.options.outputPath, 'cases', c.loaded.id),
      }),
    );
    const runnerOf = new Map(this.runnable(selected).map((c) => [c.loaded.id, c.config?.runner ?? 'engine']));
    this.manager = new BatchManager(cases, {
      batchSize: this.plan.options.batchSize,
      submit: async (rc) => (await getRunner(runnerOf.get(rc.id))).submit(rc),
      ...(this.opts.maxInFlight !== undefined ? { maxInFlight: this.opts.maxInFlight } : {}),
      ...(this.opts.log !== undefined ? { log: this.opts.log } : {}),
    });
  }

  /** Runs (or waits for) one case, records its rows, and returns the expectation failures. */
  async run(id: string): Promise<CaseOutcome> {
    const c = this.byId.get(id);
    if (c === undefined || c.config === undefined) throw new Error(`internal: ${id} is not a runnable case`);
    if (this.manager === undefined) this.start();
    const manager = this.manager as BatchManager;
    const result = await manager.run(id);
    const failures = result.ok
      ? checkExpectations(c.config, result.points).map((f) => {
          const pos = c.loaded.locate(f.path);
          return `${c.loaded.file}:${pos.line}:${pos.column}: ${f.message}`;
        })
      : [];
    this.saver.add(fieldsOf(c), result);
    this.markDone(manager, id);
    return { result, failures };
  }

  /** A broken case still leaves a row, so the CSV shows every case the run knew about. */
  recordBroken(id: string): string {
    const c = this.byId.get(id);
    if (c === undefined) throw new Error(`internal: unknown case ${id}`);
    const message = c.errors.map((e) => e.format()).join('\n');
    this.saver.add(fieldsOf(c), { caseId: id, ok: false, points: [], error: message });
    return message;
  }

  finish(): void {
    this.saver.flush();
  }

  private markDone(manager: BatchManager, id: string): void {
    const b = manager.batchOf(id);
    const n = (this.doneInBatch.get(b) ?? 0) + 1;
    this.doneInBatch.set(b, n);
    if (n === manager.batchMembers(b).length) this.saver.flush();
  }
}

export function fieldsOf(c: PlannedCase): CaseFields {
  const cfg = c.config ?? c.loaded.config;
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  return {
    caseId: c.loaded.id,
    testType: c.loaded.testType,
    category: c.loaded.category,
    runner: str(cfg?.runner) || 'engine',
    model: str(cfg?.metadata?.model) || str(cfg?.metadata?.model_name),
    device: str(cfg?.hardware?.device),
    precision: str(cfg?.metadata?.precision),
    servingMode: cfg?.hardware !== undefined && typeof cfg.hardware === 'object' && isDisagg(cfg) ? 'disagg' : 'agg',
    inputLength: typeof cfg?.benchmark?.input_length === 'number' ? cfg.benchmark.input_length : 0,
    outputLength: typeof cfg?.benchmark?.output_length === 'number' ? cfg.benchmark.output_length : 0,
  };
}

/** The message a failed run gives its test: the case file first, then the runner's words. */
export function runFailureMessage(c: PlannedCase, result: RunResult): string {
  return `${c.loaded.file}: ${c.config?.runner ?? 'engine'} run failed: ${result.error ?? 'no metrics'}`;
}
