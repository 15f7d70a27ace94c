/**
 * `--dump-original-results PATH`: every evaluated point of every device and
 * phase (the full non-OOM sweep plus each layout's best batch) as CSV, with
 * the Mem/Comm/Cube/Vec time shares and per-device memory.
 */
import { writeFileSync } from 'node:fs';
import { stringify } from 'csv-stringify/sync';
import { OptixUserError } from '../../errors.js';
import type { OptimizeResult, SloLimits } from '../../engine/api.js';
import type { ServingPoint } from '../../engine/types.js';
import { meetsLimits } from '../../engine/search.js';
import { phasesOf } from './render.js';

export const DUMP_COLUMNS = [
  'device', 'mode', 'tp', 'pp', 'dp', 'ep', 'moe_tp', 'moe_dp', 'num_devices', 'batch_size', 'concurrency',
  'ttft_ms', 'tpot_ms', 'tokens_per_s', 'tokens_per_s_per_device', 'tokens_per_s_per_user', 'qps',
  'prefill_step_ms', 'decode_step_ms', 'oom', 'meets_limits',
  'mem_share', 'comm_share', 'cube_share', 'vec_share',
  'weights_gb', 'kv_cache_gb', 'activation_gb', 'reserved_gb', 'memory_gb', 'capacity_gb',
] as const;

const GB = 1e9;

function row(device: string, p: ServingPoint, limits: SloLimits): Array<string | number> {
  const m = p.memory;
  return [
    device, p.mode, p.parallel.tp, p.parallel.pp, p.parallel.dp, p.parallel.ep, p.parallel.moeTp, p.parallel.moeDp, p.numDevices, p.batchSize, p.concurrency,
    p.ttftMs, p.tpotMs, p.tokensPerS, p.tokensPerSPerDevice, p.tokensPerSPerUser, p.qps,
    p.prefillStepMs, p.decodeStepMs, String(p.oom), String(meetsLimits(p, limits, p.mode)),
    p.shares.mem, p.shares.comm, p.shares.cube, p.shares.vec,
    m.weightsBytes / GB, m.kvCacheBytes / GB, m.activationBytes / GB, m.reservedBytes / GB, m.totalBytes / GB, m.capacityBytes / GB,
  ];
}

export function sweepCsv(result: OptimizeResult): string {
  const rows: Array<Array<string | number>> = [];
  for (const d of result.perDevice) {
    for (const ph of phasesOf(d)) for (const p of ph.sweep) rows.push(row(d.device, p, result.request.limits));
  }
  return stringify(rows, { header: true, columns: [...DUMP_COLUMNS] });
}

export function writeSweepCsv(path: string, result: OptimizeResult): number {
  const csv = sweepCsv(result);
  try {
    writeFileSync(path, csv);
  } catch (e) {
    throw new OptixUserError(`cannot write --dump-original-results file: ${e instanceof Error ? e.message : String(e)}`, { file: path, cause: e });
  }
  return csv.split('\n').length - 2;
}
