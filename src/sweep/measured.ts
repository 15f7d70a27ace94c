/**
 * Measured forward-pass latencies (e.g. from seed 004's SGLang benchmark) as a
 * CSV: one row per (batch size, sequence length, phase) with its latency.
 *
 *   batch_size,seq_len,phase,latency_ms
 *   8,1024,prefill,152.3
 *   8,1024,decode,9.8
 *
 * Headers are matched case-insensitively after turning spaces, dashes and
 * brackets into '_' ("Latency (ms)" -> latency_ms); each column has a few
 * aliases, and latency may be given in s, ms or us. Other columns are ignored.
 */
import { parse } from 'csv-parse/sync';
import { OptixUserError } from '../errors.js';
import type { Phase } from './runner.js';

export interface MeasuredRow {
  /** 1-based line of the row in the file. */
  line: number;
  batchSize: number;
  seqLen: number;
  phase: Phase;
  latencyMs: number;
}

export const MEASURED_COLUMNS = {
  batch_size: ['batch_size', 'bsz', 'bs', 'batch'],
  seq_len: ['seq_len', 'seq', 'seqlen', 'seq_length', 'sequence_length', 'input_len', 'input_length', 'context_len', 'context'],
  phase: ['phase', 'stage', 'mode'],
  latency: ['latency_ms', 'latency', 'time_ms', 'ms', 'latency_s', 'time_s', 'latency_us', 'time_us'],
} as const;

const PHASES: Record<string, Phase> = { prefill: 'prefill', extend: 'prefill', context: 'prefill', decode: 'decode', generation: 'decode', generate: 'decode' };

export function normalizeHeader(h: string): string {
  return h
    .replace(/^\uFEFF/, '')
    .trim()
    .toLowerCase()
    .replace(/[\s\-()[\]/]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/** Latency-column unit from its name: *_s seconds, *_us microseconds, else milliseconds. */
function msPerUnit(header: string): number {
  if (header.endsWith('_us')) return 1e-3;
  if (header.endsWith('_s')) return 1e3;
  return 1;
}

interface Parsed {
  record: string[];
  info: { lines: number };
}

export function parseMeasuredCsv(text: string, file: string): MeasuredRow[] {
  let records: Parsed[];
  try {
    records = parse(text, { info: true, skip_empty_lines: true, comment: '#', trim: true, relax_column_count: false }) as unknown as Parsed[];
  } catch (e) {
    const line = (e as { lines?: number }).lines;
    throw new OptixUserError(`CSV syntax error: ${(e as Error).message}`, { file, ...(line !== undefined ? { line } : {}), cause: e });
  }
  const head = records[0];
  if (head === undefined) throw new OptixUserError('empty measurements file', { file, hint: 'first line: batch_size,seq_len,phase,latency_ms' });
  const headers = head.record.map(normalizeHeader);
  const col = (key: keyof typeof MEASURED_COLUMNS): { index: number; name: string } => {
    for (const alias of MEASURED_COLUMNS[key]) {
      const index = headers.indexOf(alias);
      if (index >= 0) return { index, name: alias };
    }
    throw new OptixUserError(`no ${key} column in the header`, {
      file,
      line: head.info.lines,
      hint: `name it one of: ${MEASURED_COLUMNS[key].join(', ')} (header seen: ${head.record.join(',')})`,
    });
  };
  const bsz = col('batch_size');
  const seq = col('seq_len');
  const phase = col('phase');
  const lat = col('latency');
  const scale = msPerUnit(lat.name);

  const rows: MeasuredRow[] = [];
  for (const r of records.slice(1)) {
    const line = r.info.lines;
    const cell = (c: { index: number }): string => r.record[c.index] ?? '';
    const positiveInt = (c: { index: number; name: string }): number => {
      const v = cell(c);
      if (!/^\d+$/.test(v) || Number(v) <= 0) throw new OptixUserError(`${c.name} must be a positive integer, got '${v}'`, { file, line });
      return Number(v);
    };
    const p = PHASES[cell(phase).toLowerCase()];
    if (p === undefined) {
      throw new OptixUserError(`${phase.name} must be prefill or decode, got '${cell(phase)}'`, { file, line, hint: 'also accepted: extend, context (prefill); generation (decode)' });
    }
    const latText = cell(lat);
    const latency = Number(latText);
    if (latText === '' || !Number.isFinite(latency) || latency <= 0) {
      throw new OptixUserError(`${lat.name} must be a positive number, got '${latText}'`, { file, line });
    }
    rows.push({ line, batchSize: positiveInt(bsz), seqLen: positiveInt(seq), phase: p, latencyMs: latency * scale });
  }
  if (rows.length === 0) throw new OptixUserError('no measurements after the header', { file });
  return rows;
}
