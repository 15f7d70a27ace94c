/**
 * Seed 004's model folders: `model_conf/<model>/config_<variant>.json`, where
 * `config_full.json` is the checkpoint's config and variants (`config_2l.json`)
 * shrink it (fewer layers, fewer experts) for quick benchmarks.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { OptixUserError } from '../errors.js';
import { parseHfConfig, parseJsonText } from '../engine/models/index.js';
import type { ModelSpec } from '../engine/types.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export function variantFile(root: string, model: string, variant: string): string {
  return path.join(root, model, `config_${variant}.json`);
}

/** Variant names present for a model (`config_<name>.json`), sorted. */
export function listVariants(root: string, model: string): string[] {
  const dir = path.join(root, model);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((f) => /^config_(.+)\.json$/.exec(f)?.[1])
    .filter((v): v is string => v !== undefined)
    .sort();
}

function checkName(kind: string, v: string): void {
  if (!NAME.test(v)) throw new OptixUserError(`${kind} '${v}' is not a plain name`, { hint: 'use letters, digits, _ . - (no slashes)' });
}

export interface LoadedVariant {
  spec: ModelSpec;
  file: string;
  raw: Record<string, unknown>;
}

export function loadVariant(root: string, model: string, variant: string): LoadedVariant {
  checkName('--model', model);
  checkName('--mconf', variant);
  const file = variantFile(root, model, variant);
  if (!existsSync(file)) {
    if (!existsSync(path.join(root, model))) {
      const models = existsSync(root) ? readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort() : [];
      throw new OptixUserError(`no model folder '${model}' under ${root}`, {
        hint: models.length > 0 ? `models: ${models.join(', ')}` : `create ${path.join(root, model)}/config_full.json (or pass --model-root)`,
      });
    }
    const have = listVariants(root, model);
    throw new OptixUserError(`no variant '${variant}' for model '${model}' (${file} not found)`, {
      hint: have.length > 0 ? `variants: ${have.join(', ')}; or write one with \`optix sweep make-variant\`` : 'add config_full.json',
    });
  }
  const raw = readConfig(file);
  return { spec: parseHfConfig(raw, file, { id: `${model}/${variant}`, source: file }), file, raw };
}

function readConfig(file: string): Record<string, unknown> {
  const value = parseJsonText(readFileSync(file, 'utf8'), file);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new OptixUserError('a model config must be a JSON object', { file });
  }
  return value as Record<string, unknown>;
}

export interface VariantChanges {
  layers?: number;
  experts?: number;
}

/** `2l`, `64e`, `2l64e`: the default name of a variant. */
export function defaultVariantName(c: VariantChanges): string {
  return `${c.layers !== undefined ? `${c.layers}l` : ''}${c.experts !== undefined ? `${c.experts}e` : ''}`;
}

const EXPERT_KEYS = ['num_experts', 'n_routed_experts', 'num_local_experts'];
const TOPK_KEYS = ['num_experts_per_tok', 'experts_per_token'];

/**
 * A copy of `raw` with fewer (or more) layers or experts. Fields tied to the
 * layer count are kept consistent: per-layer lists are cut or extended,
 * layer indices beyond the new count are dropped, counts are clamped.
 * Works on the text config of wrapped (VL) configs.
 */
export function makeVariant(raw: Record<string, unknown>, c: VariantChanges, origin: string): Record<string, unknown> {
  if (c.layers === undefined && c.experts === undefined) {
    throw new OptixUserError('make-variant needs --layers or --experts (or both)');
  }
  const out = structuredClone(raw);
  const text = (typeof out.text_config === 'object' && out.text_config !== null ? out.text_config : out) as Record<string, unknown>;
  const prefix = text === out ? '' : 'text_config.';
  if (c.layers !== undefined) {
    if (!Number.isInteger(c.layers) || c.layers <= 0) throw new OptixUserError(`--layers must be a positive integer, got ${c.layers}`);
    if (typeof text.num_hidden_layers !== 'number') throw new OptixUserError(`no '${prefix}num_hidden_layers' to change`, { file: origin });
    const L = c.layers;
    text.num_hidden_layers = L;
    for (const key of ['layer_types', 'mlp_layer_types']) {
      const v = text[key];
      if (Array.isArray(v) && v.length > 0) text[key] = Array.from({ length: L }, (_, i) => v[i % v.length] as unknown);
    }
    if (Array.isArray(text.mlp_only_layers)) text.mlp_only_layers = (text.mlp_only_layers as unknown[]).filter((i) => typeof i === 'number' && i < L);
    for (const key of ['max_window_layers', 'first_k_dense_replace']) {
      if (typeof text[key] === 'number') text[key] = Math.min(text[key] as number, L);
    }
  }
  if (c.experts !== undefined) {
    if (!Number.isInteger(c.experts) || c.experts <= 0) throw new OptixUserError(`--experts must be a positive integer, got ${c.experts}`);
    const key = EXPERT_KEYS.find((k) => typeof text[k] === 'number');
    if (key === undefined) throw new OptixUserError(`--experts: '${origin}' has no expert count (${EXPERT_KEYS.join(', ')}); is it a MoE model?`, { file: origin });
    const topKey = TOPK_KEYS.find((k) => typeof text[k] === 'number');
    const topK = topKey === undefined ? undefined : (text[topKey] as number);
    if (topK !== undefined && c.experts < topK) {
      throw new OptixUserError(`--experts ${c.experts} is fewer than the ${topK} experts each token is routed to (${prefix}${topKey})`, { hint: `use at least ${topK}` });
    }
    text[key] = c.experts;
  }
  return out;
}

/** Writes a variant next to its source, and returns its spec (so a bad variant fails here, not later). */
export function writeVariant(root: string, model: string, from: string, name: string, c: VariantChanges, force: boolean): { file: string; spec: ModelSpec } {
  checkName('--name', name);
  const src = loadVariant(root, model, from);
  const next = makeVariant(src.raw, c, src.file);
  const file = variantFile(root, model, name);
  if (existsSync(file) && !force) throw new OptixUserError(`${file} exists`, { hint: 'pass --force to overwrite, or choose --name' });
  const spec = parseHfConfig(next, file, { id: `${model}/${name}`, source: file });
  writeFileSync(file, `${JSON.stringify(next, null, 2)}\n`);
  return { file, spec };
}
