/**
 * `optix optimize`: seed 002's Throughput Optimizer. Searches TP/DP/EP/MoE-DP
 * layouts and batch sizes for the best throughput under TTFT/TPOT limits in
 * aggregation, disaggregation or PD-ratio mode, on one or more device profiles.
 */
import { Option, type Command } from 'commander';
import type { DeviceOptimizeResult, OptimizeResult, PhaseResult } from '../../engine/api.js';
import { printJson } from '../format.js';
import { addEngineOptions, parseIntArg, parseIntList, parseNumberArg } from '../options.js';
import { resolveInputs } from '../resolve.js';
import { renderCrossHardware, renderProfileComparison } from '../optimize/compare.js';
import { pdCost, pointCost } from '../optimize/cost.js';
import { evaluate } from '../optimize/evaluate.js';
import { DEFAULT_DUMP_PATH, requestFromFlags, settingsFromFlags, type OptimizeFlags } from '../optimize/flags.js';
import { createLogger, LOG_LEVELS, type Logger } from '../optimize/log.js';
import { phasesOf, renderDevice, skippedText, type RenderContext } from '../optimize/render.js';

const HELP_AFTER = `
Modes:
  aggregation (default)       prefill and decode on one instance; --ttft-limits and/or --tpot-limits
  --disagg                    --ttft-limits only: prefill; --tpot-limits only: decode; both: both phases
  --enable-optimize-prefill-decode-ratio
                              prefill and decode instances searched apart, then P QPS, D QPS,
                              PD ratio = D QPS / P QPS and, with --num-devices, the P:D instance split

Search space (seed 002): no --tp-sizes/--ep-sizes/--moe-dp-sizes -> TP-only search over powers
of two; a flag given with no values -> powers of two up to the device count; dimensions not
searched stay at tp = ep = num_devices, moe-dp = 1. DP = devices / TP.

--serving-cost C is read as the price of ONE DEVICE-HOUR (any currency); the output then adds
"cost per 1M output tokens" = C x devices / (tokens/s x 3600) x 1e6 (input tokens for prefill).

Examples:
  optix optimize Qwen/Qwen3-32B --device TEST_DEVICE --num-devices 8 --input-length 3500 \\
    --output-length 1500 --compile --quantize-linear-action W8A8_DYNAMIC --tpot-limits 50
  optix optimize Qwen/Qwen3-30B-A3B --device H200_SXM_141G --num-devices 8 --input-length 3500 \\
    --output-length 1500 --tpot-limits 50 --tp-sizes 1 2 4 8 --ep-sizes 1 2 4 8
  optix optimize deepseek-ai/DeepSeek-V3 --device ATLAS_800_A3_752T_128G_DIE --input-length 3500 \\
    --output-length 1500 --enable-optimize-prefill-decode-ratio --prefill-devices-per-instance 16 \\
    --decode-devices-per-instance 16 --num-devices 64
`;

export function register(program: Command): void {
  const cmd = program
    .command('optimize')
    .description("Throughput Optimizer (seed 002): best parallel layout and batch size under TTFT/TPOT limits")
    .argument('<model_id>', 'Hugging Face id from the built-in catalog, or a config.json file / model directory')
    .option('--device <names...>', 'device profile(s); several enable cross-hardware comparison; duplicates removed, order kept', ['TEST_DEVICE'])
    .option('--num-devices <n>', 'total devices (default 1; PD ratio: the budget for the P:D instance split)', parseIntArg('--num-devices'))
    .requiredOption('--input-length <n>', 'prompt tokens', parseIntArg('--input-length'))
    .requiredOption('--output-length <n>', 'generated tokens', parseIntArg('--output-length'))
    .option('--tp-sizes [sizes...]', 'enable TP search; no values = powers of 2 up to the device count', parseIntList('--tp-sizes'))
    .option('--ep-sizes [sizes...]', 'enable EP search; no values = powers of 2 up to the device count', parseIntList('--ep-sizes'))
    .option('--moe-dp-sizes [sizes...]', 'enable MoE-DP search; no values = powers of 2 up to the device count', parseIntList('--moe-dp-sizes'))
    .option('--ttft-limits <ms>', 'TTFT limit in ms (none = no constraint)', parseNumberArg('--ttft-limits'))
    .option('--tpot-limits <ms>', 'TPOT limit in ms (none = no constraint)', parseNumberArg('--tpot-limits'))
    .option('--batch-range <n...>', 'batch size per DP replica: [max] or [min max] (min defaults to 1)', parseIntList('--batch-range'))
    .option('--serving-cost <cost>', 'price of one device-hour; adds cost per 1M tokens (0 = off)', parseNumberArg('--serving-cost'), 0)
    .option('--disagg', 'disaggregation mode: optimize prefill (TTFT limit) and/or decode (TPOT limit) apart', false)
    .option('--jobs <n>', 'parallel jobs (accepted; searches run in-process: worker threads measured slower at these sizes)', parseIntArg('--jobs'), 8)
    .addOption(new Option('--log-level <level>', 'log verbosity (stderr); info lists skipped layouts').choices([...LOG_LEVELS]).default('error'))
    .option('--dump-original-results [path]', `write every evaluated point as CSV (default path ${DEFAULT_DUMP_PATH})`)
    .option('--enable-optimize-prefill-decode-ratio', 'PD ratio mode (not with --disagg)', false)
    .option('--prefill-devices-per-instance <n>', 'devices per prefill instance (PD ratio mode)', parseIntArg('--prefill-devices-per-instance'))
    .option('--decode-devices-per-instance <n>', 'devices per decode instance (PD ratio mode)', parseIntArg('--decode-devices-per-instance'))
    .option('--max-prefill-tokens <n>', 'alias of --max-batched-tokens (seeds 000/003)', parseIntArg('--max-prefill-tokens'))
    .option('--top-k <n>', 'rows of the Top-N tables', parseIntArg('--top-k'), 10)
    .addOption(new Option('--force-workers', 'search devices after the first on worker threads regardless of cost').default(false).hideHelp())
    .addHelpText('after', HELP_AFTER);
  addEngineOptions(cmd).action(async (model: string, flags: OptimizeFlags, command: Command) => {
    await run(model, flags, command);
  });
}

