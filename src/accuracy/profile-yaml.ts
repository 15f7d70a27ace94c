/**
 * Writes a calibrated device profile: the base profile's YAML (schema line,
 * comments, peaks, grid and their sources kept) with its `efficiency` and
 * `staticCostS` sections, `calibration` line and their source notes replaced
 * by the fitted values.
 */
import { isMap, isPair, isScalar, isSeq, parseDocument, type Document, type YAMLMap } from 'yaml';
import type { DeviceProfile, EfficiencyCurve } from '../engine/types.js';

export interface CalibrationMeta {
  /** Table files the fit used, e.g. ['gemm_perf.csv', ...]. */
  tables: string[];
  /** Where they came from (the --kernels directory as given). */
  kernelsDir: string;
  /** Curve/scalar name -> tables (families) it was fitted to. */
  fitted: Record<string, string[]>;
  /** Median APE per family after the fit, for the comment. */
  medianApePct: Record<string, number | null>;
}

export const KERNEL_TABLE_VERSIONS = 'TRT-LLM 1.3.0rc20, NCCL 2.29.2';

function seconds(v: number): string {
  return `${Number((v * 1e6).toPrecision(3))} us`;
}

function curveValue(c: EfficiencyCurve): Array<[number, number]> {
  return c.map(([x, e]) => [x, e]);
}

function pairOf(map: YAMLMap, key: string): ReturnType<YAMLMap['items']['find']> {
  return map.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key);
}

/** Sets `key` of the top-level map to `value`, with curves in flow style, and a comment above it. */
function setSection(doc: Document, key: string, value: unknown, comment?: string): void {
  const node = doc.createNode(value);
  const flowCurves = (n: unknown): void => {
    if (isSeq(n)) {
      // A curve is a sequence of [x, e] pairs; write each curve on one line.
      if (n.items.every((i) => isSeq(i))) n.flow = true;
      return;
    }
    if (isMap(n)) for (const p of n.items) flowCurves(p.value);
  };
  flowCurves(node);
  doc.set(key, node);
  const root = doc.contents;
  if (comment !== undefined && isMap(root)) {
    const pair = pairOf(root, key);
    if (pair && isPair(pair) && isScalar(pair.key)) pair.key.commentBefore = comment;
  }
}

export function calibratedProfileYaml(baseText: string, fitted: DeviceProfile, meta: CalibrationMeta): string {
  const doc = parseDocument(baseText);
  const tables = meta.tables.join(', ');
  doc.set('calibration', `calibrated from ${tables} (${KERNEL_TABLE_VERSIONS})`);

  const st = fitted.staticCostS;
  const staticValue: Record<string, unknown> = {
    matrixOp: seconds(st.matrixOp),
    vectorOp: seconds(st.vectorOp),
    memoryOp: seconds(st.memoryOp),
    collective: seconds(st.collective),
    ...(st.graphReplayFraction !== undefined ? { graphReplayFraction: st.graphReplayFraction } : {}),
  };
  setSection(
    doc,
    'staticCostS',
    staticValue,
    ` Per-op static costs. matrixOp and collective are fitted to ${meta.kernelsDir} (see sources);\n vectorOp and memoryOp are kept from the specification profile (no table times them alone).`,
  );

  const e = fitted.efficiency;
  const byKey = (m: Partial<Record<string, EfficiencyCurve>>): Record<string, Array<[number, number]>> => {
    const out: Record<string, Array<[number, number]>> = {};
    for (const [k, c] of Object.entries(m)) if (c) out[k] = curveValue(c);
    return out;
  };
  const gemmByM = byKey(e.gemmByM);
  const apes = Object.entries(meta.medianApePct)
    .map(([f, v]) => `${f} ${v === null ? '-' : `${v.toFixed(1)}%`}`)
    .join(', ');
  setSection(
    doc,
    'efficiency',
    {
      gemmByM,
      gemmByNK: curveValue(e.gemmByNK),
      ...(e.gemmByNKByDtype ? { gemmByNKByDtype: byKey(e.gemmByNKByDtype) } : {}),
      attentionPrefillBySeq: curveValue(e.attentionPrefillBySeq),
      ...(e.attentionPrefillBySeqByDtype ? { attentionPrefillBySeqByDtype: byKey(e.attentionPrefillBySeqByDtype) } : {}),
      ...(e.attentionPrefillByWork ? { attentionPrefillByWork: curveValue(e.attentionPrefillByWork) } : {}),
      ...(e.attentionPrefillByBytes ? { attentionPrefillByBytes: curveValue(e.attentionPrefillByBytes) } : {}),
      attentionDecodeByBytes: curveValue(e.attentionDecodeByBytes),
      ...(e.attentionDecodeByBytesByDtype ? { attentionDecodeByBytesByDtype: byKey(e.attentionDecodeByBytesByDtype) } : {}),
      memoryByBytes: curveValue(e.memoryByBytes),
      vector: e.vector,
      commByBytes: curveValue(e.commByBytes),
    },
    ` Calibrated by \`optix calibrate --kernels ${meta.kernelsDir}\` from ${tables} (${KERNEL_TABLE_VERSIONS}):\n` +
      ` coordinate descent on each curve point, minimizing the |log error| of the kernels near it.\n` +
      ` Bytes in plain numbers. Op-level median APE after the fit: ${apes}.\n` +
      ` gemmByM.default is the bf16 curve; int8 uses the fp8 curve (same peak, 1-byte operands).\n` +
      ` *ByDtype curves override the single curve beside them for that dtype (the single one is bf16's, for\n` +
      ` any other dtype); prefill attention is attentionPrefillBySeqByDtype[math dtype](key length) x\n` +
      ` attentionPrefillByWork(new tokens x query heads per device); decode attention is keyed by KV dtype.`,
  );

  const sources = doc.get('sources');
  if (isMap(sources)) {
    for (const p of [...sources.items]) {
      if (isPair(p) && isScalar(p.key) && /^(efficiency|staticCostS)(\.|$)/.test(String(p.key.value))) sources.delete(p.key);
    }
    for (const [name, fams] of Object.entries(meta.fitted)) {
      const files = [...new Set(fams)].join(', ');
      sources.set(name.startsWith('staticCostS') ? name : `efficiency.${name}`, `fitted by optix calibrate to ${files} in ${meta.kernelsDir} (${KERNEL_TABLE_VERSIONS})`);
    }
    sources.set('efficiency', `calibrated from kernel tables (${tables}); curves not fitted keep the specification profile's assumption`);
    sources.set('staticCostS', 'matrixOp and collective fitted (see staticCostS.*); vectorOp and memoryOp from the specification profile');
  }
  return doc.toString({ lineWidth: 0 });
}
