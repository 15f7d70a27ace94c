/**
 * CSV text -> benchmark cases. Problems with the header (a missing required
 * column, an unknown or repeated one, broken CSV syntax) stop everything at
 * once; problems with a row are collected per row so that `--validate-csv`
 * can list them all and a run can fail just that case.
 */
import { parse } from 'csv-parse/sync';
import { OptixUserError } from '../errors.js';
import { ATTENTION_ACTIONS, LINEAR_ACTIONS, type AttentionAction, type LinearAction } from '../engine/types.js';
import { CASE_DEFAULTS, CASE_MODES, INPUT_COLUMNS, LOG_LEVELS, REQUIRED_COLUMNS, type CaseMode, type InputColumn, type LogLevel } from './columns.js';
import { RowReader, type CellProblem } from './cells.js';

/** One case, every default applied (seed 000's table). */
export interface CaseSpec {
  caseName: string;
  device: string;
  numDevices: number;
  modelId: string;
  inputLength: number;
  outputLength: number;
  /** undefined: no TTFT constraint. */
  ttftLimitMs?: number;
  tpotLimitMs: number;
  /** undefined: not given (the optimizer's default search). */
  tpSizes?: number[];
  epSizes?: number[];
  quantizeLinearAction: LinearAction;
  quantizeAttentionAction: AttentionAction;
  numMtpTokens: number;
  mtpAcceptanceRates: number[];
  compile: boolean;
  mode: CaseMode;
  maxPrefillTokens: number;
  /** [min, max] sequences per DP replica. */
  batchRange?: [number, number];
  servingCost: number;
  jobs: number;
  logLevel: LogLevel;
  mxfp4GroupSize: number;
  reservedMemoryGb: number;
  compileAllowGraphBreak: boolean;
}

/** The identifying cells as written, so that even a bad row gets a recognisable output row. */
export interface CaseIdentity {
  device: string;
  numDevices: string;
  modelId: string;
  inputLength: string;
  outputLength: string;
}

export interface ParsedRow {
  /** 1-based line where the row starts in the file. */
  line: number;
  /** 1-based position among the data rows (the N of the default name row_N). */
  index: number;
  caseName: string;
  identity: CaseIdentity;
  /** Present when the row has no problems. */
  spec?: CaseSpec;
  problems: CellProblem[];
}

export interface ParsedCases {
  file: string;
  header: string[];
  rows: ParsedRow[];
}

export function parseCasesCsv(text: string, file: string): ParsedCases {
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    records = parse(text, { info: true, bom: true, relax_column_count: true, skip_empty_lines: true }) as unknown as typeof records;
  } catch (e) {
    const err = e as Error & { code?: string; lines?: number };
    throw new OptixUserError(`CSV syntax error: ${err.message.replace(/\s*at line \d+\.?$/, '')}`, {
      file,
      ...(typeof err.lines === 'number' ? { line: err.lines } : {}),
      hint: 'check the quoting of that row (a field with a comma or newline must be in double quotes)',
    });
  }
  const first = records[0];
  if (first === undefined) {
    throw new OptixUserError('the CSV is empty', { file, hint: 'start from `optix cases --write-template cases.csv`' });
  }
  const header = first.record.map((h) => h.trim());
  checkHeader(header, file);

  const rows: ParsedRow[] = [];
  const names = new Map<string, number>();
  let index = 0;
  for (const { record, info } of records.slice(1)) {
    // A row of empty cells (",,,,") is a spacer, not a case.
    if (record.every((c) => c.trim() === '')) continue;
    index++;
    const line = info.lines - record.reduce((n, c) => n + (c.match(/\r\n|\r|\n/g)?.length ?? 0), 0);
    const row = parseRow(header, record, line, index);
    const seen = names.get(row.caseName);
    if (seen !== undefined) {
      row.problems.push({
        line,
        column: 'case_name',
        ...columnNumberOf(header, 'case_name'),
        message: `duplicate case name '${row.caseName}' (first on line ${seen})`,
        hint: 'give every case a unique case_name; results and --resume match cases by name',
      });
      delete row.spec;
    } else {
      names.set(row.caseName, line);
    }
    rows.push(row);
  }
  return { file, header, rows };
}

