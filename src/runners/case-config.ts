/**
 * Reads the runner-related blocks of a case's YAML object. The keys read here are the whole
 * contract with the harness's JSON Schema (docs/runners.md lists them):
 *
 *   runner: engine | command | slurm
 *   command: { run: string | string[], env: {K: V}, cwd: string, timeout_s: number }
 *   slurm:   { partition, account, job_time, nodes, gpus_per_node, ntasks_per_node, job_name,
 *              extra_args: string[], container_image, container_mounts, container_workdir,
 *              srun_args: string[], timeout_s }
 *   benchmark: { concurrency_list: "1 2 4" | number[],
 *                metrics: { log_file, extractor_pattern: string | string[], metric_names: string[],
 *                           required: string[] } }
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { OptixUserError } from '../errors.js';
import type { MetricsSpec } from '../log-parser/index.js';
import type { RunnerCase } from './types.js';

export interface CommandSpec {
  /** A string runs through bash -c; a list runs as argv with no shell. */
  run: string | string[];
  env: Record<string, string>;
  /** Absolute; a relative `cwd` is taken from the YAML file's directory. */
  cwd?: string;
  timeoutS?: number;
}

export interface SlurmSpec {
  partition?: string;
  account?: string;
  jobTime?: string;
  nodes?: number;
  gpusPerNode?: number;
  ntasksPerNode?: number;
  jobName?: string;
  extraArgs: string[];
  containerImage?: string;
  containerMounts?: string;
  containerWorkdir?: string;
  srunArgs: string[];
  timeoutS?: number;
}

export interface CaseMetricsSpec extends MetricsSpec {
  /** `benchmark.metrics.log_file` as written (may hold %j for the SLURM job id). */
  logFile?: string;
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

class Reader {
  constructor(
    private readonly c: RunnerCase,
    private readonly prefix: string,
    private readonly obj: Obj,
  ) {}

  fail(key: string, want: string): never {
    throw new OptixUserError(`${this.prefix}.${key} must be ${want}`, { file: this.c.file, hint: `case ${this.c.id}` });
  }

  str(key: string): string | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return v;
    if (typeof v === 'number') return String(v);
    return this.fail(key, 'a string');
  }

  posNum(key: string, integer = false): number | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) {
      return this.fail(key, integer ? 'a positive integer' : 'a positive number');
    }
    return v;
  }

  strList(key: string): string[] {
    const v = this.obj[key];
    if (v === undefined || v === null) return [];
    if (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number')) return v.map(String);
    return this.fail(key, 'a list of strings');
  }
}

function block(c: RunnerCase, key: string): Obj | undefined {
  const v = c.config[key];
  if (v === undefined || v === null) return undefined;
  if (!isObj(v)) throw new OptixUserError(`${key} must be a mapping`, { file: c.file, hint: `case ${c.id}` });
  return v;
}

export function readCommandSpec(c: RunnerCase): CommandSpec {
  const cmd = block(c, 'command');
  if (!cmd) {
    throw new OptixUserError(`runner: ${String(c.config.runner)} needs a command: block`, {
      file: c.file,
      hint: 'command: { run: "vllm bench serve ...", env: {...}, cwd: ..., timeout_s: ... }',
    });
  }
  const r = new Reader(c, 'command', cmd);
  const raw = cmd.run;
  let run: string | string[];
  if (typeof raw === 'string' && raw.trim() !== '') run = raw;
  else if (Array.isArray(raw) && raw.length > 0 && raw.every((x) => typeof x === 'string' || typeof x === 'number')) {
    run = raw.map(String);
  } else return r.fail('run', 'a non-empty string (run by bash) or a list of arguments');

  const env: Record<string, string> = {};
  if (cmd.env !== undefined && cmd.env !== null) {
    if (!isObj(cmd.env)) return r.fail('env', 'a mapping of NAME: value');
    for (const [k, v] of Object.entries(cmd.env)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) return r.fail(`env.${k}`, 'named like an environment variable');
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') return r.fail(`env.${k}`, 'a string');
      env[k] = String(v);
    }
  }
  const spec: CommandSpec = { run, env };
  const cwd = r.str('cwd');
  if (cwd !== undefined) spec.cwd = isAbsolute(cwd) ? cwd : resolve(dirname(c.file), cwd);
  const timeoutS = r.posNum('timeout_s');
  if (timeoutS !== undefined) spec.timeoutS = timeoutS;
  return spec;
}

