/**
 * `optix test`: the harness's front door over Vitest's Node API. It only turns
 * flags into the env contract that plain `vitest run benchmarks.test.ts` reads
 * (OPTIX_CONFIG_DIR, OPTIX_TEST_LIST, GPU_TYPE, OPTIX_BATCH_SIZE, OUTPUT_PATH),
 * so both ways of running behave the same. Exit code = Vitest's.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { OptixUserError } from '../../errors.js';
import { resolveBatchSize } from '../../batch-manager/index.js';
import { newRunId } from '../../result-saver/index.js';

export interface TestFlags {
  testList?: string;
  batchSize?: string;
  gpuType?: string;
  outputPath?: string;
  configDir?: string;
  testNamePattern?: string;
  reporter?: string;
  root?: string;
}

export function register(program: Command): void {
  program
    .command('test')
    .description('Run the YAML benchmark cases (test_configs/**) as Vitest tests')
    .option('--test-list <file>', 'run only the ids/globs listed in this file (testlist/*.txt)')
    .option('--batch-size <n>', 'cases submitted per batch; 0 = all at once (default: OPTIX_BATCH_SIZE, DISAGG_BATCH_SIZE, 5)')
    .option('--gpu-type <name>', 'GPU_TYPE for device filtering against metadata.supported_gpus')
    .option('--output-path <dir>', 'where perf_script_test_results.csv goes (default: OUTPUT_PATH or results)')
    .option('--config-dir <dir>', 'config root (default: OPTIX_CONFIG_DIR or test_configs)')
    .option('-t, --test-name-pattern <pattern>', 'run only tests whose name matches, e.g. disagg_perf or accuracy')
    .option('--reporter <name>', 'Vitest reporter (default, verbose, dot, json, junit, ...)')
    .option('--root <dir>', 'project root holding benchmarks.test.ts (default: this optix installation)')
    .action(async (flags: TestFlags) => {
      process.exitCode = await runHarness(flags);
    });
}

/** The project root: the nearest ancestor of this module that holds benchmarks.test.ts. */
export function findHarnessRoot(from: string = path.dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    if (existsSync(path.join(dir, 'benchmarks.test.ts'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new OptixUserError('benchmarks.test.ts not found above this installation', { hint: 'pass --root <project dir>' });
    dir = up;
  }
}

/** Env for the Vitest run; relative paths are made absolute against the caller's directory. */
export function harnessEnv(flags: TestFlags, cwd: string = process.cwd()): Record<string, string> {
  const env: Record<string, string> = {};
  if (flags.configDir !== undefined) {
    const dir = path.resolve(cwd, flags.configDir);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      throw new OptixUserError(`config directory not found: ${flags.configDir}`, { hint: 'pass the directory holding {agg,disagg}/{perf,accuracy}/*.yaml' });
    }
    env.OPTIX_CONFIG_DIR = dir;
  }
  if (flags.testList !== undefined) {
    const file = path.resolve(cwd, flags.testList);
    if (!existsSync(file)) throw new OptixUserError(`test list not found: ${flags.testList}`, { hint: 'e.g. --test-list testlist/smoke.txt' });
    env.OPTIX_TEST_LIST = file;
  }
  if (flags.batchSize !== undefined) {
    try {
      env.OPTIX_BATCH_SIZE = String(resolveBatchSize(flags.batchSize, {}));
    } catch (e) {
      throw new OptixUserError(e instanceof Error ? e.message : String(e), { hint: 'use 0 (all at once) or a positive integer' });
    }
  }
  if (flags.gpuType !== undefined) env.GPU_TYPE = flags.gpuType;
  if (flags.outputPath !== undefined) env.OUTPUT_PATH = path.resolve(cwd, flags.outputPath);
  // One run id for every worker, so compare can tell this run's rows apart.
  env.OPTIX_RUN_ID = process.env.OPTIX_RUN_ID ?? newRunId({});
  return env;
}

export async function runHarness(flags: TestFlags): Promise<number> {
  const env = harnessEnv(flags);
  const root = flags.root !== undefined ? path.resolve(flags.root) : findHarnessRoot();
  if (!existsSync(path.join(root, 'benchmarks.test.ts'))) {
    throw new OptixUserError(`no benchmarks.test.ts in ${root}`, { hint: 'pass --root <project dir>' });
  }
  // Without --config-dir: ./test_configs where the user stands, else the project's own cases.
  if (env.OPTIX_CONFIG_DIR === undefined && process.env.OPTIX_CONFIG_DIR === undefined) {
    const local = path.resolve('test_configs');
    env.OPTIX_CONFIG_DIR = existsSync(local) ? local : path.join(root, 'test_configs');
  }
  // OUTPUT_PATH relative to where the user stood, even though Vitest runs in root.
  if (env.OUTPUT_PATH === undefined && process.env.OUTPUT_PATH === undefined) env.OUTPUT_PATH = path.resolve('results');
  Object.assign(process.env, env);
  const { startVitest } = await import('vitest/node');
  const before = process.exitCode;
  process.exitCode = undefined;
  const vitest = await startVitest('test', ['benchmarks.test.ts'], {
    run: true,
    watch: false,
    root,
    ...(flags.testNamePattern !== undefined ? { testNamePattern: flags.testNamePattern } : {}),
    ...(flags.reporter !== undefined ? { reporters: [flags.reporter] } : {}),
  });
  await vitest.close();
  const code = process.exitCode === undefined ? 0 : Number(process.exitCode);
  process.exitCode = before;
  return code;
}
