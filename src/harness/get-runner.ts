/**
 * Runner by name (a case's `runner:` key, default engine). Each runner module
 * is imported on first use, so an engine-only run never loads execa or the
 * SLURM client. (Lives here because src/runners/index.ts is the runner
 * engineer's barrel of the command/slurm runners.)
 */
import { OptixUserError } from '../errors.js';
import type { Runner, RunnerName } from '../runners/types.js';

export const RUNNER_NAMES: readonly RunnerName[] = ['engine', 'command', 'slurm'];

const cache = new Map<RunnerName, Promise<Runner>>();

export function getRunner(name: string = 'engine'): Promise<Runner> {
  if (!(RUNNER_NAMES as readonly string[]).includes(name)) {
    return Promise.reject(new OptixUserError(`unknown runner '${name}'`, { hint: `valid runners: ${RUNNER_NAMES.join(', ')}` }));
  }
  const key = name as RunnerName;
  let runner = cache.get(key);
  if (runner === undefined) {
    runner = load(key);
    cache.set(key, runner);
  }
  return runner;
}

async function load(name: RunnerName): Promise<Runner> {
  switch (name) {
    case 'engine':
      return (await import('../runners/engine.js')).createEngineRunner();
    case 'command':
      return (await import('../runners/command.js')).createCommandRunner();
    case 'slurm':
      return (await import('../runners/slurm.js')).createSlurmRunner();
  }
}
