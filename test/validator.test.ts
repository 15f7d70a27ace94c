import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OptixUserError } from '../src/errors.js';
import type { DeviceProfile, ModelSpec } from '../src/engine/types.js';
import { loadCaseFile } from '../src/loader/index.js';
import { validateCase, type ValidatorContext } from '../src/validator/index.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'optix-validator-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
function load(text: string, dir = 'agg/perf') {
  const file = path.join(root, dir, `case${n++}.yaml`);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return loadCaseFile(file, root);
}

// Only the fields the rules read; the engine is never called here.
const dense = { id: 'fake/dense', attention: { kind: 'gqa', numHeads: 40, numKvHeads: 8 }, numLayers: 64 } as unknown as ModelSpec;
const moe = { id: 'fake/moe', attention: { kind: 'gqa', numHeads: 32, numKvHeads: 4 }, numLayers: 48, moe: { numExperts: 128 } } as unknown as ModelSpec;
const device = { name: 'FAKE_GPU', commGrid: [{ devices: 8 }, { devices: 16 }] } as unknown as DeviceProfile;
const ctx: ValidatorContext = {
  resolveModel: (id) => {
    if (id === 'fake/dense') return dense;
    if (id === 'fake/moe') return moe;
    throw new OptixUserError(`unknown model '${id}'`, { hint: 'valid: fake/dense, fake/moe' });
  },
  loadDevice: (name) => {
    if (name === 'FAKE_GPU') return device;
    throw new OptixUserError(`unknown device '${name}'`, { hint: 'valid: FAKE_GPU' });
  },
};

function agg(gen: string, opts: { model?: string; extra?: string; bench?: string } = {}): string {
  return `metadata:
  model: ${opts.model ?? 'fake/dense'}
benchmark:
  streaming: true
  concurrency_list: "1 4"
  input_length: 1000
  output_length: 1000
${opts.bench ?? ''}hardware:
  device: FAKE_GPU
  gpus_per_node: 8
worker_config:
  gen:
${gen}${opts.extra ?? ''}`;
}

const messages = (errs: OptixUserError[]) => errs.map((e) => e.format());

