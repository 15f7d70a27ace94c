/**
 * SLURM runner: one batch job per case, submitted with `sbatch --parsable`, followed with squeue
 * (sacct, or `scontrol show job` when accounting is off, for the final state and exit code),
 * then its log is parsed like the command runner's.
 *
 * Case keys read (see docs/runners.md):
 *   command.run / env / cwd         what the job runs (run: bash text, or an argv list)
 *   slurm.partition, slurm.account  "<placeholder>" or unset -> env OPTIX_SLURM_PARTITION / OPTIX_SLURM_ACCOUNT,
 *                                   else left to the site default
 *   slurm.job_time -> --time, slurm.nodes -> --nodes, slurm.gpus_per_node (or hardware.gpus_per_node)
 *                  -> --gpus-per-node, slurm.ntasks_per_node -> --ntasks-per-node, slurm.job_name -> --job-name
 *   slurm.extra_args: [..]          more #SBATCH lines, verbatim (e.g. "--exclusive", "--qos=high")
 *   slurm.container_image / container_mounts / container_workdir / srun_args: [..]
 *                                   run the command as `srun --container-image=... bash -c '<run>'` (pyxis)
 *   slurm.timeout_s                 per-job limit from submission (queue wait included); then scancel
 *                                   (default env OPTIX_SLURM_TIMEOUT_S, else 36000)
 *   benchmark.concurrency_list, benchmark.metrics.{log_file (may hold %j), extractor_pattern, metric_names, required}
 *
 * Files: <outputDir>/<case id>.sbatch (the script) and <outputDir>/<case id>.slurm-<jobid>.log (its output).
 * DEBUG_MODE=1 with DEBUG_JOB_ID=<id> submits nothing and parses that job's existing log (seed 001).
 * submit() returns as soon as sbatch answers, so a BatchManager can queue a whole batch before
 * waiting; one poller per runner asks squeue about all of its jobs at once (OPTIX_SLURM_POLL_S, default 10 s).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OptixUserError } from '../errors.js';
import { parseLog } from '../log-parser/index.js';
import { readCommandSpec, readMetricsSpec, readSlurmSpec, safeName } from './case-config.js';
import { failureMessage, metricsLogPath, resultFromLog } from './log-result.js';
import { isTerminal, jobState, sbatch, scancel, squeueStates, type JobState } from './slurm-cli.js';
import { buildBatchScript } from './slurm-script.js';
import type { RunHandle, Runner, RunnerCase, RunResult } from './types.js';

export const DEFAULT_SLURM_TIMEOUT_S = 36000;
export const DEFAULT_SLURM_POLL_S = 10;

export interface SlurmRunnerOptions {
  /** Where DEBUG_MODE, DEBUG_JOB_ID and the OPTIX_SLURM_* settings are read (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Seconds between squeue polls (default OPTIX_SLURM_POLL_S, else 10). */
  pollIntervalS?: number;
  /** Per-job limit for cases without slurm.timeout_s (default OPTIX_SLURM_TIMEOUT_S, else 36000). */
  defaultTimeoutS?: number;
  /** How long to wait for a finished job's log to appear (shared file systems lag); default 30 s. */
  logWaitS?: number;
}

interface Final extends JobState {
  timedOut?: boolean;
  cancelError?: string;
}

interface Watched {
  deadline: number;
  misses: number;
  resolve: (f: Final) => void;
}

/** Polls the scheduler for every job of one runner with a single squeue per tick. */
class JobWatcher {
  private readonly jobs = new Map<string, Watched>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly pollMs: number) {}

  watch(jobId: string, timeoutS: number): Promise<Final> {
    return new Promise((resolve) => {
      this.jobs.set(jobId, { deadline: Date.now() + timeoutS * 1000, misses: 0, resolve });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.timer !== undefined || this.jobs.size === 0) return;
    this.timer = setTimeout(() => {
      void this.tick().finally(() => {
        this.timer = undefined;
        this.schedule();
      });
    }, this.pollMs);
  }

  private finish(jobId: string, final: Final): void {
    const w = this.jobs.get(jobId);
    this.jobs.delete(jobId);
    w?.resolve(final);
  }

  private async tick(): Promise<void> {
    const ids = [...this.jobs.keys()];
    let listed: Map<string, string>;
    try {
      listed = await squeueStates(ids);
    } catch {
      listed = new Map();
    }
    await Promise.all(ids.map((id) => this.check(id, listed.get(id))));
  }

  private async check(jobId: string, queued: string | undefined): Promise<void> {
    const w = this.jobs.get(jobId);
    if (!w) return;
    if (queued === undefined || isTerminal(queued)) {
      // Ended, or gone from squeue: ask for the final state and exit code.
      const known = await jobState(jobId).catch(() => undefined);
      const final = known && isTerminal(known.state) ? known : queued !== undefined ? { state: queued } : undefined;
      if (final) return this.finish(jobId, final);
      if (queued === undefined && known === undefined) {
        // Not listed anywhere for several polls in a row: the controller forgot it.
        if (++w.misses >= 5) this.finish(jobId, { state: 'UNKNOWN' });
        return;
      }
    }
    w.misses = 0;
    if (Date.now() > w.deadline) {
      const cancelError = await scancel(jobId).catch((e: unknown) => String(e));
      this.finish(jobId, cancelError ? { state: 'CANCELLED', timedOut: true, cancelError } : { state: 'CANCELLED', timedOut: true });
    }
  }
}

