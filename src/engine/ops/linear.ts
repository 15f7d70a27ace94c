/** Small op constructors shared by every family. */
import type { Dtype } from '../types.js';
import type { QuantPlan } from '../quant.js';
import type { CollectiveKind, Op } from './types.js';

/** bf16 activations between kernels. */
export const ACT_BYTES = 2;

/**
 * A quantized linear layer: y[m,n] = x[m,k] W[k,n]. Bytes: the weights once,
 * the input in the GEMM's activation format, the output in bf16.
 */
export function linear(name: string, count: number, m: number, n: number, k: number, q: QuantPlan): Op {
  return {
    name,
    kind: 'gemm',
    count,
    flops: 2 * m * n * k,
    bytes: n * k * q.linearWeightBytes + m * k * q.gemmActivationBytes + m * n * ACT_BYTES,
    dtype: q.gemmDtype,
    m,
    n,
    k,
  };
}

/** A linear layer kept in bf16 whatever the quantization (router, LM head). */
export function linearBf16(name: string, count: number, m: number, n: number, k: number, dtype: Dtype): Op {
  return {
    name,
    kind: 'gemm',
    count,
    flops: 2 * m * n * k,
    bytes: (n * k + m * k + m * n) * ACT_BYTES,
    dtype,
    m,
    n,
    k,
  };
}

/** Elementwise / reduction work on the vector unit over `elements` bf16 values. */
export function vector(name: string, count: number, elements: number, flopsPerElement: number, fused = false): Op {
  return {
    name,
    kind: 'vector',
    count,
    flops: elements * flopsPerElement,
    bytes: 2 * elements * ACT_BYTES,
    dtype: 'bf16',
    fused,
  };
}

export function collective(
  name: string,
  count: number,
  kind: CollectiveKind,
  groupSize: number,
  messageBytes: number,
  algorithm: 'direct' | 'ring' = 'direct',
): Op | undefined {
  if (groupSize <= 1 || messageBytes <= 0) return undefined;
  return {
    name,
    kind: 'collective',
    count,
    flops: 0,
    bytes: 0,
    dtype: 'bf16',
    collective: { kind, groupSize, messageBytes, ...(algorithm === 'ring' ? { algorithm } : {}) },
  };
}

/**
 * Extra vector work a quantization scheme adds around a layer's GEMMs:
 * per-token activation quantization (dynamic schemes) over `inputElements`,
 * weight dequantization (weight-only schemes) over `weightElements`.
 */
export function quantOverhead(name: string, count: number, inputElements: number, weightElements: number, q: QuantPlan): Op[] {
  const ops: Op[] = [];
  if (q.activationQuantFlopsPerElement > 0 && inputElements > 0) {
    ops.push(vector(`${name}_act_quant`, count, inputElements, q.activationQuantFlopsPerElement, true));
  }
  if (q.dequantFlopsPerWeight > 0 && weightElements > 0) {
    // Dequant happens in registers inside the GEMM: FLOPs only, no extra HBM traffic.
    ops.push({ ...vector(`${name}_dequant`, count, weightElements, q.dequantFlopsPerWeight, true), bytes: 0 });
  }
  return ops;
}

export function pushDefined(into: Op[], ...ops: Array<Op | undefined>): void {
  for (const op of ops) if (op !== undefined && op.count > 0) into.push(op);
}
