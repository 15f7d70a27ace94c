/**
 * SLURM runner against a real cluster. CI starts a one-node cluster with
 * `scripts/slurm-local.sh start`; without a working `sinfo` the cluster tests are skipped with the
 * reason printed. The batch-script tests need no cluster and always run.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, execaSync } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { OptixUserError } from '../src/errors.js';
import { readCommandSpec, readSlurmSpec } from '../src/runners/case-config.js';
import { buildBatchScript } from '../src/runners/slurm-script.js';
import { createSlurmRunner } from '../src/runners/slurm.js';
import type { RunnerCase } from '../src/runners/types.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..');
const fixtures = join(here, 'fixtures', 'logs');
const vllmLog = join(fixtures, 'vllm-bench-serve.log');

describe('batch script', () => {
  const c: RunnerCase = {
    id: 'disagg_perf_deepseek-r1-fp4_1k1k',
    file: '/cases/disagg/perf/x.yaml',
    outputDir: '/out',
    config: {
      runner: 'slurm',
      command: { run: ['python3', 'bench.py', '--name', "it's"], env: { MODEL: 'deepseek r1' }, cwd: 'work' },
      slurm: {
        partition: '<partition>',
        account: 'llm',
        job_time: '02:00:00',
        nodes: 2,
        extra_args: ['--exclusive', '--qos=high'],
        container_image: 'nvcr.io/nvidia/tensorrt-llm/release:1.0',
        container_mounts: '/lustre:/lustre',
      },
      hardware: { gpus_per_node: 4 },
    },
  };
  const script = buildBatchScript({
    caseId: c.id,
    caseFile: c.file,
    outputDir: c.outputDir,
    logPattern: '/out/x.slurm-%j.log',
    command: readCommandSpec(c),
    slurm: readSlurmSpec(c),
    defaults: { partition: 'batch' },
  });

  it('has the #SBATCH lines of the slurm block, a placeholder partition replaced by the site default', () => {
    expect(script.split('\n').filter((l) => l.startsWith('#SBATCH'))).toEqual([
      '#SBATCH --job-name=disagg_perf_deepseek-r1-fp4_1k1k',
      '#SBATCH --output=/out/x.slurm-%j.log',
      '#SBATCH --partition=batch',
      '#SBATCH --account=llm',
      '#SBATCH --time=02:00:00',
      '#SBATCH --nodes=2',
      '#SBATCH --gpus-per-node=4',
      '#SBATCH --exclusive',
      '#SBATCH --qos=high',
    ]);
  });

  it('exports env, enters cwd (relative to the YAML) and runs the argv in the container via srun', () => {
    expect(script).toContain("export MODEL='deepseek r1'\n");
    expect(script).toContain('cd /cases/disagg/perf/work || exit 1\n');
    expect(script).toMatch(
      /\nsrun --container-image=nvcr\.io\/nvidia\/tensorrt-llm\/release:1\.0 --container-mounts=\/lustre:\/lustre bash -c '.*\n$/,
    );
  });

  it('the quoted command survives both shells: the job step sees the original argv', async () => {
    const line = script.split('\n').find((l) => l.startsWith('srun ')) ?? '';
    const inner = line.replace(/^srun .* bash -c /, '');
    // What srun's `bash -c` receives ...
    const text = (await execa('bash', ['-c', `printf '%s' ${inner}`])).stdout;
    expect(text).toBe("python3 bench.py --name 'it'\\''s'");
    // ... and the words that bash then runs.
    const words = (await execa('bash', ['-c', `printf '%s\\n' ${text}`])).stdout.split('\n');
    expect(words).toEqual(['python3', 'bench.py', '--name', "it's"]);
  });
});

function clusterProblem(): string | undefined {
  try {
    const r = execaSync('sinfo', ['-h', '-o', '%T'], { reject: false, timeout: 10_000 });
    if (r.failed) return `sinfo failed: ${(r.stderr || r.shortMessage || '').toString().trim().split('\n')[0]}`;
    const states = r.stdout.toString().split('\n').map((s) => s.trim());
    if (!states.some((s) => /^(idle|mixed|allocated)/.test(s))) return `no usable node (sinfo: ${states.join(',') || 'empty'})`;
    return undefined;
  } catch (e) {
    return `sinfo not runnable: ${(e as Error).message.split('\n')[0]}`;
  }
}

const problem = clusterProblem();
if (problem) console.log(`test/slurm.test.ts: skipping SLURM cluster tests: ${problem} (start one with scripts/slurm-local.sh start)`);

const cli = join(repo, 'dist', 'src', 'cli', 'main.js');
const estimateArgs = ['estimate', 'Qwen/Qwen3-32B', '--device', 'H100_SXM_80G', '--tp-size', '4', '--concurrency', '32', '--input-length', '1024', '--output-length', '1024', '--json'];
function estimateProblem(): string | undefined {
  if (!existsSync(cli)) return `${cli} not built`;
  const r = execaSync('node', [cli, ...estimateArgs], { reject: false, timeout: 30_000 });
  if (r.failed) return `optix estimate fails here: ${(r.stderr || r.stdout || '').toString().trim().split('\n')[0]}`;
  return undefined;
}

(problem ? describe.skip : describe)('SLURM runner on a real cluster', () => {
  // Not made when the suite is skipped (its hooks would not run to remove it).
  const root = problem ? '' : mkdtempSync(join(tmpdir(), 'optix-slurm-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const runner = createSlurmRunner({ pollIntervalS: 0.5, env: {}, logWaitS: 5 });
  const makeCase = (id: string, config: Record<string, unknown>): RunnerCase => ({
    id,
    file: join(root, `${id}.yaml`),
    outputDir: join(root, 'out'),
    config: { runner: 'slurm', ...config },
  });
  // A placeholder partition leaves the choice to the cluster's default partition.
  const slurmBlock = { partition: '<partition>', job_time: '00:05:00', nodes: 1 };
  let firstJobId = '';

  it('runs a job that prints a benchmark log and parses its metrics', async () => {
    const c = makeCase('agg_perf_vllm_ok', { command: { run: `echo "on $(hostname -s) as job $SLURM_JOB_ID"; cat ${vllmLog}` }, slurm: slurmBlock });
    const handle = await runner.submit(c);
    expect(handle.jobId).toMatch(/^\d+$/);
    const r = await handle.wait();
    expect(r.error).toBeUndefined();
    expect(r).toMatchObject({ ok: true, state: 'COMPLETED', jobId: handle.jobId });
    expect(r.logFile).toBe(join(root, 'out', `agg_perf_vllm_ok.slurm-${handle.jobId}.log`));
    expect(readFileSync(r.logFile ?? '', 'utf8')).toContain(`as job ${handle.jobId}`);
    expect(r.points.map((p) => [p.concurrency, p.metrics.ttftMs, p.metrics.outputTokensPerS])).toEqual([
      [16, 112.47, 3997.66],
      [64, 402.18, 10564.87],
    ]);
    firstJobId = handle.jobId ?? '';
  });

  it('DEBUG_MODE=1 + DEBUG_JOB_ID parses that job\'s existing log without submitting', async () => {
    expect(firstJobId).not.toBe('');
    const debug = createSlurmRunner({ pollIntervalS: 0.5, env: { DEBUG_MODE: '1', DEBUG_JOB_ID: firstJobId } });
    // The command would fail if it ran; in debug mode it never does.
    const c = makeCase('agg_perf_vllm_ok', { command: { run: 'exit 99' }, slurm: slurmBlock });
    const handle = await debug.submit(c);
    expect(handle.jobId).toBe(firstJobId);
    const r = await handle.wait();
    expect(r.ok).toBe(true);
    expect(r.points[1]?.metrics.p99TtftMs).toBe(1210.07);
    expect(existsSync(join(root, 'out', 'agg_perf_vllm_ok.slurm-99.log'))).toBe(false);

    const noId = createSlurmRunner({ env: { DEBUG_MODE: '1' } });
    await expect(noId.submit(c)).rejects.toThrow(OptixUserError);
    const missing = createSlurmRunner({ env: { DEBUG_MODE: '1', DEBUG_JOB_ID: '999999' } });
    const m = await (await missing.submit(c)).wait();
    expect(m.ok).toBe(false);
    expect(m.error).toMatch(/does not exist/);
  });

  it('a failing job gives ok:false with its state, exit code and log tail', async () => {
    const r = await (await runner.submit(makeCase('failing', { command: { run: 'echo about to fail; exit 7' }, slurm: slurmBlock }))).wait();
    expect(r.ok).toBe(false);
    expect(r.state).toBe('FAILED');
    expect(r.error).toMatch(/^job \d+ ended FAILED \(exit code 7:0\)\n--- last 20 lines of /);
    expect(r.error).toContain('about to fail');
  });

  it('a job past its timeout is cancelled with scancel', async () => {
    const t0 = Date.now();
    const handle = await runner.submit(
      makeCase('too_slow', { command: { run: 'echo started; sleep 120' }, slurm: { ...slurmBlock, timeout_s: 2 } }),
    );
    const r = await handle.wait();
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/^job \d+ timed out after 2 s \(optix per-job limit\); cancelled with scancel/);
    let state = '';
    for (let i = 0; i < 20 && state !== 'CANCELLED'; i++) {
      const s = await execa('scontrol', ['show', 'job', handle.jobId ?? ''], { reject: false });
      state = /JobState=(\S+)/.exec(s.stdout)?.[1] ?? '';
      if (state !== 'CANCELLED') await new Promise((res) => setTimeout(res, 250));
    }
    expect(state).toBe('CANCELLED');
  });

  it('cancel() scancels a running job and its result says so', async () => {
    const handle = await runner.submit(makeCase('cancel_me', { command: { run: 'echo waiting; sleep 120' }, slurm: slurmBlock }));
    // Cancel only once the job runs and has written to its log (a fixed sleep raced the scheduler).
    const log = join(root, 'out', `cancel_me.slurm-${handle.jobId}.log`);
    for (let i = 0; i < 100 && !(existsSync(log) && readFileSync(log, 'utf8').includes('waiting')); i++) {
      await new Promise((res) => setTimeout(res, 100));
    }
    expect(readFileSync(log, 'utf8')).toContain('waiting');
    await handle.cancel();
    const r = await handle.wait();
    expect(r.ok).toBe(false);
    expect(r.state).toBe('CANCELLED');
    expect(r.error).toMatch(/^job \d+ cancelled\n/);
  });

  it('a batch is in the queue at once, and each job gets its own result', async () => {
    const cases = [1, 2, 3].map((i) => makeCase(`batch_${i}`, { command: { run: `sleep 2; cat ${vllmLog}` }, slurm: slurmBlock }));
    cases.push(
      makeCase('batch_custom', {
        command: { run: `sleep 2; cp ${join(fixtures, 'custom-disagg.log')} "$OPTIX_OUTPUT_DIR/custom_$SLURM_JOB_ID.log"` },
        slurm: slurmBlock,
        benchmark: {
          concurrency_list: [1, 8, 36],
          metrics: { log_file: 'custom_%j.log', extractor_pattern: 'Custom Pattern:\\s+([0-9.]+)', metric_names: ['CUSTOM_METRIC'] },
        },
      }),
    );
    const handles = await Promise.all(cases.map((c) => runner.submit(c)));
    const ids = handles.map((h) => h.jobId ?? '');
    const q = await execa('squeue', ['-h', '-t', 'all', '-o', '%i %T', '-j', ids.join(',')]);
    const queued = q.stdout.split('\n').filter((l) => /\s(PENDING|CONFIGURING|RUNNING)$/.test(l.trim()));
    expect(queued).toHaveLength(4);

    const results = await Promise.all(handles.map((h) => h.wait()));
    expect(results.map((r) => [r.caseId, r.ok, r.jobId])).toEqual(cases.map((c, i) => [c.id, true, ids[i]]));
    expect(results[0]?.points[0]?.metrics.tpotMs).toBe(3.89);
    expect(results[3]?.points.map((p) => [p.concurrency, p.metrics.CUSTOM_METRIC])).toEqual([
      [1, 48.31],
      [8, 63.05],
      [36, 121.8],
    ]);
  }, 30_000);

  const noEstimate = problem ? 'no cluster' : estimateProblem();
  if (noEstimate && !problem) console.log(`test/slurm.test.ts: skipping the optix-estimate job: ${noEstimate}`);
  it.skipIf(noEstimate !== undefined)('runs `optix estimate --json` as a job and parses its point', async () => {
    const direct = JSON.parse((await execa('node', [cli, ...estimateArgs])).stdout) as { point: { ttftMs: number; tpotMs: number; tokensPerS: number } };
    const run = ['node', cli, ...estimateArgs];
    const r = await (await runner.submit(makeCase('optix_estimate', { command: { run, cwd: repo }, slurm: slurmBlock }))).wait();
    expect(r.error).toBeUndefined();
    expect(r.points).toHaveLength(1);
    expect(r.points[0]?.concurrency).toBe(32);
    expect(r.points[0]?.metrics).toMatchObject({
      ttftMs: direct.point.ttftMs,
      tpotMs: direct.point.tpotMs,
      tokensPerS: direct.point.tokensPerS,
    });
  });
});
