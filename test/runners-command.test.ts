import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { OptixUserError } from '../src/errors.js';
import { createCommandRunner } from '../src/runners/command.js';
import type { RunnerCase } from '../src/runners/types.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = join(here, 'fixtures', 'logs');
const root = mkdtempSync(join(tmpdir(), 'optix-cmd-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const runner = createCommandRunner({ killGraceS: 0.5 });

function makeCase(id: string, config: Record<string, unknown>): RunnerCase {
  return { id, file: join(root, 'cases', `${id}.yaml`), config: { runner: 'command', ...config }, outputDir: join(root, 'out') };
}

async function run(id: string, config: Record<string, unknown>) {
  const handle = await runner.submit(makeCase(id, config));
  return handle.wait();
}

/** Running, not a zombie (a container's pid 1 may never reap the killed sleep). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX] /.test(stat);
  } catch {
    return false;
  }
}

describe('command runner', () => {
  it('runs a shell command, captures its output to a log and parses the vLLM block', async () => {
    const r = await run('ok_vllm', {
      command: { run: `echo "backend=$BACKEND"; cat ${join(fixtures, 'vllm-bench-serve.log')}`, env: { BACKEND: 'vllm' } },
    });
    expect(r.error).toBeUndefined();
    expect(r.ok).toBe(true);
    expect(r.logFile).toBe(join(root, 'out', 'ok_vllm.log'));
    expect(readFileSync(r.logFile ?? '', 'utf8')).toMatch(/^backend=vllm\n/);
    expect(r.points.map((p) => [p.concurrency, p.metrics.ttftMs, p.metrics.tpotMs])).toEqual([
      [16, 112.47, 3.89],
      [64, 402.18, 5.63],
    ]);
  });

  it('runs an argv list without a shell, in cwd relative to the YAML file', async () => {
    mkdirSync(join(root, 'cases', 'bench'), { recursive: true });
    writeFileSync(join(root, 'cases', 'bench', 'out.log'), readFileSync(join(fixtures, 'sglang-bench-serving.log')));
    const r = await run('argv', { command: { run: ['cat', 'out.log'], cwd: 'bench' } });
    expect(r.ok).toBe(true);
    expect(r.points[0]?.metrics.outputTokensPerS).toBe(16407.63);
  });

  it('reads metrics from benchmark.metrics.log_file with the seed 001 custom pattern', async () => {
    const r = await run('custom', {
      command: { run: `cp ${join(fixtures, 'custom-disagg.log')} "$OPTIX_OUTPUT_DIR/custom_benchmark.log"; echo copied` },
      benchmark: {
        concurrency_list: '1 8 36',
        metrics: { log_file: 'custom_benchmark.log', extractor_pattern: 'Custom Pattern:\\s+([0-9.]+)', metric_names: ['CUSTOM_METRIC'] },
      },
    });
    expect(r.ok).toBe(true);
    expect(r.logFile).toBe(join(root, 'out', 'custom_benchmark.log'));
    expect(r.points).toEqual([
      { concurrency: 1, metrics: { CUSTOM_METRIC: 48.31 } },
      { concurrency: 8, metrics: { CUSTOM_METRIC: 63.05 } },
      { concurrency: 36, metrics: { CUSTOM_METRIC: 121.8 } },
    ]);
  });

  it('non-zero exit: ok:false with the exit code and the last 20 lines of the log', async () => {
    const r = await run('exit3', { command: { run: 'for i in $(seq 1 30); do echo "line $i"; done; echo boom >&2; exit 3' } });
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/^command exited with code 3\n--- last 20 lines of .*exit3\.log ---\n/);
    // 31 lines written (30 + "boom"): the tail holds lines 12..30 and boom.
    expect(r.error).toContain('line 12\n');
    expect(r.error).not.toContain('line 11\n');
    expect(r.error?.endsWith('line 30\nboom')).toBe(true);
  });

  it('timeout: kills the whole process group and fails with the tail', async () => {
    const pidFile = join(root, 'sleep.pid');
    const t0 = Date.now();
    const r = await run('slow', {
      command: { run: `echo started; sleep 30 & echo $! > ${pidFile}; wait`, timeout_s: 0.5 },
    });
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/^timed out after 0\.5 s\n/);
    expect(r.error).toContain('started');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(alive(pid)).toBe(false);
  });

  it('metric missing: exit 0 but nothing to parse fails the case', async () => {
    const r = await run('nometrics', { command: { run: `cat ${join(fixtures, 'crashed-run.log')}; exit 0` } });
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/^metric not found: no benchmark results/);
    expect(r.error).toContain('ValueError: Initial test run failed');
  });

  it('a required metric the tool did not print fails the case', async () => {
    const r = await run('norequired', {
      command: { run: `cat ${join(fixtures, 'sglang-bench-serving.log')}` },
      benchmark: { metrics: { required: ['tpotMs'] } },
    });
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/^metric not found: point 1 \(concurrency 256\) lacks tpotMs/);
  });

  it('a command that cannot start fails without throwing', async () => {
    const r = await run('nostart', { command: { run: ['/nonexistent/optix-bench'] } });
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/^command failed to start/);
  });

  it('cancel() stops a running command', async () => {
    const handle = await runner.submit(makeCase('cancelme', { command: { run: 'echo waiting; sleep 30' } }));
    await new Promise((res) => setTimeout(res, 200));
    await handle.cancel();
    const r = await handle.wait();
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/^cancelled/);
  });

  it('submit returns at once, so a batch runs side by side', async () => {
    const t0 = Date.now();
    const handles = await Promise.all(
      [1, 2, 3, 4].map((i) =>
        runner.submit(makeCase(`batch${i}`, { command: { run: `sleep 0.6; cat ${join(fixtures, 'trtllm-bench-throughput.log')}` } })),
      ),
    );
    expect(Date.now() - t0).toBeLessThan(500);
    const results = await Promise.all(handles.map((h) => h.wait()));
    // Four 0.6 s jobs in parallel take well under their 2.4 s sum.
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(results.map((r) => [r.caseId, r.ok, r.points[0]?.metrics.requestsPerS])).toEqual([
      ['batch1', true, 86.5373],
      ['batch2', true, 86.5373],
      ['batch3', true, 86.5373],
      ['batch4', true, 86.5373],
    ]);
  });

  it('bad command: block or bad pattern rejects submit with a user error', async () => {
    await expect(runner.submit(makeCase('nocmd', {}))).rejects.toThrow(OptixUserError);
    await expect(runner.submit(makeCase('badrun', { command: { run: 42 } }))).rejects.toThrow(/command\.run must be/);
    await expect(
      runner.submit(
        makeCase('badre', {
          command: { run: 'true' },
          benchmark: { metrics: { extractor_pattern: '([0-9', metric_names: ['X'] } },
        }),
      ),
    ).rejects.toThrow(/not a valid regular expression/);
  });
});
