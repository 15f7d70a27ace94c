/**
 * ConfigValidator (seed 001): schema errors first, then the rules a schema
 * cannot say (seed 001's three, plus: parallel sizes fit the hardware and
 * divide the model's heads/experts; model and device exist; concurrency > 0).
 * Every problem becomes an OptixUserError at its file:line:column with a fix.
 */
import { OptixUserError } from '../errors.js';
import type { DeviceProfile, ModelSpec } from '../engine/types.js';
import {
  isDisagg,
  mtpSize,
  parseConcurrencyList,
  workerLayout,
  type Bound,
  type CaseConfig,
  type WorkerConfig,
} from '../harness/case.js';
import type { LoadedCase, PathSegment } from '../loader/index.js';
import { checkSchema } from './schema.js';

export interface ValidatorContext {
  /** Model lookup (throws OptixUserError for an unknown id); rules needing the model are skipped without it. */
  resolveModel?: (id: string) => ModelSpec;
  /** Device lookup (throws OptixUserError for an unknown name). */
  loadDevice?: (name: string) => DeviceProfile;
}

interface Problem {
  path: PathSegment[];
  message: string;
  hint?: string;
}

/** All problems of one case, in file order; [] when it is good to run. */
export function validateCase(c: LoadedCase, ctx: ValidatorContext = {}): OptixUserError[] {
  if (c.error !== undefined) return [c.error];
  const config = c.config;
  if (config === undefined) return [new OptixUserError('case has no content', { file: c.file })];
  const schemaProblems = checkSchema(config);
  // Semantic rules assume the shapes the schema promises.
  const problems = schemaProblems.length > 0 ? schemaProblems : semanticProblems(c, config, ctx);
  return problems
    .map((p) => {
      const pos = c.locate(p.path);
      return new OptixUserError(p.message, { file: c.file, line: pos.line, column: pos.column, ...(p.hint ? { hint: p.hint } : {}) });
    })
    .sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}

export function semanticProblems(c: LoadedCase, config: CaseConfig, ctx: ValidatorContext): Problem[] {
  const out: Problem[] = [];
  const bench = config.benchmark;
  const runner = config.runner ?? 'engine';
  const total = bench.input_length + bench.output_length;

  // Seed 001 rule 2.
  if (bench.streaming !== true) {
    out.push({
      path: bench.streaming === undefined ? ['benchmark'] : ['benchmark', 'streaming'],
      message: `benchmark.streaming must be true (got ${String(bench.streaming)})`,
      hint: 'set `streaming: true` under benchmark',
    });
  }

  // The engine runner's queue laws exist only in the steady-state model; under seed 002's formulas they would be ignored.
  if (runner === 'engine' && bench.scheduling === 'seed') {
    for (const key of ['serving_engine', 'request_lengths'] as const) {
      if (bench[key] === undefined) continue;
      out.push({
        path: ['benchmark', key],
        message: `benchmark.${key} has no effect with scheduling: seed (seed 002's formulas)`,
        hint: `drop ${key}, or drop 'scheduling: seed' (the default is steady-state)`,
      });
    }
  }

  const concurrency = parseConcurrencyList(bench.concurrency_list);
  concurrency.forEach((v, i) => {
    if (!Number.isInteger(v) || v <= 0) {
      out.push({
        path: Array.isArray(bench.concurrency_list) ? ['benchmark', 'concurrency_list', i] : ['benchmark', 'concurrency_list'],
        message: `benchmark.concurrency_list: ${String(v)} is not a positive integer`,
        hint: 'use values >= 1, e.g. "1 2 4 8"',
      });
    }
  });
  if (concurrency.length === 0) {
    out.push({ path: ['benchmark', 'concurrency_list'], message: 'benchmark.concurrency_list is empty', hint: 'e.g. concurrency_list: "1 8 32"' });
  }

  const workers = config.worker_config ?? {};
  const disagg = isDisagg(config);
  for (const role of ['gen', 'ctx'] as const) {
    const w = workers[role];
    if (w === undefined) continue;
    // Seed 001 rule 3.
    if (w.max_seq_len !== undefined && w.max_seq_len <= total) {
      out.push({
        path: ['worker_config', role, 'max_seq_len'],
        message: `worker_config.${role}.max_seq_len ${w.max_seq_len} must be > input_length + output_length = ${total}`,
        hint: `set max_seq_len to at least ${total + 1}`,
      });
    }
    if (w.enable_attention_dp === true && w.attention_dp_size !== undefined) {
      out.push({
        path: ['worker_config', role, 'attention_dp_size'],
        message: `worker_config.${role}: enable_attention_dp and attention_dp_size both set`,
        hint: 'use enable_attention_dp (TensorRT-LLM: dp over tensor_parallel_size ranks) or attention_dp_size (extra replicas), not both',
      });
    }
  }
  // Seed 001 rule 1: a gen step carries max_batch_size x (1 + draft) tokens.
  const gen = workers.gen;
  const mtp = mtpSize(gen);
  if (gen !== undefined && mtp > 0 && gen.max_batch_size !== undefined && gen.max_num_tokens !== undefined) {
    const want = gen.max_batch_size * (mtp + 1);
    if (gen.max_num_tokens !== want) {
      out.push({
        path: ['worker_config', 'gen', 'max_num_tokens'],
        message: `worker_config.gen.max_num_tokens ${gen.max_num_tokens} must equal max_batch_size x (mtp_size + 1) = ${gen.max_batch_size} x ${mtp + 1} = ${want}`,
        hint: `set max_num_tokens: ${want}`,
      });
    }
  }

  if (c.testType === 'disagg' && !disagg) {
    out.push({ path: ['hardware'], message: 'a disagg case needs hardware.num_ctx_servers >= 1', hint: 'add num_ctx_servers and num_gen_servers, or move the file under agg/' });
  }
  if (c.testType === 'agg' && disagg) {
    out.push({ path: ['hardware', 'num_ctx_servers'], message: 'an agg case cannot have context servers', hint: 'remove num_ctx_servers or move the file under disagg/' });
  }
  if (disagg && workers.ctx === undefined && config.search === undefined) {
    out.push({ path: ['worker_config'], message: 'disaggregated case (num_ctx_servers > 0) without worker_config.ctx', hint: 'add worker_config.ctx with its tensor_parallel_size, max_batch_size, ...' });
  }

  out.push(...expectProblems(config, concurrency));

  if (runner === 'engine') out.push(...engineProblems(config, ctx));
  return out;
}