function columnNumberOf(header: string[], column: string): { columnNumber?: number } {
  const i = header.indexOf(column);
  return i < 0 ? {} : { columnNumber: i + 1 };
}

function checkHeader(header: string[], file: string): void {
  const known = new Set<string>(INPUT_COLUMNS);
  const seen = new Set<string>();
  header.forEach((h, i) => {
    const at = { file, line: 1, column: i + 1 };
    if (h === '') throw new OptixUserError(`header field ${i + 1} is empty`, { ...at, hint: 'name every column, or delete the empty one' });
    if (!known.has(h)) {
      const near = nearest(h, INPUT_COLUMNS);
      throw new OptixUserError(`unknown column '${h}'`, {
        ...at,
        hint: near !== undefined ? `did you mean '${near}'?` : `valid columns: ${INPUT_COLUMNS.join(', ')}`,
      });
    }
    if (seen.has(h)) throw new OptixUserError(`column '${h}' appears twice in the header`, { ...at, hint: 'keep one of them' });
    seen.add(h);
  });
  const missing = REQUIRED_COLUMNS.filter((c) => !seen.has(c));
  if (missing.length > 0) {
    throw new OptixUserError(`missing required column${missing.length > 1 ? 's' : ''} ${missing.map((c) => `'${c}'`).join(', ')}`, {
      file,
      line: 1,
      hint: `the header needs ${REQUIRED_COLUMNS.join(', ')}; see \`optix cases --write-template\``,
    });
  }
}

function parseRow(header: string[], record: string[], line: number, index: number): ParsedRow {
  const cells = new Map<string, { value: string; columnNumber: number }>();
  header.forEach((h, i) => cells.set(h, { value: record[i] ?? '', columnNumber: i + 1 }));
  const r = new RowReader(cells, line);
  const caseName = r.text('case_name') || `row_${index}`;
  const identity: CaseIdentity = {
    device: r.text('device'),
    numDevices: r.text('num_devices'),
    modelId: r.text('model_id'),
    inputLength: r.text('input_length'),
    outputLength: r.text('output_length'),
  };
  if (record.length !== header.length) {
    r.problem(undefined, `row has ${record.length} fields, the header has ${header.length}`, 'add or remove commas so that every row has one field per header column');
    return { line, index, caseName, identity, problems: r.problems };
  }

  const device = r.required('device');
  const numDevices = r.requiredNumber('num_devices', { integer: true, min: 1 });
  const modelId = r.required('model_id');
  const inputLength = r.requiredNumber('input_length', { integer: true, min: 1 });
  const outputLength = r.requiredNumber('output_length', { integer: true, min: 1 });
  const ttft = r.limit('ttft_limits');
  const tpot = r.limit('tpot_limits');
  const tpSizes = r.list('tp_sizes', { integer: true, min: 1 });
  const epSizes = r.list('ep_sizes', { integer: true, min: 1 });
  const linear = r.choice<LinearAction>('quantize_linear_action', LINEAR_ACTIONS, CASE_DEFAULTS.quantizeLinearAction);
  const attention = r.choice<AttentionAction>('quantize_attention_action', ATTENTION_ACTIONS, CASE_DEFAULTS.quantizeAttentionAction);
  const numMtpTokens = r.optionalNumber('num_mtp_tokens', CASE_DEFAULTS.numMtpTokens, { integer: true, min: 0, max: 9 });
  const rates = r.list('mtp_acceptance_rate', { min: 0, max: 1 });
  const compile = r.bool('compile', CASE_DEFAULTS.compile);
  const mode = r.choice<CaseMode>('mode', CASE_MODES, CASE_DEFAULTS.mode);
  const maxPrefillTokens = r.optionalNumber('max_prefill_tokens', CASE_DEFAULTS.maxPrefillTokens, { integer: true, min: 1 });
  const batchRange = readBatchRange(r);
  const servingCost = r.optionalNumber('serving_cost', CASE_DEFAULTS.servingCost, { min: 0 });
  const jobs = r.optionalNumber('jobs', CASE_DEFAULTS.jobs, { integer: true, min: 1 });
  const logLevel = r.choice<LogLevel>('log_level', LOG_LEVELS, CASE_DEFAULTS.logLevel);
  const mxfp4GroupSize = r.optionalNumber('mxfp4_group_size', CASE_DEFAULTS.mxfp4GroupSize, { integer: true, min: 1 });
  const reservedMemoryGb = r.optionalNumber('reserved_memory_gb', CASE_DEFAULTS.reservedMemoryGb, { min: 0 });
  const compileAllowGraphBreak = r.bool('compile_allow_graph_break', CASE_DEFAULTS.compileAllowGraphBreak);

  const base = { line, index, caseName, identity };
  if (
    r.problems.length > 0 ||
    device === undefined ||
    numDevices === undefined ||
    modelId === undefined ||
    inputLength === undefined ||
    outputLength === undefined ||
    ttft === null ||
    tpot === null ||
    tpSizes === null ||
    epSizes === null ||
    linear === undefined ||
    attention === undefined ||
    numMtpTokens === undefined ||
    rates === null ||
    compile === undefined ||
    mode === undefined ||
    maxPrefillTokens === undefined ||
    batchRange === null ||
    servingCost === undefined ||
    jobs === undefined ||
    logLevel === undefined ||
    mxfp4GroupSize === undefined ||
    reservedMemoryGb === undefined ||
    compileAllowGraphBreak === undefined
  ) {
    return { ...base, problems: r.problems };
  }
  const spec: CaseSpec = {
    caseName,
    device,
    numDevices,
    modelId,
    inputLength,
    outputLength,
    ...(ttft === undefined ? {} : { ttftLimitMs: ttft }),
    tpotLimitMs: tpot ?? CASE_DEFAULTS.tpotLimitMs,
    ...(tpSizes === undefined ? {} : { tpSizes }),
    ...(epSizes === undefined ? {} : { epSizes }),
    quantizeLinearAction: linear,
    quantizeAttentionAction: attention,
    numMtpTokens,
    mtpAcceptanceRates: rates ?? [...CASE_DEFAULTS.mtpAcceptanceRates],
    compile,
    mode,
    maxPrefillTokens,
    ...(batchRange === undefined ? {} : { batchRange }),
    servingCost,
    jobs,
    logLevel,
    mxfp4GroupSize,
    reservedMemoryGb,
    compileAllowGraphBreak,
  };
  return { ...base, spec, problems: [] };
}

