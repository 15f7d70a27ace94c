/**
 * ConfigLoader (seed 001): finds every case under a config root and parses it
 * keeping source positions, so later stages can point at file:line:column.
 * A file that does not parse comes back as a broken case carrying its error:
 * one bad file fails its own test and never stops collection.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fg from 'fast-glob';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { OptixUserError } from '../errors.js';
import type { CaseConfig } from '../harness/case.js';
import { mergeDefaultMetrics } from './defaults.js';

export const DEFAULT_CONFIG_DIR = 'test_configs';

export interface SourcePosition {
  line: number;
  column: number;
}

export type PathSegment = string | number;

export interface LoadedCase {
  /** `{test_type}_{category}_{config_filename}` (seed 001). */
  id: string;
  testType: string;
  category: string;
  /** File name without `.yaml`. */
  name: string;
  /** Path as given to the user: relative to the working directory when inside it. */
  file: string;
  absFile: string;
  /** Parsed case with default metrics merged in; undefined when the file is broken. */
  config?: CaseConfig;
  /** Set when the file could not be read or parsed (YAML syntax, not an object, bad location). */
  error?: OptixUserError;
  /** Position of the deepest node along `at` that exists (the file's start when none does). */
  locate(at: PathSegment[]): SourcePosition;
}

export interface LoadOptions {
  /** Config root; default `OPTIX_CONFIG_DIR` or `test_configs`. */
  configDir?: string;
  /** For relative display paths; default process.cwd(). */
  cwd?: string;
}

export function configDirFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const v = env.OPTIX_CONFIG_DIR;
  return v !== undefined && v.trim() !== '' ? v : DEFAULT_CONFIG_DIR;
}

/** Every `**\/*.yaml` (and .yml) under the root, sorted so ids and batches are stable. */
export function discoverCaseFiles(configDir: string): string[] {
  return fg
    .sync(['**/*.yaml', '**/*.yml'], { cwd: configDir, absolute: true, onlyFiles: true, dot: false })
    .sort((a, b) => a.localeCompare(b));
}

export function loadCases(opts: LoadOptions = {}): LoadedCase[] {
  const cwd = opts.cwd ?? process.cwd();
  const root = path.resolve(cwd, opts.configDir ?? configDirFromEnv());
  return discoverCaseFiles(root).map((f) => loadCaseFile(f, root, cwd));
}

/** Parses one file; never throws for a bad file (the error rides on the result). */
export function loadCaseFile(absFile: string, root: string, cwd: string = process.cwd()): LoadedCase {
  const rel = path.relative(cwd, absFile);
  const file = rel.startsWith('..') || path.isAbsolute(rel) ? absFile : rel;
  const parts = path.relative(root, absFile).split(path.sep);
  const base = path.basename(absFile).replace(/\.ya?ml$/, '');
  const testType = parts.length >= 3 ? (parts[0] ?? 'unknown') : 'unknown';
  const category = parts.length >= 3 ? (parts[1] ?? 'unknown') : 'unknown';
  const id = `${testType}_${category}_${base}`;
  const startOfFile: SourcePosition = { line: 1, column: 1 };
  const broken = (error: OptixUserError, locate: (at: PathSegment[]) => SourcePosition = () => startOfFile): LoadedCase => ({
    id, testType, category, name: base, file, absFile, error, locate,
  });

  let text: string;
  try {
    text = readFileSync(absFile, 'utf8');
  } catch (e) {
    return broken(new OptixUserError(`cannot read case: ${e instanceof Error ? e.message : String(e)}`, { file }));
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const locate = (at: PathSegment[]): SourcePosition => locateIn(doc, lineCounter, at);
  const first = doc.errors[0];
  if (first !== undefined) {
    const pos = lineCounter.linePos(first.pos[0]);
    const message = first.message.split('\n')[0] ?? first.message;
    return broken(
      new OptixUserError(`YAML syntax error: ${message}`, { file, line: pos.line, column: pos.col, hint: 'fix the YAML syntax at that position' }),
      locate,
    );
  }
  if (parts.length < 3) {
    return broken(
      new OptixUserError('case file is not under {test_type}/{category}/', {
        file,
        line: 1,
        column: 1,
        hint: `move it to ${path.relative(cwd, root) || '.'}/<agg|disagg>/<perf|accuracy>/${path.basename(absFile)}`,
      }),
      locate,
    );
  }
  const value: unknown = doc.toJS();
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return broken(
      new OptixUserError('case file must hold a YAML mapping (metadata:, benchmark:, hardware:, ...)', {
        file, line: 1, column: 1, hint: 'see schemas/case.schema.json',
      }),
      locate,
    );
  }
  const config = mergeDefaultMetrics(value as CaseConfig);
  return { id, testType, category, name: base, file, absFile, config, locate };
}

/** Walks `at` as far as the document has nodes; a pair's key is preferred so messages point at the name. */
function locateIn(doc: Document, lc: LineCounter, at: PathSegment[]): SourcePosition {
  let node: unknown = doc.contents;
  let best: Node | undefined = isNode(node) ? node : undefined;
  for (const seg of at) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (pair === undefined) break;
      if (isNode(pair.key)) best = pair.key;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg];
      if (item === undefined) break;
      if (isNode(item)) best = item;
      node = item;
    } else {
      break;
    }
  }
  // A leaf scalar is more useful than its key when the path reaches it (the bad value itself).
  if (at.length > 0 && isScalar(node) && isNode(node)) best = node;
  const offset = best?.range?.[0] ?? 0;
  const pos = lc.linePos(offset);
  return { line: pos.line, column: pos.col };
}

function isNode(v: unknown): v is Node {
  return v !== null && typeof v === 'object' && 'range' in v;
}