/** The result as --json prints it: the sweep only when --dump-original-results asked for it. */
function jsonView(result: OptimizeResult, includeSweep: boolean): unknown {
  const phase = (p: PhaseResult | undefined): unknown => {
    if (!p || includeSweep) return p;
    const { sweep: _sweep, ...rest } = p;
    return rest;
  };
  const device = (d: DeviceOptimizeResult): unknown => ({
    ...d,
    agg: phase(d.agg),
    prefill: phase(d.prefill),
    decode: phase(d.decode),
    pdRatio: d.pdRatio && { ...d.pdRatio, prefill: phase(d.pdRatio.prefill), decode: phase(d.pdRatio.decode) },
  });
  const out: Record<string, unknown> = { ...result, perDevice: result.perDevice.map(device) };
  const c = result.request.servingCost ?? 0;
  if (c > 0) {
    out.costPer1MTokens = result.perDevice.map((d) => {
      const pd = d.pdRatio;
      const r = result.request;
      return {
        device: d.device,
        ...(d.agg?.best ? { agg: pointCost(c, d.agg.best) } : {}),
        ...(d.prefill?.best ? { prefill: pointCost(c, d.prefill.best) } : {}),
        ...(d.decode?.best ? { decode: pointCost(c, d.decode.best) } : {}),
        ...(pd && r.pdRatio ? { pdRatio: pdCost(c, pd, r.pdRatio.prefillDevicesPerInstance, r.pdRatio.decodeDevicesPerInstance, r.workload.outputLength) } : {}),
      };
    });
  }
  return out;
}

function logSearch(log: Logger, result: OptimizeResult): void {
  for (const d of result.perDevice) {
    log.info(`${d.device}: search took ${(d.elapsedMs ?? 0).toFixed(1)} ms`);
    for (const ph of phasesOf(d)) {
      log.info(`${d.device} ${ph.phase}: ${ph.top.length} layout(s) meet the limits; skipped layouts: ${skippedText(ph.skipped)}`);
    }
  }
}

async function run(modelId: string, f: OptimizeFlags, cmd: Command): Promise<void> {
  const settings = settingsFromFlags(f);
  const log = createLogger(settings.logLevel);
  const { model, devices } = resolveInputs(modelId, f.device, f);
  const req = requestFromFlags(model, devices, f, cmd);
  log.debug(`request: ${JSON.stringify({ ...req, model: model.id, devices: devices.map((d) => d.name) })}`);
  const plots = !settings.json && devices.length === 1;
  const result = await evaluate(req, {
    collectSweep: plots || settings.dumpPath !== undefined,
    jobs: settings.jobs,
    forceWorkers: settings.forceWorkers,
    log,
  });
  logSearch(log, result);
  if (settings.dumpPath !== undefined) {
    const { writeSweepCsv } = await import('../optimize/dump.js');
    const n = writeSweepCsv(settings.dumpPath, result);
    log.info(`wrote ${n} points to ${settings.dumpPath}`);
  }
  if (settings.json) {
    printJson(jsonView(result, settings.dumpPath !== undefined));
    return;
  }
  const ctx: RenderContext = { result, moe: model.moe !== undefined };
  let out = result.perDevice.map((d) => renderDevice(ctx, d)).join('');
  if (plots) {
    const { renderPlots } = await import('../optimize/plots.js');
    const d = result.perDevice[0]!;
    // PD ratio plots the decode side (seed 002: "Decode-side TPS").
    const phases = d.pdRatio ? [d.pdRatio.decode] : phasesOf(d);
    for (const ph of phases) out += `\n${renderPlots(ph, ctx.moe, d.pdRatio !== undefined, (m) => log.warning(m))}`;
  } else {
    out += renderProfileComparison(devices);
    out += renderCrossHardware(ctx);
  }
  if (settings.dumpPath !== undefined) out += `\nOriginal results written to ${settings.dumpPath}\n`;
  process.stdout.write(out);
}
