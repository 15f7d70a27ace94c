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
  { name: 'devices', summary: 'List device profiles and show every figure with its source', load: () => import('./devices.js') },
  { name: 'test', summary: 'Run the YAML benchmark cases as Vitest tests (the harness)', load: () => import('./test.js') },
  { name: 'compare', summary: 'Compare two harness results CSVs; exit 1 on regressions beyond a threshold', load: () => import('./compare.js') },
  { name: 'sweep', summary: 'Seed 004 latency sweep over a batch x sequence grid for one deployment, with MFU/MBU (and make-variant)', load: () => import('./sweep.js') },
  { name: 'mfu', summary: 'MFU and MBU of measured prefill/decode latencies, next to the engine prediction', load: () => import('./mfu.js') },
  { name: 'cases', summary: 'Benchmark Cases Runner: a CSV of cases through the optimizer, one result CSV out', load: () => import('./cases.js') },
  { name: 'accuracy', summary: 'Engine predictions vs measured serving points (--measured) or kernel tables (--kernels)', load: () => import('./accuracy.js') },
  { name: 'calibrate', summary: "Fit a device profile's efficiency curves to measured kernel tables; write a profile YAML", load: () => import('./calibrate.js') },
];
