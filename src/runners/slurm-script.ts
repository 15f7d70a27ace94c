/** The sbatch script for one case: #SBATCH lines from the slurm: block, then the command. */
import type { CommandSpec, SlurmSpec } from './case-config.js';

/** Single-quotes a word for bash. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Seed 001 ships `partition: "<partition>"`: such placeholders mean "not set here". */
export function isPlaceholder(v: string | undefined): boolean {
  return v === undefined || v.trim() === '' || /^<.*>$/.test(v.trim());
}

export interface ScriptInput {
  caseId: string;
  caseFile: string;
  outputDir: string;
  /** sbatch --output path, may hold %j. */
  logPattern: string;
  command: CommandSpec;
  slurm: SlurmSpec;
  /** Site values used when the case leaves partition/account unset or a placeholder. */
  defaults?: { partition?: string; account?: string };
}

export function buildBatchScript(input: ScriptInput): string {
  const { slurm, command } = input;
  const directives: string[] = [
    `--job-name=${(slurm.jobName ?? input.caseId).slice(0, 120)}`,
    `--output=${input.logPattern}`,
  ];
  const partition = isPlaceholder(slurm.partition) ? input.defaults?.partition : slurm.partition;
  const account = isPlaceholder(slurm.account) ? input.defaults?.account : slurm.account;
  if (!isPlaceholder(partition)) directives.push(`--partition=${partition}`);
  if (!isPlaceholder(account)) directives.push(`--account=${account}`);
  if (slurm.jobTime !== undefined) directives.push(`--time=${slurm.jobTime}`);
  if (slurm.nodes !== undefined) directives.push(`--nodes=${slurm.nodes}`);
  if (slurm.gpusPerNode !== undefined) directives.push(`--gpus-per-node=${slurm.gpusPerNode}`);
  if (slurm.ntasksPerNode !== undefined) directives.push(`--ntasks-per-node=${slurm.ntasksPerNode}`);
  directives.push(...slurm.extraArgs);

  const run = typeof command.run === 'string' ? command.run : command.run.map(shellQuote).join(' ');
  const srun: string[] = [];
  if (slurm.containerImage !== undefined) srun.push(`--container-image=${slurm.containerImage}`);
  if (slurm.containerMounts !== undefined) srun.push(`--container-mounts=${slurm.containerMounts}`);
  if (slurm.containerWorkdir !== undefined) srun.push(`--container-workdir=${slurm.containerWorkdir}`);
  srun.push(...slurm.srunArgs);
  // Containers (pyxis/enroot) and extra srun options need a job step; a plain command runs in the batch shell.
  const body = srun.length > 0 ? `srun ${srun.map(shellQuote).join(' ')} bash -c ${shellQuote(run)}` : run;

  const lines = [
    '#!/bin/bash',
    ...directives.map((d) => `#SBATCH ${d}`),
    `# optix case ${input.caseId} (${input.caseFile})`,
    `export OPTIX_CASE_ID=${shellQuote(input.caseId)}`,
    `export OPTIX_OUTPUT_DIR=${shellQuote(input.outputDir)}`,
    ...Object.entries(command.env).map(([k, v]) => `export ${k}=${shellQuote(v)}`),
    `cd ${shellQuote(command.cwd ?? input.outputDir)} || exit 1`,
    body,
    '',
  ];
  return lines.join('\n');
}
