/**
 * Reads measured serving points: aiconfigurator's silicon layout
 * (`../shared/reference/silicon_calibration.csv`) or the project's own results
 * CSV (`results/perf_script_test_results.csv`, src/result-saver). Each row
 * becomes one MeasuredRow; a row that cannot be used keeps an `invalid` reason.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { OptixUserError } from '../errors.js';
import { EXACT_LENGTHS, lengthSamplingOf, type DataLayout, type LengthSampling } from './mapping.js';

/** One worker of a deployment: its layout and the requests in flight on it. */
export interface MeasuredWorker {
  layout: DataLayout;
  /** Requests in flight on the instance (the engine splits them over DP replicas). */
  concurrency: number;
}

export interface MeasuredRow {
  /** 1-based CSV line of the row (header = line 1). */
  line: number;
  /** Which column layout the row was read from. */
  format: MeasuredLayout;
  id: string;
  backend: string;
  /** The data's system name (h100_sxm) or a profile name (results CSV). */
  system: string;
  modelPath: string;
  mode: 'agg' | 'disagg';
  isl: number;
  osl: number;
  /** How the row's benchmark drew request lengths around isl / osl (from its source). */
  lengthSampling: LengthSampling;
  gemmQuantMode: string;
  precision: string;
  agg?: MeasuredWorker;
  prefill?: MeasuredWorker;
  decode?: MeasuredWorker;
  ttftMs: number;
  tpotMs: number;
  /**
   * 'assumed' when the row gives no decode batch size and the client concurrency
   * is put on one decode worker (worker counts unknown); 'given' otherwise.
   */
  deployment: 'given' | 'assumed';
  /** Why the row cannot be predicted whatever the engine does. */
  invalid?: string;
}

export type MeasuredLayout = 'silicon' | 'results';

type Raw = Record<string, string>;

const SILICON_REQUIRED = ['model_path', 'system', 'mode', 'isl', 'osl', 'silicon_ttft_ms', 'silicon_tpot_ms'];
const RESULTS_REQUIRED = ['case_id', 'model', 'device', 'serving_mode', 'input_length', 'output_length', 'concurrency', 'ttft_ms', 'tpot_ms'];

export function readMeasuredFile(file: string): { layout: MeasuredLayout; rows: MeasuredRow[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new OptixUserError(`cannot read measured data: ${(e as Error).message}`, { file, hint: 'pass a CSV in the silicon_calibration.csv layout or a results CSV' });
  }
  return parseMeasuredCsv(text, file);
}

export function parseMeasuredCsv(text: string, file = '<csv>'): { layout: MeasuredLayout; rows: MeasuredRow[] } {
  let records: Raw[];
  try {
    records = parse(text, { columns: true, skip_empty_lines: true, relax_column_count: true, bom: true, trim: true }) as Raw[];
  } catch (e) {
    throw new OptixUserError(`not a readable CSV: ${(e as Error).message}`, { file });
  }
  const header = firstLineColumns(text);
  if (SILICON_REQUIRED.every((c) => header.includes(c))) {
    return { layout: 'silicon', rows: records.map((r, i) => fromSilicon(r, i + 2)) };
  }
  if (RESULTS_REQUIRED.every((c) => header.includes(c))) {
    return { layout: 'results', rows: records.map((r, i) => fromResults(r, i + 2)) };
  }
  const missing = SILICON_REQUIRED.filter((c) => !header.includes(c));
  throw new OptixUserError(`unrecognized measured-data columns (missing ${missing.join(', ')})`, {
    file,
    line: 1,
    column: 1,
    hint: 'use the silicon_calibration.csv header (see ../shared/reference/README.md) or a results CSV written by the harness',
  });
}

function firstLineColumns(text: string): string[] {
  const first = text.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '';
  return first.split(',').map((s) => s.trim().replace(/^"|"$/g, ''));
}

function num(v: string | undefined): number {
  if (v === undefined || v.trim() === '') return NaN;
  return Number(v);
}

/** Parallel sizes: empty or 0 (the data writes `ep none` as 0) mean "not set". */
function size(v: string | undefined): number {
  const n = num(v);
  return n === 0 ? NaN : n;
}

function layoutOf(r: Raw, prefix: string): DataLayout {
  return {
    tp: size(r[`${prefix}tp_size`]),
    pp: size(r[`${prefix}pp_size`]),
    attentionDp: size(r[`${prefix}attention_dp_size`]),
    moeTp: size(r[`${prefix}moe_tp_size`]),
    moeEp: size(r[`${prefix}moe_ep_size`]),
  };
}

/** `silicon_concurrency=N` (or `concurrency=N`) inside silicon_data_source. */
export function sourceConcurrency(source: string | undefined): number {
  const m = /(?:^|[;\s])(?:silicon_)?concurrency=(\d+)/.exec(source ?? '');
  return m ? Number(m[1]) : NaN;
}

/**
 * Batch columns count sequences per attention-DP rank: in the data, a row's
 * silicon_concurrency equals batch_size x attention_dp_size whenever DP > 1
 * (agg 126 of 127 rows, disagg decode 73 of 73), so the instance concurrency
 * handed to the engine is batch x DP.
 */
