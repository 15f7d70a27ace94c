import { describe, expect, it } from 'vitest';
import { BatchManager, DEFAULT_BATCH_SIZE, resolveBatchSize } from '../src/batch-manager/index.js';
import type { RunHandle, RunnerCase, RunResult } from '../src/runners/types.js';

const cases = (n: number): RunnerCase[] =>
  Array.from({ length: n }, (_, i) => ({ id: `case_${i}`, file: `c${i}.yaml`, config: {}, outputDir: '/tmp' }));

/** A runner whose jobs finish only when the test says so, recording what was submitted. */
function fakeRunner() {
  const submitted: string[] = [];
  const finish = new Map<string, (r: RunResult) => void>();
  let running = 0;
  let maxRunning = 0;
  const submit = (c: RunnerCase): Promise<RunHandle> => {
    submitted.push(c.id);
    running++;
    maxRunning = Math.max(maxRunning, running);
    const done = new Promise<RunResult>((resolve) =>
      finish.set(c.id, (r) => {
        running--;
        resolve(r);
      }),
    );
    return Promise.resolve({ caseId: c.id, jobId: String(1000 + submitted.length), wait: () => done, cancel: () => Promise.resolve() });
  };
  const complete = (id: string) => finish.get(id)?.({ caseId: id, ok: true, points: [{ concurrency: 1, metrics: { ttftMs: 1 } }] });
  return { submit, submitted, complete, maxRunning: () => maxRunning };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('resolveBatchSize', () => {
  it('takes --batch-size over OPTIX_BATCH_SIZE over DISAGG_BATCH_SIZE over 5', () => {
    expect(resolveBatchSize(3, { OPTIX_BATCH_SIZE: '7', DISAGG_BATCH_SIZE: '9' })).toBe(3);
    expect(resolveBatchSize(undefined, { OPTIX_BATCH_SIZE: '7', DISAGG_BATCH_SIZE: '9' })).toBe(7);
    expect(resolveBatchSize(undefined, { DISAGG_BATCH_SIZE: '9' })).toBe(9);
    expect(resolveBatchSize(undefined, {})).toBe(DEFAULT_BATCH_SIZE);
    expect(resolveBatchSize('0', {})).toBe(0);
    expect(() => resolveBatchSize('-1', {})).toThrow(/--batch-size: batch size must be an integer >= 0, got '-1'/);
    expect(() => resolveBatchSize(undefined, { OPTIX_BATCH_SIZE: 'x' })).toThrow(/OPTIX_BATCH_SIZE/);
  });
});

describe('BatchManager', () => {
  it('prints the seed 001 banners and submits a batch lazily, on its first test', async () => {
    const log: string[] = [];
    const r = fakeRunner();
    const bm = new BatchManager(cases(12), { batchSize: 5, submit: r.submit, log: (l) => log.push(l) });
    const rule = '='.repeat(70);
    expect(log).toEqual([rule, 'Batch Manager Initialized', 'Batch size: 5 jobs per batch', rule, '', 'Total test configs: 12', 'Total batches: 3']);
    expect(r.submitted).toEqual([]);

    const first = bm.run('case_0');
    await tick();
    // The whole of batch 0 (cases 0-4) is in flight; batch 1 is not.
    expect(r.submitted).toEqual(['case_0', 'case_1', 'case_2', 'case_3', 'case_4']);
    expect(log.slice(7, 11)).toEqual([rule, 'Submitting Batch 0', 'Range: [0:5] (5 jobs)', rule]);
    expect(log).toContain('  [  1/5] Job 1001 <- case_0');
    expect(bm.isSubmitted('case_4')).toBe(true);
    expect(bm.isSubmitted('case_5')).toBe(false);

    // A later test of the same batch only waits on its own job: nothing new is submitted.
    const third = bm.run('case_2');
    r.complete('case_2');
    await expect(third).resolves.toMatchObject({ caseId: 'case_2', ok: true });
    r.complete('case_0');
    await expect(first).resolves.toMatchObject({ caseId: 'case_0' });
    expect(r.submitted).toHaveLength(5);

    void bm.run('case_10');
    await tick();
    expect(log).toContain('Submitting Batch 2');
    expect(log).toContain('Range: [10:12] (2 jobs)');
    expect(r.submitted.slice(5)).toEqual(['case_10', 'case_11']);
    expect(bm.batchOf('case_7')).toBe(1);
    expect(bm.batchMembers(2)).toEqual(['case_10', 'case_11']);
  });

  it('batch size 0 submits every case at once', async () => {
    const log: string[] = [];
    const r = fakeRunner();
    const bm = new BatchManager(cases(7), { batchSize: 0, submit: r.submit, log: (l) => log.push(l) });
    expect(log).toContain('Batch size: all jobs in one batch');
    expect(log).toContain('Total batches: 1');
    void bm.run('case_3');
    await tick();
    expect(r.submitted).toHaveLength(7);
  });

  it('keeps at most maxInFlight cases running', async () => {
    const r = fakeRunner();
    const bm = new BatchManager(cases(6), { batchSize: 6, submit: r.submit, maxInFlight: 2, log: () => {} });
    const all = cases(6).map((c) => bm.run(c.id));
    await tick();
    expect(r.submitted).toEqual(['case_0', 'case_1']);
    for (let i = 0; i < 6; i++) {
      r.complete(`case_${i}`);
      await tick();
      await tick();
    }
    await Promise.all(all);
    expect(r.submitted).toHaveLength(6);
    expect(r.maxRunning()).toBe(2);
  });

  it('a case that cannot be submitted fails alone', async () => {
    const r = fakeRunner();
    const submit = (c: RunnerCase) => (c.id === 'case_1' ? Promise.reject(new Error('bad command: block')) : r.submit(c));
    const bm = new BatchManager(cases(3), { batchSize: 3, submit, log: () => {} });
    const bad = bm.run('case_1');
    await expect(bad).resolves.toEqual({ caseId: 'case_1', ok: false, points: [], error: 'bad command: block' });
    r.complete('case_2');
    await expect(bm.run('case_2')).resolves.toMatchObject({ ok: true });
  });

  it('rejects duplicate and unknown ids', () => {
    const r = fakeRunner();
    expect(() => new BatchManager([...cases(2), ...cases(1)], { batchSize: 2, submit: r.submit, log: () => {} })).toThrow(/duplicate case id 'case_0'/);
    const bm = new BatchManager(cases(2), { batchSize: 2, submit: r.submit, log: () => {} });
    expect(() => bm.batchOf('zzz')).toThrow(/unknown case id 'zzz'/);
  });
});
