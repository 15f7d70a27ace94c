/**
 * Collection: which cases become tests and in what state (runnable, broken
 * with its errors, or skipped with a reason). Pure apart from reading the
 * config tree and test list, so `benchmarks.test.ts` stays a thin loop.
 */
import path from 'node:path';
import { resolveModel } from '../catalog/models.js';
import { loadDevice } from '../catalog/devices.js';
import type { OptixUserError } from '../errors.js';
import { configDirFromEnv, loadCases, type LoadedCase } from '../loader/index.js';
import { validateCase, type ValidatorContext } from '../validator/index.js';
import { resolveBatchSize } from '../batch-manager/index.js';
import { outputPathFromEnv } from '../result-saver/index.js';
import type { CaseConfig } from './case.js';
import { gpuDecision } from './gpu-filter.js';
import { readTestList, selectByTestList, type TestList, type TestListEntry } from './testlist.js';

export interface HarnessOptions {
  configDir: string;
  testList?: string;
  /** GPU_TYPE as set (undefined when not set: engine cases are then never filtered). */
  gpuType?: string;
  batchSize: number;
  outputPath: string;
  cwd: string;
}

/** The env contract shared by plain `vitest` and `optix test` (which only sets these). */
export function harnessOptionsFromEnv(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): HarnessOptions {
  const nonEmpty = (v: string | undefined) => (v !== undefined && v.trim() !== '' ? v : undefined);
  const testList = nonEmpty(env.OPTIX_TEST_LIST);
  const gpuType = nonEmpty(env.GPU_TYPE);
  return {
    configDir: configDirFromEnv(env),
    ...(testList !== undefined ? { testList } : {}),
    ...(gpuType !== undefined ? { gpuType } : {}),
    batchSize: resolveBatchSize(undefined, env),
    outputPath: outputPathFromEnv(env),
    cwd,
  };
}

export interface PlannedCase {
  loaded: LoadedCase;
  /** `{test_type}_{category}`: the describe block, so `-t disagg_perf` selects it. */
  group: string;
  /** Load or validation errors; the test fails with them. */
  errors: OptixUserError[];
  /** Set when GPU filtering skips the case. */
  skipReason?: string;
  /** Present when the case is valid. */
  config?: CaseConfig;
}

export interface Plan {
  options: HarnessOptions;
  cases: PlannedCase[];
  testList?: TestList;
  unknownEntries: TestListEntry[];
}

export const defaultValidatorContext: ValidatorContext = {
  resolveModel: (id) => resolveModel(id),
  loadDevice,
};

export function buildPlan(options: HarnessOptions, ctx: ValidatorContext = defaultValidatorContext): Plan {
  let loaded = loadCases({ configDir: options.configDir, cwd: options.cwd });
  let testList: TestList | undefined;
  let unknownEntries: TestListEntry[] = [];
  if (options.testList !== undefined) {
    testList = readTestList(path.resolve(options.cwd, options.testList));
    const sel = selectByTestList(loaded.map((c) => c.id), testList);
    unknownEntries = sel.unknown;
    loaded = loaded.filter((c) => sel.selected.has(c.id));
  }
  const cases = loaded.map((c): PlannedCase => {
    const group = `${c.testType}_${c.category}`;
    const errors = validateCase(c, ctx);
    if (errors.length > 0 || c.config === undefined) return { loaded: c, group, errors };
    const decision = gpuDecision(c.config, options.gpuType);
    return { loaded: c, group, errors, config: c.config, ...(decision.run ? {} : { skipReason: decision.reason }) };
  });
  return { options, cases, ...(testList !== undefined ? { testList } : {}), unknownEntries };
}

/** Cases grouped by describe block, in first-seen order (paths are sorted, so stable). */
export function groupCases(plan: Plan): Map<string, PlannedCase[]> {
  const groups = new Map<string, PlannedCase[]>();
  for (const c of plan.cases) {
    const list = groups.get(c.group) ?? [];
    list.push(c);
    groups.set(c.group, list);
  }
  return groups;
}

export function unknownEntriesMessage(plan: Plan): string | undefined {
  if (plan.unknownEntries.length === 0 || plan.testList === undefined) return undefined;
  const file = plan.testList.file;
  return plan.unknownEntries.map((e) => `${file}:${e.line}: '${e.pattern}' matches no test case (ids look like agg_perf_<file name>)`).join('\n');
}
