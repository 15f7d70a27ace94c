import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configDirFromEnv, loadCases } from '../src/loader/index.js';
import { ENGINE_METRIC_NAMES } from '../src/loader/defaults.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'optix-loader-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmp, 'tree-'));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), text);
  }
  return root;
}

const GOOD = `metadata:
  model: Qwen/Qwen3-8B
benchmark:
  streaming: true
  concurrency_list: "1 2"
  input_length: 128
  output_length: 64
hardware:
  device: H100_SXM_80G
worker_config:
  gen:
    tensor_parallel_size: 1
    max_seq_len: 100
`;

describe('ConfigLoader', () => {
  it('discovers every yaml under {test_type}/{category}/ and names tests seed-001 style', () => {
    const root = tree({
      'disagg/perf/b_1k1k.yaml': GOOD,
      'agg/accuracy/a_1k1k.yml': GOOD,
      'agg/perf/notes.txt': 'not a case',
    });
    const cases = loadCases({ configDir: root });
    expect(cases.map((c) => c.id)).toEqual(['agg_accuracy_a_1k1k', 'disagg_perf_b_1k1k']);
    expect(cases[1]).toMatchObject({ testType: 'disagg', category: 'perf', name: 'b_1k1k' });
    expect(cases.every((c) => c.error === undefined)).toBe(true);
  });

  it('maps a path in the object to its line and column', () => {
    const root = tree({ 'agg/perf/x.yaml': GOOD });
    const [c] = loadCases({ configDir: root });
    // "    max_seq_len: 100" is line 13; the value 100 starts at column 18.
    expect(c?.locate(['worker_config', 'gen', 'max_seq_len'])).toEqual({ line: 13, column: 18 });
    // A key that is missing points at the deepest node that exists: the `gen` key on line 11, column 3.
    expect(c?.locate(['worker_config', 'gen', 'max_batch_size'])).toEqual({ line: 11, column: 3 });
    expect(c?.locate(['nope'])).toEqual({ line: 1, column: 1 });
  });

  it('returns a file with a YAML syntax error as a broken case with file:line:col', () => {
    const root = tree({
      'agg/perf/ok.yaml': GOOD,
      // Line 3 opens a flow sequence that never closes.
      'agg/perf/bad.yaml': 'metadata:\n  model: x\nbenchmark: [1, 2\nhardware: {}\n',
    });
    const cases = loadCases({ configDir: root });
    expect(cases).toHaveLength(2);
    const bad = cases.find((c) => c.name === 'bad');
    expect(bad?.config).toBeUndefined();
    expect(bad?.error?.message).toMatch(/^YAML syntax error: /);
    expect(bad?.error?.file).toBe(path.join(root, 'agg/perf/bad.yaml'));
    expect(bad?.error?.line).toBeGreaterThanOrEqual(3);
    expect(bad?.error?.format()).toMatch(new RegExp(`bad\\.yaml:\\d+:\\d+: YAML syntax error`));
  });

  it('rejects a file outside {test_type}/{category}/ and a non-mapping file, without throwing', () => {
    const root = tree({ 'loose.yaml': GOOD, 'agg/perf/list.yaml': '- 1\n- 2\n' });
    const cases = loadCases({ configDir: root });
    expect(cases.find((c) => c.name === 'loose')?.error?.message).toMatch(/not under \{test_type\}\/\{category\}/);
    expect(cases.find((c) => c.name === 'list')?.error?.message).toMatch(/must hold a YAML mapping/);
  });

  it('merges default metrics under the file: engine cases require the engine metrics unless they say otherwise', () => {
    const own = GOOD.replace('  output_length: 64\n', '  output_length: 64\n  metrics:\n    required: [tpotMs]\n');
    const root = tree({ 'agg/perf/default.yaml': GOOD, 'agg/perf/own.yaml': own });
    const [d, o] = loadCases({ configDir: root });
    expect(d?.config?.benchmark.metrics?.required).toEqual([...ENGINE_METRIC_NAMES]);
    expect(o?.config?.benchmark.metrics?.required).toEqual(['tpotMs']);
  });

  it('reads the config root from OPTIX_CONFIG_DIR, else test_configs', () => {
    expect(configDirFromEnv({ OPTIX_CONFIG_DIR: '/x/y' })).toBe('/x/y');
    expect(configDirFromEnv({})).toBe('test_configs');
    expect(configDirFromEnv({ OPTIX_CONFIG_DIR: ' ' })).toBe('test_configs');
  });
});
