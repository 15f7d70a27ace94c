/**
 * How a sweep is shown: the terminal table, the CSV rows of `--save`, and the
 * raw log (per-op breakdown of every point, like a benchmark's raw output).
 */
import { asciiTable, fixed, pct } from '../cli/format.js';
import type { ParallelConfig } from '../engine/types.js';
import { sglangFlags } from './deploy.js';
import type { PhasePoint, PreparedSweep } from './runner.js';

export interface SweepHeader {
  model: string;
  mconf: string;
  configFile: string;
  quantLinear: string;
  quantAttention: string;
}

export function describeParallel(par: ParallelConfig): string {
  return `attention TP ${par.tp} x DP ${par.dp}, PP ${par.pp}; experts EP ${par.ep} x MoE-TP ${par.moeTp}`;
}

export function headerLines(p: PreparedSweep, h: SweepHeader): string[] {
  return [
    `Model: ${h.model} (${h.mconf}) from ${h.configFile}: ${p.spec.numLayers} layers, hidden ${p.spec.hiddenSize}${p.spec.moe ? `, ${p.spec.moe.numExperts} experts top-${p.spec.moe.topK}` : ''}`,
    `Deploy: ${p.deploy.name} = ${p.devices} x ${p.device.name} (SGLang ${sglangFlags(p.deploy)}): ${describeParallel(p.par)}`,
    `Quantize Linear action: ${h.quantLinear} (GEMMs in ${p.plan.gemmDtype}, peak ${fixed(p.peakFlopsPerS / 1e12, 1)} TFLOP/s per device)   Quantize Attention action: ${h.quantAttention}`,
  ];
}

export const TABLE_HEAD = ['bsz', 'seq', 'phase', 'latency (ms)', 'token/s', 'MFU %', 'MBU %', 'Cube %', 'Vec %', 'Mem %', 'Comm %', 'mem/device (GB)', 'memory'];

export function tableRows(points: PhasePoint[]): Array<Array<string | number>> {
  return points.map((x) => [
    x.batchSize,
    x.seqLen,
    x.phase,
    fixed(x.latencyMs, 3),
    fixed(x.tokensPerS, 1),
    pct(x.mfu),
    pct(x.mbu),
    pct(x.shares.cube),
    pct(x.shares.vec),
    pct(x.shares.mem),
    pct(x.shares.comm),
    fixed(x.memory.totalBytes / 1e9, 2),
    x.memory.oom ? 'OOM' : 'ok',
  ]);
}

export function renderTable(points: PhasePoint[]): string {
  return asciiTable(TABLE_HEAD, tableRows(points));
}

export const CSV_COLUMNS = [
  'model', 'mconf', 'deploy', 'device', 'num_devices', 'quantize_linear_action', 'phase', 'batch_size', 'seq_len', 'seqs_per_replica',
  'latency_ms', 'tokens_per_s', 'model_flops', 'model_bytes', 'mfu', 'mbu', 'cube_pct', 'vec_pct', 'mem_pct', 'comm_pct',
  'memory_per_device_gb', 'memory_capacity_gb', 'oom',
] as const;

export function csvRows(p: PreparedSweep, h: SweepHeader, points: PhasePoint[]): Array<Record<(typeof CSV_COLUMNS)[number], string | number>> {
  return points.map((x) => ({
    model: h.model,
    mconf: h.mconf,
    deploy: p.deploy.name,
    device: p.device.name,
    num_devices: p.devices,
    quantize_linear_action: h.quantLinear,
    phase: x.phase,
    batch_size: x.batchSize,
    seq_len: x.seqLen,
    seqs_per_replica: x.sequencesPerReplica,
    latency_ms: round(x.latencyMs, 6),
    tokens_per_s: round(x.tokensPerS, 3),
    model_flops: x.modelFlops.total,
    model_bytes: Math.round(x.modelBytes.total),
    mfu: round(x.mfu, 6),
    mbu: round(x.mbu, 6),
    cube_pct: round(x.shares.cube * 100, 3),
    vec_pct: round(x.shares.vec * 100, 3),
    mem_pct: round(x.shares.mem * 100, 3),
    comm_pct: round(x.shares.comm * 100, 3),
    memory_per_device_gb: round(x.memory.totalBytes / 1e9, 4),
    memory_capacity_gb: round(x.memory.capacityBytes / 1e9, 4),
    oom: x.memory.oom ? 1 : 0,
  }));
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/** The raw log: header, then each point's per-op table (one device of the fullest replica). */
export function rawLog(p: PreparedSweep, h: SweepHeader, points: PhasePoint[], warnings: string[], startedAt: string): string {
  const lines = [`optix sweep raw output, ${startedAt}`, ...headerLines(p, h)];
  lines.push(`Pricing: compile ${p.pricing.compile}, graph breaks ${p.pricing.compileAllowGraphBreak}`);
  for (const w of warnings) lines.push(`warning: ${w}`);
  for (const x of points) {
    const s = x.step;
    lines.push('');
    lines.push(
      `== ${x.phase} bsz ${x.batchSize} seq ${x.seqLen} (${x.sequencesPerReplica} per replica): ${fixed(x.latencyMs, 4)} ms, ` +
        `${fixed(x.tokensPerS, 1)} token/s, MFU ${pct(x.mfu)}%, MBU ${pct(x.mbu)}%` + (x.memory.oom ? ', OOM' : ''),
    );
    lines.push(
      `   model ${fixed(x.modelFlops.total / 1e9, 3)} GFLOP (linear ${fixed(x.modelFlops.linear / 1e9, 3)}, lm_head ${fixed(x.modelFlops.lmHead / 1e9, 3)}, attention ${fixed(x.modelFlops.attention / 1e9, 3)}); ` +
        `${fixed(x.modelBytes.total / 1e6, 3)} MB (weights ${fixed(x.modelBytes.weights / 1e6, 3)}, KV read ${fixed(x.modelBytes.kvRead / 1e6, 3)}, KV write ${fixed(x.modelBytes.kvWrite / 1e6, 3)})`,
    );
    lines.push(
      `   per device: memory ${fixed(x.memory.totalBytes / 1e9, 3)} of ${fixed(x.memory.capacityBytes / 1e9, 3)} GB ` +
        `(weights ${fixed(x.memory.weightsBytes / 1e9, 3)}, KV ${fixed(x.memory.kvCacheBytes / 1e9, 3)}, activations ${fixed(x.memory.activationBytes / 1e9, 3)}, reserved ${fixed(x.memory.reservedBytes / 1e9, 3)}); ` +
        `engine ${fixed(s.flops / 1e9, 3)} GFLOP, ${fixed(s.bytes / 1e6, 3)} MB; Mem ${pct(x.shares.mem)}% | Comm ${pct(x.shares.comm)}% | Cube ${pct(x.shares.cube)}% | Vec ${pct(x.shares.vec)}%`,
    );
    if (s.ops.length > 0) {
      lines.push(
        asciiTable(
          ['op', 'count', 'bucket', 'time (ms)', 'share %', 'GFLOP', 'MB'],
          s.ops.map((o) => [o.name, o.count, o.bucket, fixed(o.timeS * 1000, 4), pct(s.timeS > 0 ? o.timeS / s.timeS : 0), fixed(o.flops / 1e9, 3), fixed(o.bytes / 1e6, 3)]),
        ),
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
