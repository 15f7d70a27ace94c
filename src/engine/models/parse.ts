/**
 * Hugging Face `config.json` -> ModelSpec. Pure: the caller reads the file and
 * passes its parsed value plus a name for it (`origin`) that every error names.
 */
import { OptixUserError } from '../../errors.js';
import type { AttentionSpec, Dtype, LinearAttentionSpec, MlaAttentionSpec, ModelSpec, MoeSpec, VisionSpec } from '../types.js';

type Json = Record<string, unknown>;

export interface ParseOptions {
  /** Defaults to `origin`. */
  id?: string;
  /** Defaults to `origin`. */
  source?: string;
}

/** Text-model architectures (HF `architectures[0]` or, where absent, `model_type`) the parser understands. */
const DENSE_GQA = new Set([
  'LlamaForCausalLM',
  'MistralForCausalLM',
  'Qwen2ForCausalLM',
  'Qwen3ForCausalLM',
  'MiMoForCausalLM',
  'qwen3_vl_text',
  'Qwen3_5ForCausalLM',
  'qwen3_5_text',
]);
const MOE_GQA = new Set([
  'Qwen2MoeForCausalLM',
  'Qwen3MoeForCausalLM',
  'MixtralForCausalLM',
  'GptOssForCausalLM',
  'MiniMaxM2ForCausalLM',
  'qwen3_vl_moe_text',
  'Qwen3NextForCausalLM',
  'Qwen3_5MoeForCausalLM',
  'qwen3_5_moe_text',
]);
const MLA_MOE = new Set([
  'DeepseekV2ForCausalLM',
  'DeepseekV3ForCausalLM',
  // V3.2 and GLM-5 add a lightning indexer (DeepSeek sparse attention) on top of MLA
  // (MlaAttentionSpec.indexer, from the index_* fields).
  'DeepseekV32ForCausalLM',
  'GlmMoeDsaForCausalLM',
]);
/**
 * Hybrid classes whose `linear_attention` layers are Gated DeltaNet and whose
 * `full_attention` layers are gated GQA (Qwen3-Next, Qwen3.5, Qwen3.6).
 */
const GATED_DELTA_NET = new Set(['Qwen3NextForCausalLM', 'Qwen3_5ForCausalLM', 'qwen3_5_text', 'Qwen3_5MoeForCausalLM', 'qwen3_5_moe_text']);
/** Families whose attention always has per-head RMSNorm on q and k. */
const QK_NORM_MODEL_TYPES = new Set(['qwen3', 'qwen3_moe', 'qwen3_vl_text', 'qwen3_vl_moe_text', 'qwen3_next', 'qwen3_5_text', 'qwen3_5_moe_text']);
const ATTENTION_LAYER_TYPES = new Set(['full_attention', 'sliding_attention', 'deepseek_sparse_attention']);
const LINEAR_LAYER_TYPE = 'linear_attention';

export const SUPPORTED_ARCHITECTURES: readonly string[] = [...DENSE_GQA, ...MOE_GQA, ...MLA_MOE];

const SUPPORTED_HINT =
  'supported: dense GQA (Llama 3.x, Mistral, Qwen2/2.5, Qwen3, Qwen3-VL, MiMo), MoE (Qwen2/3-MoE, Mixtral, ' +
  'gpt-oss, MiniMax-M2), MLA+MoE (DeepSeek-V2/V3/R1/V3.2, Kimi-K2/K2.5, GLM-5), Gated DeltaNet hybrids ' +
  '(Qwen3-Next, Qwen3.5, Qwen3.6); run `optix models list` for built-ins';

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads fields of one config object and names the file and field in every error. */
class Fields {
  constructor(
    readonly obj: Json,
    private readonly origin: string,
    /** 'text_config.' when reading inside a wrapper, so errors point at the right key. */
    private readonly prefix: string,
  ) {}

  has(key: string): boolean {
    return this.obj[key] !== undefined && this.obj[key] !== null;
  }

  fail(message: string, hint: string): never {
    throw new OptixUserError(message, { file: this.origin, hint });
  }

