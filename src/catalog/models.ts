/**
 * Front door for model specs: turns what a user typed (a Hugging Face id, a
 * model directory, a config.json path) into a ModelSpec. All file I/O for
 * models happens here; the engine only sees the parsed value.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { OptixUserError } from '../errors.js';
import { getCatalogModel, parseHfConfig, parseJsonText } from '../engine/models/index.js';
import type { ModelSpec } from '../engine/types.js';

export interface ResolveModelOptions {
  /** Directory of `<org>--<name>.json` configs, consulted before the built-in catalog. */
  modelConfigDir?: string;
}

/**
 * Resolution order: an existing directory (its config.json) or file; then
 * `<modelConfigDir>/<org>--<name>.json`; then the built-in catalog.
 */
export function resolveModel(idOrPath: string, opts: ResolveModelOptions = {}): ModelSpec {
  if (idOrPath.trim() === '') {
    throw new OptixUserError('empty model id', { hint: 'pass a Hugging Face id, a model directory or a config.json path' });
  }
  if (existsSync(idOrPath)) {
    const file = statSync(idOrPath).isDirectory() ? path.join(idOrPath, 'config.json') : idOrPath;
    if (!existsSync(file)) {
      throw new OptixUserError(`no config.json in directory '${idOrPath}'`, {
        file: idOrPath,
        hint: 'a model directory holds the Hugging Face config.json',
      });
    }
    return parseHfConfig(readJsonFile(file), file, { id: idOrPath, source: file });
  }
  if (idOrPath.endsWith('.json') || idOrPath.startsWith('.') || path.isAbsolute(idOrPath)) {
    throw new OptixUserError(`model config '${idOrPath}' not found`, {
      file: idOrPath,
      hint: 'check the path, or pass a Hugging Face id from `optix models list`',
    });
  }
  if (opts.modelConfigDir !== undefined) {
    const file = findInConfigDir(opts.modelConfigDir, idOrPath);
    if (file !== undefined) return parseHfConfig(readJsonFile(file), file, { id: idOrPath, source: file });
  }
  return getCatalogModel(idOrPath);
}

/** `<dir>/<org>--<name>.json`, matched case-insensitively like catalog ids. */
function findInConfigDir(dir: string, id: string): string | undefined {
  const want = `${id.replace('/', '--')}.json`;
  const exact = path.join(dir, want);
  if (existsSync(exact)) return exact;
  if (!existsSync(dir)) {
    throw new OptixUserError(`model config directory '${dir}' not found`, { file: dir, hint: 'check --model-config-dir' });
  }
  const hit = readdirSync(dir).find((f) => f.toLowerCase() === want.toLowerCase());
  return hit === undefined ? undefined : path.join(dir, hit);
}

export function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new OptixUserError(`cannot read model config: ${e instanceof Error ? e.message : String(e)}`, { file, cause: e });
  }
  return parseJsonText(text, file);
}