/** `max` or `min;max` (seed 002's --batch-range [max] / [min max]). */
function readBatchRange(r: RowReader): [number, number] | undefined | null {
  const values = r.list('batch_range', { integer: true, min: 1 });
  if (values === undefined || values === null) return values;
  if (values.length > 2) {
    r.problem('batch_range', `has ${values.length} values`, "write 'max' or 'min;max', e.g. 1;256");
    return null;
  }
  const [lo, hi] = values.length === 1 ? [1, values[0]!] : [values[0]!, values[1]!];
  if (hi < lo) {
    r.problem('batch_range', `min ${lo} is above max ${hi}`, "write 'min;max' with min <= max");
    return null;
  }
  return [lo, hi];
}

/** The closest name within edit distance 3, for "did you mean" hints. */
function nearest(word: string, names: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = 4;
  for (const n of names) {
    const d = editDistance(word.toLowerCase(), n);
    if (d < bestD) {
      bestD = d;
      best = n;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** Fills in the header position of problems found after parsing (device, model, ...). */
export function locate(parsed: ParsedCases, problems: CellProblem[]): CellProblem[] {
  return problems.map((p) => (p.column === undefined || p.columnNumber !== undefined ? p : { ...p, ...columnNumberOf(parsed.header, p.column) }));
}

/** `file:line:col: column: message (hint)` — the one-line form every front door prints. */
export function formatProblem(file: string, p: CellProblem): string {
  const where = p.column === undefined ? '' : `column '${p.column}': `;
  return new OptixUserError(`${where}${p.message}`, {
    file,
    line: p.line,
    ...(p.columnNumber === undefined ? {} : { column: p.columnNumber }),
    ...(p.hint === undefined ? {} : { hint: p.hint }),
  }).format();
}

export type { CellProblem, InputColumn };
