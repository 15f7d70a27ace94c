/**
 * Quantization actions (seed 002's --quantize-linear-action / --quantize-attention-action)
 * mapped to what the cost model needs: bytes per weight, the GEMM compute dtype,
 * activation bytes, extra vector work, and KV-cache bytes.
 */
import { OptixUserError } from '../errors.js';
import type { DeviceProfile, Dtype, QuantOptions } from './types.js';

export interface QuantPlan {
  /** Bytes per weight element of quantized linear layers (attention, MLP, experts). */
  linearWeightBytes: number;
  /** Dtype the GEMMs of those layers run in (after any fallback). */
  gemmDtype: Dtype;
  /** Bytes per activation element entering a quantized GEMM. */
  gemmActivationBytes: number;
  /** Weight-only schemes dequantize weights on the vector unit: FLOPs per weight element read. */
  dequantFlopsPerWeight: number;
  /** Dynamic schemes quantize activations per token before each GEMM: FLOPs per element. */
  activationQuantFlopsPerElement: number;
  /** Bytes per KV-cache element. */
  kvBytes: number;
  /** Dtype attention math runs in. */
  attentionDtype: Dtype;
  /** Weights that stay unquantized (embeddings, norms, router, LM head): bf16. */
  unquantizedWeightBytes: number;
  /** Fallbacks taken, stated in every output. */
  warnings: string[];
}

/** Wider formats to try, in order, when a device has no peak for the preferred one. */
const FALLBACK: Record<Dtype, Dtype[]> = {
  fp4: ['fp8', 'int8', 'bf16', 'fp16'],
  fp8: ['int8', 'bf16', 'fp16'],
  int8: ['fp8', 'bf16', 'fp16'],
  int4: ['int8', 'fp8', 'bf16', 'fp16'],
  bf16: ['fp16', 'fp32'],
  fp16: ['bf16', 'fp32'],
  fp32: [],
};

/**
 * The dtype a device will actually run `wanted` in. A device without a matrix
 * peak for `wanted` runs the nearest wider format it has (e.g. FP8 on A100 runs
 * as bf16 after dequantization); the fallback is returned as a warning.
 */
export function resolveComputeDtype(device: DeviceProfile, wanted: Dtype, warnings: string[]): Dtype {
  if (device.matrixPeakFlopsPerS[wanted] !== undefined) return wanted;
  for (const alt of FALLBACK[wanted]) {
    if (device.matrixPeakFlopsPerS[alt] !== undefined) {
      warnings.push(`${device.name} has no ${wanted} matrix peak; ${wanted} GEMMs are modeled at its ${alt} peak`);
      return alt;
    }
  }
  throw new OptixUserError(`device ${device.name} has no matrix peak for ${wanted} nor any fallback format`, {
    hint: `add matrixPeakFlopsPerS.${wanted} to the profile`,
  });
}

export function planQuant(q: QuantOptions, device: DeviceProfile): QuantPlan {
  const warnings: string[] = [];
  let linearWeightBytes: number;
  let wanted: Dtype;
  let gemmActivationBytes: number;
  let dequantFlopsPerWeight = 0;
  let activationQuantFlopsPerElement = 0;
  switch (q.linear) {
    case 'DISABLED':
      linearWeightBytes = 2;
      wanted = 'bf16';
      gemmActivationBytes = 2;
      break;
    case 'W8A16_STATIC':
    case 'W8A16_DYNAMIC':
      // Weight-only int8: bf16 math after an in-kernel dequant (scale multiply + convert).
      linearWeightBytes = 1;
      wanted = 'bf16';
      gemmActivationBytes = 2;
      dequantFlopsPerWeight = 2;
      break;
    case 'W8A8_STATIC':
    case 'W8A8_DYNAMIC':
      linearWeightBytes = 1;
      wanted = 'int8';
      gemmActivationBytes = 1;
      break;
    case 'W4A8_STATIC':
    case 'W4A8_DYNAMIC':
      // int4 weights unpacked to int8 on the fly.
      linearWeightBytes = 0.5;
      wanted = 'int8';
      gemmActivationBytes = 1;
      dequantFlopsPerWeight = 2;
      break;
    case 'FP8':
      linearWeightBytes = 1;
      wanted = 'fp8';
      gemmActivationBytes = 1;
      break;
    case 'MXFP4':
      if (!Number.isInteger(q.mxfp4GroupSize) || q.mxfp4GroupSize <= 0) {
        throw new OptixUserError(`--mxfp4-group-size must be a positive integer, got ${q.mxfp4GroupSize}`);
      }
      // 4-bit elements plus one 8-bit shared scale per group (OCP MX spec; NVFP4 is group 16).
      linearWeightBytes = (4 + 8 / q.mxfp4GroupSize) / 8;
      wanted = 'fp4';
      gemmActivationBytes = 0.5;
      break;
  }
  // Dynamic schemes compute a per-token scale (max-abs reduce + scale + convert) before each GEMM.
  if (q.linear.endsWith('_DYNAMIC') && gemmActivationBytes < 2) activationQuantFlopsPerElement = 4;
  if (q.linear === 'FP8' || q.linear === 'MXFP4') activationQuantFlopsPerElement = 4;

  const gemmDtype = resolveComputeDtype(device, wanted, warnings);
  if (gemmDtype === 'bf16' || gemmDtype === 'fp16' || gemmDtype === 'fp32') {
    // Fell back to 16-bit math: activations stay 16-bit, weights are dequantized on the fly.
    if (wanted !== 'bf16') {
      gemmActivationBytes = 2;
      dequantFlopsPerWeight = Math.max(dequantFlopsPerWeight, 2);
      activationQuantFlopsPerElement = 0;
    }
  }

  const kvBytes = q.attention === 'DISABLED' ? 2 : 1;
  const attentionWanted: Dtype = q.attention === 'FP8' ? 'fp8' : 'bf16';
  // INT8 KV is dequantized to bf16 for the math; FP8 KV can run FP8 attention where supported.
  const attentionDtype =
    device.matrixPeakFlopsPerS[attentionWanted] !== undefined ? attentionWanted : resolveComputeDtype(device, 'bf16', warnings);

  return {
    linearWeightBytes,
    gemmDtype,
    gemmActivationBytes,
    dequantFlopsPerWeight,
    activationQuantFlopsPerElement,
    kvBytes,
    attentionDtype,
    unquantizedWeightBytes: 2,
    warnings,
  };
}
