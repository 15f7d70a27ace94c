import type { Command } from 'commander';

/**
 * Every subcommand, loaded lazily so that `optix optimize` does not pay for
 * importing Vitest, execa or the CSV stack. Each module exports `register`.
 */
export interface CommandEntry {
  name: string;
  summary: string;
  load: () => Promise<{ register: (program: Command) => void }>;
}

export const COMMANDS: CommandEntry[] = [
  { name: 'estimate', summary: 'TTFT, TPOT, throughput and memory of one fixed deployment', load: () => import('./estimate.js') },
  { name: 'optimize', summary: 'Throughput Optimizer: best deployment under TTFT/TPOT limits (agg, disagg, PD ratio)', load: () => import('./optimize.js') },
  { name: 'models', summary: 'List built-in models and show parsed model specs', load: () => import('./models.js') },
];
