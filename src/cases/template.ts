/**
 * `--write-template`: every input column in seed 000's order and three example
 * cases (1-card agg, 8-card agg, 4-card disagg with MTP) that run on the
 * profiles and models this project ships. Each one fits in memory and meets
 * its limits; test/cases.test.ts runs them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { INPUT_COLUMNS, type InputColumn } from './columns.js';

const COMMON: Partial<Record<InputColumn, string>> = {
  ttft_limits: '',
  tpot_limits: '50',
  quantize_linear_action: 'W8A8_DYNAMIC',
  quantize_attention_action: 'DISABLED',
  num_mtp_tokens: '0',
  compile: 'true',
  mode: 'agg',
  max_prefill_tokens: '8192',
  serving_cost: '0',
  jobs: '8',
  log_level: 'info',
  mxfp4_group_size: '32',
  reserved_memory_gb: '0',
  compile_allow_graph_break: 'false',
};

export const TEMPLATE_ROWS: ReadonlyArray<Partial<Record<InputColumn, string>>> = [
  // Qwen3-32B at W8A8 (~33 GB of weights) on one 64 GiB Ascend A3 die.
  { ...COMMON, case_name: '1card_agg_w8a8', device: 'ATLAS_800_A3_752T_128G_DIE', num_devices: '1', model_id: 'Qwen/Qwen3-32B', input_length: '3500', output_length: '1500' },
  { ...COMMON, case_name: '8card_agg_w8a8', device: 'ATLAS_800_A3_752T_128G_DIE', num_devices: '8', model_id: 'Qwen/Qwen3-32B', input_length: '3500', output_length: '1500', tp_sizes: '1;2;4;8' },
  // DeepSeek-V3 (671B, one MTP layer) needs ~690 GB at FP8: four 288 GB B300s
  // hold it with room for KV cache; four 64 GiB A3 dies would not.
  {
    ...COMMON,
    case_name: '4card_disagg_mtp',
    device: 'B300_SXM_288G',
    num_devices: '4',
    model_id: 'deepseek-ai/DeepSeek-V3',
    input_length: '3500',
    output_length: '1500',
    ttft_limits: '2000',
    tp_sizes: '1;2;4',
    quantize_linear_action: 'FP8',
    ep_sizes: '4',
    num_mtp_tokens: '1',
    mtp_acceptance_rate: '0.9',
    mode: 'disagg',
  },
];

export function templateCsv(): string {
  return stringify([[...INPUT_COLUMNS], ...TEMPLATE_ROWS.map((r) => INPUT_COLUMNS.map((c) => r[c] ?? ''))]);
}

export function writeTemplate(file: string): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileSync(file, templateCsv());
}
