/**
 * The scheduler commands the SLURM runner uses, through execa: sbatch --parsable, squeue, sacct,
 * scontrol show job (when accounting is off, sacct fails and scontrol still knows recent jobs),
 * scancel.
 */
import { execa } from 'execa';

/** States after which a job will not run again. */
const TERMINAL = new Set([
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'TIMEOUT',
  'NODE_FAIL',
  'PREEMPTED',
  'OUT_OF_MEMORY',
  'BOOT_FAIL',
  'DEADLINE',
  'SPECIAL_EXIT',
  'REVOKED',
]);

export function isTerminal(state: string): boolean {
  return TERMINAL.has(state);
}

/** 'CANCELLED by 0' (sacct) and 'CANCELLED+' (squeue) -> 'CANCELLED'. */
function normState(raw: string): string {
  return raw.trim().split(/[\s+]/)[0]?.toUpperCase() ?? '';
}

export interface JobState {
  state: string;
  /** 'code:signal' as SLURM prints it, when known. */
  exitCode?: string;
}

export interface SubmitOutcome {
  jobId?: string;
  error?: string;
}

export async function sbatch(scriptPath: string, cwd: string): Promise<SubmitOutcome> {
  const r = await execa('sbatch', ['--parsable', scriptPath], { cwd, reject: false });
  // --parsable prints "jobid" or "jobid;cluster".
  const id = /^(\d+)/.exec(r.stdout.trim())?.[1];
  if (!r.failed && id !== undefined) return { jobId: id };
  const why = [r.stderr, r.stdout].join('\n').trim() || r.shortMessage;
  return { error: `sbatch failed: ${why}` };
}

/** States of the given jobs that squeue still lists (finished ones too, while the controller keeps them). */
export async function squeueStates(jobIds: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (jobIds.length === 0) return out;
  const r = await execa('squeue', ['-h', '-t', 'all', '-o', '%i|%T', '-j', jobIds.join(',')], { reject: false });
  for (const line of r.stdout.split('\n')) {
    const [id, state] = line.trim().split('|');
    if (id && state) out.set(id, normState(state));
  }
  return out;
}

async function sacctState(jobId: string): Promise<JobState | undefined> {
  const r = await execa('sacct', ['-n', '-P', '-X', '-j', jobId, '-o', 'JobID,State,ExitCode'], { reject: false });
  if (r.failed) return undefined;
  for (const line of r.stdout.split('\n')) {
    const [id, state, exitCode] = line.trim().split('|');
    if (id === jobId && state) return exitCode ? { state: normState(state), exitCode } : { state: normState(state) };
  }
  return undefined;
}

async function scontrolState(jobId: string): Promise<JobState | undefined> {
  const r = await execa('scontrol', ['show', 'job', jobId], { reject: false });
  if (r.failed) return undefined;
  const state = /\bJobState=(\S+)/.exec(r.stdout)?.[1];
  if (state === undefined) return undefined;
  const exitCode = /\bExitCode=(\S+)/.exec(r.stdout)?.[1];
  return exitCode ? { state: normState(state), exitCode } : { state: normState(state) };
}

/** A job's state with its exit code: sacct first, scontrol when accounting is off or has no record. */
export async function jobState(jobId: string): Promise<JobState | undefined> {
  return (await sacctState(jobId)) ?? (await scontrolState(jobId));
}

export async function scancel(jobId: string): Promise<string | undefined> {
  const r = await execa('scancel', [jobId], { reject: false });
  return r.failed ? `scancel ${jobId} failed: ${(r.stderr || r.shortMessage || '').trim()}` : undefined;
}
