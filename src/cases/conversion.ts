/**
 * Seed 000's `--test-conversion`: checks that the CSV -> Throughput Optimizer
 * mapping gives the same optimizer request as typing the equivalent
 * `optix optimize` command. Each template row is converted both ways and the
 * two requests are compared field by field.
 */
import { Command } from 'commander';
import { requestFromFlags, type OptimizeFlags } from '../cli/optimize/flags.js';
import { register as registerOptimize } from '../cli/commands/optimize.js';
import { resolveDevices } from '../catalog/devices.js';
import { resolveModel } from '../catalog/models.js';
import type { OptimizeRequest } from '../engine/api.js';
import type { CaseSpec } from './parse.js';
import { toOptimizeRequest } from './request.js';

/** The `optix optimize` arguments seed 000's mapping table gives for a case. */
export function optimizeArgs(c: CaseSpec): string[] {
  const a = [c.modelId, '--device', c.device, '--num-devices', String(c.numDevices), '--input-length', String(c.inputLength), '--output-length', String(c.outputLength)];
  if (c.ttftLimitMs !== undefined) a.push('--ttft-limits', String(c.ttftLimitMs));
  a.push('--tpot-limits', String(c.tpotLimitMs));
  if (c.tpSizes) a.push('--tp-sizes', ...c.tpSizes.map(String));
  if (c.epSizes) a.push('--ep-sizes', ...c.epSizes.map(String));
  a.push('--quantize-linear-action', c.quantizeLinearAction, '--quantize-attention-action', c.quantizeAttentionAction);
  a.push('--num-mtp-tokens', String(c.numMtpTokens), '--mtp-acceptance-rate', ...c.mtpAcceptanceRates.map(String));
  if (c.compile) a.push('--compile');
  if (c.compileAllowGraphBreak) a.push('--compile-allow-graph-break');
  if (c.mode === 'disagg') a.push('--disagg');
  a.push('--max-prefill-tokens', String(c.maxPrefillTokens));
  if (c.batchRange) a.push('--batch-range', ...c.batchRange.map(String));
  a.push('--serving-cost', String(c.servingCost), '--jobs', String(c.jobs), '--log-level', c.logLevel);
  a.push('--mxfp4-group-size', String(c.mxfp4GroupSize), '--reserved-memory-gb', String(c.reservedMemoryGb));
  return a;
}

/** Parses `optix optimize ARGS` with the real command definition, without running the search. */
export async function requestFromOptimizeArgs(args: string[]): Promise<OptimizeRequest> {
  const program = new Command('optix').exitOverride().enablePositionalOptions();
  registerOptimize(program);
  const optimize = program.commands.find((c) => c.name() === 'optimize')!;
  let parsed: { model: string; flags: OptimizeFlags; cmd: Command } | undefined;
  optimize.action((model: string, flags: OptimizeFlags, cmd: Command) => {
    parsed = { model, flags, cmd };
  });
  await program.parseAsync(['optimize', ...args], { from: 'user' });
  const { model, flags, cmd } = parsed!;
  return requestFromFlags(resolveModel(model), resolveDevices(flags.device, flags.deviceFile), flags, cmd);
}

/** JSON with object keys sorted, so that field order does not count as a difference. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x !== null && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b))) : x,
  );
}

/** Fields where the two requests differ (the cases runner keeps only the best point: topK 1). */
export function requestDifferences(fromCsv: OptimizeRequest, fromCli: OptimizeRequest): string[] {
  const view = (r: OptimizeRequest): Record<string, string> => {
    const { model, devices, topK: _topK, ...rest } = r;
    const flat: Record<string, string> = { model: model.id, devices: devices.map((d) => d.name).join(',') };
    for (const [k, v] of Object.entries(rest)) flat[k] = canonical(v);
    return flat;
  };
  const a = view(fromCsv);
  const b = view(fromCli);
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => a[k] !== b[k]).map((k) => `${k}: csv ${a[k] ?? '-'} vs optimize ${b[k] ?? '-'}`);
}

export interface ConversionCheck {
  caseName: string;
  command: string;
  differences: string[];
}

export async function testConversion(cases: CaseSpec[]): Promise<ConversionCheck[]> {
  const out: ConversionCheck[] = [];
  for (const c of cases) {
    const args = optimizeArgs(c);
    const fromCsv = toOptimizeRequest(c, resolveModel(c.modelId), resolveDevices([c.device])[0]!);
    const fromCli = await requestFromOptimizeArgs(args);
    out.push({ caseName: c.caseName, command: `optix optimize ${args.join(' ')}`, differences: requestDifferences(fromCsv, fromCli) });
  }
  return out;
}