describe('ConfigValidator: schema', () => {
  it('accepts a good case', () => {
    expect(validateCase(load(agg('    tensor_parallel_size: 4\n    max_seq_len: 2048\n')), ctx)).toEqual([]);
  });

  it('names an unknown key at its line with the valid keys', () => {
    const errs = validateCase(load(agg('    tensor_parallel_size: 4\n', { extra: 'benchmarks: {}\n' })), ctx);
    expect(errs).toHaveLength(1);
    // benchmarks: is the 14th line.
    expect(errs[0]?.line).toBe(14);
    expect(errs[0]?.format()).toMatch(/case\d+\.yaml:14:1: \(top level\): unknown key 'benchmarks' \(valid keys: metadata, runner, benchmark, /);
  });

  it('reports a wrong type and a missing key at file:line:column', () => {
    const text = agg('    tensor_parallel_size: four\n').replace('  input_length: 1000\n', '');
    const errs = messages(validateCase(load(text), ctx));
    expect(errs.some((m) => /:12:27: worker_config\.gen\.tensor_parallel_size: must be integer, got "four"/.test(m))).toBe(true);
    expect(errs.some((m) => /:3:1: benchmark: missing required key 'input_length' \(add 'input_length:' under benchmark\)/.test(m))).toBe(true);
  });

  it('benchmark.serving_engine takes the scheduler models by name', () => {
    expect(validateCase(load(agg('    tensor_parallel_size: 4\n', { bench: '  serving_engine: sglang\n' })), ctx)).toEqual([]);
    const errs = messages(validateCase(load(agg('    tensor_parallel_size: 4\n', { bench: '  serving_engine: tgi\n' })), ctx));
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatch(/case\d+\.yaml:8:\d+: benchmark\.serving_engine: .*generic.*vllm.*sglang.*trtllm/);
  });

  it('benchmark.request_lengths is varied or fixed', () => {
    expect(validateCase(load(agg('    tensor_parallel_size: 4\n', { bench: '  request_lengths: fixed\n' })), ctx)).toEqual([]);
    const errs = messages(validateCase(load(agg('    tensor_parallel_size: 4\n', { bench: '  request_lengths: uniform\n' })), ctx));
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatch(/case\d+\.yaml:8:\d+: benchmark\.request_lengths: .*varied.*fixed/);
  });

  it("worker_config's attention_dp_config takes TensorRT-LLM's keys, iteration counts >= 0", () => {
    expect(validateCase(load(agg('    tensor_parallel_size: 4\n    attention_dp_config: { enable_balance: true, timeout_iters: 60, batching_wait_iters: 0 }\n')), ctx)).toEqual([]);
    const errs = messages(validateCase(load(agg('    tensor_parallel_size: 4\n    attention_dp_config: { enable_balance: true, timeout_iters: -1 }\n')), ctx));
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatch(/case\d+\.yaml:14:65: worker_config\.gen\.attention_dp_config\.timeout_iters: must be >= 0/);
  });

  it('serving_engine and request_lengths with scheduling: seed are refused, not ignored', () => {
    const errs = messages(validateCase(load(agg('    tensor_parallel_size: 4\n', { bench: '  scheduling: seed\n  request_lengths: fixed\n' })), ctx));
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatch(/case\d+\.yaml:9:\d+: benchmark\.request_lengths has no effect with scheduling: seed .*drop 'scheduling: seed'/);
  });

  it('explains a malformed concurrency_list once, not once per oneOf branch', () => {
    const errs = validateCase(load(agg('    tensor_parallel_size: 4\n').replace('"1 4"', '"1 two"')), ctx);
    expect(messages(errs)).toEqual([expect.stringMatching(/:5:21: benchmark\.concurrency_list: must be a string of positive integers/)]);
  });
});

describe('ConfigValidator: seed 001 rules', () => {
  it('gen max_num_tokens must equal max_batch_size x (mtp_size + 1) with MTP on', () => {
    const text = `metadata:
  model: fake/dense
benchmark:
  streaming: true
  concurrency_list: [8]
  input_length: 100
  output_length: 100
hardware:
  device: FAKE_GPU
  num_ctx_servers: 1
  num_gen_servers: 1
worker_config:
  gen:
    tensor_parallel_size: 4
    max_batch_size: 32
    max_num_tokens: 64
    speculative_config: { decoding_type: MTP, num_nextn_predict_layers: 3 }
  ctx:
    tensor_parallel_size: 4
`;
    const errs = validateCase(load(text, 'disagg/perf'), ctx);
    // 32 x (3 + 1) = 128; max_num_tokens: 64 sits on line 16, value at column 21.
    expect(messages(errs)).toEqual([
      expect.stringMatching(/:16:21: worker_config\.gen\.max_num_tokens 64 must equal max_batch_size x \(mtp_size \+ 1\) = 32 x 4 = 128 \(set max_num_tokens: 128\)$/),
    ]);
    expect(validateCase(load(text.replace('max_num_tokens: 64', 'max_num_tokens: 128'), 'disagg/perf'), ctx)).toEqual([]);
  });

  it('streaming must be true', () => {
    const errs = messages(validateCase(load(agg('    tensor_parallel_size: 4\n').replace('streaming: true', 'streaming: false')), ctx));
    expect(errs).toEqual([expect.stringMatching(/:4:14: benchmark\.streaming must be true \(got false\)/)]);
  });

  it('ctx and gen max_seq_len must exceed input_length + output_length', () => {
    // 1000 + 1000 = 2000: 2000 fails (not >), 2001 passes.
    const errs = messages(validateCase(load(agg('    tensor_parallel_size: 4\n    max_seq_len: 2000\n')), ctx));
    expect(errs).toEqual([expect.stringMatching(/worker_config\.gen\.max_seq_len 2000 must be > input_length \+ output_length = 2000 \(set max_seq_len to at least 2001\)/)]);
    expect(validateCase(load(agg('    tensor_parallel_size: 4\n    max_seq_len: 2001\n')), ctx)).toEqual([]);
  });
});

describe('ConfigValidator: hardware and model fit', () => {
  it('tp must divide the attention heads', () => {
    // 40 heads: divisors 1, 2, 4, 5, 8, 10, 20, 40; 16 is not one.
    const errs = messages(validateCase(load(agg('    tensor_parallel_size: 16\n')), ctx));
    expect(errs).toContainEqual(expect.stringMatching(/attention tp 16 does not divide fake\/dense's 40 attention heads \(valid tp: 1, 2, 4, 5, 8, 10, 20, 40\)/));
  });

  it('ep must divide the experts and the stage; a dense model takes no ep', () => {
    const bad = messages(validateCase(load(agg('    tensor_parallel_size: 8\n    moe_expert_parallel_size: 3\n', { model: 'fake/moe' })), ctx));
    expect(bad).toContainEqual(expect.stringMatching(/moe_expert_parallel_size 3 does not divide the 8 devices of a pipeline stage/));
    expect(bad).toContainEqual(expect.stringMatching(/moe_expert_parallel_size 3 does not divide fake\/moe's 128 experts/));
    expect(validateCase(load(agg('    tensor_parallel_size: 8\n    moe_expert_parallel_size: 8\n', { model: 'fake/moe' })), ctx)).toEqual([]);
    const dense = messages(validateCase(load(agg('    tensor_parallel_size: 4\n    moe_expert_parallel_size: 2\n')), ctx));
    expect(dense).toContainEqual(expect.stringMatching(/fake\/dense is dense; moe_expert_parallel_size must be 1/));
  });

  it('the devices must fit the system and fill whole nodes', () => {
    // attention_dp_size 4 x tp 5 = 20 devices: more than the grid's 16, and not a multiple of 8 per node.
    const errs = messages(validateCase(load(agg('    tensor_parallel_size: 5\n    attention_dp_size: 4\n')), ctx));
    expect(errs).toContainEqual(expect.stringMatching(/the case needs 20 devices but a FAKE_GPU system has at most 16/));
    expect(errs).toContainEqual(expect.stringMatching(/spans 20 devices, which does not fill whole nodes of gpus_per_node 8/));
  });

  it('model and device must be known, with the lookup\'s hint', () => {
    const errs = messages(validateCase(load(agg('    tensor_parallel_size: 4\n', { model: 'nope/x' }).replace('device: FAKE_GPU', 'device: H999')), ctx));
    expect(errs).toContainEqual(expect.stringMatching(/:2:10: unknown model 'nope\/x' \(valid: fake\/dense, fake\/moe\)/));
    expect(errs).toContainEqual(expect.stringMatching(/:9:11: unknown device 'H999' \(valid: FAKE_GPU\)/));
  });

  it('concurrency values must be positive', () => {
    const errs = messages(validateCase(load(agg('    tensor_parallel_size: 4\n').replace('"1 4"', '[4, 0]')), ctx));
    expect(errs).toEqual([expect.stringMatching(/benchmark\.concurrency_list: 0 is not a positive integer/)]);
  });

  it('the directory and the server counts must agree', () => {
    const errs = messages(validateCase(load(agg('    tensor_parallel_size: 4\n'), 'disagg/perf'), ctx));
    expect(errs).toContainEqual(expect.stringMatching(/a disagg case needs hardware\.num_ctx_servers >= 1/));
  });

  it('expect.concurrency keys must be points of the concurrency list', () => {
    const errs = messages(validateCase(load(agg('    tensor_parallel_size: 4\n', { extra: 'expect:\n  concurrency:\n    8:\n      tpotMs: { max: 10 }\n' })), ctx));
    expect(errs).toEqual([expect.stringMatching(/expect\.concurrency\.8: 8 is not in benchmark\.concurrency_list \(use one of 1, 4\)/)]);
  });

  it('returns a broken file\'s load error as its only problem', () => {
    const errs = validateCase(load('a: [1\n'), ctx);
    expect(errs).toHaveLength(1);
    expect(errs[0]?.message).toMatch(/YAML syntax error/);
  });
});
