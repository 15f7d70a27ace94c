/** `optix devices list|show`: the device profiles the planner knows, with every figure's source. */
import type { Command } from 'commander';
import Table from 'cli-table3';
import { listDeviceNames, loadDevice, resolveDevices } from '../../catalog/devices.js';
import { effectiveFigures } from '../../engine/devices/figures.js';
import { formatGrid } from '../../engine/devices/grid.js';
import type { DeviceProfile, EfficiencyCurve } from '../../engine/types.js';
import { OptixUserError } from '../../errors.js';

const GIB = 1024 ** 3;
const TIB = 1024 ** 4;
/** No rule between body rows: one line per entry. */
const COMPACT = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };

function out(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** Six significant digits, no float noise: 353.90000000000003 -> "353.9". */
function num(x: number): string {
  return String(Number(x.toPrecision(6)));
}

function round(x: number, digits: number): number {
  return Number(x.toFixed(digits));
}

// ---------------------------------------------------------------------------
// list
// ---------------------------------------------------------------------------

interface ListRow {
  name: string;
  vendor: string;
  bf16Tflops: number | null;
  fp8Tflops: number | null;
  hbmGiB: number;
  hbmTBPerS: number;
  commGrid: string;
  calibration: string;
}

function listRow(p: DeviceProfile): ListRow {
  const tflops = (v: number | undefined): number | null => (v === undefined ? null : round(v / 1e12, 2));
  return {
    name: p.name,
    vendor: p.vendor,
    bf16Tflops: tflops(p.matrixPeakFlopsPerS.bf16),
    fp8Tflops: tflops(p.matrixPeakFlopsPerS.fp8),
    hbmGiB: round(p.memoryBytes / GIB, 2),
    hbmTBPerS: round(p.hbmBandwidthBytesPerS / 1e12, 3),
    commGrid: formatGrid(p),
    calibration: p.calibration,
  };
}

function listDevices(opts: { json?: boolean }): void {
  const rows = listDeviceNames().map((n) => listRow(loadDevice(n)));
  if (opts.json) {
    out(JSON.stringify(rows, null, 2));
    return;
  }
  const table = new Table({
    head: ['name', 'vendor', 'bf16 TFLOPS', 'fp8 TFLOPS', 'HBM GiB', 'HBM TB/s', 'comm grid', 'calibration'],
    colAligns: ['left', 'left', 'right', 'right', 'right', 'right', 'left', 'left'],
    style: { head: [], border: [] },
    chars: COMPACT,
  });
  for (const r of rows) {
    table.push([
      r.name,
      r.vendor,
      r.bf16Tflops === null ? '-' : num(r.bf16Tflops),
      r.fp8Tflops === null ? '-' : num(r.fp8Tflops),
      num(r.hbmGiB),
      r.hbmTBPerS.toFixed(3),
      r.commGrid,
      r.calibration,
    ]);
  }
  out(table.toString());
  out(`${rows.length} device profiles; dense peaks (no sparsity). Details and sources: optix devices show NAME`);
}

// ---------------------------------------------------------------------------
// show
// ---------------------------------------------------------------------------

export interface FigureRow {
  /** Dotted field path, e.g. "matrixPeakFlopsPerS.bf16", "commGrid.0". */
  figure: string;
  /** SI value (a number, or the tier / curve as data). */
  value: unknown;
  /** Human-readable value with units. */
  text: string;
  source: string;
}

/** The most specific source given: "matrixPeakFlopsPerS.fp4", else "matrixPeakFlopsPerS". */
function sourceOf(p: DeviceProfile, figure: string): string {
  const parts = figure.split('.');
  for (let n = parts.length; n > 0; n--) {
    const s = p.sources[parts.slice(0, n).join('.')];
    if (s !== undefined) return s;
  }
  return '(no source given)';
}

/** 65536 -> "64KiB": byte curves read as the sizes they were written in. */
function bytesText(x: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (i < units.length - 1 && x >= 1024 && x % 1024 === 0) {
    x /= 1024;
    i++;
  }
  return `${num(x)}${units[i]!}`;
}

function curveText(c: EfficiencyCurve, bytes = false): string {
  return c.map(([x, e]) => `${bytes ? bytesText(x) : num(x)}:${num(e)}`).join(' ');
}

function figureRows(p: DeviceProfile): FigureRow[] {
  const rows: FigureRow[] = [];
  const add = (figure: string, value: unknown, text: string): void => {
    rows.push({ figure, value, text, source: sourceOf(p, figure) });
  };
  for (const [d, v] of Object.entries(p.matrixPeakFlopsPerS)) {
    add(`matrixPeakFlopsPerS.${d}`, v, `${num(v / 1e12)} ${d.startsWith('int') ? 'TOPS' : 'TFLOPS'}`);
  }
  for (const [d, v] of Object.entries(p.vectorPeakFlopsPerS)) add(`vectorPeakFlopsPerS.${d}`, v, `${num(v / 1e12)} TFLOPS`);
  add('memoryBytes', p.memoryBytes, `${num(p.memoryBytes / GIB)} GiB (${num(p.memoryBytes / 1e9)} GB)`);
  add(
    'hbmBandwidthBytesPerS',
    p.hbmBandwidthBytesPerS,
    `${num(p.hbmBandwidthBytesPerS / 1e12)} TB/s (${num(p.hbmBandwidthBytesPerS / TIB)} TiB/s)`,
  );
  p.commGrid.forEach((t, i) => {
    const topo = t.topology === undefined ? '' : `, ${t.topology}`;
    add(
      `commGrid.${i}`,
      t,
      `${t.name}: groups of ${t.devices}, ${num(t.bandwidthBytesPerS / 1e9)} GB/s, ${num(t.latencyS * 1e6)} us, efficiency ${num(t.efficiency)}${topo}`,
    );
    // A calibrated hop latency has its own source (the rest of the tier keeps the sheet's).
    if (p.sources[`commGrid.${i}.latencyS`] !== undefined) add(`commGrid.${i}.latencyS`, t.latencyS, `${num(t.latencyS * 1e6)} us per hop`);
  });
  for (const [k, v] of Object.entries(p.staticCostS)) add(`staticCostS.${k}`, v, `${num(v * 1e6)} us`);
  const e = p.efficiency;
  for (const [k, c] of Object.entries(e.gemmByM)) if (c) add(`efficiency.gemmByM.${k}`, c, `M -> eff: ${curveText(c)}`);
  add('efficiency.gemmByNK', e.gemmByNK, `min(N,K) -> x: ${curveText(e.gemmByNK)}`);
  add('efficiency.attentionPrefillBySeq', e.attentionPrefillBySeq, `seq -> eff: ${curveText(e.attentionPrefillBySeq)}`);
  add('efficiency.attentionDecodeByBytes', e.attentionDecodeByBytes, `bytes -> eff: ${curveText(e.attentionDecodeByBytes, true)}`);
  add('efficiency.memoryByBytes', e.memoryByBytes, `bytes -> eff: ${curveText(e.memoryByBytes, true)}`);
  add('efficiency.vector', e.vector, num(e.vector));
  add('efficiency.commByBytes', e.commByBytes, `bytes -> x: ${curveText(e.commByBytes, true)}`);
  // Optional calibration curves (written by `optix calibrate`).
  for (const [k, c] of Object.entries(e.gemmByNKByDtype ?? {})) if (c) add(`efficiency.gemmByNKByDtype.${k}`, c, `min(N,K) -> x: ${curveText(c)}`);
  for (const [k, c] of Object.entries(e.attentionPrefillBySeqByDtype ?? {})) if (c) add(`efficiency.attentionPrefillBySeqByDtype.${k}`, c, `seq -> eff: ${curveText(c)}`);
  if (e.attentionPrefillByWork) add('efficiency.attentionPrefillByWork', e.attentionPrefillByWork, `rows x heads -> x: ${curveText(e.attentionPrefillByWork)}`);
  if (e.attentionPrefillByHeadDim) add('efficiency.attentionPrefillByHeadDim', e.attentionPrefillByHeadDim, `head dim -> x: ${curveText(e.attentionPrefillByHeadDim)}`);
  if (e.attentionPrefillByBytes) add('efficiency.attentionPrefillByBytes', e.attentionPrefillByBytes, `bytes -> eff: ${curveText(e.attentionPrefillByBytes, true)}`);
  for (const [k, c] of Object.entries(e.attentionDecodeByBytesByDtype ?? {})) if (c) add(`efficiency.attentionDecodeByBytesByDtype.${k}`, c, `bytes -> eff: ${curveText(c, true)}`);
  if (e.attentionDecodeByGroup) add('efficiency.attentionDecodeByGroup', e.attentionDecodeByGroup, `q heads per KV head -> x: ${curveText(e.attentionDecodeByGroup)}`);
  for (const [k, c] of Object.entries(e.attentionDecodePairByGroupByDtype ?? {})) if (c) add(`efficiency.attentionDecodePairByGroupByDtype.${k}`, c, `q heads per KV head -> per-pair eff: ${curveText(c)}`);
  for (const [k, c] of Object.entries(e.gemmMemoryByBytesByDtype ?? {})) if (c) add(`efficiency.gemmMemoryByBytesByDtype.${k}`, c, `bytes -> eff: ${curveText(c, true)}`);
  return rows;
}

function pickProfile(name: string | undefined, deviceFile: string | undefined): DeviceProfile {
  if (deviceFile === undefined) {
    if (name === undefined) {
      throw new OptixUserError('devices show needs a device NAME or --device-file PATH', {
        hint: `valid names: ${listDeviceNames().join(', ')}`,
      });
    }
    return loadDevice(name);
  }
  const profiles = resolveDevices(name === undefined ? [] : [name], [deviceFile]);
  return profiles[0]!;
}

function showDevice(name: string | undefined, opts: { json?: boolean; deviceFile?: string }): void {
  const p = pickProfile(name, opts.deviceFile);
  const figures = figureRows(p);
  const effective = effectiveFigures(p);
  if (opts.json) {
    out(JSON.stringify({ profile: p, figures: figures.map(({ figure, value, source }) => ({ figure, value, source })), effective }, null, 2));
    return;
  }
  out(`${p.name} (${p.vendor}): ${p.description}`);
  out(`calibration: ${p.calibration}`);
  const table = new Table({
    head: ['figure', 'value', 'source'],
    style: { head: [], border: [] },
    chars: COMPACT,
    wordWrap: true,
    // Wide enough for the longest figure name (one word, which word wrapping would cut).
    colWidths: [52, 46, 52],
  });
  for (const f of figures) table.push([f.figure, f.text, f.source]);
  out(table.toString());
  out(
    `effective: cube ${effective.cubeTflops.toFixed(2)} TFLOPS, vector ${effective.vectorTflops.toFixed(2)} TFLOPS, ` +
      `HBM ${effective.hbmTBPerS.toFixed(3)} TB/s (${effective.hbmTiBPerS.toFixed(3)} TiB/s), ` +
      `comm ${effective.commBw} GB/s (grid ${effective.commGrid})`,
  );
}

export function register(program: Command): void {
  const devices = program.command('devices').description('List device profiles and show their figures with sources');
  devices
    .command('list')
    .description('One line per built-in device profile: peaks, HBM, comm grid, calibration')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) => listDevices(opts));
  devices
    .command('show')
    .description('Every figure of one profile with its source (built-in NAME, or a --device-file)')
    .argument('[name]', 'built-in profile name (case-insensitive), or the name inside --device-file')
    .option('--device-file <path>', 'a device profile YAML file (schemas/device-profile.schema.json)')
    .option('--json', 'print JSON')
    .action((name: string | undefined, opts: { json?: boolean; deviceFile?: string }) => showDevice(name, opts));
}
