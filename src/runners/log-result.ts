/** Turning a finished run's log into a RunResult: shared by the command and SLURM runners. */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { checkMetrics, parseLog } from '../log-parser/index.js';
import type { CaseMetricsSpec } from './case-config.js';
import type { RunResult } from './types.js';

export const TAIL_LINES = 20;

export function tail(text: string, lines = TAIL_LINES): string {
  const all = text.replace(/\s+$/, '').split('\n');
  return all.slice(-lines).join('\n');
}

export async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** `reason` followed by the last lines of the log, the form every failed RunResult.error takes. */
export async function failureMessage(reason: string, logFile: string | undefined): Promise<string> {
  if (logFile === undefined) return reason;
  const text = await readText(logFile);
  if (text === undefined) return `${reason} (no log at ${logFile})`;
  if (text.trim() === '') return `${reason} (log ${logFile} is empty)`;
  return `${reason}\n--- last ${TAIL_LINES} lines of ${logFile} ---\n${tail(text)}`;
}

/**
 * Where `benchmark.metrics.log_file` lives: absolute as given, else under the case's output
 * directory, else under the command's working directory. `%j` becomes the SLURM job id.
 */
export function metricsLogPath(logFile: string, dirs: { outputDir: string; cwd?: string }, jobId?: string): string {
  const name = jobId === undefined ? logFile : logFile.replace(/%j/g, jobId);
  if (isAbsolute(name)) return name;
  const inOutput = join(dirs.outputDir, name);
  if (existsSync(inOutput) || dirs.cwd === undefined) return inOutput;
  return join(dirs.cwd, name);
}

/** Parses the log of a run that ended well; a missing log or metric gives ok:false with the tail. */
export async function resultFromLog(
  base: Omit<RunResult, 'ok' | 'points'>,
  logFile: string,
  spec: CaseMetricsSpec,
): Promise<RunResult> {
  const text = await readText(logFile);
  if (text === undefined) {
    return { ...base, ok: false, points: [], logFile, error: `metric not found: log ${logFile} does not exist` };
  }
  let parsed;
  try {
    parsed = parseLog(text, spec);
  } catch (e) {
    return { ...base, ok: false, points: [], logFile, error: (e as Error).message };
  }
  const problem = checkMetrics(parsed, spec);
  if (problem !== undefined) {
    return { ...base, ok: false, points: parsed.points, logFile, error: await failureMessage(problem, logFile) };
  }
  return { ...base, ok: true, points: parsed.points, logFile };
}
