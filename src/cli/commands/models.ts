/** `optix models list|show`: what the planner knows about a model. */
import type { Command } from 'commander';
import Table from 'cli-table3';
import { resolveModel } from '../../catalog/models.js';
import { countParameters, listCatalogModels } from '../../engine/models/index.js';
import type { ModelSpec, ParameterCounts } from '../../engine/types.js';

const BILLION = 1e9;
/** No rule between body rows: one line per model. */
const COMPACT = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };

function billions(n: number): number {
  return Math.round((n / BILLION) * 100) / 100;
}

function out(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

function listModels(opts: { json?: boolean }): void {
  const rows = listCatalogModels().map((m) => {
    const p = countParameters(m.spec);
    const row: Record<string, unknown> = {
      id: m.id,
      family: m.spec.family,
      architecture: m.spec.architecture,
      layers: m.spec.numLayers,
      hidden: m.spec.hiddenSize,
      totalParamsB: billions(p.total),
      activeParamsB: billions(p.active),
      nativeWeightDtype: m.spec.nativeWeightDtype,
    };
    if (m.note !== undefined) row.note = m.note;
    return row;
  });
  if (opts.json) {
    out(JSON.stringify(rows, null, 2));
    return;
  }
  const table = new Table({
    head: ['id', 'family', 'layers', 'hidden', 'total (B)', 'active (B)', 'weights'],
    colAligns: ['left', 'left', 'right', 'right', 'right', 'right', 'left'],
    style: { head: [], border: [] },
    chars: COMPACT,
  });
  for (const r of rows) {
    table.push([
      String(r.id),
      String(r.family),
      String(r.layers),
      String(r.hidden),
      Number(r.totalParamsB).toFixed(2),
      Number(r.activeParamsB).toFixed(2),
      String(r.nativeWeightDtype),
    ]);
  }
  out(table.toString());
  out(`${rows.length} models; active = weights one token reads (LM head included, input embedding table not).`);
}

/** Nested spec fields as dotted rows: attention.numHeads, moe.topK, ... */
function flatten(value: unknown, prefix: string, rows: Array<[string, string]>): void {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix === '' ? k : `${prefix}.${k}`, rows);
  } else {
    rows.push([prefix, Array.isArray(value) ? value.join(', ') : String(value)]);
  }
}

function showModel(idOrPath: string, opts: { json?: boolean; modelConfigDir?: string }): void {
  const spec: ModelSpec = resolveModel(idOrPath, opts.modelConfigDir === undefined ? {} : { modelConfigDir: opts.modelConfigDir });
  const params: ParameterCounts = countParameters(spec);
  if (opts.json) {
    out(JSON.stringify({ spec, parameters: params }, null, 2));
    return;
  }
  const rows: Array<[string, string]> = [];
  flatten(spec, '', rows);
  rows.push(
    ['parameters.total (B)', billions(params.total).toFixed(2)],
    ['parameters.active (B)', billions(params.active).toFixed(2)],
    ['parameters.embedding (B)', billions(params.embedding).toFixed(2)],
    ['parameters.mtp (B)', billions(params.mtp).toFixed(2)],
  );
  if (params.vision !== undefined) rows.push(['parameters.vision encoder (B)', billions(params.vision).toFixed(2)]);
  const table = new Table({ head: ['field', 'value'], style: { head: [], border: [] }, chars: COMPACT });
  for (const r of rows) table.push(r);
  out(table.toString());
}

export function register(program: Command): void {
  const models = program.command('models').description('List built-in models and show parsed model specs');
  models
    .command('list')
    .description('List the built-in model catalog (Hugging Face ids and aliases)')
    .option('--json', 'print JSON instead of a table')
    .action((opts: { json?: boolean }) => {
      listModels(opts);
    });
  models
    .command('show')
    .description('Show the parsed spec and parameter counts of a model')
    .argument('<id-or-path>', 'Hugging Face id from the catalog, a model directory, or a config.json path')
    .option('--model-config-dir <dir>', 'directory of <org>--<name>.json configs to consult before the catalog')
    .option('--json', 'print JSON instead of a table')
    .action((idOrPath: string, opts: { json?: boolean; modelConfigDir?: string }) => {
      showModel(idOrPath, opts);
    });
}
