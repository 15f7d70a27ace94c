/** `optix estimate`: one fixed deployment at one concurrency. */
import type { Command } from 'commander';
import { OptixUserError } from '../../errors.js';
import { estimate } from '../../engine/index.js';
import type { EstimateResult } from '../../engine/api.js';
import type { ParallelConfig, RequestLengths, ServingEngine, StepLatency } from '../../engine/types.js';
import { queueLawFor, SCHEDULERS, servesInWaves } from '../../engine/scheduler.js';
import { lockstepRanks } from '../../engine/serving.js';
import { makeParallel } from '../../engine/defaults.js';
import { asciiTable, fixed, formatParallel, gb, pct, printJson } from '../format.js';
import { addEngineOptions, parseIntArg, quantFromFlags, type EngineFlags } from '../options.js';
import { resolveInputs, servingFor } from '../resolve.js';

interface EstimateFlags extends EngineFlags {
  device: string;
  numDevices: number;
  tpSize: number;
  epSize?: number;
  dpSize?: number;
  ppSize: number;
  moeDpSize: number;
  concurrency: number;
  inputLength: number;
  outputLength: number;
  mode: 'agg' | 'prefill' | 'decode';
  detail: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command('estimate')
    .description('TTFT, TPOT, throughput and memory of one fixed deployment at one concurrency')
    .argument('<model>', 'Hugging Face id from the built-in catalog, or a config.json file / model directory')
    .requiredOption('--device <name>', 'device profile name (see `optix devices list`)')
    .option('--num-devices <n>', 'devices of the instance (default tp x dp x pp)', parseIntArg('--num-devices'))
    .requiredOption('--tp-size <n>', 'tensor parallel size', parseIntArg('--tp-size'))
    .option('--dp-size <n>', 'attention data parallel size (default num-devices / (tp x pp))', parseIntArg('--dp-size'))
    .option('--pp-size <n>', 'pipeline parallel size', parseIntArg('--pp-size'), 1)
    .option('--ep-size <n>', 'expert parallel size (MoE; default all devices of a stage)', parseIntArg('--ep-size'))
    .option('--moe-dp-size <n>', 'MoE data parallel size (expert replicas)', parseIntArg('--moe-dp-size'), 1)
    .requiredOption('--concurrency <n>', 'requests in flight on the instance', parseIntArg('--concurrency'))
    .requiredOption('--input-length <n>', 'prompt tokens', parseIntArg('--input-length'))
    .requiredOption('--output-length <n>', 'generated tokens', parseIntArg('--output-length'))
    .option('--mode <mode>', 'agg (both phases on one instance), prefill or decode (one disaggregated phase)', 'agg')
    .option('--detail', 'print the per-op table of one prefill and one decode step', false);
  addEngineOptions(cmd).action((model: string, flags: EstimateFlags) => {
    run(model, flags);
  });
}

function layoutFromFlags(f: EstimateFlags): ParallelConfig {
  if (!['agg', 'prefill', 'decode'].includes(f.mode)) throw new OptixUserError(`--mode must be agg, prefill or decode, got '${f.mode}'`);
  const stageDevices = f.numDevices !== undefined ? f.numDevices / f.ppSize : undefined;
  const dp = f.dpSize ?? (stageDevices !== undefined ? stageDevices / f.tpSize : 1);
  if (!Number.isInteger(dp) || dp < 1) {
    throw new OptixUserError(`--num-devices ${f.numDevices} is not a multiple of tp x pp (${f.tpSize} x ${f.ppSize})`);
  }
  const par = makeParallel({ tp: f.tpSize, dp, pp: f.ppSize, ...(f.epSize !== undefined ? { ep: f.epSize } : {}), moeDp: f.moeDpSize });
  const total = par.tp * par.dp * par.pp;
  if (f.numDevices !== undefined && total !== f.numDevices) {
    throw new OptixUserError(`tp x dp x pp = ${total} but --num-devices is ${f.numDevices}`, { hint: 'make them agree' });
  }
  const stage = par.tp * par.dp;
  if (stage % (par.ep * par.moeDp) !== 0) {
    throw new OptixUserError(`ep x moe-dp (${par.ep} x ${par.moeDp}) must divide tp x dp (${stage})`);
  }
  return { ...par, moeTp: stage / (par.ep * par.moeDp) };
}

function run(modelId: string, f: EstimateFlags): void {
  const { model, devices } = resolveInputs(modelId, [f.device], f);
  const device = devices[0]!;
  const parallel = layoutFromFlags(f);
  const result = estimate({
    model,
    device,
    parallel,
    quant: quantFromFlags(f),
    workload: { inputLength: f.inputLength, outputLength: f.outputLength, prefixCacheHitRate: f.prefixCacheHitRate },
    serving: servingFor(model, f),
    concurrency: f.concurrency,
    mode: f.mode,
  });
  if (f.json) {
    printJson({ model: model.id, device: device.name, ...result, prefillStep: stepJson(result.prefillStep, f.detail), decodeStep: stepJson(result.decodeStep, f.detail) });
    return;
  }
  process.stdout.write(render(model.id, device.name, result, f, lockstepRanks(model, parallel)));
}

function stepJson(s: StepLatency, detail: boolean): unknown {
  return { timeMs: s.timeS * 1000, bucketMs: mapValues(s.bucketS, (v) => v * 1000), flops: s.flops, bytes: s.bytes, ...(detail ? { ops: s.ops } : {}) };
}

