/**
 * `optix mfu`: MFU and MBU of measured forward-pass latencies (a CSV of batch
 * size, sequence length, phase, latency), with the same model FLOP/byte counts
 * as `optix sweep`, and the engine's predicted latency beside each for error.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { OptixUserError } from '../../errors.js';
import { resolveModel } from '../../catalog/models.js';
import type { ModelSpec } from '../../engine/types.js';
import { asciiTable, fixed, pct, printJson } from '../format.js';
import { analyseMeasured, meanAbsError } from '../../sweep/analyse.js';
import { addSweepEngineOptions, prepareFromFlags, requireFlag, type SweepEngineFlags } from '../../sweep/flags.js';
import { parseMeasuredCsv } from '../../sweep/measured.js';
import { defaultModelRoot } from '../../sweep/paths.js';
import { headerLines } from '../../sweep/report.js';
import { loadVariant } from '../../sweep/variants.js';

interface MfuFlags extends SweepEngineFlags {
  measured?: string;
  model?: string;
  mconf?: string;
  modelRoot?: string;
  modelConfigDir?: string;
}

export function register(program: Command): void {
  const cmd = program
    .command('mfu')
    .description('MFU and MBU of measured prefill/decode latencies (CSV: batch_size,seq_len,phase,latency_ms), with the engine prediction and its error')
    .option('--measured <file>', 'CSV with columns batch_size, seq_len, phase (prefill|decode), latency_ms (see docs/sweep.md for aliases)')
    .option('--model <name-or-path>', 'Hugging Face id, config.json path or model directory; with --mconf, a folder under the model root')
    .option('--mconf <variant>', 'read model_conf/<model>/config_<variant>.json (as `optix sweep` does)')
    .option('--model-root <dir>', 'folder of model folders for --mconf (default: ./model_conf if present, else the shipped one)')
    .option('--model-config-dir <dir>', 'directory of <org>--<name>.json Hugging Face configs to resolve model ids from');
  addSweepEngineOptions(cmd).action((flags: MfuFlags) => {
    run(flags);
  });
}

function loadModel(f: MfuFlags): { spec: ModelSpec; label: string; file: string } {
  const model = requireFlag(f.model, '--model', 'a Hugging Face id, a config.json path, or a model_conf folder with --mconf');
  if (f.mconf !== undefined) {
    const v = loadVariant(f.modelRoot ?? defaultModelRoot(), model, f.mconf);
    return { spec: v.spec, label: model, file: v.file };
  }
  if (f.modelRoot !== undefined) throw new OptixUserError('--model-root needs --mconf');
  const spec = resolveModel(model, f.modelConfigDir === undefined ? {} : { modelConfigDir: f.modelConfigDir });
  return { spec, label: spec.id, file: spec.source };
}

function run(f: MfuFlags): void {
  const file = requireFlag(f.measured, '--measured', 'a CSV with batch_size,seq_len,phase,latency_ms');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new OptixUserError(`cannot read measurements: ${(e as Error).message}`, { file, cause: e });
  }
  const rows = parseMeasuredCsv(text, file);
  const model = loadModel(f);
  // Measurements have no deployment of their own: default to one device.
  const { prepared, linearAction } = prepareFromFlags(model.spec, { ...f, deploy: f.deploy ?? 'tp1' });
  const points = analyseMeasured(prepared, rows);
  const mae = meanAbsError(points);
  if (f.json) {
    printJson({
      model: model.label,
      configFile: model.file,
      deploy: prepared.deploy,
      parallel: prepared.par,
      numDevices: prepared.devices,
      device: prepared.device.name,
      quantizeLinearAction: linearAction,
      gemmDtype: prepared.plan.gemmDtype,
      peakFlopsPerSPerDevice: prepared.peakFlopsPerS,
      hbmBandwidthBytesPerSPerDevice: prepared.device.hbmBandwidthBytesPerS,
      points,
      meanAbsError: mae,
      warnings: prepared.plan.warnings,
    });
    return;
  }
  const lines = headerLines(prepared, { model: model.label, mconf: f.mconf ?? 'config', configFile: model.file, quantLinear: linearAction, quantAttention: f.quantizeAttentionAction });
  lines.push(`Measurements: ${points.length} rows from ${file}`, '');
  lines.push(
    asciiTable(
      ['bsz', 'seq', 'phase', 'measured (ms)', 'token/s', 'MFU %', 'MBU %', 'predicted (ms)', 'pred MFU %', 'error %'],
      points.map((x) => [
        x.batchSize,
        x.seqLen,
        x.phase,
        fixed(x.measuredMs, 3),
        fixed(x.tokensPerS, 1),
        pct(x.mfu),
        pct(x.mbu),
        fixed(x.predictedMs, 3),
        pct(x.predictedMfu),
        `${x.error >= 0 ? '+' : ''}${pct(x.error)}`,
      ]),
    ),
  );
  lines.push(`mean |error| of the engine's predictions: ${pct(mae)}%`);
  for (const w of prepared.plan.warnings) lines.push(`warning: ${w}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}
