import type { RunMetrics } from '../runners/types.js';

/** One block of benchmark output found in a log, before points are ordered and labelled. */
export interface FoundBlock {
  /** Character offset of the block in the log; orders blocks and bounds concurrency look-back. */
  at: number;
  /** Which tool printed it: 'vllm', 'sglang', 'trtllm-bench', 'genai-perf', 'aiperf', 'optix', 'custom'. */
  tool: string;
  /** Concurrency stated inside the block, when the tool prints it there. */
  concurrency?: number;
  metrics: RunMetrics;
}

export type Extractor = (text: string) => FoundBlock[];
