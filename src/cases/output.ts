/**
 * The result CSV's columns (exactly seed 000's), its reference row of valid
 * quantization options, and one row per case.
 *
 * How an aggregation case maps onto the Decode_ and Prefill_ columns: agg has one
 * best point serving both phases. Decode_* carry that point in full (TPOT,
 * output tokens/s, decode-step time shares, layout). Prefill_* carry the same
 * point's TTFT, concurrency and layout, with the TTFT target; Prefill_Total
 * TPS, Prefill_TPS/Device and the Prefill_ shares stay empty, because an agg
 * point has no separate prefill throughput and its shares are the decode
 * step's.
 */
import { ATTENTION_ACTIONS, LINEAR_ACTIONS, type PhaseResult, type ServingPoint } from '../engine/index.js';
import type { DeviceOptimizeResult } from '../engine/api.js';
import { LIST_DELIMITER } from './columns.js';
import type { CaseIdentity, CaseSpec } from './parse.js';

function phaseColumns<P extends 'Decode' | 'Prefill', L extends 'TPOT' | 'TTFT'>(p: P, l: L) {
  return [
    `${p}_Linear Quant Type`,
    `${p}_Attn Quant Type`,
    `${p}_Use EP`,
    `${p}_MTP Tokens`,
    `${p}_${l} Target(ms)`,
    `${p}_Concurrency`,
    `${p}_${l}(ms)`,
    `${p}_Total TPS`,
    `${p}_TPS/Device`,
    `${p}_Mem`,
    `${p}_Comm`,
    `${p}_Cube`,
    `${p}_Vec`,
    `${p}_TP Size`,
    `${p}_PP Size`,
    `${p}_DP Size`,
  ] as const;
}

export const IDENTITY_COLUMNS = ['Case_Name', 'Device Type', 'Number of Devices', 'Input Length', 'Output Length', 'Model'] as const;
export const DECODE_COLUMNS = phaseColumns('Decode', 'TPOT');
export const PREFILL_COLUMNS = phaseColumns('Prefill', 'TTFT');
export const OPTIONS_COLUMNS = ['QuantizeLinearAction_options', 'QuantizeAttentionAction_options'] as const;
export const OUTPUT_COLUMNS = [...IDENTITY_COLUMNS, ...DECODE_COLUMNS, ...PREFILL_COLUMNS, ...OPTIONS_COLUMNS] as const;
export type OutputColumn = (typeof OUTPUT_COLUMNS)[number];

/** A cell: numbers are rounded when the row is built; undefined = empty. */
export type Cell = string | number | undefined;
export type OutputRow = Partial<Record<OutputColumn, Cell>>;

/** Second line of every result file: the quantization actions a case may name. */
export function referenceRow(): OutputRow {
  return {
    QuantizeLinearAction_options: LINEAR_ACTIONS.join(LIST_DELIMITER),
    QuantizeAttentionAction_options: ATTENTION_ACTIONS.join(LIST_DELIMITER),
  };
}

function round(v: number, digits = 2): number | undefined {
  return Number.isFinite(v) ? Number(v.toFixed(digits)) : undefined;
}

/** The point a phase reports: the best under the limits, else the closest attempt (seed 000). */
export function reportedPoint(phase: PhaseResult | undefined): ServingPoint | undefined {
  return phase?.best ?? phase?.closest;
}

interface PhaseCellsInput {
  spec: CaseSpec;
  point: ServingPoint;
  latency: 'TPOT' | 'TTFT';
  /** Throughput and time shares belong to this point's phase. */
  withThroughput: boolean;
}

function phaseCells(columns: readonly string[], { spec, point, latency, withThroughput }: PhaseCellsInput): OutputRow {
  const [linear, attn, ep, mtp, target, conc, lat, tps, tpsDev, mem, comm, cube, vec, tp, pp, dp] = columns as unknown as OutputColumn[];
  const limit = latency === 'TPOT' ? spec.tpotLimitMs : spec.ttftLimitMs;
  const row: OutputRow = {
    [linear!]: spec.quantizeLinearAction,
    [attn!]: spec.quantizeAttentionAction,
    // Seed 000: the EP size, shown only when it is above 1.
    [ep!]: point.parallel.ep > 1 ? point.parallel.ep : undefined,
    [mtp!]: spec.numMtpTokens,
    [target!]: limit,
    [conc!]: point.concurrency,
    [lat!]: round(latency === 'TPOT' ? point.tpotMs : point.ttftMs),
    [tp!]: point.parallel.tp,
    [pp!]: point.parallel.pp,
    [dp!]: point.parallel.dp,
  };
  if (withThroughput) {
    Object.assign(row, {
      [tps!]: round(point.tokensPerS),
      [tpsDev!]: round(point.tokensPerSPerDevice),
      // Percentages of the step's time.
      [mem!]: round(point.shares.mem * 100),
      [comm!]: round(point.shares.comm * 100),
      [cube!]: round(point.shares.cube * 100),
      [vec!]: round(point.shares.vec * 100),
    });
  }
  return row;
}

export function identityRow(caseName: string, id: CaseIdentity): OutputRow {
  return {
    Case_Name: caseName,
    'Device Type': id.device,
    'Number of Devices': id.numDevices,
    'Input Length': id.inputLength,
    'Output Length': id.outputLength,
    Model: id.modelId,
  };
}

/** One case's row from the optimizer's result for its (single) device. */
export function resultRow(spec: CaseSpec, deviceName: string, r: DeviceOptimizeResult): OutputRow {
  const row: OutputRow = {
    Case_Name: spec.caseName,
    'Device Type': deviceName,
    'Number of Devices': spec.numDevices,
    'Input Length': spec.inputLength,
    'Output Length': spec.outputLength,
    Model: spec.modelId,
  };
  const agg = reportedPoint(r.agg);
  if (agg) {
    Object.assign(row, phaseCells(DECODE_COLUMNS, { spec, point: agg, latency: 'TPOT', withThroughput: true }));
    Object.assign(row, phaseCells(PREFILL_COLUMNS, { spec, point: agg, latency: 'TTFT', withThroughput: false }));
  }
  const decode = reportedPoint(r.decode);
  if (decode) Object.assign(row, phaseCells(DECODE_COLUMNS, { spec, point: decode, latency: 'TPOT', withThroughput: true }));
  const prefill = reportedPoint(r.prefill);
  if (prefill) Object.assign(row, phaseCells(PREFILL_COLUMNS, { spec, point: prefill, latency: 'TTFT', withThroughput: true }));
  return row;
}

export function rowCells(row: OutputRow): string[] {
  return OUTPUT_COLUMNS.map((c) => {
    const v = row[c];
    return v === undefined ? '' : String(v);
  });
}

/** For --json: numbers stay numbers, empty cells are null. */
export function rowJson(row: OutputRow): Record<OutputColumn, string | number | null> {
  return Object.fromEntries(OUTPUT_COLUMNS.map((c) => [c, row[c] ?? null])) as Record<OutputColumn, string | number | null>;
}