function fromSilicon(r: Raw, line: number): MeasuredRow {
  const mode = (r.mode ?? '').toLowerCase();
  const row: MeasuredRow = {
    line,
    format: 'silicon',
    id: r.id && r.id !== '' ? r.id : `line${line}`,
    backend: (r.backend ?? '').toLowerCase(),
    system: (r.system ?? '').toLowerCase(),
    modelPath: r.model_path ?? '',
    mode: mode === 'disagg' ? 'disagg' : 'agg',
    isl: num(r.isl),
    osl: num(r.osl),
    lengthSampling: lengthSamplingOf(r.silicon_data_source ?? ''),
    gemmQuantMode: r.gemm_quant_mode ?? '',
    precision: r.precision ?? '',
    ttftMs: num(r.silicon_ttft_ms),
    tpotMs: num(r.silicon_tpot_ms),
    deployment: 'given',
  };
  if (mode !== 'agg' && mode !== 'disagg') return { ...row, invalid: `invalid row (mode '${r.mode ?? ''}')` };
  if (!(row.isl > 0) || !(row.osl > 0)) return { ...row, invalid: 'invalid row (isl/osl)' };
  if (!(row.ttftMs > 0) || !(row.tpotMs > 0)) return { ...row, invalid: 'invalid row (no measured TTFT/TPOT)' };
  if (row.mode === 'agg') {
    const layout = layoutOf(r, '');
    const bs = num(r.batch_size);
    const dp = Number.isNaN(layout.attentionDp) ? 1 : layout.attentionDp;
    if (!(bs > 0)) return { ...row, invalid: 'invalid layout (batch_size missing)' };
    row.agg = { layout, concurrency: bs * dp };
    return row;
  }
  const pre = layoutOf(r, 'prefill_');
  const dec = layoutOf(r, 'decode_');
  const preDp = Number.isNaN(pre.attentionDp) ? 1 : pre.attentionDp;
  const decDp = Number.isNaN(dec.attentionDp) ? 1 : dec.attentionDp;
  const pbs = num(r.prefill_batch_size);
  const dbs = num(r.decode_batch_size);
  // Rows without batch columns (921 of the sample's disagg rows) still name the
  // client concurrency in silicon_data_source: it is put on one decode worker.
  const decodeConcurrency = dbs > 0 ? dbs * decDp : sourceConcurrency(r.silicon_data_source);
  if (!(decodeConcurrency > 0)) return { ...row, invalid: 'invalid layout (no decode batch size or concurrency)' };
  if (!(dbs > 0)) row.deployment = 'assumed';
  // The prefill pool serves the whole closed loop: the engine's steady-state
  // TTFT takes the client requests per prefill worker (as it takes the requests
  // per replica in aggregated serving), at least one per DP rank.
  const clients = sourceConcurrency(r.silicon_data_source);
  const decodeWorkers = num(r.decode_num_workers) > 0 ? num(r.decode_num_workers) : 1;
  const system = clients > 0 ? clients : decodeConcurrency * decodeWorkers;
  const prefillWorkers = num(r.prefill_num_workers) > 0 ? num(r.prefill_num_workers) : 1;
  const perPrefillWorker = Math.max((pbs > 0 ? pbs : 1) * preDp, Math.ceil(system / prefillWorkers));
  row.prefill = { layout: pre, concurrency: perPrefillWorker };
  row.decode = { layout: dec, concurrency: decodeConcurrency };
  return row;
}

/**
 * The harness's results CSV: `device` is a profile name, one layout for the
 * whole instance (a disagg case gets it for both workers), and only rows of
 * real runs (runner other than `engine`, ok = true) are measurements.
 */
function fromResults(r: Raw, line: number): MeasuredRow {
  const mode = (r.serving_mode ?? '').toLowerCase();
  const tp = size(r.tp);
  const dp = size(r.dp);
  const ep = size(r.ep);
  const layout: DataLayout = { tp, pp: size(r.pp), attentionDp: dp, moeTp: NaN, moeEp: ep };
  const concurrency = num(r.concurrency);
  const row: MeasuredRow = {
    line,
    format: 'results',
    id: `${r.case_id ?? `line${line}`}@c${r.concurrency ?? ''}`,
    backend: r.runner ?? '',
    system: r.device ?? '',
    modelPath: r.model ?? '',
    mode: mode === 'disagg' ? 'disagg' : 'agg',
    isl: num(r.input_length),
    osl: num(r.output_length),
    // The harness sends the lengths its case names.
    lengthSampling: EXACT_LENGTHS,
    gemmQuantMode: '',
    precision: r.precision ?? '',
    ttftMs: num(r.ttft_ms),
    tpotMs: num(r.tpot_ms),
    deployment: 'given',
  };
  if ((r.ok ?? 'true').toLowerCase() !== 'true') return { ...row, invalid: 'failed run (ok = false)' };
  if ((r.runner ?? '').toLowerCase() === 'engine') return { ...row, invalid: 'not a measurement (engine runner)' };
  if (!(row.ttftMs > 0) || !(row.tpotMs > 0)) return { ...row, invalid: 'invalid row (no measured TTFT/TPOT)' };
  if (!(row.isl > 0) || !(row.osl > 0)) return { ...row, invalid: 'invalid row (isl/osl)' };
  if (!(concurrency > 0)) return { ...row, invalid: 'invalid layout (concurrency missing)' };
  if (row.mode === 'agg') row.agg = { layout, concurrency };
  else {
    row.prefill = { layout, concurrency: Number.isNaN(dp) ? 1 : dp };
    row.decode = { layout, concurrency };
  }
  return row;
}
