/**
 * BatchManager (seed 001): lazy batch submission. Cases are cut into batches
 * of `batchSize`; the first case of a batch to be asked for submits the whole
 * batch, and every case then waits on its own handle. Runner-agnostic: it
 * only needs `submit(case) -> handle`. `maxInFlight` caps how many handles may
 * be running at once (a batch larger than that is fed as slots free up).
 */
import { OptixUserError } from '../errors.js';
import type { RunHandle, RunnerCase, RunResult } from '../runners/types.js';

export const DEFAULT_BATCH_SIZE = 5;
const RULE = '='.repeat(70);

/** Anything that can start a case; `getRunner` picks one per case. */
export type SubmitFn = (c: RunnerCase) => Promise<RunHandle>;

export interface BatchManagerOptions {
  /** 0 = every case in one batch. */
  batchSize: number;
  submit: SubmitFn;
  /** Most cases running at once; default unlimited. */
  maxInFlight?: number;
  /** Where the banners go; default console.log. */
  log?: (line: string) => void;
}

/** `--batch-size` > OPTIX_BATCH_SIZE > DISAGG_BATCH_SIZE (seed 001's name) > 5. */
export function resolveBatchSize(option: number | string | undefined, env: NodeJS.ProcessEnv = process.env): number {
  for (const [source, raw] of [
    ['--batch-size', option],
    ['OPTIX_BATCH_SIZE', env.OPTIX_BATCH_SIZE],
    ['DISAGG_BATCH_SIZE', env.DISAGG_BATCH_SIZE],
  ] as const) {
    if (raw === undefined || raw === '') continue;
    const n = typeof raw === 'number' ? raw : Number(raw);
    if (!Number.isInteger(n) || n < 0) {
      throw new RangeError(`${source}: batch size must be an integer >= 0, got '${String(raw)}'`);
    }
    return n;
  }
  return DEFAULT_BATCH_SIZE;
}

export class BatchManager {
  readonly batchSize: number;
  private readonly cases: RunnerCase[];
  private readonly indexById = new Map<string, number>();
  private readonly results = new Map<number, Promise<RunResult>>();
  private readonly submitted = new Set<number>();
  private readonly submitFn: SubmitFn;
  private readonly log: (line: string) => void;
  private readonly maxInFlight: number;
  private inFlight = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(cases: RunnerCase[], opts: BatchManagerOptions) {
    this.cases = cases;
    cases.forEach((c, i) => {
      if (this.indexById.has(c.id)) throw new RangeError(`duplicate case id '${c.id}'`);
      this.indexById.set(c.id, i);
    });
    this.batchSize = opts.batchSize === 0 ? Math.max(1, cases.length) : opts.batchSize;
    this.submitFn = opts.submit;
    this.log = opts.log ?? ((line) => console.log(line));
    this.maxInFlight = opts.maxInFlight ?? Number.POSITIVE_INFINITY;
    this.log(RULE);
    this.log('Batch Manager Initialized');
    this.log(opts.batchSize === 0 ? 'Batch size: all jobs in one batch' : `Batch size: ${this.batchSize} jobs per batch`);
    this.log(RULE);
    this.log('');
    this.log(`Total test configs: ${cases.length}`);
    this.log(`Total batches: ${this.batchCount}`);
  }

  get batchCount(): number {
    return Math.ceil(this.cases.length / this.batchSize);
  }

  batchOf(caseId: string): number {
    return Math.floor(this.indexOf(caseId) / this.batchSize);
  }

  /** Case ids of batch `b`, in order. */
  batchMembers(b: number): string[] {
    return this.cases.slice(b * this.batchSize, (b + 1) * this.batchSize).map((c) => c.id);
  }

  isSubmitted(caseId: string): boolean {
    return this.submitted.has(this.indexOf(caseId));
  }

  /** Submits the case's batch if nobody has yet, then waits for this case. */
  async run(caseId: string): Promise<RunResult> {
    const i = this.indexOf(caseId);
    if (!this.submitted.has(i)) this.submitBatch(Math.floor(i / this.batchSize));
    const result = this.results.get(i);
    if (result === undefined) throw new Error(`internal: case ${caseId} submitted without a result`);
    return result;
  }

  private indexOf(caseId: string): number {
    const i = this.indexById.get(caseId);
    if (i === undefined) throw new RangeError(`unknown case id '${caseId}'`);
    return i;
  }

  private submitBatch(b: number): void {
    const start = b * this.batchSize;
    const end = Math.min(start + this.batchSize, this.cases.length);
    const n = end - start;
    this.log(RULE);
    this.log(`Submitting Batch ${b}`);
    this.log(`Range: [${start}:${end}] (${n} jobs)`);
    this.log(RULE);
    this.log('');
    for (let i = start; i < end; i++) {
      this.submitted.add(i);
      const c = this.cases[i];
      if (c === undefined) continue;
      const slot = i - start + 1;
      this.results.set(i, this.runOne(c, slot, n));
    }
  }

  private async runOne(c: RunnerCase, slot: number, n: number): Promise<RunResult> {
    await this.acquire();
    try {
      let handle: RunHandle;
      try {
        handle = await this.submitFn(c);
      } catch (e) {
        // A case that cannot start fails alone; its batch mates still run.
        this.log(`  [${String(slot).padStart(3)}/${n}] not submitted <- ${c.id}`);
        return { caseId: c.id, ok: false, points: [], error: e instanceof OptixUserError ? e.format() : e instanceof Error ? e.message : String(e) };
      }
      this.log(`  [${String(slot).padStart(3)}/${n}] Job ${handle.jobId ?? '-'} <- ${c.id}`);
      return await handle.wait();
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.inFlight < this.maxInFlight) {
      this.inFlight++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(() => {
      this.inFlight++;
      resolve();
    }));
  }

  private release(): void {
    this.inFlight--;
    this.waiting.shift()?.();
  }
}