  int(key: string, hint = 'every supported architecture sets it in config.json'): number {
    const v = this.obj[key];
    if (v === undefined || v === null) this.fail(`missing field '${this.prefix}${key}'`, hint);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
      this.fail(`field '${this.prefix}${key}' must be a non-negative integer, got ${JSON.stringify(v)}`, hint);
    }
    return v;
  }

  positive(key: string, hint?: string): number {
    const v = this.int(key, hint);
    if (v === 0) this.fail(`field '${this.prefix}${key}' must be positive, got 0`, hint ?? 'check the config');
    return v;
  }

  optInt(key: string): number | undefined {
    return this.has(key) ? this.int(key) : undefined;
  }

  /** First of several alternative spellings that is present. */
  firstInt(keys: readonly string[], hint: string): number {
    for (const k of keys) if (this.has(k)) return this.int(k);
    this.fail(`missing field '${this.prefix}${keys[0]}' (or ${keys.slice(1).map((k) => `'${k}'`).join(', ')})`, hint);
  }

  bool(key: string): boolean | undefined {
    const v = this.obj[key];
    return typeof v === 'boolean' ? v : undefined;
  }

  str(key: string): string | undefined {
    const v = this.obj[key];
    return typeof v === 'string' ? v : undefined;
  }

  firstArchitecture(): string | undefined {
    const a = this.obj.architectures;
    return Array.isArray(a) && typeof a[0] === 'string' ? a[0] : undefined;
  }
}

/** Why a config is outside what the spec can express, or undefined when nothing stands out. */
function unsupportedFeature(t: Fields, gatedDeltaNet: boolean): { field: string; why: string } | undefined {
  const layerTypes = t.obj.layer_types;
  if (Array.isArray(layerTypes)) {
    const known = (x: unknown): boolean => typeof x === 'string' && (ATTENTION_LAYER_TYPES.has(x) || (gatedDeltaNet && x === LINEAR_LAYER_TYPE));
    const odd = layerTypes.find((x) => !known(x));
    if (odd !== undefined) {
      return { field: 'layer_types', why: `layer type ${JSON.stringify(odd)} (hybrid linear/recurrent attention) is not supported` };
    }
  }
  if (t.has('hybrid_override_pattern') || t.has('mamba_num_heads') || t.has('ssm_state_size')) {
    return { field: 'hybrid_override_pattern', why: 'Mamba/SSM hybrid layers are not supported' };
  }
  if (t.has('linear_attn_config')) return { field: 'linear_attn_config', why: 'linear attention layers are not supported' };
  if (t.has('block_configs')) return { field: 'block_configs', why: 'per-layer heterogeneous blocks (NAS) are not supported' };
  return undefined;
}

