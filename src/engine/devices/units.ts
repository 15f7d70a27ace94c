/**
 * Quantity strings in device profiles ("353.9 TFLOPS", "64 GiB", "1.6 TiB/s",
 * "1.3 us") to SI numbers. Profiles keep the unit their source states, so a
 * reader can check a figure against its datasheet without doing arithmetic;
 * the engine only ever sees SI.
 */

export type QuantityKind = 'flopsPerS' | 'bytes' | 'bytesPerS' | 'seconds';

const BYTE_UNITS: Record<string, number> = {
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  TiB: 1024 ** 4,
};

const FLOPS_UNITS: Record<string, number> = {
  GFLOPS: 1e9,
  TFLOPS: 1e12,
  PFLOPS: 1e15,
  GOPS: 1e9,
  TOPS: 1e12,
  POPS: 1e15,
};

const TIME_UNITS: Record<string, number> = { s: 1, ms: 1e-3, us: 1e-6, ns: 1e-9 };

const QUANTITY = /^([0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?) ?([A-Za-z/]+)$/;

function unitTable(kind: QuantityKind): Record<string, number> {
  switch (kind) {
    case 'flopsPerS':
      return FLOPS_UNITS;
    case 'bytes':
      return BYTE_UNITS;
    case 'seconds':
      return TIME_UNITS;
    case 'bytesPerS':
      return Object.fromEntries(Object.entries(BYTE_UNITS).map(([u, f]) => [`${u}/s`, f]));
  }
}

export function unitsOf(kind: QuantityKind): string[] {
  return Object.keys(unitTable(kind));
}

/** A number passes through (already SI); a string must be "<number> <unit>" of `kind`. */
export function parseQuantity(value: number | string, kind: QuantityKind): number {
  if (typeof value === 'number') return value;
  const m = QUANTITY.exec(value.trim());
  const factor = m ? unitTable(kind)[m[2]!] : undefined;
  if (!m || factor === undefined) {
    throw new RangeError(`'${value}' is not a ${kind} quantity (units: ${unitsOf(kind).join(', ')})`);
  }
  return Number(m[1]) * factor;
}