function expectProblems(config: CaseConfig, concurrency: number[]): Problem[] {
  const out: Problem[] = [];
  const check = (b: Bound, path: PathSegment[]) => {
    if (b.min !== undefined && b.max !== undefined && b.min > b.max) {
      out.push({ path, message: `${path.join('.')}: min ${b.min} > max ${b.max}`, hint: 'swap them' });
    }
  };
  const expect = config.expect ?? {};
  for (const [metric, bound] of Object.entries(expect)) {
    if (metric === 'concurrency' || bound === undefined) continue;
    check(bound as Bound, ['expect', metric]);
  }
  for (const [point, bounds] of Object.entries(expect.concurrency ?? {})) {
    if (config.search === undefined && !concurrency.includes(Number(point))) {
      out.push({
        path: ['expect', 'concurrency', point],
        message: `expect.concurrency.${point}: ${point} is not in benchmark.concurrency_list`,
        hint: `use one of ${concurrency.join(', ')}`,
      });
    }
    for (const [metric, bound] of Object.entries(bounds)) check(bound, ['expect', 'concurrency', point, metric]);
  }
  return out;
}

function engineProblems(config: CaseConfig, ctx: ValidatorContext): Problem[] {
  const out: Problem[] = [];
  const modelId = config.metadata.model;
  const deviceName = config.hardware.device;
  if (modelId === undefined) {
    out.push({ path: ['metadata'], message: 'metadata.model is required by the engine runner', hint: 'add e.g. `model: Qwen/Qwen3-32B`' });
  }
  if (deviceName === undefined) {
    out.push({ path: ['hardware'], message: 'hardware.device is required by the engine runner', hint: 'add e.g. `device: H100_SXM_80G`' });
  }
  if (config.search === undefined && config.worker_config?.gen === undefined) {
    out.push({ path: ['worker_config'], message: 'worker_config.gen is required by the engine runner (or a search block)', hint: 'add worker_config.gen.tensor_parallel_size' });
  }
  const model = modelId !== undefined ? lookup(() => ctx.resolveModel?.(modelId), ['metadata', 'model'], out) : undefined;
  const device = deviceName !== undefined ? lookup(() => ctx.loadDevice?.(deviceName), ['hardware', 'device'], out) : undefined;

  const roles = isDisagg(config) ? (['ctx', 'gen'] as const) : (['gen'] as const);
  let devicesUsed = 0;
  for (const role of roles) {
    const w = config.worker_config?.[role];
    if (w === undefined) continue;
    const servers = role === 'ctx' ? (config.hardware.num_ctx_servers ?? 1) : (config.hardware.num_gen_servers ?? 1);
    devicesUsed += servers * workerLayout(w).devices;
    out.push(...layoutProblems(role, w, config, model));
  }
  const grid = device?.commGrid[device.commGrid.length - 1]?.devices;
  if (device !== undefined && grid !== undefined && devicesUsed > grid) {
    out.push({
      path: ['hardware'],
      message: `the case needs ${devicesUsed} devices but a ${device.name} system has at most ${grid}`,
      hint: 'lower the server counts or the parallel sizes',
    });
  }
  return out;
}