export function parseHfConfig(config: unknown, origin: string, options: ParseOptions = {}): ModelSpec {
  if (!isObject(config)) {
    throw new OptixUserError('a Hugging Face config.json must hold a JSON object', {
      file: origin,
      hint: 'pass the model directory or its config.json',
    });
  }
  const top: Fields = new Fields(config, origin, '');
  const wrapped = isObject(config.text_config);
  const t: Fields = wrapped ? new Fields(config.text_config as Json, origin, 'text_config.') : top;

  const outerArch = top.firstArchitecture();
  // Wrappers name the multimodal class outside and (sometimes) the text class inside.
  const textArch = (wrapped ? (t.firstArchitecture() ?? t.str('model_type')) : outerArch) ?? t.str('model_type');
  if (textArch === undefined) {
    top.fail("missing field 'architectures'", `a Hugging Face config names its class there; ${SUPPORTED_HINT}`);
  }
  const odd = unsupportedFeature(t, GATED_DELTA_NET.has(textArch));
  if (odd !== undefined) {
    t.fail(`unsupported architecture '${outerArch ?? textArch}': ${odd.why} (field '${wrapped ? 'text_config.' : ''}${odd.field}')`, SUPPORTED_HINT);
  }
  const isMla = MLA_MOE.has(textArch);
  if (!DENSE_GQA.has(textArch) && !MOE_GQA.has(textArch) && !isMla) {
    t.fail(`unsupported architecture '${textArch}'`, SUPPORTED_HINT);
  }

  const hiddenSize = t.positive('hidden_size');
  const numLayers = t.positive('num_hidden_layers');
  const vocabSize = t.positive('vocab_size');
  const maxPositionEmbeddings = t.positive('max_position_embeddings');
  const numHeads = t.positive('num_attention_heads');

  const attention: AttentionSpec = isMla ? parseMla(t, numHeads) : parseGqa(t, textArch, hiddenSize, numHeads, numLayers);
  const linearAttention = GATED_DELTA_NET.has(textArch) ? parseGatedDeltaNet(t, numLayers) : undefined;
  const moe = MOE_GQA.has(textArch) || isMla ? parseMoe(t, textArch, numLayers) : undefined;
  if (isMla && moe === undefined) {
    t.fail(`MLA model '${textArch}' without routed experts is not supported`, "set 'n_routed_experts'");
  }

  const intermediateSize =
    moe !== undefined && !t.has('intermediate_size') ? moe.expertIntermediateSize : t.positive('intermediate_size');

  const tie = t.bool('tie_word_embeddings') ?? top.bool('tie_word_embeddings') ?? false;

  const spec: ModelSpec = {
    id: options.id ?? origin,
    source: options.source ?? origin,
    architecture: outerArch ?? textArch,
    family: isMla ? 'mla-moe' : moe !== undefined ? 'moe' : 'dense',
    hiddenSize,
    numLayers,
    vocabSize,
    tieWordEmbeddings: tie,
    intermediateSize,
    // Every supported family uses a SwiGLU-style gated MLP (gate, up, down).
    gatedMlp: true,
    attention,
    numMtpLayers: parseMtpLayers(t),
    ...(t.bool('mtp_use_dedicated_embeddings') === false ? { mtpSharesEmbeddings: true } : {}),
    maxPositionEmbeddings,
    nativeWeightDtype: nativeWeightDtype(t.obj.quantization_config ?? top.obj.quantization_config),
  };
  if (moe !== undefined) spec.moe = moe;
  if (linearAttention !== undefined) spec.linearAttention = linearAttention;
  if (isObject(config.vision_config)) spec.vision = parseVision(new Fields(config.vision_config, origin, 'vision_config.'), hiddenSize);
  return spec;
}

function parseGqa(t: Fields, arch: string, hiddenSize: number, numHeads: number, numLayers: number): AttentionSpec {
  const numKvHeads = t.optInt('num_key_value_heads') ?? numHeads;
  if (numKvHeads === 0 || numHeads % numKvHeads !== 0) {
    t.fail(
      `num_attention_heads (${numHeads}) must be a multiple of num_key_value_heads (${numKvHeads})`,
      'grouped-query attention shares each KV head among a whole number of query heads',
    );
  }
  const headDim = t.optInt('head_dim') ?? hiddenSize / numHeads;
  if (!Number.isInteger(headDim) || headDim === 0) {
    t.fail(`hidden_size / num_attention_heads is not an integer and 'head_dim' is missing`, "set 'head_dim'");
  }
  const modelType = t.str('model_type') ?? '';
  const qkNorm = t.bool('use_qk_norm') ?? (QK_NORM_MODEL_TYPES.has(modelType) || arch === 'Qwen3ForCausalLM' || arch === 'Qwen3MoeForCausalLM');

  let numSlidingLayers = 0;
  const window = t.optInt('sliding_window');
  const layerTypes = t.obj.layer_types;
  if (Array.isArray(layerTypes)) {
    if (layerTypes.length !== numLayers) {
      t.fail(`layer_types has ${layerTypes.length} entries but num_hidden_layers is ${numLayers}`, 'one entry per decoder layer');
    }
    numSlidingLayers = layerTypes.filter((x) => x === 'sliding_attention').length;
  } else if (window !== undefined && window > 0) {
    const use = t.bool('use_sliding_window');
    if (use === true) {
      // Qwen2 convention: layers from max_window_layers on use the window.
      numSlidingLayers = Math.max(0, numLayers - (t.optInt('max_window_layers') ?? 0));
    } else if (use === undefined && arch === 'MistralForCausalLM') {
      numSlidingLayers = numLayers;
    }
  }
  if (numSlidingLayers > 0 && (window === undefined || window === 0)) {
    t.fail("layers use sliding attention but 'sliding_window' is missing", "set 'sliding_window' (tokens)");
  }
  const spec: AttentionSpec = { kind: 'gqa', numHeads, numKvHeads, headDim, numSlidingLayers, qkNorm };
  if (qkNorm && t.str('qk_norm_type') === 'per_layer') spec.qkNormAcrossHeads = true;
  if (numSlidingLayers > 0 && window !== undefined) spec.slidingWindow = window;
  // Qwen3-Next's attention always gates its output (vLLM reads attn_output_gate with default true).
  if (GATED_DELTA_NET.has(arch) && (t.bool('attn_output_gate') ?? true)) spec.outputGate = true;
  return spec;
}

