/**
 * Writes src/engine/models/catalog.ts from a directory of Hugging Face configs
 * named `<org>--<name>.json`, keeping only the fields the parser reads, so that
 * the engine ships its built-in models without reading files at run time.
 *
 *   npx tsc -p . && node dist/scripts/gen-model-catalog.js [configDir] [outFile]
 *
 * Defaults: ../shared/model_configs and src/engine/models/catalog.ts (run from the repo root).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parseJsonText } from '../src/engine/models/json.js';
import { isUserError } from '../src/errors.js';
import { parseHfConfig } from '../src/engine/models/parse.js';

type Json = Record<string, unknown>;

interface Entry {
  hfId: string;
  source: string;
  note?: string;
  config: Json;
}

const NVFP4 = { quant_method: 'modelopt', quant_algo: 'NVFP4' };
const FP8 = { quant_method: 'fp8', fmt: 'e4m3' };

/**
 * Ids that people (and silicon_calibration.csv) use for models whose config is
 * here under another name, or whose quantized checkpoint only differs in dtype.
 */
const ALIASES: ReadonlyArray<{ id: string; target: string; note: string; quant?: Json }> = [
  { id: 'meta-llama/Llama-3.1-8B', target: 'meta-llama/Meta-Llama-3.1-8B', note: 'the repo was renamed from Meta-Llama-3.1-8B' },
  { id: 'meta-llama/Llama-3.1-8B-Instruct', target: 'meta-llama/Meta-Llama-3.1-8B', note: 'instruct tune; same architecture as the base model' },
  { id: 'meta-llama/Meta-Llama-3.1-8B-Instruct', target: 'meta-llama/Meta-Llama-3.1-8B', note: 'instruct tune; same architecture as the base model' },
  { id: 'meta-llama/Llama-3.1-70B', target: 'meta-llama/Meta-Llama-3.1-70B', note: 'the repo was renamed from Meta-Llama-3.1-70B' },
  { id: 'meta-llama/Llama-3.1-70B-Instruct', target: 'meta-llama/Meta-Llama-3.1-70B', note: 'instruct tune; same architecture as the base model' },
  { id: 'meta-llama/Meta-Llama-3.1-70B-Instruct', target: 'meta-llama/Meta-Llama-3.1-70B', note: 'instruct tune; same architecture as the base model' },
  { id: 'meta-llama/Llama-3.3-70B-Instruct', target: 'meta-llama/Meta-Llama-3.1-70B', note: 'Llama 3.3 70B keeps the Llama 3.1 70B architecture' },
  { id: 'meta-llama/Llama-3.1-405B', target: 'meta-llama/Meta-Llama-3.1-405B', note: 'the repo was renamed from Meta-Llama-3.1-405B' },
  { id: 'meta-llama/Llama-3.1-405B-Instruct', target: 'meta-llama/Meta-Llama-3.1-405B', note: 'instruct tune; same architecture as the base model' },
  { id: 'zhipuai/GLM-5', target: 'zai-org/GLM-5', note: 'Zhipu AI publishes as zai-org' },
  { id: 'deepseek-ai/DeepSeek-V3.1', target: 'deepseek-ai/DeepSeek-V3', note: 'V3.1 keeps the V3 architecture (as nvidia--DeepSeek-V3.1-NVFP4.json shows) and its fp8 checkpoint' },
  { id: 'nvidia/DeepSeek-R1-NVFP4', target: 'deepseek-ai/DeepSeek-R1', note: 'NVFP4 re-quantization of DeepSeek-R1 by NVIDIA ModelOpt', quant: NVFP4 },
  { id: 'nvidia/Qwen3-32B-NVFP4', target: 'Qwen/Qwen3-32B', note: 'NVFP4 re-quantization of Qwen3-32B by NVIDIA ModelOpt', quant: NVFP4 },
  { id: 'MiniMaxAI/MiniMax-M2', target: 'MiniMaxAI/MiniMax-M2.5', note: 'MiniMax-M2.5 keeps the MiniMax-M2 architecture' },
];

/** Reads the config through a proxy that records every key path the parser touches. */
function fieldsParserReads(config: Json, origin: string): Set<string> {
  const seen = new Set<string>();
  const wrap = (obj: Json, prefix: string): Json =>
    new Proxy(obj, {
      get(target, key, receiver) {
        const value: unknown = Reflect.get(target, key, receiver);
        if (typeof key !== 'string') return value;
        const p = prefix + key;
        if (value !== undefined && value !== null) seen.add(p);
        return typeof value === 'object' && value !== null && !Array.isArray(value) ? wrap(value as Json, `${p}.`) : value;
      },
    });
  parseHfConfig(wrap(config, ''), origin);
  return seen;
}

