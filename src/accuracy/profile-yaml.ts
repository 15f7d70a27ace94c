/**
 * Writes a calibrated device profile: the base profile's YAML (schema line,
 * comments, peaks, grid and their sources kept) with its `efficiency` and
 * `staticCostS` sections, `calibration` line and their source notes replaced
 * by the fitted values, and the innermost tier's latency when it was fitted.
 */
import { isMap, isPair, isScalar, isSeq, parseDocument, type Document, type YAMLMap } from 'yaml';
import type { DeviceProfile, EfficiencyCurve } from '../engine/types.js';
import { HOP_LATENCY_TARGET } from './fit.js';

export interface CalibrationMeta {
  /** Table files the fit used, e.g. ['gemm_perf.csv', ...]. */
  tables: string[];
  /** Where they came from (the --kernels directory as given). */
  kernelsDir: string;
  /** Curve/scalar name -> tables (families) it was fitted to. */
  fitted: Record<string, string[]>;
  /** Median APE per family after the fit, for the comment. */
  medianApePct: Record<string, number | null>;
  /**
   * Set when only some `--curves` groups were written: their names as given.
   * Then the sections, comments and source notes of what was not written stay
   * the base profile's.
   */
  groups?: string[];
  /** With `groups`: the single fallback curves set to bf16's fit. */
  fallbacks?: string[];
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
  const groups = meta.groups;
  const groupsNote = groups ? ` (groups: ${groups.join(', ')}; others keep the base profile's figures)` : '';
  doc.set('calibration', `calibrated from ${tables} (${KERNEL_TABLE_VERSIONS})${groupsNote}`);
  const names = Object.keys(meta.fitted);
  const fitsStatic = !groups || names.some((n) => n.startsWith('staticCostS.'));
  const fitsEfficiency = !groups || names.some((n) => !n.startsWith('staticCostS.') && !n.startsWith('commGrid.'));

  if (fitsStatic) writeStatic(doc, fitted, meta);
  if (fitsEfficiency) writeEfficiency(doc, fitted, meta);
  if (names.includes(HOP_LATENCY_TARGET)) writeHopLatency(doc, fitted);
  if (groups) writePartialSources(doc, meta, fitsStatic, fitsEfficiency);
  else writeSources(doc, meta);
  return doc.toString({ lineWidth: 0 });
}

/** The static costs this calibration wrote, e.g. 'matrixOp, attentionDecodeOp and collective'. */
function staticFitted(meta: CalibrationMeta): string {
  const names = Object.keys(meta.fitted)
    .filter((n) => n.startsWith('staticCostS.'))
    .map((n) => n.slice('staticCostS.'.length));
  return names.length <= 1 ? (names[0] ?? 'nothing') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]!}`;
}

function fittedNote(meta: CalibrationMeta, fams: string[]): string {
  return `fitted by optix calibrate to ${[...new Set(fams)].join(', ')} in ${meta.kernelsDir} (${KERNEL_TABLE_VERSIONS})`;
}

function sourceKey(name: string): string {
  return name.startsWith('staticCostS') || name.startsWith('commGrid.') ? name : `efficiency.${name}`;
}

/** The fitted hop latency in place of the base's, the rest of the tier (and its comments) kept. */
function writeHopLatency(doc: Document, fitted: DeviceProfile): void {
  doc.setIn(['commGrid', 0, 'latencyS'], seconds(fitted.commGrid[0]!.latencyS));
  const tier = doc.getIn(['commGrid', 0], true);
  const pair = isMap(tier) ? pairOf(tier, 'latencyS') : undefined;
  if (pair && isPair(pair) && isScalar(pair.value)) pair.value.comment = ` per hop, fitted by optix calibrate (sources ${HOP_LATENCY_TARGET})`;
}

function writeSources(doc: Document, meta: CalibrationMeta): void {
  const tables = meta.tables.join(', ');
  const sources = doc.get('sources');
  if (isMap(sources)) {
    for (const p of [...sources.items]) {
      if (isPair(p) && isScalar(p.key) && /^(efficiency|staticCostS)(\.|$)/.test(String(p.key.value))) sources.delete(p.key);
    }
    for (const [name, fams] of Object.entries(meta.fitted)) sources.set(sourceKey(name), fittedNote(meta, fams));
    sources.set('efficiency', `calibrated from kernel tables (${tables}); curves not fitted keep the specification profile's assumption`);
    sources.set('staticCostS', `${staticFitted(meta)} fitted (see staticCostS.*); vectorOp, memoryOp and collective (the engines' own collectives) from the specification profile`);
  }
}

/** Only the written targets' notes are replaced; the section notes say what the rest keeps. */
function writePartialSources(doc: Document, meta: CalibrationMeta, fitsStatic: boolean, fitsEfficiency: boolean): void {
  const sources = doc.get('sources');
  if (!isMap(sources)) return;
  for (const [name, fams] of Object.entries(meta.fitted)) {
    sources.delete(sourceKey(name));
    sources.set(sourceKey(name), fittedNote(meta, fams));
  }
  const keep = (key: string): string => {
    const before = sources.get(key);
    return typeof before === 'string' ? `; before calibration: ${before}` : '';
  };
  const groups = meta.groups!.join(', ');
  if (fitsEfficiency) {
    const note = `calibrated from kernel tables (${meta.tables.join(', ')}) for --curves ${groups} only (see efficiency.*); other curves keep the base profile's figures${keep('efficiency')}`;
    sources.delete('efficiency');
    sources.set('efficiency', note);
  }
  if (fitsStatic) {
    const note = `${staticFitted(meta)} fitted (see staticCostS.*); the others keep the base profile's figures${keep('staticCostS')}`;
    sources.delete('staticCostS');
    sources.set('staticCostS', note);
  }
}