export function readSlurmSpec(c: RunnerCase): SlurmSpec {
  const r = new Reader(c, 'slurm', block(c, 'slurm') ?? {});
  const spec: SlurmSpec = { extraArgs: r.strList('extra_args'), srunArgs: r.strList('srun_args') };
  const strings: Array<[keyof SlurmSpec, string]> = [
    ['partition', 'partition'],
    ['account', 'account'],
    ['jobTime', 'job_time'],
    ['jobName', 'job_name'],
    ['containerImage', 'container_image'],
    ['containerMounts', 'container_mounts'],
    ['containerWorkdir', 'container_workdir'],
  ];
  for (const [field, key] of strings) {
    const v = r.str(key);
    if (v !== undefined) (spec[field] as string) = v;
  }
  const ints: Array<[keyof SlurmSpec, string]> = [
    ['nodes', 'nodes'],
    ['gpusPerNode', 'gpus_per_node'],
    ['ntasksPerNode', 'ntasks_per_node'],
  ];
  for (const [field, key] of ints) {
    const v = r.posNum(key, true);
    if (v !== undefined) (spec[field] as number) = v;
  }
  // Seed 001 keeps gpus_per_node under hardware:; take it from there when slurm: lacks it.
  if (spec.gpusPerNode === undefined) {
    const hw = block(c, 'hardware');
    const v = hw ? new Reader(c, 'hardware', hw).posNum('gpus_per_node', true) : undefined;
    if (v !== undefined) spec.gpusPerNode = v;
  }
  const timeoutS = r.posNum('timeout_s');
  if (timeoutS !== undefined) spec.timeoutS = timeoutS;
  return spec;
}

function concurrencyList(c: RunnerCase, bench: Obj): number[] | undefined {
  const v = bench.concurrency_list;
  if (v === undefined || v === null) return undefined;
  const items = typeof v === 'string' ? v.trim().split(/[\s,]+/) : typeof v === 'number' ? [v] : Array.isArray(v) ? v : null;
  const nums = items?.map((x) => (typeof x === 'number' ? x : typeof x === 'string' ? Number(x) : NaN));
  if (!nums || nums.length === 0 || nums.some((n) => !Number.isInteger(n) || n <= 0)) {
    throw new OptixUserError('benchmark.concurrency_list must be positive integers ("1 2 4" or [1, 2, 4])', {
      file: c.file,
      hint: `case ${c.id}`,
    });
  }
  return nums;
}

export function readMetricsSpec(c: RunnerCase): CaseMetricsSpec {
  const bench = block(c, 'benchmark') ?? {};
  const spec: CaseMetricsSpec = { file: c.file };
  const list = concurrencyList(c, bench);
  if (list) spec.concurrencyList = list;
  const m = bench.metrics;
  if (m === undefined || m === null) return spec;
  if (!isObj(m)) throw new OptixUserError('benchmark.metrics must be a mapping', { file: c.file, hint: `case ${c.id}` });
  const r = new Reader(c, 'benchmark.metrics', m);
  const logFile = r.str('log_file');
  if (logFile !== undefined) spec.logFile = logFile;
  const pattern = m.extractor_pattern;
  if (pattern !== undefined && pattern !== null) {
    if (typeof pattern === 'string') spec.extractorPattern = pattern;
    else spec.extractorPattern = r.strList('extractor_pattern');
    const names = r.strList('metric_names');
    if (names.length === 0) r.fail('metric_names', 'a non-empty list when extractor_pattern is given');
    spec.metricNames = names;
  } else if (m.metric_names !== undefined) {
    r.fail('extractor_pattern', 'given with metric_names');
  }
  const required = r.strList('required');
  if (required.length > 0) spec.required = required;
  return spec;
}

/** File-name-safe form of a case id, for logs and scripts under the output directory. */
export function safeName(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 200) || 'case';
}
