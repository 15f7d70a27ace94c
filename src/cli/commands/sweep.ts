/**
 * `optix sweep`: seed 004's forward-pass benchmark on the engine. Every
 * (batch size, sequence length) point of a grid file, for one model variant
 * and one deployment: prefill and decode step latency, tokens/s, MFU, MBU and
 * the Cube/Vec/Mem/Comm split. `optix sweep make-variant` writes model variants.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { OptixUserError } from '../../errors.js';
import { printJson } from '../format.js';
import { parseIntArg } from '../options.js';
import { addSweepEngineOptions, prepareFromFlags, requireFlag, type SweepEngineFlags } from '../../sweep/flags.js';
import { parseGrid, type Grid } from '../../sweep/grid.js';
import { defaultGridFile, defaultModelRoot, fileTimestamp, resultBaseName } from '../../sweep/paths.js';
import { CSV_COLUMNS, csvRows, headerLines, rawLog, renderTable, type SweepHeader } from '../../sweep/report.js';
import { phasesOf, runSweep, type PhasePoint, type Profile } from '../../sweep/runner.js';
import { saveSweep } from '../../sweep/save.js';
import { defaultVariantName, loadVariant, writeVariant } from '../../sweep/variants.js';

interface SweepFlags extends SweepEngineFlags {
  model?: string;
  mconf: string;
  modelRoot?: string;
  bszSeq?: string;
  grid?: string;
  profile: string;
  save: boolean;
  outDir: string;
}

interface MakeVariantFlags {
  model?: string;
  from: string;
  layers?: number;
  experts?: number;
  name?: string;
  modelRoot?: string;
  force: boolean;
  json: boolean;
}

const PROFILES = ['prefill', 'decode', 'both'];

export function register(program: Command): void {
  const sweep = program
    .command('sweep')
    .enablePositionalOptions()
    .description('latency of one prefill pass and one decode step over a batch-size x sequence-length grid (seed 004), with MFU and MBU')
    .option('--model <name>', 'model folder under the model root (model_conf/<name>/)')
    .option('--mconf <variant>', 'config variant: model_conf/<name>/config_<variant>.json', 'full')
    .option('--model-root <dir>', 'folder of model folders (default: ./model_conf if present, else the one shipped with optix)')
    .option('--bsz-seq <file>', "grid file '{bsz,...};{seq,...}' (default: ./scripts/bsz_seq.csv if present, else the shipped one)")
    .option('--grid <grid>', "the grid inline instead of a file, e.g. '1,2,4;128,256'")
    .option('--profile <phase>', 'prefill, decode or both', 'both')
    .option('--save', 'write <out-dir>/csv/<model>_<mconf>_<deploy>_<device>_<time>.csv and a per-op raw log under <out-dir>/raw_output/', false)
    .option('--out-dir <dir>', 'where --save writes', 'results');
  addSweepEngineOptions(sweep).action((flags: SweepFlags) => {
    runSweepCommand(flags);
  });

  sweep
    .command('make-variant')
    .description('write model_conf/<model>/config_<name>.json from another variant with fewer layers and/or a different expert count')
    .option('--model <name>', 'model folder under the model root')
    .option('--from <variant>', 'variant to start from', 'full')
    .option('--layers <n>', 'number of decoder layers', parseIntArg('--layers'))
    .option('--experts <n>', 'number of routed experts (MoE models)', parseIntArg('--experts'))
    .option('--name <variant>', "name of the new variant (default '<layers>l' / '<experts>e', e.g. '2l')")
    .option('--model-root <dir>', 'folder of model folders (default: ./model_conf if present, else the shipped one)')
    .option('--force', 'overwrite an existing variant', false)
    .option('--json', 'print machine-readable JSON', false)
    .action((_flags: MakeVariantFlags, cmd: Command) => {
      runMakeVariant(cmd.opts<MakeVariantFlags>());
    });
}

function loadGrid(f: SweepFlags): { grid: Grid; source: string } {
  if (f.grid !== undefined && f.bszSeq !== undefined) throw new OptixUserError('pass --grid or --bsz-seq, not both');
  if (f.grid !== undefined) return { grid: parseGrid(f.grid, '--grid'), source: '--grid' };
  const file = f.bszSeq ?? defaultGridFile();
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new OptixUserError(`cannot read grid file: ${(e as Error).message}`, { file, hint: "pass --bsz-seq FILE or --grid '1,2;128,256'", cause: e });
  }
  return { grid: parseGrid(text, file), source: file };
}

function runSweepCommand(f: SweepFlags): void {
  const model = requireFlag(f.model, '--model', 'e.g. --model qwen (a folder under model_conf/)');
  if (!PROFILES.includes(f.profile)) throw new OptixUserError(`--profile must be prefill, decode or both, got '${f.profile}'`);
  const root = f.modelRoot ?? defaultModelRoot();
  const variant = loadVariant(root, model, f.mconf);
  const { grid, source } = loadGrid(f);
  const { prepared, linearAction } = prepareFromFlags(variant.spec, f);
  const header: SweepHeader = { model, mconf: f.mconf, configFile: variant.file, quantLinear: linearAction, quantAttention: f.quantizeAttentionAction };
  const started = new Date();
  const result = runSweep(prepared, grid.points, f.profile as Profile, f.save);

  let saved: { csvFile: string; rawFile: string } | undefined;
  if (f.save) {
    const base = resultBaseName({ model, mconf: f.mconf, deploy: prepared.deploy.name, device: prepared.device.name, timestamp: fileTimestamp(started) });
    saved = saveSweep(f.outDir, base, CSV_COLUMNS, csvRows(prepared, header, result.points), rawLog(prepared, header, result.points, result.warnings, started.toISOString()));
  }

  if (f.json) {
    printJson({
      model,
      mconf: f.mconf,
      configFile: variant.file,
      deploy: prepared.deploy,
      parallel: prepared.par,
      numDevices: prepared.devices,
      device: prepared.device.name,
      quantizeLinearAction: linearAction,
      quantizeAttentionAction: f.quantizeAttentionAction,
      gemmDtype: prepared.plan.gemmDtype,
      peakFlopsPerSPerDevice: prepared.peakFlopsPerS,
      hbmBandwidthBytesPerSPerDevice: prepared.device.hbmBandwidthBytesPerS,
      grid: { source, batchSizes: grid.batchSizes, seqLens: grid.seqLens },
      phases: phasesOf(f.profile as Profile),
      points: result.points.map(pointJson),
      warnings: result.warnings,
      ...(saved ? { saved } : {}),
    });
    return;
  }
  const lines = [...headerLines(prepared, header), `Grid: ${grid.batchSizes.length} batch sizes x ${grid.seqLens.length} sequence lengths from ${source}`, ''];
  lines.push(renderTable(result.points));
  for (const w of result.warnings) lines.push(`warning: ${w}`);
  if (saved) lines.push(`saved: ${saved.csvFile}`, `raw output: ${saved.rawFile}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

function pointJson(x: PhasePoint): unknown {
  const { step, ...rest } = x;
  return {
    ...rest,
    engine: {
      timeMs: step.timeS * 1000,
      bucketMs: Object.fromEntries(Object.entries(step.bucketS).map(([k, v]) => [k, v * 1000])),
      flopsPerDevice: step.flops,
      bytesPerDevice: step.bytes,
    },
  };
}

function runMakeVariant(f: MakeVariantFlags): void {
  const model = requireFlag(f.model, '--model', 'e.g. --model qwen');
  const changes = { ...(f.layers !== undefined ? { layers: f.layers } : {}), ...(f.experts !== undefined ? { experts: f.experts } : {}) };
  if (changes.layers === undefined && changes.experts === undefined) {
    throw new OptixUserError('make-variant needs --layers or --experts (or both)', { hint: 'e.g. --layers 2' });
  }
  const name = f.name ?? defaultVariantName(changes);
  const root = f.modelRoot ?? defaultModelRoot();
  const { file, spec } = writeVariant(root, model, f.from, name, changes, f.force);
  if (f.json) {
    printJson({ model, from: f.from, variant: name, file, layers: spec.numLayers, experts: spec.moe?.numExperts ?? null });
    return;
  }
  const rel = path.relative(process.cwd(), file) || file;
  process.stdout.write(
    `wrote ${rel}: ${spec.numLayers} layers${spec.moe ? `, ${spec.moe.numExperts} experts (top-${spec.moe.topK})` : ''}\n` +
      `run it: optix sweep --model ${model} --mconf ${name} --deploy tp8ep8 --device H200_SXM_141G${f.modelRoot ? ` --model-root ${f.modelRoot}` : ''}\n`,
  );
}

