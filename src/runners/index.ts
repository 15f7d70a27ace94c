/** The runners beyond the engine, and the contract they share with the harness. */
export type { RunHandle, Runner, RunnerCase, RunnerName, RunMetrics, RunPoint, RunResult } from './types.js';
export { createCommandRunner, type CommandRunnerOptions } from './command.js';
export { createSlurmRunner, type SlurmRunnerOptions } from './slurm.js';
