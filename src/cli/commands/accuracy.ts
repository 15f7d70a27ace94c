/**
 * `optix accuracy`: the engine against measured data. `--measured FILE.csv`
 * (serving points, silicon_calibration.csv layout or a results CSV) or
 * `--kernels DIR --device NAME` (per-kernel tables).
 */
import { writeFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { OptixUserError } from '../../errors.js';
import { loadDeviceFile, resolveDevices } from '../../catalog/devices.js';
import { measuredAccuracy } from '../../accuracy/index.js';
import { kernelAccuracy, loadKernelSamples, type KernelAccuracy } from '../../accuracy/kernels.js';
import { defaultModelConfigDir } from '../../accuracy/predict.js';
import { predictionsCsv, renderAccuracyReport } from '../../accuracy/report.js';
import { asciiTable, printJson } from '../format.js';
import { parseIntArg } from '../options.js';
import { REQUEST_LENGTHS, type RequestLengths } from '../../engine/types.js';

interface AccuracyFlags {
  measured?: string;
  kernels?: string;
  device?: string;
  deviceFile?: string[];
  json: boolean;
  out?: string;
  modelConfigDir?: string;
  system?: string;
  backend?: string;
  mode?: string;
  deployment?: string;
  limit?: number;
  maxBatchedTokens: number;
  requestLengths: RequestLengths | 'auto';
  lengthRangeRatio: string;
}

export function register(program: Command): void {
  program
    .command('accuracy')
    .description('Compare engine predictions with measured serving points (--measured) or kernel latencies (--kernels)')
    .option('--measured <file>', 'measured serving points: silicon_calibration.csv layout, or a harness results CSV')
    .option('--kernels <dir>', 'directory of kernel tables (gemm_perf.csv, context_attention_perf.csv, generation_attention_perf.csv, nccl_perf.csv)')
    .option('--device <name>', 'device profile for --kernels')
    .option('--device-file <paths...>', 'profile files (YAML) that replace built-ins of the same name (e.g. one written by `optix calibrate`)')
    .option('--json', 'print only the summary object as JSON', false)
    .option('--out <file>', '--measured: write one prediction row per measured row to this CSV')
    .option('--model-config-dir <dir>', 'directory of <org>--<name>.json configs (default ../shared/model_configs when it exists, then the built-in catalog)')
    .option('--system <name>', '--measured: only rows of this system (e.g. h100_sxm)')
    .option('--backend <name>', '--measured: only rows of this backend (trtllm, sglang, vllm)')
    .option('--mode <mode>', '--measured: only agg or disagg rows')
    .option('--deployment <kind>', "--measured: only rows whose deployment the data gives ('given') or that lack worker counts ('assumed')")
    .option('--limit <n>', '--measured: only the first N rows (after the filters)', parseIntArg('--limit'))
    .option('--max-batched-tokens <n>', 'token budget of one prefill or mixed step', parseIntArg('--max-batched-tokens'), 8192)
    .addOption(
      new Option(
        '--request-lengths <kind>',
        "--measured: the benchmark's request lengths for every row, 'varied' or 'fixed' (every request exactly isl / osl tokens: lockstep waves on sglang; see docs/accuracy.md); 'auto' = each row's benchmark (aiconfigurator eval rows fixed, others varied)",
      )
        .choices([...REQUEST_LENGTHS, 'auto'])
        .default('auto'),
    )
    .option(
      '--length-range-ratio <r>',
      "--measured: how the benchmark drew request lengths: uniformly in [r x isl, isl] (and osl), r in (0, 1]; 1 = exactly isl / osl; 'auto' = each row's benchmark (InferenceX rows 0.8, as its benchmark_serving.py; others exact)",
      'auto',
    )
    .action((flags: AccuracyFlags) => {
      if ((flags.measured === undefined) === (flags.kernels === undefined)) {
        throw new OptixUserError('give exactly one of --measured FILE.csv or --kernels DIR', { hint: 'optix accuracy --measured ../shared/reference/silicon_calibration.csv' });
      }
      if (flags.measured !== undefined) runMeasured(flags.measured, flags);
      else runKernels(flags.kernels!, flags);
    });
}

function runMeasured(file: string, f: AccuracyFlags): void {
  if (f.mode !== undefined && f.mode !== 'agg' && f.mode !== 'disagg') throw new OptixUserError(`--mode must be agg or disagg, got '${f.mode}'`);
  if (f.deployment !== undefined && f.deployment !== 'given' && f.deployment !== 'assumed') {
    throw new OptixUserError(`--deployment must be given or assumed, got '${f.deployment}'`);
  }
  if (f.limit !== undefined && f.limit < 1) throw new OptixUserError(`--limit must be >= 1, got ${f.limit}`);
  const lengthRangeRatio = parseRangeRatio(f.lengthRangeRatio);
  const requestLengths = f.requestLengths === 'auto' ? undefined : f.requestLengths;
  const modelConfigDir = f.modelConfigDir ?? defaultModelConfigDir();
  const overrides = (f.deviceFile ?? []).map((p) => loadDeviceFile(p));
  const { summary, rows } = measuredAccuracy(
    file,
    {
      ...(f.system !== undefined ? { system: f.system } : {}),
      ...(f.backend !== undefined ? { backend: f.backend } : {}),
      ...(f.mode !== undefined ? { mode: f.mode as 'agg' | 'disagg' } : {}),
      ...(f.deployment !== undefined ? { deployment: f.deployment as 'given' | 'assumed' } : {}),
      ...(f.limit !== undefined ? { limit: f.limit } : {}),
    },
    { ...(modelConfigDir !== undefined ? { modelConfigDir } : {}), deviceOverrides: overrides, maxBatchedTokens: f.maxBatchedTokens, ...(requestLengths !== undefined ? { requestLengths } : {}), ...(lengthRangeRatio !== undefined ? { lengthRangeRatio } : {}) },
  );
  if (f.out !== undefined) writeFileSync(f.out, predictionsCsv(rows));
  if (f.json) printJson(summary);
  else process.stdout.write(renderAccuracyReport(summary, rows, sourceLabel(file, requestLengths, lengthRangeRatio)) + (f.out !== undefined ? `Predictions written to ${f.out}\n` : ''));
}

/** undefined for 'auto' (each row's own sampling). */
function parseRangeRatio(v: string): number | undefined {
  if (v === 'auto') return undefined;
  const r = Number(v);
  if (!(r > 0 && r <= 1)) throw new OptixUserError(`--length-range-ratio must be 'auto' or a number in (0, 1], got '${v}'`, { hint: '1 = every request exactly isl / osl; 0.8 = lengths uniform in [0.8 x isl, isl]' });
  return r;
}

function sourceLabel(file: string, requestLengths: RequestLengths | undefined, ratio: number | undefined): string {
  if (requestLengths === 'fixed') return `${file}, fixed request lengths`;
  const varied = requestLengths === 'varied' ? ', varied request lengths' : '';
  if (ratio === undefined) return `${file}${varied}`;
  return ratio === 1 ? `${file}${varied}, request lengths exactly isl / osl` : `${file}${varied}, request lengths uniform in [${ratio} x, 1 x] isl / osl`;
}

function runKernels(dir: string, f: AccuracyFlags): void {
  if (f.device === undefined) throw new OptixUserError('--kernels needs --device NAME', { hint: 'e.g. --kernels ../shared/reference/kernels/h100_sxm --device H100_SXM_80G' });
  const device = resolveDevices([f.device], f.deviceFile)[0]!;
  const { samples, skipped } = loadKernelSamples(dir, device);
  const acc = kernelAccuracy(samples, device, skipped);
  if (f.json) printJson(acc);
  else process.stdout.write(renderKernels(acc, dir));
}

function cell(v: number | null): string {
  return v === null ? '-' : v.toFixed(1);
}

export function renderKernels(acc: KernelAccuracy, dir: string): string {
  const lines = [`Kernel-level accuracy of ${acc.device} against ${dir}`, ''];
  lines.push(asciiTable(['op family', 'rows', 'median APE %', 'p90 APE %', 'median pred/meas'], acc.families.map((x) => [x.family, x.rows, cell(x.medianApePct), cell(x.p90ApePct), x.medianRatio ?? '-'])));
  lines.push('');
  lines.push(asciiTable(['op family', 'group', 'rows', 'median APE %', 'p90 APE %', 'median pred/meas'], acc.groups.map((x) => [x.family, x.group, x.rows, cell(x.medianApePct), cell(x.p90ApePct), x.medianRatio ?? '-'])));
  const skipped = Object.entries(acc.skipped);
  if (skipped.length > 0) {
    lines.push('');
    lines.push('Rows not checked:');
    for (const [why, n] of skipped) lines.push(`  ${n}  ${why}`);
  }
  return `${lines.join('\n')}\n`;
}