function mapValues(o: Record<string, number>, f: (v: number) => number): Record<string, number> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));
}

/** The queue and decode laws behind a steady-state TTFT/TPOT (engine/scheduler.ts), with this point's B. */
function steadyStateLaw(engine: ServingEngine, lengths: RequestLengths, mode: string, batch: number, lockstep: number, balanceWaitMs: number): string {
  const m = SCHEDULERS[engine];
  if (mode === 'agg' && servesInWaves(engine, lengths)) {
    return (
      `Steady-state scheduling, ${engine} scheduler, fixed request lengths: lockstep waves of ${batch} requests, prefilled before any decode; ` +
      `TTFT = ${m.requestOverheadMs} ms + mean prefill wait in the wave; TPOT = decode step x ${m.decodeStepScale} + ${m.iterationOverheadMs} ms + (wave prefill time - mean prefill wait) / (output - 1)`
    );
  }
  const hold = balanceWaitMs > 0 ? ` + attention-DP balance hold ${fixed(balanceWaitMs)} ms` : '';
  const q = queueLawFor(engine, lengths);
  const ttft = `TTFT = ${q.requestOverheadMs} ms + prefill step x (${q.basePrefills} + ${batch} / ${q.clientsPerPrefill})${hold}`;
  // Attention-DP ranks sharing experts wait for the busiest rank's prefills (engine/serving.ts).
  const prefills = lockstep > 1 ? `max over ${lockstep} lockstep ranks of Poisson(${batch} / output) prefills` : `${batch} / output prefills`;
  const tpot = `TPOT = decode step x ${m.decodeStepScale} + ${m.iterationOverheadMs} ms${mode === 'agg' ? ` + ${m.prefillInterleave} x (${prefills}) x prefill cost` : ''}`;
  const trains = q !== m ? ', fixed request lengths (a train of prefills)' : '';
  return `Steady-state scheduling, ${engine} scheduler${trains}: ${mode === 'decode' ? tpot : mode === 'prefill' ? ttft : `${ttft}; ${tpot}`}`;
}

function render(modelId: string, deviceName: string, r: EstimateResult, f: EstimateFlags, lockstep: number): string {
  const p = r.point;
  const m = p.memory;
  const lines: string[] = [];
  lines.push(`Model: ${modelId}`);
  lines.push(`Device: ${p.numDevices} x ${deviceName}   Parallel: ${formatParallel(p.parallel, true)}   Mode: ${p.mode}`);
  lines.push(`Quantize Linear action: ${f.quantizeLinearAction}   Quantize Attention action: ${f.quantizeAttentionAction}`);
  lines.push(`Workload: input ${f.inputLength}, output ${f.outputLength}, concurrency ${p.concurrency} (${p.batchSize} per DP replica)`);
  lines.push('');
  lines.push(
    asciiTable(
      ['TTFT (ms)', 'TPOT (ms)', 'Throughput (token/s)', 'token/s/device', 'token/s/user', 'prefill step (ms)', 'decode step (ms)'],
      [[fixed(p.ttftMs), fixed(p.tpotMs), fixed(p.tokensPerS), fixed(p.tokensPerSPerDevice), fixed(p.tokensPerSPerUser), fixed(p.prefillStepMs), fixed(p.decodeStepMs)]],
    ),
  );
  lines.push(
    `Memory per device (GB): weights ${gb(m.weightsBytes)} + KV ${gb(m.kvCacheBytes)} + activations ${gb(m.activationBytes)} + reserved ${gb(m.reservedBytes)} = ${gb(m.totalBytes)} of ${gb(m.capacityBytes)}` +
      `; max ${m.maxSequencesPerReplica} sequences per replica${m.oom ? '  [OOM]' : ''}`,
  );
  lines.push(`Time shares (${p.mode === 'prefill' ? 'prefill' : 'decode'} step): Mem ${pct(p.shares.mem)}% | Comm ${pct(p.shares.comm)}% | Cube ${pct(p.shares.cube)}% | Vec ${pct(p.shares.vec)}%`);
  if (f.scheduling === 'steady-state') lines.push(steadyStateLaw(f.servingEngine, f.requestLengths, p.mode, p.batchSize, lockstep, p.attentionDpBalanceWaitMs));
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  if (f.detail) {
    for (const [title, step] of [
      ['Prefill step', r.prefillStep],
      ['Decode step', r.decodeStep],
    ] as const) {
      lines.push('');
      lines.push(`${title}: ${fixed(step.timeS * 1000, 3)} ms  (Mem ${pct(step.bucketS.mem / step.timeS)}% | Comm ${pct(step.bucketS.comm / step.timeS)}% | Cube ${pct(step.bucketS.cube / step.timeS)}% | Vec ${pct(step.bucketS.vec / step.timeS)}%)`);
      lines.push(
        asciiTable(
          ['op', 'count', 'bucket', 'time (ms)', 'share %', 'GFLOP', 'MB'],
          step.ops.map((o) => [o.name, o.count, o.bucket, fixed(o.timeS * 1000, 3), pct(o.timeS / step.timeS), fixed(o.flops / 1e9, 2), fixed(o.bytes / 1e6, 2)]),
        ),
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
