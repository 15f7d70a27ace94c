import type { DeviceProfile } from '../types.js';
import { curvePlateau } from './curves.js';
import { formatGrid } from './grid.js';

/**
 * The headline "effective" figures of a profile: peak x the efficiency a large
 * op reaches. They feed seed 002's "Device profile parameter comparison"
 * table. That table (msmodeling's output) labels binary units "TB/s" and "GB"
 * (TEST_DEVICE: 0.6 x 1.6 TiB/s shown as "0.960 TB/s", 64 GiB as "64.0 GB")
 * while its comm column is decimal GB/s (0.7 x 50e9 shown as "35"); both unit
 * systems are returned so the table can match the seed and still say what it shows.
 */
export interface EffectiveFigures {
  name: string;
  /** bf16 matrix peak x GEMM efficiency at large M (the gemmByM curve's last point). */
  cubeTflops: number;
  /** bf16 vector peak x vector efficiency. */
  vectorTflops: number;
  /** HBM bandwidth x memory efficiency at large transfers, in TiB/s (2^40 bytes/s). */
  hbmTiBPerS: number;
  /** The same in TB/s (1e12 bytes/s). */
  hbmTBPerS: number;
  memoryGiB: number;
  memoryGB: number;
  /** Outer-first group counts, e.g. "256 x 8". */
  commGrid: string;
  /** Per tier, innermost first: bandwidth x tier efficiency, GB/s (1e9). */
  commGBPerS: number[];
  /** Outer-first like `commGrid`, e.g. "35 | 137.2". */
  commBw: string;
}

const TERA = 1e12;

/** Up to two decimals without trailing zeros: 35 -> "35", 137.2 -> "137.2". */
function short(x: number): string {
  return String(Number(x.toFixed(2)));
}

export function effectiveFigures(profile: DeviceProfile): EffectiveFigures {
  const gemm = profile.efficiency.gemmByM.bf16 ?? profile.efficiency.gemmByM.default;
  if (gemm === undefined) throw new RangeError(`${profile.name}: efficiency.gemmByM has no default curve`);
  const cubePeak = profile.matrixPeakFlopsPerS.bf16 ?? 0;
  const vectorPeak = profile.vectorPeakFlopsPerS.bf16 ?? 0;
  const hbm = profile.hbmBandwidthBytesPerS * curvePlateau(profile.efficiency.memoryByBytes);
  const commGBPerS = profile.commGrid.map((t) => (t.bandwidthBytesPerS * t.efficiency) / 1e9);
  return {
    name: profile.name,
    cubeTflops: (cubePeak * curvePlateau(gemm)) / TERA,
    vectorTflops: (vectorPeak * profile.efficiency.vector) / TERA,
    hbmTiBPerS: hbm / 1024 ** 4,
    hbmTBPerS: hbm / TERA,
    memoryGiB: profile.memoryBytes / 1024 ** 3,
    memoryGB: profile.memoryBytes / 1e9,
    commGrid: formatGrid(profile),
    commGBPerS,
    commBw: [...commGBPerS].reverse().map(short).join(' | '),
  };
}
