/**
 * End-to-end: real Vitest runs of benchmarks.test.ts over temporary config trees
 * (OPTIX_CONFIG_DIR), the way CI runs the harness.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { parse } from 'csv-parse/sync';
import { afterAll, describe, expect, it } from 'vitest';

const REPO = path.resolve(import.meta.dirname, '..');
const VITEST = path.join(REPO, 'node_modules/vitest/vitest.mjs');

interface TestReport {
  status: string;
  failureMessages: string[];
}

interface HarnessRun {
  exitCode: number;
  output: string;
  tests: Map<string, TestReport>;
  csv: string;
}

function caseYaml(opts: { gpus?: string; expect?: string; runner?: string; concurrency?: string } = {}): string {
  return `# yaml-language-server: $schema=../../../schemas/case.schema.json
metadata:
  model: Qwen/Qwen3-8B
  precision: fp8
  supported_gpus: [${opts.gpus ?? 'H100_SXM_80G'}]
${opts.runner !== undefined ? `runner: ${opts.runner}\ncommand: { run: "true" }\n` : ''}benchmark:
  streaming: true
  concurrency_list: "${opts.concurrency ?? '1 4'}"
  input_length: 128
  output_length: 64
hardware:
  device: H100_SXM_80G
  gpus_per_node: 8
worker_config:
  gen:
    tensor_parallel_size: 1
    max_batch_size: 8
    max_num_tokens: 2048
    max_seq_len: 256
${opts.expect ?? ''}`;
}

// Every config tree, and what the harness writes beside it (<tree>-out, <tree>-list.txt), lives
// under one directory removed after the file's tests.
const tmp = mkdtempSync(path.join(os.tmpdir(), 'optix-harness-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmp, 'cases-'));
  for (const [rel, text] of Object.entries(files)) writeCase(root, rel, text);
  return root;
}

function writeCase(root: string, rel: string, text: string): void {
  mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  writeFileSync(path.join(root, rel), text);
}

async function runHarness(configDir: string, env: Record<string, string> = {}, args: string[] = []): Promise<HarnessRun> {
  const out = path.join(configDir, '..', `${path.basename(configDir)}-out`);
  const json = path.join(out, `report-${Math.random().toString(36).slice(2)}.json`);
  mkdirSync(out, { recursive: true });
  // The outer Vitest's own variables would make the inner run think it is a worker.
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST') && k !== 'GPU_TYPE' && !k.startsWith('OPTIX_')));
  const r = await execa('node', [VITEST, 'run', 'benchmarks.test.ts', '--reporter=default', '--reporter=json', `--outputFile.json=${json}`, ...args], {
    cwd: REPO,
    env: { ...base, OPTIX_CONFIG_DIR: configDir, OUTPUT_PATH: out, OPTIX_BATCH_SIZE: '5', ...env },
    extendEnv: false,
    reject: false,
    all: true,
  });
  const report = JSON.parse(readFileSync(json, 'utf8')) as {
    testResults: Array<{ assertionResults: Array<{ title: string; status: string; failureMessages: string[] }> }>;
  };
  const tests = new Map<string, TestReport>();
  for (const f of report.testResults) for (const a of f.assertionResults) tests.set(a.title, { status: a.status, failureMessages: a.failureMessages });
  let csv = '';
  try {
    csv = readFileSync(path.join(out, 'perf_script_test_results.csv'), 'utf8');
  } catch {
    // No rows written (every case skipped or broken before a flush).
  }
  return { exitCode: r.exitCode ?? -1, output: r.all ?? '', tests, csv };
}

const statuses = (r: HarnessRun) => Object.fromEntries([...r.tests].map(([k, v]) => [k, v.status]));

describe('benchmarks.test.ts over temporary config trees', () => {
  it('a newly added file becomes a test with no code change', async () => {
    const root = tree({ 'agg/perf/qwen3-8b_128x64_tp1_bs8.yaml': caseYaml() });
    const first = await runHarness(root);
    expect(statuses(first)).toEqual({ 'agg_perf_qwen3-8b_128x64_tp1_bs8': 'passed' });
    expect(first.exitCode).toBe(0);
    expect(first.output).toContain('Batch Manager Initialized');
    expect(first.output).toContain('Submitting Batch 0');

    writeCase(root, 'disagg/accuracy/qwen3-8b_128x64_ctx1_gen1_tp1.yaml', caseYaml().replace('  gpus_per_node: 8\n', '  gpus_per_node: 8\n  num_ctx_servers: 1\n  num_gen_servers: 1\n').replace('worker_config:\n', 'worker_config:\n  ctx:\n    tensor_parallel_size: 1\n'));
    const second = await runHarness(root);
    expect(statuses(second)).toEqual({
      'agg_perf_qwen3-8b_128x64_tp1_bs8': 'passed',
      'disagg_accuracy_qwen3-8b_128x64_ctx1_gen1_tp1': 'passed',
    });
    // Two runs appended to one CSV: 2 rows, then 4 more; one header.
    const rows = parse(second.csv, { columns: true }) as Array<Record<string, string>>;
    expect(rows).toHaveLength(6);
    expect(new Set(rows.map((r) => r.run_id)).size).toBe(2);
    expect(rows.filter((r) => r.case_id === 'disagg_accuracy_qwen3-8b_128x64_ctx1_gen1_tp1').map((r) => r.serving_mode)).toEqual(['disagg', 'disagg']);
  }, 60_000);

  it('a broken file (YAML syntax or schema) fails its own test with file:line:col and the others still run', async () => {
    const root = tree({
      'agg/perf/good.yaml': caseYaml(),
      // Line 3 opens a flow mapping that never closes.
      'agg/perf/syntax.yaml': 'metadata:\n  model: Qwen/Qwen3-8B\nbenchmark: { streaming: true\nhardware: {}\n',
      // input_length is a string (line 9 of the generated case).
      'agg/perf/schema.yaml': caseYaml().replace('input_length: 128', 'input_length: "128"'),
    });
    const r = await runHarness(root);
    expect(statuses(r)).toEqual({ agg_perf_good: 'passed', agg_perf_syntax: 'failed', agg_perf_schema: 'failed' });
    expect(r.exitCode).toBe(1);
    const syntax = r.tests.get('agg_perf_syntax')?.failureMessages.join('\n') ?? '';
    expect(syntax).toMatch(new RegExp(`${path.join(root, 'agg/perf/syntax.yaml').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+:\\d+: YAML syntax error`));
    const schema = r.tests.get('agg_perf_schema')?.failureMessages.join('\n') ?? '';
    expect(schema).toContain(`${path.join(root, 'agg/perf/schema.yaml')}:9:17: benchmark.input_length: must be integer, got "128" (expected type: integer)`);
    // The broken cases are in the CSV too, with their errors.
    const rows = parse(r.csv, { columns: true }) as Array<Record<string, string>>;
    expect(rows.find((x) => x.case_id === 'agg_perf_schema')).toMatchObject({ ok: 'false', error: expect.stringContaining('must be integer') });
  }, 60_000);

  it('a test list selects a subset by id and glob, and reports ids it does not know', async () => {
    const root = tree({
      'agg/perf/a.yaml': caseYaml(),
      'agg/perf/b.yaml': caseYaml(),
      'disagg/perf/c.yaml': caseYaml().replace('  gpus_per_node: 8\n', '  gpus_per_node: 8\n  num_ctx_servers: 1\n').replace('worker_config:\n', 'worker_config:\n  ctx: { tensor_parallel_size: 1 }\n'),
    });
    const list = path.join(root, '..', `${path.basename(root)}-list.txt`);
    writeFileSync(list, '# smoke\nagg_perf_a\nnope_perf_x   # stale\ndisagg_*\n');
    const r = await runHarness(root, { OPTIX_TEST_LIST: list });
    const title = `testlist: unknown ids in ${list}`;
    expect(statuses(r)).toEqual({ agg_perf_a: 'passed', disagg_perf_c: 'passed', [title]: 'failed' });
    expect(r.tests.get(title)?.failureMessages.join('\n')).toContain(`${list}:3: 'nope_perf_x' matches no test case`);
  }, 60_000);

  it('GPU_TYPE skips cases whose supported_gpus lack it; hardware runners default to GB200', async () => {
    const root = tree({
      'agg/perf/h100.yaml': caseYaml(),
      'agg/perf/b200.yaml': caseYaml({ gpus: 'B200_SXM_180G, H100_SXM_80G' }),
      'agg/perf/cmd.yaml': caseYaml({ runner: 'command' }),
    });
    const filtered = await runHarness(root, { GPU_TYPE: 'B200_SXM_180G' });
    expect(statuses(filtered)).toEqual({ agg_perf_h100: 'skipped', agg_perf_b200: 'passed', agg_perf_cmd: 'skipped' });
    expect(filtered.output).toContain('[skip] agg_perf_h100: GPU_TYPE=B200_SXM_180G not in supported_gpus [H100_SXM_80G]');
    expect(filtered.exitCode).toBe(0);

    // No GPU_TYPE: engine cases run anywhere; the command case is held to the seed's GB200 default.
    const open = await runHarness(root);
    expect(statuses(open)).toMatchObject({ agg_perf_h100: 'passed', agg_perf_b200: 'passed', agg_perf_cmd: 'skipped' });
    expect(open.output).toContain('[skip] agg_perf_cmd: GPU_TYPE (default for hardware runners)=GB200 not in supported_gpus [H100_SXM_80G]');
  }, 60_000);

  it('a violated expectation fails with predicted vs expected and the relative change at the bound\'s line', async () => {
    const root = tree({
      'agg/perf/slow.yaml': caseYaml({ expect: 'expect:\n  tpotMs: { max: 0.001 }\n  concurrency:\n    4:\n      tokensPerS: { baseline: 1000000, tolerance_pct: 10 }\n' }),
      'agg/perf/fine.yaml': caseYaml({ expect: 'expect:\n  tpotMs: { max: 1000 }\n' }),
    });
    const r = await runHarness(root, {}, ['-t', 'agg_perf']);
    expect(statuses(r)).toEqual({ agg_perf_slow: 'failed', agg_perf_fine: 'passed' });
    const msg = r.tests.get('agg_perf_slow')?.failureMessages.join('\n') ?? '';
    const file = path.join(root, 'agg/perf/slow.yaml');
    // The case has 19 lines before expect:, so tpotMs is on line 21 and the concurrency-4 bound on line 24.
    expect(msg).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:21:3: tpotMs at concurrency 1: predicted [0-9.]+ > expected max 0\\.00100 \\(\\+[0-9.]+%\\)`));
    expect(msg).toMatch(/:21:3: tpotMs at concurrency 4: predicted [0-9.]+ > expected max/);
    expect(msg).toMatch(/:24:7: tokensPerS at concurrency 4: predicted [0-9.]+ vs expected 1000000\.0 ± 10% \(-[0-9.]+%; allowed 900000\.0\.\.1100000\.0\)/);
    // The rows are still recorded as good runs: an expectation is a test verdict, not a run failure.
    const rows = parse(r.csv, { columns: true }) as Array<Record<string, string>>;
    expect(rows.filter((x) => x.case_id === 'agg_perf_slow').map((x) => x.ok)).toEqual(['true', 'true']);
  }, 60_000);

  it('-t selects one describe block, and only the selected cases are batched', async () => {
    const root = tree({
      'agg/perf/a.yaml': caseYaml(),
      'agg/accuracy/b.yaml': caseYaml(),
      'disagg/perf/c.yaml': caseYaml().replace('  gpus_per_node: 8\n', '  gpus_per_node: 8\n  num_ctx_servers: 1\n').replace('worker_config:\n', 'worker_config:\n  ctx: { tensor_parallel_size: 1 }\n'),
    });
    const r = await runHarness(root, {}, ['-t', 'accuracy']);
    expect(statuses(r)).toEqual({ agg_perf_a: 'skipped', agg_accuracy_b: 'passed', disagg_perf_c: 'skipped' });
    expect(r.output).toContain('Total test configs: 1');
  }, 60_000);

  it('two harness processes writing one CSV lose no row and write one header', async () => {
    const files = (prefix: string) =>
      Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`agg/perf/${prefix}${i}.yaml`, caseYaml({ concurrency: '1 2 4' })]));
    const a = tree(files('a'));
    const b = tree(files('b'));
    const out = mkdtempSync(path.join(tmp, 'shared-out-'));
    const [ra, rb] = await Promise.all([
      runHarness(a, { OUTPUT_PATH: out, OPTIX_BATCH_SIZE: '1', OPTIX_RUN_ID: 'worker-a' }),
      runHarness(b, { OUTPUT_PATH: out, OPTIX_BATCH_SIZE: '1', OPTIX_RUN_ID: 'worker-b' }),
    ]);
    expect([ra.exitCode, rb.exitCode]).toEqual([0, 0]);
    const text = readFileSync(path.join(out, 'perf_script_test_results.csv'), 'utf8');
    expect(text.split('\n').filter((l) => l.startsWith('run_id,'))).toHaveLength(1);
    const rows = parse(text, { columns: true }) as Array<Record<string, string>>;
    // 2 processes x 6 cases x 3 concurrency points, flushed one batch (one case) at a time.
    expect(rows).toHaveLength(36);
    for (const [run, prefix] of [['worker-a', 'a'], ['worker-b', 'b']] as const) {
      const mine = rows.filter((r) => r.run_id === run);
      expect(mine).toHaveLength(18);
      expect(new Set(mine.map((r) => `${r.case_id}@${r.concurrency}`)).size).toBe(18);
      expect(mine.every((r) => (r.case_id ?? "").startsWith(`agg_perf_${prefix}`) && r.ok === 'true')).toBe(true);
    }
  }, 60_000);
});
