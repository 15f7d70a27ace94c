/** Text report and prediction CSV of `optix accuracy --measured`. */
import { stringify } from 'csv-stringify/sync';
import { asciiTable } from '../cli/format.js';
import { servesInWaves } from '../engine/scheduler.js';
import { AICONFIGURATOR_EVAL_LENGTHS, INFERENCEX_LENGTHS } from './mapping.js';
import { servingEngineOf, type RowPrediction } from './predict.js';
import { summarizeByDeployment, summarizeByFamily, type AccuracySummary } from './summary.js';

function cell(v: number | null): string {
  return v === null ? '-' : v.toFixed(1);
}

export function renderAccuracyReport(summary: AccuracySummary, rows: readonly RowPrediction[], source: string): string {
  const lines: string[] = [];
  const pct = summary.rows > 0 ? ((summary.predicted / summary.rows) * 100).toFixed(1) : '0.0';
  lines.push(`Accuracy against ${source}`);
  lines.push(`Rows: ${summary.rows}, predicted: ${summary.predicted} (${pct}%)`);
  lines.push(`TTFT APE: median ${cell(summary.ttft.medianApePct)}%, p90 ${cell(summary.ttft.p90ApePct)}%`);
  lines.push(`TPOT APE: median ${cell(summary.tpot.medianApePct)}%, p90 ${cell(summary.tpot.p90ApePct)}%`);
  const atMean = rows.filter((r) => r.meanIsl !== r.isl || r.meanOsl !== r.osl).length;
  if (atMean > 0) lines.push(`Request lengths: ${atMean} rows priced at their benchmark's mean lengths (e.g. InferenceX: uniform in [${INFERENCEX_LENGTHS.rangeRatio}, 1] x isl / osl; --length-range-ratio), ${rows.length - atMean} at isl / osl`);
  const fixed = rows.filter((r) => r.requestLengths === 'fixed');
  if (fixed.length > 0) {
    const waves = fixed.filter((r) => r.mode === 'agg' && servesInWaves(servingEngineOf(r.backend), 'fixed')).length;
    lines.push(`Fixed request lengths: ${fixed.length} rows from a benchmark that sends every request at exactly isl / osl (e.g. ${AICONFIGURATOR_EVAL_LENGTHS.benchmark}; --request-lengths), ${waves} of them aggregated on a prefill-first engine: lockstep waves`);
  }
  const held = rows.filter((r) => (r.attentionDpBalanceWaitMs ?? 0) > 0).length;
  if (held > 0) lines.push(`Attention-DP balance: ${held} TensorRT-LLM rows hold prefills for their DP ranks, as their benchmark's launch scripts set attention_dp_config.enable_balance (InferenceX)`);
  const undone = rows.filter((r) => r.epMultipliedSizes === true).length;
  if (undone > 0) lines.push(`Layouts: ${undone} rows' parallel sizes read as EP-multiplied exports (beyond one scale-up domain: tp x dp = ep x ep with moe_tp = ep runs on tp x dp / ep devices; tp = dp = k with ep = k x k on k devices at tp k, ep k)`);
  const reasons = Object.entries(summary.unsupported);
  if (reasons.length > 0) {
    lines.push('');
    lines.push('Not predicted:');
    for (const [reason, n] of reasons) lines.push(`  ${n}  ${reason}`);
  }
  lines.push('');
  lines.push('By system / backend / mode:');
  lines.push(
    asciiTable(
      ['system', 'backend', 'mode', 'rows', 'TTFT median APE %', 'TPOT median APE %'],
      summary.groups.map((g) => [g.system, g.backend, g.mode, g.rows, cell(g.ttftMedianApePct), cell(g.tpotMedianApePct)]),
    ),
  );
  const byDeployment = summarizeByDeployment(rows);
  if (byDeployment.some((d) => d.deployment === 'assumed')) {
    lines.push('');
    lines.push('By deployment (assumed: disagg rows without decode batch size or worker counts; the client concurrency is put on one decode worker):');
    lines.push(
      asciiTable(
        ['deployment', 'rows', 'predicted', 'TTFT median APE %', 'TPOT median APE %'],
        byDeployment.map((d) => [d.deployment, d.rows, d.predicted, cell(d.ttftMedianApePct), cell(d.tpotMedianApePct)]),
      ),
    );
  }
  lines.push('');
  lines.push('By model family:');
  lines.push(
    asciiTable(
      ['family', 'rows', 'predicted', 'TTFT median APE %', 'TPOT median APE %'],
      summarizeByFamily(rows).map((f) => [f.family, f.rows, f.predicted, cell(f.ttftMedianApePct), cell(f.tpotMedianApePct)]),
    ),
  );
  return `${lines.join('\n')}\n`;
}

export const PREDICTION_COLUMNS = [
  'id',
  'line',
  'system',
  'profile',
  'backend',
  'mode',
  'model_path',
  'family',
  'quant',
  'isl',
  'osl',
  'mean_isl',
  'mean_osl',
  'request_lengths',
  'concurrency',
  'measured_ttft_ms',
  'measured_tpot_ms',
  'predicted_ttft_ms',
  'predicted_tpot_ms',
  'ttft_ape_pct',
  'tpot_ape_pct',
  'predicted_prefill_step_ms',
  'predicted_decode_step_ms',
  'prefill_queue_requests',
  'attention_dp_balance_ms',
  'deployment',
  'reason',
] as const;

function n(v: number | undefined, digits = 4): string {
  return v === undefined || !Number.isFinite(v) ? '' : String(Number(v.toPrecision(digits + 2)));
}

/** One CSV row per measured row (predicted or not). */
export function predictionsCsv(rows: readonly RowPrediction[]): string {
  const records = rows.map((r) => [
    r.id,
    r.line,
    r.system,
    r.profile ?? '',
    r.backend,
    r.mode,
    r.modelPath,
    r.family,
    r.quant ?? '',
    r.isl,
    r.osl,
    r.meanIsl,
    r.meanOsl,
    r.requestLengths,
    n(r.concurrency),
    n(r.measuredTtftMs),
    n(r.measuredTpotMs),
    n(r.ttftMs),
    n(r.tpotMs),
    n(r.ttftApePct, 2),
    n(r.tpotApePct, 2),
    n(r.prefillStepMs),
    n(r.decodeStepMs),
    n(r.prefillQueueRequests),
    n(r.attentionDpBalanceWaitMs),
    r.deployment,
    r.reason ?? '',
  ]);
  return stringify(records, { header: true, columns: [...PREDICTION_COLUMNS] });
}
