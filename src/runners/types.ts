/**
 * The contract between the YAML harness (loader -> batch-manager -> result-saver) and the runners
 * that execute one case each. Kept deliberately small: the harness only needs to submit a case,
 * later wait for its result, and cancel it.
 */

/** One YAML case, already loaded and validated. */
export interface RunnerCase {
  /** Test id, e.g. 'agg_perf_qwen3-32b-fp8_1k1k_tp4_bs32'. */
  id: string;
  /** Path of the YAML file the case came from (for error messages). */
  file: string;
  /** The parsed YAML object; each runner documents the keys it reads. */
  config: Record<string, unknown>;
  /** Directory for this case's logs and scripts (under OUTPUT_PATH); created by the runner. */
  outputDir: string;
}

/** Normalized metric name -> value, e.g. { ttftMs: 45.2, tpotMs: 12.1, outputTokensPerS: 2100 }. */
export interface RunMetrics {
  [metric: string]: number;
}

/** Metrics at one concurrency point; `concurrency` is 0 when the log does not say. */
export interface RunPoint {
  concurrency: number;
  metrics: RunMetrics;
}

export interface RunResult {
  caseId: string;
  ok: boolean;
  points: RunPoint[];
  /** Why it failed, ending with the log's last ~20 lines when there is a log. */
  error?: string;
  /** The log the metrics were (or would have been) parsed from. */
  logFile?: string;
  /** SLURM job id (slurm runner only). */
  jobId?: string;
  /** Final scheduler state, e.g. 'COMPLETED', 'FAILED', 'TIMEOUT' (slurm runner only). */
  state?: string;
  /** Wall time from submit to result, in seconds. */
  durationS?: number;
}

/** A submitted case. submit() returns at once; wait() resolves when the case has finished. */
export interface RunHandle {
  caseId: string;
  jobId?: string;
  /** Never rejects for a failed case: failures come back as { ok: false, error }. */
  wait(): Promise<RunResult>;
  /** Stops the case (kills the process / scancel); wait() then resolves with ok:false. */
  cancel(): Promise<void>;
}

export type RunnerName = 'engine' | 'command' | 'slurm';

export interface Runner {
  name: RunnerName;
  /**
   * Starts the case and returns without waiting for it to end, so a BatchManager can put a whole
   * batch in flight (or in the SLURM queue) before waiting on the first handle. Rejects only for a
   * case that cannot be started at all (OptixUserError for a bad `command:`/`slurm:` block).
   */
  submit(c: RunnerCase): Promise<RunHandle>;
}