/**
 * Which layers are Gated DeltaNet: `layer_types` when present, else Qwen3-Next's
 * `full_attention_interval` (every n-th layer, 1-based, is full attention).
 */
function parseGatedDeltaNet(t: Fields, numLayers: number): LinearAttentionSpec | undefined {
  const hint = 'Gated DeltaNet configs (Qwen3-Next, Qwen3.5) set linear_num_key_heads, linear_num_value_heads, linear_key_head_dim, linear_value_head_dim, linear_conv_kernel_dim';
  let numLinear: number;
  const layerTypes = t.obj.layer_types;
  if (Array.isArray(layerTypes)) {
    // parseGqa has already checked the length and the type names.
    numLinear = layerTypes.filter((x) => x === LINEAR_LAYER_TYPE).length;
  } else {
    const interval = t.positive('full_attention_interval', "or set 'layer_types' (one 'linear_attention' / 'full_attention' per layer)");
    numLinear = numLayers - Math.floor(numLayers / interval);
  }
  if (numLinear === 0) return undefined;
  const numKeyHeads = t.positive('linear_num_key_heads', hint);
  const numValueHeads = t.positive('linear_num_value_heads', hint);
  if (numValueHeads % numKeyHeads !== 0) {
    t.fail(
      `linear_num_value_heads (${numValueHeads}) must be a multiple of linear_num_key_heads (${numKeyHeads})`,
      'each key head of the delta rule serves a whole number of value heads',
    );
  }
  return {
    kind: 'gated-delta-net',
    numLayers: numLinear,
    numKeyHeads,
    numValueHeads,
    keyHeadDim: t.positive('linear_key_head_dim', hint),
    valueHeadDim: t.positive('linear_value_head_dim', hint),
    convKernel: t.positive('linear_conv_kernel_dim', hint),
    stateDtype: stateDtype(t),
  };
}

const TORCH_DTYPES: Record<string, Dtype> = { float32: 'fp32', float: 'fp32', bfloat16: 'bf16', float16: 'fp16', half: 'fp16' };

function stateDtype(t: Fields): Dtype {
  const name = t.str('mamba_ssm_dtype');
  // vLLM and SGLang keep the recurrent state in fp32 unless told otherwise.
  if (name === undefined) return 'fp32';
  const d = TORCH_DTYPES[name.replace(/^torch\./, '')];
  if (d === undefined) t.fail(`field 'mamba_ssm_dtype' must be float32, bfloat16 or float16, got ${JSON.stringify(name)}`, 'the dtype of the recurrent state');
  return d;
}

function parseMla(t: Fields, numHeads: number): AttentionSpec {
  const hint = 'MLA configs (DeepSeek-V3 style) set q_lora_rank, kv_lora_rank, qk_nope_head_dim, qk_rope_head_dim, v_head_dim';
  const spec: MlaAttentionSpec = {
    kind: 'mla',
    numHeads,
    // DeepSeek-V2-Lite sets q_lora_rank null: q comes straight from hidden.
    qLoraRank: t.optInt('q_lora_rank') ?? 0,
    kvLoraRank: t.positive('kv_lora_rank', hint),
    qkNopeHeadDim: t.positive('qk_nope_head_dim', hint),
    qkRopeHeadDim: t.positive('qk_rope_head_dim', hint),
    vHeadDim: t.positive('v_head_dim', hint),
  };
  const indexKeys = ['index_n_heads', 'index_head_dim', 'index_topk'];
  if (indexKeys.some((k) => t.has(k))) {
    const indexerHint = 'DeepSeek sparse attention configs set index_n_heads, index_head_dim and index_topk together';
    spec.indexer = { numHeads: t.positive('index_n_heads', indexerHint), headDim: t.positive('index_head_dim', indexerHint), topK: t.positive('index_topk', indexerHint) };
  }
  return spec;
}