function pick(config: Json, paths: Set<string>): Json {
  const out: Json = {};
  // Shorter paths first, so that parents exist before their children are filled in.
  for (const p of [...paths].sort((a, b) => a.split('.').length - b.split('.').length)) {
    const keys = p.split('.');
    let src: unknown = config;
    let dst: Json = out;
    for (const [i, k] of keys.entries()) {
      src = (src as Json)[k];
      const last = i === keys.length - 1;
      if (typeof src === 'object' && src !== null && !Array.isArray(src)) {
        dst[k] ??= {};
        dst = dst[k] as Json;
      } else if (last) {
        dst[k] = src;
      }
    }
  }
  return out;
}

function quantFromName(name: string): { quant: Json; note: string } | undefined {
  if (/NVFP4/i.test(name)) return { quant: NVFP4, note: 'NVFP4 per the repo name (NVIDIA ships it in hf_quant_config.json beside config.json)' };
  if (/-FP8\b/i.test(name)) return { quant: FP8, note: 'FP8 per the repo name (config.json does not carry it)' };
  return undefined;
}

function main(): void {
  const configDir = path.resolve(process.argv[2] ?? '../shared/model_configs');
  const outFile = path.resolve(process.argv[3] ?? 'src/engine/models/catalog.ts');
  const entries = new Map<string, Entry>();
  const skipped: string[] = [];

  for (const file of readdirSync(configDir).filter((f) => f.endsWith('.json')).sort()) {
    const hfId = file.slice(0, -'.json'.length).replace('--', '/');
    const source = `model_configs/${file}`;
    const full = parseJsonText(readFileSync(path.join(configDir, file), 'utf8'), file) as Json;
    let config: Json = full;
    let note: string | undefined;
    const holder = isObjectWithKey(full, 'text_config') ? (full.text_config as Json) : full;
    if (holder.quantization_config === undefined && full.quantization_config === undefined) {
      const q = quantFromName(hfId);
      if (q !== undefined) {
        config = { ...full, quantization_config: q.quant };
        note = q.note;
      }
    }
    let paths: Set<string>;
    try {
      paths = fieldsParserReads(config, file);
    } catch (e) {
      if (!isUserError(e)) throw e;
      skipped.push(`${hfId}: ${e.message}`);
      continue;
    }
    const compact = pick(config, paths);
    // The compact config must mean exactly what the full one means.
    if (!isDeepStrictEqual(parseHfConfig(compact, file), parseHfConfig(config, file))) {
      throw new Error(`compacting ${file} changed its parsed spec; fix pick()`);
    }
    entries.set(hfId, note === undefined ? { hfId, source, config: compact } : { hfId, source, note, config: compact });
  }

  for (const a of ALIASES) {
    const target = entries.get(a.target);
    if (target === undefined) throw new Error(`alias ${a.id}: target ${a.target} is not in the catalog`);
    if (entries.has(a.id)) throw new Error(`alias ${a.id} shadows a config file`);
    const config: Json = a.quant === undefined ? target.config : withQuant(target.config, a.quant);
    entries.set(a.id, { hfId: a.id, source: `${target.source} (alias of ${a.target})`, note: a.note, config });
  }

  const ids = [...entries.keys()].sort((a, b) => a.localeCompare(b));
  const lines = [
    '// GENERATED by scripts/gen-model-catalog.ts from the Hugging Face configs in model_configs/. Do not edit.',
    '// Regenerate from the repo root: npx tsc -p . && node dist/scripts/gen-model-catalog.js [configDir] [outFile]',
    '// Each config keeps only the fields parseHfConfig reads.',
    ...(skipped.length > 0 ? ['//', '// Not included (unsupported by the parser):', ...skipped.map((s) => `//   ${s.replace(/\s*\n\s*/g, ' ')}`)] : []),
    '',
    'export interface CatalogEntry {',
    '  hfId: string;',
    '  source: string;',
    '  /** Why an alias or an inferred field is there. */',
    '  note?: string;',
    '  config: Record<string, unknown>;',
    '}',
    '',
    'export const MODEL_CATALOG: Record<string, CatalogEntry> = {',
    ...ids.map((id) => `  ${JSON.stringify(id)}: ${JSON.stringify(entries.get(id))},`),
    '};',
    '',
  ];
  writeFileSync(outFile, lines.join('\n'));
  process.stdout.write(`wrote ${ids.length} models to ${outFile} (${skipped.length} configs skipped)\n`);
}

function isObjectWithKey(o: Json, key: string): boolean {
  const v = o[key];
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function withQuant(config: Json, quant: Json): Json {
  if (isObjectWithKey(config, 'text_config')) {
    return { ...config, text_config: { ...(config.text_config as Json), quantization_config: quant } };
  }
  return { ...config, quantization_config: quant };
}

main();
