import { describe, expect, it } from 'vitest';
import { optimizeArgs, requestDifferences, requestFromOptimizeArgs } from '../src/cases/conversion.js';
import { parseCasesCsv, templateCsv, toOptimizeRequest } from '../src/cases/index.js';
import { resolveDevices } from '../src/catalog/devices.js';
import { resolveModel } from '../src/catalog/models.js';
import { runOptix } from './cli.js';

const specs = parseCasesCsv(templateCsv(), 'template').rows.map((r) => r.spec!);

describe('optix cases --test-conversion (seed 000)', () => {
  it('every template row maps to the same request as its optix optimize command', async () => {
    const r = await runOptix(['cases', '--test-conversion', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { ok: boolean; cases: Array<{ caseName: string; command: string; differences: string[] }> };
    expect(j.ok).toBe(true);
    expect(j.cases.map((c) => c.caseName)).toEqual(specs.map((s) => s.caseName));
    expect(j.cases[2]!.command).toMatch(/--disagg .*--max-prefill-tokens 8192/);
  });

  it('reports a field that differs, and ignores key order', async () => {
    const c = specs[2]!;
    const fromCsv = toOptimizeRequest(c, resolveModel(c.modelId), resolveDevices([c.device])[0]!);
    const fromCli = await requestFromOptimizeArgs(optimizeArgs(c));
    expect(requestDifferences(fromCsv, fromCli)).toEqual([]);
    const other = await requestFromOptimizeArgs(optimizeArgs({ ...c, tpotLimitMs: 60 }));
    expect(requestDifferences(fromCsv, other)).toEqual(['limits: csv {"tpotMs":50,"ttftMs":2000} vs optimize {"tpotMs":60,"ttftMs":2000}']);
  });
});
