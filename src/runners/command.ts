/**
 * Command runner: runs a case's shell command on this machine and parses its log.
 *
 * Case keys read (see docs/runners.md):
 *   command.run        string (run with `bash -c`) or argv list (no shell)          required
 *   command.env        { NAME: value } added to the inherited environment
 *   command.cwd        working directory; relative to the YAML file's directory
 *   command.timeout_s  kill the command (its whole process group) after this many seconds
 *                      (default 3600, or env OPTIX_COMMAND_TIMEOUT_S)
 *   benchmark.concurrency_list, benchmark.metrics.{log_file, extractor_pattern, metric_names, required}
 *
 * stdout and stderr go, interleaved, to `<outputDir>/<case id>.log`; metrics come from that log,
 * or from `benchmark.metrics.log_file` when the case names one. The command also sees
 * OPTIX_CASE_ID and OPTIX_OUTPUT_DIR. A non-zero exit, a timeout or a missing metric gives
 * ok:false with the log's last lines.
 */
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { parseLog } from '../log-parser/index.js';
import { readCommandSpec, readMetricsSpec, safeName } from './case-config.js';
import { failureMessage, metricsLogPath, resultFromLog } from './log-result.js';
import type { RunHandle, Runner, RunnerCase, RunResult } from './types.js';

export const DEFAULT_COMMAND_TIMEOUT_S = 3600;

export interface CommandRunnerOptions {
  /** Base environment of the commands (default process.env); also where OPTIX_COMMAND_TIMEOUT_S is read. */
  env?: NodeJS.ProcessEnv;
  /** Timeout for cases without command.timeout_s. */
  defaultTimeoutS?: number;
  /** Seconds between SIGTERM and SIGKILL when a command is stopped. */
  killGraceS?: number;
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    // The command runs detached, as its own process group: this reaches its children too.
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

export function createCommandRunner(options: CommandRunnerOptions = {}): Runner {
  const baseEnv = options.env ?? process.env;
  const envTimeout = Number(baseEnv.OPTIX_COMMAND_TIMEOUT_S);
  const defaultTimeoutS =
    options.defaultTimeoutS ?? (Number.isFinite(envTimeout) && envTimeout > 0 ? envTimeout : DEFAULT_COMMAND_TIMEOUT_S);
  const killGraceMs = (options.killGraceS ?? 2) * 1000;

  async function submit(c: RunnerCase): Promise<RunHandle> {
    const spec = readCommandSpec(c);
    const metrics = readMetricsSpec(c);
    parseLog('', metrics); // a bad extractor_pattern is the user's error, raised now
    const timeoutS = spec.timeoutS ?? defaultTimeoutS;

    mkdirSync(c.outputDir, { recursive: true });
    const logFile = join(c.outputDir, `${safeName(c.id)}.log`);
    const fd = openSync(logFile, 'w');
    const started = Date.now();
    const [file, ...args] = typeof spec.run === 'string' ? ['bash', '-c', spec.run] : spec.run;
    const execOptions = {
      cwd: spec.cwd ?? c.outputDir,
      env: { ...baseEnv, ...spec.env, OPTIX_CASE_ID: c.id, OPTIX_OUTPUT_DIR: c.outputDir },
      extendEnv: false,
      stdin: 'ignore',
      // execa's types spell out fds 3-9 only; at run time it hands any fd to spawn().
      stdout: fd as 3,
      stderr: fd as 3,
      detached: true,
      reject: false,
    } as const;
    const child = execa(file ?? 'bash', args, execOptions);

    let stopReason: string | undefined;
    let forceTimer: NodeJS.Timeout | undefined;
    const stop = (reason: string): void => {
      if (stopReason !== undefined) return;
      stopReason = reason;
      killGroup(child.pid, 'SIGTERM');
      forceTimer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), killGraceMs);
    };
    const timer = setTimeout(() => stop(`timed out after ${timeoutS} s`), timeoutS * 1000);

    const done: Promise<RunResult> = child.then(async (r) => {
      clearTimeout(timer);
      if (forceTimer) clearTimeout(forceTimer);
      // Children that outlived the shell would keep writing into a log we are about to read.
      killGroup(child.pid, 'SIGKILL');
      closeSync(fd);
      const base = { caseId: c.id, durationS: (Date.now() - started) / 1000 };
      let reason: string | undefined = stopReason;
      if (reason === undefined && r.failed) {
        if (r.exitCode !== undefined) reason = `command exited with code ${r.exitCode}`;
        else if (r.signal !== undefined) reason = `command killed by ${r.signal}`;
        else reason = `command failed to start: ${r.shortMessage}`;
      }
      if (reason !== undefined) {
        return { ...base, ok: false, points: [], logFile, error: await failureMessage(reason, logFile) };
      }
      const dirs = spec.cwd === undefined ? { outputDir: c.outputDir } : { outputDir: c.outputDir, cwd: spec.cwd };
      const parsedFrom = metrics.logFile === undefined ? logFile : metricsLogPath(metrics.logFile, dirs);
      return resultFromLog(base, parsedFrom, metrics);
    });

    return {
      caseId: c.id,
      wait: () => done,
      cancel: async () => {
        stop('cancelled');
        await done;
      },
    };
  }

  return { name: 'command', submit };
}