function parseMoe(t: Fields, arch: string, numLayers: number): MoeSpec | undefined {
  const expertKeys = ['n_routed_experts', 'num_experts', 'num_local_experts'];
  if (!expertKeys.some((k) => t.has(k))) {
    // Qwen2-MoE style configs always carry the count; a MoE class without it is broken.
    t.fail(`missing field '${expertKeys[0]}' (or 'num_experts', 'num_local_experts')`, `'${arch}' is a mixture-of-experts class`);
  }
  const numExperts = t.firstInt(expertKeys, 'number of routed experts');
  if (numExperts === 0) return undefined;
  const topK = t.firstInt(['num_experts_per_tok', 'experts_per_token'], 'experts each token is routed to');
  if (topK === 0 || topK > numExperts) t.fail(`num_experts_per_tok (${topK}) must be in 1..${numExperts}`, 'check the config');
  const expertIntermediateSize = t.firstInt(
    ['moe_intermediate_size', 'intermediate_size'],
    'intermediate size of one routed expert',
  );

  let numSharedExperts = 0;
  let sharedExpertIntermediateSize = 0;
  let sharedExpertGate = false;
  if (t.has('n_shared_experts')) {
    // DeepSeek: the shared expert block is n_shared x moe_intermediate_size wide.
    numSharedExperts = t.int('n_shared_experts');
    sharedExpertIntermediateSize = numSharedExperts > 0 ? expertIntermediateSize : 0;
  } else if (t.has('shared_expert_intermediate_size') && t.int('shared_expert_intermediate_size') > 0) {
    // Qwen2-MoE's naming, and its shared_expert_gate with it.
    numSharedExperts = 1;
    sharedExpertIntermediateSize = t.int('shared_expert_intermediate_size');
    sharedExpertGate = true;
  } else if (t.has('shared_intermediate_size') && t.int('shared_intermediate_size') > 0) {
    numSharedExperts = 1;
    sharedExpertIntermediateSize = t.int('shared_intermediate_size');
  }

  let numDenseLayers = 0;
  let moeLayerFrequency = 1;
  if (t.has('first_k_dense_replace')) numDenseLayers = t.int('first_k_dense_replace');
  const mlpOnly = t.obj.mlp_only_layers;
  if (Array.isArray(mlpOnly) && mlpOnly.length > 0) {
    const leading = mlpOnly.every((x, i) => x === i);
    if (!leading) {
      t.fail(
        `unsupported field 'mlp_only_layers' ${JSON.stringify(mlpOnly)}: only leading dense layers (0, 1, ...) are supported`,
        'the spec models dense layers as a prefix of the stack',
      );
    }
    numDenseLayers = mlpOnly.length;
  }
  const freqKey = t.has('moe_layer_freq') ? 'moe_layer_freq' : t.has('decoder_sparse_step') ? 'decoder_sparse_step' : undefined;
  if (freqKey !== undefined) {
    if (typeof t.obj[freqKey] !== 'number') {
      t.fail(`unsupported field '${freqKey}' ${JSON.stringify(t.obj[freqKey]).slice(0, 60)}: expected an integer step`, 'per-layer MoE patterns are not supported');
    }
    moeLayerFrequency = t.positive(freqKey);
  }
  if (numDenseLayers > numLayers) t.fail(`first_k_dense_replace (${numDenseLayers}) exceeds num_hidden_layers (${numLayers})`, 'check the config');
  return {
    numExperts,
    topK,
    expertIntermediateSize,
    numSharedExperts,
    sharedExpertIntermediateSize,
    ...(sharedExpertGate ? { sharedExpertGate } : {}),
    numDenseLayers,
    moeLayerFrequency,
  };
}