function writeStatic(doc: Document, fitted: DeviceProfile, meta: CalibrationMeta): void {
  const st = fitted.staticCostS;
  const staticValue: Record<string, unknown> = {
    matrixOp: seconds(st.matrixOp),
    vectorOp: seconds(st.vectorOp),
    memoryOp: seconds(st.memoryOp),
    collective: seconds(st.collective),
    ...(st.ncclCollective !== undefined ? { ncclCollective: seconds(st.ncclCollective) } : {}),
    ...(st.attentionPrefillOp !== undefined ? { attentionPrefillOp: seconds(st.attentionPrefillOp) } : {}),
    ...(st.attentionDecodeOp !== undefined ? { attentionDecodeOp: seconds(st.attentionDecodeOp) } : {}),
    ...(st.attentionDecodePerKvPair !== undefined ? { attentionDecodePerKvPair: seconds(st.attentionDecodePerKvPair) } : {}),
    ...(st.graphReplayFraction !== undefined ? { graphReplayFraction: st.graphReplayFraction } : {}),
  };
  setSection(
    doc,
    'staticCostS',
    staticValue,
    ` Per-op static costs. ${staticFitted(meta)} fitted to ${meta.kernelsDir} (see sources);\n the others are kept from the base profile (vectorOp, memoryOp and the engines' own collective: no table times them alone).`,
  );
}

function writeEfficiency(doc: Document, fitted: DeviceProfile, meta: CalibrationMeta): void {
  const tables = meta.tables.join(', ');
  const e = fitted.efficiency;
  const byKey = (m: Partial<Record<string, EfficiencyCurve>>): Record<string, Array<[number, number]>> => {
    const out: Record<string, Array<[number, number]>> = {};
    for (const [k, c] of Object.entries(m)) if (c) out[k] = curveValue(c);
    return out;
  };
  const gemmByM = byKey(e.gemmByM);
  // The base profile's note still describes the curves a partial calibration keeps.
  const root = doc.contents;
  const basePair = isMap(root) ? pairOf(root, 'efficiency') : undefined;
  const baseNote = basePair && isPair(basePair) && isScalar(basePair.key) ? basePair.key.commentBefore : undefined;
  const keptNote = meta.groups && baseNote ? `\n The base profile's note, for the curves kept from it:\n${baseNote}` : '';
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
      ...(e.attentionPrefillByHeadDim ? { attentionPrefillByHeadDim: curveValue(e.attentionPrefillByHeadDim) } : {}),
      ...(e.attentionPrefillByBytes ? { attentionPrefillByBytes: curveValue(e.attentionPrefillByBytes) } : {}),
      attentionDecodeByBytes: curveValue(e.attentionDecodeByBytes),
      ...(e.attentionDecodeByGroup ? { attentionDecodeByGroup: curveValue(e.attentionDecodeByGroup) } : {}),
      ...(e.attentionDecodePairByGroupByDtype ? { attentionDecodePairByGroupByDtype: byKey(e.attentionDecodePairByGroupByDtype) } : {}),
      ...(e.attentionDecodeByBytesByDtype ? { attentionDecodeByBytesByDtype: byKey(e.attentionDecodeByBytesByDtype) } : {}),
      memoryByBytes: curveValue(e.memoryByBytes),
      ...(e.gemmMemoryByBytesByDtype ? { gemmMemoryByBytesByDtype: byKey(e.gemmMemoryByBytesByDtype) } : {}),
      vector: e.vector,
      commByBytes: curveValue(e.commByBytes),
    },
    (meta.groups
      ? ` Partly calibrated by \`optix calibrate --kernels ${meta.kernelsDir} --curves ${meta.groups.join(' ')}\` from ${tables} (${KERNEL_TABLE_VERSIONS}):\n` +
        ` only those groups' curves are written (sources efficiency.* name them); the others keep the base profile's figures.\n` +
        ` Only those groups are fitted (the others held at the base's figures), coordinate descent minimizing the |log error| of the kernels near each point.\n` +
        ` Bytes in plain numbers. Op-level median APE of this profile: ${apes}.\n` +
        ` Single curves set to bf16's fit: ${meta.fallbacks && meta.fallbacks.length > 0 ? meta.fallbacks.join(', ') : 'none'}; fp16 and int8 take bf16's and fp8's curve where those were written.\n`
      : ` Calibrated by \`optix calibrate --kernels ${meta.kernelsDir}\` from ${tables} (${KERNEL_TABLE_VERSIONS}):\n` +
        ` coordinate descent on each curve point, minimizing the |log error| of the kernels near it.\n` +
        ` Bytes in plain numbers. Op-level median APE after the fit: ${apes}.\n` +
        ` gemmByM.default is the bf16 curve; int8 uses the fp8 curve (same peak, 1-byte operands).\n`) +
      (meta.groups
        ? ` *ByDtype curves override the single curve beside them for that dtype (the single one prices any\n` +
          ` other dtype); prefill attention is attentionPrefillBySeqByDtype[math dtype](key length) x\n`
        : ` *ByDtype curves override the single curve beside them for that dtype (the single one is bf16's, for\n` +
          ` any other dtype); prefill attention is attentionPrefillBySeqByDtype[math dtype](key length) x\n`) +
      ` attentionPrefillByWork(new tokens x query heads per device); decode attention is keyed by KV dtype.` +
      keptNote,
  );
}