function layoutProblems(role: 'gen' | 'ctx', w: WorkerConfig, config: CaseConfig, model: ModelSpec | undefined): Problem[] {
  const out: Problem[] = [];
  const at = (key: string): PathSegment[] => (key in w ? ['worker_config', role, key] : ['worker_config', role]);
  const layout = workerLayout(w);
  const perNode = config.hardware.gpus_per_node;
  if (perNode !== undefined && layout.devices > perNode && layout.devices % perNode !== 0) {
    out.push({
      path: at('tensor_parallel_size'),
      message: `worker_config.${role} spans ${layout.devices} devices, which does not fill whole nodes of gpus_per_node ${perNode}`,
      hint: `use a device count <= ${perNode} or a multiple of it`,
    });
  }
  const stage = layout.tp * layout.dp;
  if (layout.ep !== undefined && stage % layout.ep !== 0) {
    out.push({
      path: at('moe_expert_parallel_size'),
      message: `worker_config.${role}.moe_expert_parallel_size ${layout.ep} does not divide the ${stage} devices of a pipeline stage`,
      hint: `use a divisor of ${stage}`,
    });
  }
  if (model === undefined) return out;
  const heads = model.attention.numHeads;
  if (heads % layout.tp !== 0) {
    out.push({
      path: at('tensor_parallel_size'),
      message: `worker_config.${role}: attention tp ${layout.tp} does not divide ${model.id}'s ${heads} attention heads`,
      hint: `valid tp: ${divisors(heads).join(', ')}`,
    });
  }
  if (model.numLayers % layout.pp !== 0) {
    out.push({
      path: at('pipeline_parallel_size'),
      message: `worker_config.${role}.pipeline_parallel_size ${layout.pp} does not divide ${model.id}'s ${model.numLayers} layers`,
      hint: `valid pp: ${divisors(model.numLayers).join(', ')}`,
    });
  }
  if (model.moe === undefined) {
    if (layout.ep !== undefined && layout.ep > 1) {
      out.push({ path: at('moe_expert_parallel_size'), message: `worker_config.${role}: ${model.id} is dense; moe_expert_parallel_size must be 1`, hint: 'remove moe_expert_parallel_size' });
    }
  } else if (layout.ep !== undefined && model.moe.numExperts % layout.ep !== 0) {
    out.push({
      path: at('moe_expert_parallel_size'),
      message: `worker_config.${role}.moe_expert_parallel_size ${layout.ep} does not divide ${model.id}'s ${model.moe.numExperts} experts`,
      hint: `valid ep: ${divisors(model.moe.numExperts).join(', ')}`,
    });
  }
  return out;
}

function lookup<T>(fn: () => T | undefined, path: PathSegment[], out: Problem[]): T | undefined {
  try {
    return fn();
  } catch (e) {
    if (e instanceof OptixUserError) {
      out.push({ path, message: e.message, ...(e.hint !== undefined ? { hint: e.hint } : {}) });
      return undefined;
    }
    throw e;
  }
}

export function divisors(n: number): number[] {
  const out: number[] = [];
  for (let d = 1; d <= n; d++) if (n % d === 0) out.push(d);
  return out;
}