function parseMtpLayers(t: Fields): number {
  if (t.has('num_nextn_predict_layers')) return t.int('num_nextn_predict_layers');
  // Qwen3-Next / Qwen3.5: one MTP module of mtp_num_hidden_layers decoder layers (every
  // published config has 1, where it is DeepSeek's module: fc over [embedding; hidden], a
  // full-attention decoder layer, the shared head).
  if (t.has('mtp_num_hidden_layers')) return t.int('mtp_num_hidden_layers');
  // MiniMax-M2 names its MTP modules differently and switches them with use_mtp.
  if (t.bool('use_mtp') === true && t.has('num_mtp_modules')) {
    return t.int('num_mtp_modules') * (t.optInt('mtp_transformer_layers') ?? 1);
  }
  return 0;
}

function parseVision(v: Fields, llmHiddenSize: number): VisionSpec {
  const hint = 'vision_config of a supported multimodal wrapper (Qwen3-VL, Kimi-K2.5)';
  const merge = v.obj.merge_kernel_size;
  const spatialMergeSize = v.has('spatial_merge_size')
    ? v.positive('spatial_merge_size')
    : Array.isArray(merge) && typeof merge[0] === 'number'
      ? merge[0]
      : v.fail("missing field 'vision_config.spatial_merge_size' (or 'merge_kernel_size')", hint);
  const patchSize = v.positive('patch_size', hint);
  const spec: VisionSpec = {
    patchSize,
    spatialMergeSize,
    hiddenSize: v.firstInt(['hidden_size', 'vt_hidden_size'], hint),
    depth: v.firstInt(['depth', 'vt_num_hidden_layers', 'num_hidden_layers'], hint),
  };
  const numHeads = v.optInt('num_heads') ?? v.optInt('vt_num_attention_heads');
  const intermediateSize = v.optInt('intermediate_size') ?? v.optInt('vt_intermediate_size');
  if (numHeads !== undefined && intermediateSize !== undefined) {
    const deepstack = v.obj.deepstack_visual_indexes;
    spec.encoder = {
      numHeads,
      intermediateSize,
      patchInputs: (v.optInt('in_channels') ?? 3) * (v.optInt('temporal_patch_size') ?? 1) * patchSize * patchSize,
      outHiddenSize: v.optInt('out_hidden_size') ?? v.optInt('text_hidden_size') ?? llmHiddenSize,
      mergers: 1 + (Array.isArray(deepstack) ? deepstack.length : 0),
    };
  }
  return spec;
}

/** Storage format of the bulk of the checkpoint's linear weights. */
export function nativeWeightDtype(q: unknown): Dtype {
  if (!isObject(q)) return 'bf16';
  const method = typeof q.quant_method === 'string' ? q.quant_method.toLowerCase() : '';
  const fmt = typeof q.fmt === 'string' ? q.fmt.toLowerCase() : '';
  const algo = typeof q.quant_algo === 'string' ? q.quant_algo.toUpperCase() : '';
  if (method === 'fp8' || fmt.includes('e4m3') || fmt.includes('e5m2')) return 'fp8';
  if (method === 'mxfp4' || algo.includes('FP4')) return 'fp4';
  if (algo.includes('FP8')) return 'fp8';
  // compressed-tensors / modelopt mixed precision: sensitive layers keep wider groups
  // (e.g. fp8 attention projections), the bulk (experts) takes the narrowest format.
  const groups = q.config_groups;
  if (isObject(groups)) {
    let narrowest: { bits: number; float: boolean } | undefined;
    for (const g of Object.values(groups)) {
      if (!isObject(g) || !isObject(g.weights)) continue;
      const bits = g.weights.num_bits;
      if ((bits === 4 || bits === 8) && (!narrowest || bits < narrowest.bits)) narrowest = { bits, float: g.weights.type === 'float' };
    }
    if (narrowest?.bits === 4) return narrowest.float ? 'fp4' : 'int4';
    if (narrowest?.bits === 8) return narrowest.float ? 'fp8' : 'int8';
  }
  if (q.bits === 4) return 'int4';
  if (q.bits === 8) return 'int8';
  return 'bf16';
}
