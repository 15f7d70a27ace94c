/**
 * Typed readers for one row's cells. Each reader records a problem (column,
 * message, fix) instead of throwing, so that one pass over a file can list
 * every bad cell of every row.
 */
import { LIST_DELIMITER, type InputColumn } from './columns.js';

export interface CellProblem {
  /** 1-based line of the row in the CSV file. */
  line: number;
  /** The column at fault; absent for problems of the whole row. */
  column?: InputColumn | string;
  /** 1-based field position of that column in the header. */
  columnNumber?: number;
  message: string;
  /** How to fix it. */
  hint?: string;
}

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

export class RowReader {
  readonly problems: CellProblem[] = [];

  constructor(
    private readonly cells: ReadonlyMap<string, { value: string; columnNumber: number }>,
    readonly line: number,
  ) {}

  /** Trimmed text of a cell; '' when the column is absent or the cell empty. */
  text(column: InputColumn): string {
    return this.cells.get(column)?.value.trim() ?? '';
  }

  problem(column: InputColumn | undefined, message: string, hint?: string): void {
    const at = column === undefined ? undefined : this.cells.get(column);
    this.problems.push({
      line: this.line,
      ...(column === undefined ? {} : { column }),
      ...(at === undefined ? {} : { columnNumber: at.columnNumber }),
      message,
      ...(hint === undefined ? {} : { hint }),
    });
  }

  required(column: InputColumn): string | undefined {
    const v = this.text(column);
    if (v === '') {
      this.problem(column, 'is empty', `every case needs a ${column}`);
      return undefined;
    }
    return v;
  }

  /** A number, or undefined (with a problem recorded) when malformed or out of range. */
  number(column: InputColumn, raw: string, opts: { integer?: boolean; min?: number; max?: number; exclusiveMin?: boolean } = {}): number | undefined {
    const kind = opts.integer ? 'an integer' : 'a number';
    if (!NUMBER.test(raw)) {
      this.problem(column, `'${raw}' is not ${kind}`, `write ${kind}${column === 'ttft_limits' || column === 'tpot_limits' ? ' of milliseconds' : ''}, e.g. ${example(column)}`);
      return undefined;
    }
    const n = Number(raw);
    if (opts.integer && !Number.isInteger(n)) {
      this.problem(column, `'${raw}' is not an integer`, `write a whole number, e.g. ${example(column)}`);
      return undefined;
    }
    const { min, max } = opts;
    if (min !== undefined && (opts.exclusiveMin ? n <= min : n < min)) {
      this.problem(column, `${raw} is out of range`, `must be ${opts.exclusiveMin ? '>' : '>='} ${min}${max === undefined ? '' : ` and <= ${max}`}`);
      return undefined;
    }
    if (max !== undefined && n > max) {
      this.problem(column, `${raw} is out of range`, `must be <= ${max}${min === undefined ? '' : ` and ${opts.exclusiveMin ? '>' : '>='} ${min}`}`);
      return undefined;
    }
    return n;
  }

  /** Optional number: `fallback` when the cell is empty. */
  optionalNumber(column: InputColumn, fallback: number, opts: Parameters<RowReader['number']>[2] = {}): number | undefined {
    const v = this.text(column);
    return v === '' ? fallback : this.number(column, v, opts);
  }

  requiredNumber(column: InputColumn, opts: Parameters<RowReader['number']>[2] = {}): number | undefined {
    const v = this.required(column);
    return v === undefined ? undefined : this.number(column, v, opts);
  }

  /** `a;b;c`; undefined for an empty cell; null when any item is bad. */
  list(column: InputColumn, opts: Parameters<RowReader['number']>[2] = {}): number[] | undefined | null {
    const v = this.text(column);
    if (v === '') return undefined;
    const items = v
      .split(LIST_DELIMITER)
      .map((s) => s.trim())
      .filter((s) => s !== '');
    if (items.length === 0) return undefined;
    if (items.some((s) => !NUMBER.test(s)) && /[,\s]/.test(v)) {
      this.problem(column, `'${v}' is not a '${LIST_DELIMITER}'-separated list`, `separate values with '${LIST_DELIMITER}', e.g. ${example(column)}`);
      return null;
    }
    const out: number[] = [];
    for (const s of items) {
      const n = this.number(column, s, opts);
      if (n === undefined) return null;
      out.push(n);
    }
    return out;
  }

  /**
   * A latency limit: at most one value (seed 000). Several values are an error
   * telling the user to split the row, whatever separator they used.
   */
  limit(column: 'ttft_limits' | 'tpot_limits'): number | undefined | null {
    const v = this.text(column);
    if (v === '') return undefined;
    const parts = v.split(/[;,\s]+/).filter((s) => s !== '');
    if (parts.length > 1) {
      this.problem(column, `has ${parts.length} values (${parts.join(', ')}); a case takes at most one`, 'split them into separate CSV rows, one limit per row');
      return null;
    }
    const n = this.number(column, parts[0] ?? v, { min: 0, exclusiveMin: true });
    return n === undefined ? null : n;
  }

  bool(column: InputColumn, fallback: boolean): boolean | undefined {
    const v = this.text(column).toLowerCase();
    if (v === '') return fallback;
    if (v === 'true') return true;
    if (v === 'false') return false;
    this.problem(column, `'${this.text(column)}' is not a boolean`, 'write true or false');
    return undefined;
  }

  /** One of `choices`, matched case-insensitively and returned in its canonical spelling. */
  choice<T extends string>(column: InputColumn, choices: readonly T[], fallback: T): T | undefined {
    const v = this.text(column);
    if (v === '') return fallback;
    const hit = choices.find((c) => c.toLowerCase() === v.toLowerCase());
    if (hit === undefined) this.problem(column, `'${v}' is not a valid ${column}`, `valid values: ${choices.join(', ')}`);
    return hit;
  }
}

function example(column: string): string {
  switch (column) {
    case 'ttft_limits':
      return '2000';
    case 'tpot_limits':
      return '50';
    case 'tp_sizes':
    case 'ep_sizes':
      return '1;2;4;8';
    case 'mtp_acceptance_rate':
      return '0.9;0.6;0.4';
    case 'batch_range':
      return '1;256';
    case 'input_length':
      return '3500';
    case 'output_length':
      return '1500';
    case 'num_devices':
      return '8';
    case 'max_prefill_tokens':
      return '8192';
    case 'reserved_memory_gb':
      return '10';
    case 'mxfp4_group_size':
      return '32';
    default:
      return '1';
  }
}
