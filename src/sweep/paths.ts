/**
 * Where seed 004's files live: `model_conf/` and `scripts/bsz_seq.csv` in the
 * working directory when present (a user's own benchmark folder), otherwise the
 * ones shipped with optix; results under `<out-dir>/csv` and `<out-dir>/raw_output`.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../package-root.js';

function localOrShipped(rel: string, cwd: string): string {
  const local = path.resolve(cwd, rel);
  return existsSync(local) ? local : path.join(packageRoot(), rel);
}

export function defaultModelRoot(cwd = process.cwd()): string {
  return localOrShipped('model_conf', cwd);
}

export function defaultGridFile(cwd = process.cwd()): string {
  return localOrShipped(path.join('scripts', 'bsz_seq.csv'), cwd);
}

/** `20250102T030405Z`: sortable, no characters that file systems dislike. */
export function fileTimestamp(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '');
}

/** `<model>_<mconf>_<deploy>_<device>_<timestamp>`, as seed 004 names its result files. */
export function resultBaseName(parts: { model: string; mconf: string; deploy: string; device: string; timestamp: string }): string {
  return [parts.model, parts.mconf, parts.deploy, parts.device, parts.timestamp].map((s) => s.replace(/[^A-Za-z0-9._-]+/g, '-')).join('_');
}
