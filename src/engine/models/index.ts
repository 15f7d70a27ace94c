/** Model specs: parsing HF configs, counting parameters, and the built-in catalog. */
import { OptixUserError } from '../../errors.js';
import type { ModelSpec } from '../types.js';
import { MODEL_CATALOG, type CatalogEntry } from './catalog.js';
import { parseHfConfig } from './parse.js';

export { parseHfConfig, nativeWeightDtype, SUPPORTED_ARCHITECTURES, type ParseOptions } from './parse.js';
export { countParameters, countMoeLayers, isMoeLayer, attentionParams, moeBlockParams, embeddingParams } from './params.js';
export { parseJsonText } from './json.js';
export { MODEL_CATALOG, type CatalogEntry } from './catalog.js';

export interface CatalogModel {
  id: string;
  source: string;
  /** Why an alias or inferred field exists (e.g. "Llama 3.3 70B keeps the Llama 3.1 70B architecture"). */
  note?: string;
  spec: ModelSpec;
}

const BY_LOWER_ID = new Map(Object.keys(MODEL_CATALOG).map((id) => [id.toLowerCase(), id] as const));

function specOf(entry: CatalogEntry): ModelSpec {
  return parseHfConfig(entry.config, entry.source, { id: entry.hfId, source: entry.source });
}

/** A built-in model by Hugging Face id, matched case-insensitively. */
export function getCatalogModel(id: string): ModelSpec {
  const key = BY_LOWER_ID.get(id.trim().toLowerCase());
  const entry = key === undefined ? undefined : MODEL_CATALOG[key];
  if (entry === undefined) {
    const close = closeIds(id);
    throw new OptixUserError(`unknown model '${id}'`, {
      hint:
        (close.length > 0 ? `did you mean: ${close.join(', ')}? ` : '') +
        'run `optix models list` for built-in ids, or pass a model directory / config.json path',
    });
  }
  return specOf(entry);
}

export function listCatalogModels(): CatalogModel[] {
  return Object.keys(MODEL_CATALOG)
    .sort((a, b) => a.localeCompare(b))
    .map((id) => {
      const entry = MODEL_CATALOG[id] as CatalogEntry;
      const m: CatalogModel = { id, source: entry.source, spec: specOf(entry) };
      if (entry.note !== undefined) m.note = entry.note;
      return m;
    });
}

/** Up to five catalog ids nearest to `id`: shared name fragments first, then edit distance. */
function closeIds(id: string): string[] {
  const want = id.trim().toLowerCase();
  const wantName = want.split('/').pop() ?? want;
  const scored = Object.keys(MODEL_CATALOG).map((cand) => {
    const c = cand.toLowerCase();
    const name = c.split('/').pop() ?? c;
    const contains = name.includes(wantName) || wantName.includes(name);
    return { cand, score: (contains ? 0 : 1000) + editDistance(wantName, name) };
  });
  scored.sort((a, b) => a.score - b.score || a.cand.localeCompare(b.cand));
  const limit = Math.max(3, Math.floor(wantName.length / 2));
  return scored.filter((s) => s.score < 1000 || s.score - 1000 <= limit).slice(0, 5).map((s) => s.cand);
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const sub = (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      cur.push(Math.min(sub, (prev[j] as number) + 1, (cur[j - 1] as number) + 1));
    }
    prev = cur;
  }
  return prev[b.length] as number;
}
