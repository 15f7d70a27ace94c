/**
 * The YAML harness (seed 001): one Vitest test per case file under the config
 * root (`OPTIX_CONFIG_DIR`, default test_configs), named
 * `{test_type}_{category}_{config_filename}` inside a `{test_type}_{category}`
 * describe block, so `vitest run -t disagg_perf` or `-t accuracy` select as
 * expected. Env: OPTIX_TEST_LIST, GPU_TYPE, OPTIX_BATCH_SIZE / DISAGG_BATCH_SIZE,
 * OUTPUT_PATH (docs/harness.md).
 */
import { afterAll, beforeAll, describe, test } from 'vitest';
import { buildPlan, groupCases, harnessOptionsFromEnv, unknownEntriesMessage } from './src/harness/plan.js';
import { HarnessSession, runFailureMessage } from './src/harness/session.js';
import { selectedTestNames } from './src/harness/vitest-tasks.js';

const plan = buildPlan(harnessOptionsFromEnv(process.env));
const session = new HarnessSession(plan);

for (const c of plan.cases) {
  if (c.skipReason !== undefined) console.log(`[skip] ${c.loaded.id}: ${c.skipReason}`);
}

// Tests that -t / .only filtered out are already marked when hooks run: batch only what will run.
beforeAll(({}, suite) => {
  session.start(selectedTestNames(suite));
});

afterAll(() => {
  session.finish();
});

const unknown = unknownEntriesMessage(plan);
if (unknown !== undefined) {
  console.warn(unknown);
  describe('testlist', () => {
    test(`testlist: unknown ids in ${plan.testList?.file ?? ''}`, () => {
      throw new Error(unknown);
    });
  });
}

if (plan.cases.length === 0) {
  test('no cases', () => {
    throw new Error(`no case files under ${plan.options.configDir}${plan.testList ? ` selected by ${plan.testList.file}` : ''}`);
  });
}

for (const [group, cases] of groupCases(plan)) {
  describe(group, () => {
    for (const c of cases) {
      test(c.loaded.id, async (ctx) => {
        if (c.errors.length > 0) throw new Error(session.recordBroken(c.loaded.id));
        if (c.skipReason !== undefined) ctx.skip(c.skipReason);
        const { result, failures } = await session.run(c.loaded.id);
        if (!result.ok) throw new Error(runFailureMessage(c, result));
        if (failures.length > 0) throw new Error(`expectation failed:\n${failures.join('\n')}`);
      });
    }
  });
}
