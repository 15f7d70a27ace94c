/**
 * Seed 004's `scripts/bsz_seq.csv`: `{bsz1,bsz2,...};{seq1,seq2,...}`, e.g.
 * `1,2,4;128,256,512`. Braces and whitespace are optional, `#` starts a
 * comment, blank lines are skipped; several grid lines add their points.
 * Anything else is an error at its line and column.
 */
import { OptixUserError } from '../errors.js';

export interface GridPoint {
  batchSize: number;
  seqLen: number;
}

export interface Grid {
  batchSizes: number[];
  seqLens: number[];
  /** Every (bsz, seq) combination, batch-major, each once, in file order. */
  points: GridPoint[];
}

const HINT = "write one grid per line as 'bsz,bsz,...;seq,seq,...', e.g. '1,2,4;128,256,512' (braces optional, '#' comments)";

interface ListResult {
  values: number[];
}

/** Parses one comma list starting at 0-based `start` of `line` (which holds no ';'). */
function parseList(part: string, offset: number, what: string, where: { file: string; line: number }): ListResult {
  const at = (i: number) => ({ ...where, column: offset + i + 1 });
  let body = part;
  let bodyStart = 0;
  const open = body.indexOf('{');
  const close = body.lastIndexOf('}');
  if (open >= 0 || close >= 0) {
    const before = body.slice(0, open);
    const after = body.slice(close + 1);
    if (open < 0) throw new OptixUserError(`'}' without '{' in the ${what} list`, { ...at(close), hint: HINT });
    if (close < 0) throw new OptixUserError(`'{' without '}' in the ${what} list`, { ...at(open), hint: HINT });
    if (before.trim() !== '') throw new OptixUserError(`unexpected '${before.trim()}' before '{'`, { ...at(before.search(/\S/)), hint: HINT });
    if (after.trim() !== '') throw new OptixUserError(`unexpected '${after.trim()}' after '}'`, { ...at(close + 1 + after.search(/\S/)), hint: HINT });
    body = body.slice(open + 1, close);
    bodyStart = open + 1;
  }
  const values: number[] = [];
  const seen = new Set<number>();
  let pos = 0;
  for (const item of body.split(',')) {
    const lead = item.search(/\S/);
    const col = bodyStart + pos + (lead < 0 ? 0 : lead);
    const text = item.trim();
    pos += item.length + 1;
    if (text === '') {
      throw new OptixUserError(`empty ${what} value`, { ...at(col), hint: body.trim() === '' ? `the ${what} list needs at least one value` : HINT });
    }
    if (!/^\d+$/.test(text)) {
      const bad = /^[-+]?\d+(\.\d+)?$/.test(text) ? `${what} values must be positive integers, got '${text}'` : `'${text}' is not a ${what} value`;
      throw new OptixUserError(bad, { ...at(col), hint: HINT });
    }
    const v = Number(text);
    if (v <= 0 || !Number.isSafeInteger(v)) throw new OptixUserError(`${what} values must be positive integers, got '${text}'`, { ...at(col), hint: HINT });
    if (seen.has(v)) throw new OptixUserError(`duplicate ${what} ${v}`, { ...at(col), hint: 'list each value once' });
    seen.add(v);
    values.push(v);
  }
  return { values };
}

/** Parses grid text; `file` names the source in errors (a path, or '--grid'). */
export function parseGrid(text: string, file: string): Grid {
  const points: GridPoint[] = [];
  const key = new Set<string>();
  const batchSizes: number[] = [];
  const seqLens: number[] = [];
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const raw = lines[n] as string;
    const hash = raw.indexOf('#');
    const line = (hash >= 0 ? raw.slice(0, hash) : raw).replace(/^\uFEFF/, '');
    if (line.trim() === '') continue;
    const where = { file, line: n + 1 };
    const semis = [...line.matchAll(/;/g)].map((m) => m.index);
    if (semis.length !== 1) {
      const column = semis.length === 0 ? line.search(/\S/) + 1 : (semis[1] as number) + 1;
      throw new OptixUserError(
        semis.length === 0 ? "expected 'bsz list;seq list' (no ';' on this line)" : "more than one ';' on this line",
        { ...where, column, hint: HINT },
      );
    }
    const semi = semis[0] as number;
    const bsz = parseList(line.slice(0, semi), 0, 'batch size', where);
    const seq = parseList(line.slice(semi + 1), semi + 1, 'sequence length', where);
    for (const b of bsz.values) if (!batchSizes.includes(b)) batchSizes.push(b);
    for (const s of seq.values) if (!seqLens.includes(s)) seqLens.push(s);
    for (const b of bsz.values) {
      for (const s of seq.values) {
        const k = `${b}x${s}`;
        if (key.has(k)) continue;
        key.add(k);
        points.push({ batchSize: b, seqLen: s });
      }
    }
  }
  if (points.length === 0) throw new OptixUserError('no grid in the file (only blank lines and comments)', { file, hint: HINT });
  return { batchSizes, seqLens, points };
}
