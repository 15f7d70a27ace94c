/**
 * The result CSV on disk. Every flush rewrites the whole file through a temp
 * file in the same directory and one rename(2): a reader, or a run killed with
 * SIGKILL at any instant, sees either the previous complete file or the new
 * complete one, never a half-written row. (Rewriting is cheap next to the
 * optimizer: a thousand-case file is a few hundred kilobytes.)
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { OptixUserError } from '../errors.js';
import { OUTPUT_COLUMNS, referenceRow, rowCells, type OutputRow } from './output.js';

const CASE_NAME = OUTPUT_COLUMNS.indexOf('Case_Name');
const LINEAR_OPTIONS = OUTPUT_COLUMNS.indexOf('QuantizeLinearAction_options');

export class ResultsFile {
  private readonly rows: string[][];
  private readonly names: Set<string>;
  private unflushed = 0;

  private constructor(
    readonly file: string,
    rows: string[][],
  ) {
    this.rows = rows;
    this.names = new Set(rows.map((r) => r[CASE_NAME]!));
  }

  /** A new, empty result file (an existing one is replaced at the first flush). */
  static fresh(file: string): ResultsFile {
    return new ResultsFile(file, []);
  }

  /**
   * The rows of an earlier run of the same columns, for --resume; a missing
   * file is an empty start.
   */
  static resume(file: string): ResultsFile {
    if (!existsSync(file)) return ResultsFile.fresh(file);
    let records: string[][];
    try {
      records = parse(readFileSync(file, 'utf8'), { bom: true, relax_column_count: true, skip_empty_lines: true }) as string[][];
    } catch (e) {
      throw new OptixUserError(`cannot resume from this result file: ${(e as Error).message}`, { file, hint: 'move it away, or run without --resume' });
    }
    const [header, ...rest] = records;
    if (header === undefined) return ResultsFile.fresh(file);
    if (header.length !== OUTPUT_COLUMNS.length || header.some((h, i) => h !== OUTPUT_COLUMNS[i])) {
      throw new OptixUserError('cannot resume: the file does not have the columns of an `optix cases` result file', {
        file,
        line: 1,
        hint: 'pass the --output-csv of the interrupted run, or run without --resume',
      });
    }
    const rows: string[][] = [];
    rest.forEach((r, i) => {
      if (r.length !== OUTPUT_COLUMNS.length) {
        throw new OptixUserError(`cannot resume: row has ${r.length} fields, expected ${OUTPUT_COLUMNS.length}`, { file, line: i + 2, hint: 'fix or delete that row' });
      }
      // The reference row is rewritten by every flush; keep only case rows.
      if (r[LINEAR_OPTIONS] !== '' && r[CASE_NAME] === '') return;
      rows.push(r);
    });
    return new ResultsFile(file, rows);
  }

  has(caseName: string): boolean {
    return this.names.has(caseName);
  }

  get size(): number {
    return this.rows.length;
  }

  /** Rows added since the last flush. */
  get pending(): number {
    return this.unflushed;
  }

  add(row: OutputRow): void {
    const cells = rowCells(row);
    this.rows.push(cells);
    this.names.add(cells[CASE_NAME]!);
    this.unflushed++;
  }

  /** Header, reference row and every row so far, replacing the file atomically. */
  flush(): void {
    const text = stringify([[...OUTPUT_COLUMNS], rowCells(referenceRow()), ...this.rows]);
    const dir = path.dirname(path.resolve(this.file));
    mkdirSync(dir, { recursive: true });
    const tmp = path.join(dir, `.${path.basename(this.file)}.${process.pid}.tmp`);
    const fd = openSync(tmp, 'w');
    try {
      const buf = Buffer.from(text, 'utf8');
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
      fsyncSync(fd);
    } catch (e) {
      closeSync(fd);
      rmSync(tmp, { force: true });
      throw e;
    }
    closeSync(fd);
    renameSync(tmp, this.file);
    this.unflushed = 0;
  }
}
