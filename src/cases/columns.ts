/**
 * The input CSV's columns (seed 000's header order) and their defaults.
 * Defaults are the seed 000 table's, which differ from `optix optimize` in one
 * place: reserved_memory_gb is 0 here (the optimizer's flag defaults to 10).
 */
export const INPUT_COLUMNS = [
  'case_name',
  'device',
  'num_devices',
  'model_id',
  'input_length',
  'output_length',
  'ttft_limits',
  'tpot_limits',
  'tp_sizes',
  'quantize_linear_action',
  'quantize_attention_action',
  'ep_sizes',
  'num_mtp_tokens',
  'mtp_acceptance_rate',
  'compile',
  'mode',
  'max_prefill_tokens',
  'batch_range',
  'serving_cost',
  'jobs',
  'log_level',
  'mxfp4_group_size',
  'reserved_memory_gb',
  'compile_allow_graph_break',
] as const;
export type InputColumn = (typeof INPUT_COLUMNS)[number];

/** Missing from the header = an immediate error (seed 000's note), never a silent default. */
export const REQUIRED_COLUMNS: readonly InputColumn[] = ['device', 'num_devices', 'model_id', 'input_length', 'output_length'];

export const LOG_LEVELS = ['debug', 'info', 'warning', 'error', 'critical'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const CASE_MODES = ['agg', 'disagg'] as const;
export type CaseMode = (typeof CASE_MODES)[number];

export const CASE_DEFAULTS = {
  tpotLimitMs: 50,
  quantizeLinearAction: 'W8A8_DYNAMIC',
  quantizeAttentionAction: 'DISABLED',
  numMtpTokens: 0,
  mtpAcceptanceRates: [0.9, 0.6, 0.4, 0.2],
  compile: false,
  mode: 'agg',
  maxPrefillTokens: 8192,
  servingCost: 0,
  jobs: 8,
  logLevel: 'info',
  mxfp4GroupSize: 32,
  reservedMemoryGb: 0,
  compileAllowGraphBreak: false,
} as const;

/** The in-cell list delimiter (seed 000). */
export const LIST_DELIMITER = ';';