function positive(v: string | undefined): number | undefined {
  const n = Number(v);
  return v !== undefined && v !== '' && Number.isFinite(n) && n > 0 ? n : undefined;
}

async function waitForFile(path: string, waitS: number): Promise<void> {
  const until = Date.now() + waitS * 1000;
  while (!existsSync(path) && Date.now() < until) await new Promise((r) => setTimeout(r, 250));
}

export function createSlurmRunner(options: SlurmRunnerOptions = {}): Runner {
  const env = options.env ?? process.env;
  const pollS = options.pollIntervalS ?? positive(env.OPTIX_SLURM_POLL_S) ?? DEFAULT_SLURM_POLL_S;
  const defaultTimeoutS = options.defaultTimeoutS ?? positive(env.OPTIX_SLURM_TIMEOUT_S) ?? DEFAULT_SLURM_TIMEOUT_S;
  const logWaitS = options.logWaitS ?? 30;
  const watcher = new JobWatcher(pollS * 1000);
  const siteDefaults = {
    ...(env.OPTIX_SLURM_PARTITION ? { partition: env.OPTIX_SLURM_PARTITION } : {}),
    ...(env.OPTIX_SLURM_ACCOUNT ? { account: env.OPTIX_SLURM_ACCOUNT } : {}),
  };

  async function submit(c: RunnerCase): Promise<RunHandle> {
    const command = readCommandSpec(c);
    const slurm = readSlurmSpec(c);
    const metrics = readMetricsSpec(c);
    parseLog('', metrics); // a bad extractor_pattern is the user's error, raised now
    const timeoutS = slurm.timeoutS ?? defaultTimeoutS;
    const name = safeName(c.id);
    const logPattern = join(c.outputDir, `${name}.slurm-%j.log`);
    const logOf = (jobId: string): string => logPattern.replace('%j', jobId);
    const dirs = command.cwd === undefined ? { outputDir: c.outputDir } : { outputDir: c.outputDir, cwd: command.cwd };
    const metricsLogOf = (jobId: string): string =>
      metrics.logFile === undefined ? logOf(jobId) : metricsLogPath(metrics.logFile, dirs, jobId);
    const started = Date.now();
    const base = (jobId?: string) => ({
      caseId: c.id,
      durationS: (Date.now() - started) / 1000,
      ...(jobId === undefined ? {} : { jobId }),
    });

    if (env.DEBUG_MODE === '1') {
      const jobId = env.DEBUG_JOB_ID?.trim();
      if (!jobId) {
        throw new OptixUserError('DEBUG_MODE=1 needs DEBUG_JOB_ID', { hint: 'the id of a finished job whose log is in the output directory' });
      }
      const done = resultFromLog(base(jobId), metricsLogOf(jobId), metrics);
      return { caseId: c.id, jobId, wait: () => done, cancel: async () => {} };
    }

    mkdirSync(c.outputDir, { recursive: true });
    const scriptPath = join(c.outputDir, `${name}.sbatch`);
    writeFileSync(
      scriptPath,
      buildBatchScript({ caseId: c.id, caseFile: c.file, outputDir: c.outputDir, logPattern, command, slurm, defaults: siteDefaults }),
      { mode: 0o755 },
    );
    const submitted = await sbatch(scriptPath, c.outputDir).catch((e: unknown) => ({ error: `sbatch failed: ${String(e)}`, jobId: undefined }));
    const jobId = submitted.jobId;
    if (jobId === undefined) {
      const failed: RunResult = { ...base(), ok: false, points: [], error: submitted.error ?? 'sbatch failed' };
      return { caseId: c.id, wait: async () => failed, cancel: async () => {} };
    }

    let cancelled = false;
    const done = watcher.watch(jobId, timeoutS).then(async (final): Promise<RunResult> => {
      const logFile = logOf(jobId);
      const b = { ...base(jobId), state: final.state };
      let reason: string | undefined;
      if (final.timedOut) {
        reason = `job ${jobId} timed out after ${timeoutS} s (optix per-job limit); cancelled with scancel`;
        if (final.cancelError) reason += ` (${final.cancelError})`;
      } else if (cancelled) reason = `job ${jobId} cancelled`;
      else if (final.state !== 'COMPLETED') {
        reason = `job ${jobId} ended ${final.state}${final.exitCode ? ` (exit code ${final.exitCode})` : ''}`;
      }
      if (reason !== undefined) return { ...b, ok: false, points: [], logFile, error: await failureMessage(reason, logFile) };
      const parsedFrom = metricsLogOf(jobId);
      await waitForFile(parsedFrom, logWaitS);
      return resultFromLog(b, parsedFrom, metrics);
    });

    return {
      caseId: c.id,
      jobId,
      wait: () => done,
      cancel: async () => {
        cancelled = true;
        // scancel refuses a job that already ended; then there is nothing to wait for but the poll.
        const err = await scancel(jobId);
        if (err === undefined) await done;
      },
    };
  }

  return { name: 'slurm', submit };
}
