/**
 * Device profiles front door: reads `data/devices/<NAME>.yaml` (built-ins) or a
 * user's `--device-file`, checks it against schemas/device-profile.schema.json
 * and a few semantic rules, and returns an SI DeviceProfile. Every problem is
 * an OptixUserError at the file:line:column of the YAML node at fault.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Document, LineCounter } from 'yaml';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { OptixUserError } from '../errors.js';
import { packageRoot } from '../package-root.js';
import type { CommTier, DeviceProfile, Dtype, EfficiencyCurve } from '../engine/types.js';
import { parseQuantity, unitsOf, type QuantityKind } from '../engine/devices/units.js';
import { timeFallsAt } from '../engine/devices/curves.js';

const SCHEMA_FILE = 'schemas/device-profile.schema.json';
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

// ---------------------------------------------------------------------------
// Where the data lives
// ---------------------------------------------------------------------------

/** Directory of the built-in profiles. */
export function devicesDir(): string {
  return path.join(packageRoot(), 'data', 'devices');
}

/** Names of the built-in profiles, sorted. */
export function listDeviceNames(): string[] {
  return readdirSync(devicesDir())
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -'.yaml'.length))
    .sort();
}

// ---------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------

const cache = new Map<string, DeviceProfile>();

/**
 * A built-in profile by name (case-insensitive). Reads only that profile's
 * file; the directory is listed only when the exact name misses.
 */
export function loadDevice(name: string): DeviceProfile {
  const cached = cache.get(name);
  if (cached) return structuredClone(cached);
  const exact = NAME_PATTERN.test(name) ? path.join(devicesDir(), `${name}.yaml`) : undefined;
  let file: string | undefined = exact !== undefined && existsSync(exact) ? exact : undefined;
  if (file === undefined) {
    const names = listDeviceNames();
    const match = names.find((n) => n.toLowerCase() === name.toLowerCase());
    if (match === undefined) throw unknownDevice(name, names);
    file = path.join(devicesDir(), `${match}.yaml`);
  }
  // Built-ins skip the JSON Schema pass (about 60 ms of ajv start-up per
  // process): test/devices.test.ts checks every one of them against it. The
  // build's bundle of parsed built-ins also skips the YAML parser (~50 ms of
  // import), unless the file changed after the bundle was written.
  const profile =
    bundledProfile(file) ?? readProfile(file, { expectedName: path.basename(file, '.yaml'), schema: false });
  cache.set(name, profile);
  return structuredClone(profile);
}

/** A user profile (`--device-file`). Its name is whatever the file says. */
export function loadDeviceFile(file: string): DeviceProfile {
  if (!existsSync(file)) {
    throw new OptixUserError(`device file not found: ${file}`, { hint: 'pass the path of a device profile YAML file' });
  }
  return readProfile(file, { schema: true });
}

/**
 * Profiles for `--device` names and `--device-file` paths: the named ones in
 * the order given (a name matches a user file's profile before a built-in),
 * then user profiles not named; each profile once.
 */
export function resolveDevices(names: string[], deviceFiles: string[] = []): DeviceProfile[] {
  const fromFiles = deviceFiles.map((f) => loadDeviceFile(f));
  const out: DeviceProfile[] = [];
  const seen = new Set<string>();
  const add = (p: DeviceProfile): void => {
    if (seen.has(p.name)) return;
    seen.add(p.name);
    out.push(p);
  };
  for (const name of names) {
    const user = fromFiles.find((p) => p.name === name) ?? fromFiles.find((p) => p.name.toLowerCase() === name.toLowerCase());
    if (user) {
      add(user);
      continue;
    }
    try {
      add(loadDevice(name));
    } catch (e) {
      if (e instanceof OptixUserError && e.file === undefined && fromFiles.length > 0) {
        throw unknownDevice(name, [...listDeviceNames(), ...fromFiles.map((p) => p.name)]);
      }
      throw e;
    }
  }
  for (const p of fromFiles) add(p);
  return out;
}

function unknownDevice(name: string, valid: string[]): OptixUserError {
  return new OptixUserError(`unknown device '${name}'`, {
    hint: `valid names: ${valid.join(', ')}; or pass a profile with --device-file`,
  });
}

function readProfile(file: string, options: ParseOptions): DeviceProfile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new OptixUserError(`cannot read device file: ${(e as Error).message}`, { file, cause: e });
  }
  return parseDeviceProfile(text, file, options);
}

// ---------------------------------------------------------------------------
// Parsing and checking
// ---------------------------------------------------------------------------

type Segment = string | number;
type Quantity = number | string;
type RawCurve = Array<[Quantity, number]>;

/** The file's shape once the schema has accepted it. */
type OptionalCurveKey = 'attentionPrefillByWork' | 'attentionPrefillByHeadDim' | 'attentionDecodeByGroup' | 'attentionPrefillByBytes';
type OptionalStaticKey = 'ncclCollective' | 'attentionPrefillOp' | 'attentionDecodeOp' | 'attentionDecodePerKvPair';

interface RawProfile {
  name: string;
  vendor: string;
  description: string;
  matrixPeakFlopsPerS: Partial<Record<Dtype, Quantity>>;
  vectorPeakFlopsPerS: Partial<Record<Dtype, Quantity>>;
  memoryBytes: Quantity;
  hbmBandwidthBytesPerS: Quantity;
  commGrid: Array<{ name: string; devices: number; bandwidthBytesPerS: Quantity; latencyS: Quantity; efficiency: number; topology?: string }>;
  staticCostS: Record<'matrixOp' | 'vectorOp' | 'memoryOp' | 'collective', Quantity> & {
    ncclCollective?: Quantity;
    attentionPrefillOp?: Quantity;
    attentionDecodeOp?: Quantity;
    attentionDecodePerKvPair?: Quantity;
    graphReplayFraction?: number;
  };
  efficiency: {
    gemmByM: Partial<Record<Dtype | 'default', RawCurve>>;
    gemmByNK: RawCurve;
    gemmByNKByDtype?: Partial<Record<Dtype, RawCurve>>;
    attentionPrefillBySeq: RawCurve;
    attentionPrefillBySeqByDtype?: Partial<Record<Dtype, RawCurve>>;
    attentionPrefillByWork?: RawCurve;
    attentionPrefillByHeadDim?: RawCurve;
    attentionDecodeByGroup?: RawCurve;
    attentionDecodePairByGroupByDtype?: Partial<Record<Dtype, RawCurve>>;
    attentionPrefillByBytes?: RawCurve;
    attentionDecodeByBytes: RawCurve;
    attentionDecodeByBytesByDtype?: Partial<Record<Dtype, RawCurve>>;
    memoryByBytes: RawCurve;
    gemmMemoryByBytesByDtype?: Partial<Record<Dtype, RawCurve>>;
    vector: number;
    commByBytes: RawCurve;
  };
  sources: Record<string, string>;
  calibration: string;
}

export interface ParseOptions {
  /** The profile's `name` must equal this (built-ins: the file's base name). */
  expectedName?: string;
  /**
   * Check against the JSON Schema (default true). Without it a file that turns
   * out malformed is checked after all, so its error still names the line.
   */
  schema?: boolean;
}

/** YAML text -> checked DeviceProfile; `file` is only used in messages. */
export function parseDeviceProfile(text: string, file: string, options: ParseOptions = {}): DeviceProfile {
  const { expectedName, schema = true } = options;
  const { LineCounter, parseDocument } = yamlLib();
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  const syntax = doc.errors[0];
  if (syntax) {
    const pos = syntax.linePos?.[0];
    const message = syntax.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new OptixUserError(`YAML syntax error: ${message}`, {
      file,
      ...(pos ? { line: pos.line, column: pos.col } : {}),
      hint: 'fix the YAML syntax (indentation, quoting, brackets)',
    });
  }
  const at = (where: Segment[], key = false): { file: string; line?: number; column?: number } => ({
    file,
    ...positionOf(doc, lineCounter, where, key),
  });

  const value: unknown = doc.toJS();
  if (!schema) {
    try {
      return checked(value as RawProfile, at, expectedName);
    } catch (e) {
      if (e instanceof OptixUserError) throw e;
      // Malformed beyond what the semantic checks expect: let the schema say where.
    }
  }
  const validate = validator();
  if (!validate(value)) {
    const e = validate.errors?.[0];
    if (e) throw schemaError(e, at);
    throw new OptixUserError('invalid device profile', { ...at([]), hint: `see ${SCHEMA_FILE}` });
  }
  return checked(value as RawProfile, at, expectedName);
}

function checked(raw: RawProfile, at: At, expectedName: string | undefined): DeviceProfile {
  if (expectedName !== undefined && raw.name !== expectedName) {
    throw new OptixUserError(`profile name '${raw.name}' does not match its file name '${expectedName}.yaml'`, {
      ...at(['name']),
      hint: `a built-in profile is data/devices/<name>.yaml; rename one of them`,
    });
  }
  return toProfile(raw, at);
}

type At = (where: Segment[], key?: boolean) => { file: string; line?: number; column?: number };

function toProfile(raw: RawProfile, at: At): DeviceProfile {
  const q = (v: Quantity, kind: QuantityKind): number => parseQuantity(v, kind);
  const peaks = (p: Partial<Record<Dtype, Quantity>>): Partial<Record<Dtype, number>> =>
    Object.fromEntries(Object.entries(p).map(([d, v]) => [d, q(v as Quantity, 'flopsPerS')]));
  const curve = (c: RawCurve, where: Segment[], bytes: boolean): EfficiencyCurve => {
    const points = c.map(([x, e]) => [bytes ? q(x, 'bytes') : (x as number), e] as const);
    for (let i = 1; i < points.length; i++) {
      if (points[i]![0] <= points[i - 1]![0]) {
        throw new OptixUserError(`${dotted(where)}: x values must increase strictly (point ${i} is not above point ${i - 1})`, {
          ...at([...where, i, 0]),
          hint: 'list curve points as [x, efficiency] in ascending x',
        });
      }
    }
    const falls = timeFallsAt(points);
    if (falls !== undefined) {
      throw new OptixUserError(
        `${dotted(where)}: efficiency grows faster than x from point ${falls - 1} to point ${falls}, so more work would take less time`,
        { ...at([...where, falls, 1]), hint: `keep e${falls} / e${falls - 1} <= x${falls} / x${falls - 1}: lower point ${falls}'s efficiency or raise point ${falls - 1}'s` },
      );
    }
    return points;
  };

  const commGrid: CommTier[] = raw.commGrid.map((t) => ({
    name: t.name,
    devices: t.devices,
    bandwidthBytesPerS: q(t.bandwidthBytesPerS, 'bytesPerS'),
    latencyS: q(t.latencyS, 'seconds'),
    efficiency: t.efficiency,
    ...(t.topology === undefined ? {} : { topology: t.topology }),
  }));
  for (let i = 1; i < commGrid.length; i++) {
    const inner = commGrid[i - 1]!.devices;
    const outer = commGrid[i]!.devices;
    if (outer <= inner || outer % inner !== 0) {
      throw new OptixUserError(
        `commGrid[${i}].devices (${outer}) must be a larger multiple of the tier inside it (${inner})`,
        { ...at(['commGrid', i, 'devices']), hint: 'tiers go innermost first; devices counts every device inside one group of the tier' },
      );
    }
  }

  const e = raw.efficiency;
  const gemmByM: DeviceProfile['efficiency']['gemmByM'] = {};
  for (const [k, c] of Object.entries(e.gemmByM)) {
    gemmByM[k as Dtype | 'default'] = curve(c as RawCurve, ['efficiency', 'gemmByM', k], false);
  }
  // Optional per-dtype curves (calibrated profiles): present only when the file has them.
  const byDtype = <K extends string>(field: K, m: Partial<Record<Dtype, RawCurve>> | undefined, bytes: boolean): Partial<Record<K, Partial<Record<Dtype, EfficiencyCurve>>>> => {
    if (m === undefined) return {};
    const out: Partial<Record<Dtype, EfficiencyCurve>> = {};
    for (const [k, c] of Object.entries(m)) out[k as Dtype] = curve(c as RawCurve, ['efficiency', field, k], bytes);
    return { [field]: out } as Partial<Record<K, Partial<Record<Dtype, EfficiencyCurve>>>>;
  };
  // Optional single curves and kernel floors, likewise.
  const optionalCurve = <K extends OptionalCurveKey>(field: K, bytes: boolean): Partial<Record<K, EfficiencyCurve>> => {
    const c = e[field];
    return c === undefined ? {} : ({ [field]: curve(c, ['efficiency', field], bytes) } as Partial<Record<K, EfficiencyCurve>>);
  };
  const optionalSeconds = <K extends OptionalStaticKey>(field: K): Partial<Record<K, number>> => {
    const v = raw.staticCostS[field];
    return v === undefined ? {} : ({ [field]: q(v, 'seconds') } as Partial<Record<K, number>>);
  };
  return {
    name: raw.name,
    vendor: raw.vendor,
    description: raw.description,
    matrixPeakFlopsPerS: peaks(raw.matrixPeakFlopsPerS),
    vectorPeakFlopsPerS: peaks(raw.vectorPeakFlopsPerS),
    memoryBytes: q(raw.memoryBytes, 'bytes'),
    hbmBandwidthBytesPerS: q(raw.hbmBandwidthBytesPerS, 'bytesPerS'),
    commGrid,
    staticCostS: {
      matrixOp: q(raw.staticCostS.matrixOp, 'seconds'),
      vectorOp: q(raw.staticCostS.vectorOp, 'seconds'),
      memoryOp: q(raw.staticCostS.memoryOp, 'seconds'),
      collective: q(raw.staticCostS.collective, 'seconds'),
      ...optionalSeconds('ncclCollective'),
      ...optionalSeconds('attentionPrefillOp'),
      ...optionalSeconds('attentionDecodeOp'),
      ...optionalSeconds('attentionDecodePerKvPair'),
      ...(raw.staticCostS.graphReplayFraction !== undefined ? { graphReplayFraction: raw.staticCostS.graphReplayFraction } : {}),
    },
    efficiency: {
      gemmByM,
      gemmByNK: curve(e.gemmByNK, ['efficiency', 'gemmByNK'], false),
      ...byDtype('gemmByNKByDtype', e.gemmByNKByDtype, false),
      attentionPrefillBySeq: curve(e.attentionPrefillBySeq, ['efficiency', 'attentionPrefillBySeq'], false),
      ...byDtype('attentionPrefillBySeqByDtype', e.attentionPrefillBySeqByDtype, false),
      ...optionalCurve('attentionPrefillByWork', false),
      ...optionalCurve('attentionPrefillByHeadDim', false),
      ...optionalCurve('attentionDecodeByGroup', false),
      ...byDtype('attentionDecodePairByGroupByDtype', e.attentionDecodePairByGroupByDtype, false),
      ...optionalCurve('attentionPrefillByBytes', true),
      attentionDecodeByBytes: curve(e.attentionDecodeByBytes, ['efficiency', 'attentionDecodeByBytes'], true),
      ...byDtype('attentionDecodeByBytesByDtype', e.attentionDecodeByBytesByDtype, true),
      ...byDtype('gemmMemoryByBytesByDtype', e.gemmMemoryByBytesByDtype, true),
      memoryByBytes: curve(e.memoryByBytes, ['efficiency', 'memoryByBytes'], true),
      vector: e.vector,
      commByBytes: curve(e.commByBytes, ['efficiency', 'commByBytes'], true),
    },
    sources: { ...raw.sources },
    calibration: raw.calibration,
  };
}

// ---------------------------------------------------------------------------
// Schema
// ---------------------------------------------------------------------------

let compiled: ValidateFunction | undefined;

/** Written by `npm run build` (scripts/bundle-devices.ts): the built-in profiles, parsed. */
export const DEVICE_BUNDLE = 'dist/devices.bundle.json';

export interface DeviceBundle {
  /** Profile name -> the mtime (ms) of its YAML file when the bundle was written. */
  sourceMtimeMs: Record<string, number>;
  profiles: Record<string, DeviceProfile>;
}

let bundle: DeviceBundle | null | undefined;

function bundledProfile(file: string): DeviceProfile | undefined {
  if (bundle === undefined) {
    try {
      bundle = JSON.parse(readFileSync(path.join(packageRoot(), DEVICE_BUNDLE), 'utf8')) as DeviceBundle;
    } catch {
      bundle = null;
    }
  }
  const name = path.basename(file, '.yaml');
  const recorded = bundle?.sourceMtimeMs[name];
  if (!bundle || recorded === undefined || statSync(file).mtimeMs > recorded) return undefined;
  return bundle.profiles[name];
}

/** The YAML library, loaded on first use (see bundledProfile). */
function yamlLib(): typeof import('yaml') {
  return createRequire(import.meta.url)('yaml') as typeof import('yaml');
}

/**
 * Compiled once, on first use; ajv is required lazily so that commands that
 * import this module without loading a profile do not pay for it.
 */
function validator(): ValidateFunction {
  if (compiled) return compiled;
  const require = createRequire(import.meta.url);
  const { Ajv } = require('ajv') as typeof import('ajv');
  const schema = JSON.parse(readFileSync(path.join(packageRoot(), SCHEMA_FILE), 'utf8')) as object;
  // verbose: errors carry their parent schema, so a message can list the allowed keys.
  compiled = new Ajv({ allErrors: false, verbose: true, allowUnionTypes: true }).compile(schema);
  return compiled;
}

const QUANTITY_KINDS: Record<string, QuantityKind> = {
  flopsPerS: 'flopsPerS',
  bytes: 'bytes',
  bandwidth: 'bytesPerS',
  duration: 'seconds',
};

const EXAMPLES: Record<QuantityKind, string> = {
  flopsPerS: "'353.9 TFLOPS'",
  bytes: "'64 GiB'",
  bytesPerS: "'1.6 TiB/s'",
  seconds: "'1.3 us'",
};

function schemaError(e: ErrorObject, at: At): OptixUserError {
  const where = pointerToPath(e.instancePath);
  const params = e.params as Record<string, unknown>;
  // Errors under propertyNames are about a key, not its value.
  if (e.propertyName !== undefined) {
    const key = e.propertyName;
    const allowed = Array.isArray(params.allowedValues) ? (params.allowedValues as unknown[]).map(String) : [];
    return new OptixUserError(`${dotted(where)}: key '${key}' is not allowed`, {
      ...at([...where, key], true),
      hint: allowed.length > 0 ? `valid keys: ${allowed.join(', ')}` : `see ${SCHEMA_FILE}`,
    });
  }
  switch (e.keyword) {
    case 'required': {
      const key = String(params.missingProperty);
      return new OptixUserError(`${dotted(where)}: missing required field '${key}'`, {
        ...at(where),
        hint: where[0] === 'sources' ? `every ${key} figure needs a source, e.g. '${key}: NVIDIA H100 datasheet'` : `add '${key}:'`,
      });
    }
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const parent = e.parentSchema as { properties?: Record<string, unknown> } | undefined;
      const allowed = Object.keys(parent?.properties ?? {});
      return new OptixUserError(`${dotted(where)}: unknown field '${key}'`, {
        ...at([...where, key], true),
        hint: allowed.length > 0 ? `valid fields: ${allowed.join(', ')}` : 'remove it',
      });
    }
    case 'pattern': {
      const def = /#\/definitions\/(\w+)\//.exec(e.schemaPath)?.[1];
      const kind = def === undefined ? undefined : QUANTITY_KINDS[def];
      if (kind !== undefined) {
        return new OptixUserError(`${dotted(where)}: ${JSON.stringify(e.data)} is not a ${kind} quantity`, {
          ...at(where),
          hint: `write a number in SI units or '<number> <unit>' such as ${EXAMPLES[kind]} (units: ${unitsOf(kind).join(', ')})`,
        });
      }
      return new OptixUserError(`${dotted(where)}: ${JSON.stringify(e.data)} ${e.message ?? 'does not match'}`, {
        ...at(where),
        hint: `see ${SCHEMA_FILE}`,
      });
    }
    case 'type':
      return new OptixUserError(`${dotted(where)}: must be ${String(params.type).replace(',', ' or ')}, got ${JSON.stringify(e.data)}`, {
        ...at(where),
        hint: `see ${SCHEMA_FILE}`,
      });
    case 'enum':
      return new OptixUserError(`${dotted(where)}: ${JSON.stringify(e.data)} is not allowed`, {
        ...at(where),
        hint: `valid values: ${(params.allowedValues as unknown[]).map(String).join(', ')}`,
      });
    default:
      return new OptixUserError(`${dotted(where)}: ${e.message ?? e.keyword}${e.data === undefined || typeof e.data === 'object' ? '' : `, got ${JSON.stringify(e.data)}`}`, {
        ...at(where),
        hint: `see ${SCHEMA_FILE}`,
      });
  }
}

function pointerToPath(pointer: string): Segment[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** commGrid.0.devices -> "commGrid[0].devices"; [] -> "(top level)". */
function dotted(where: Segment[]): string {
  if (where.length === 0) return '(top level)';
  return where.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

/**
 * 1-based line/column of the node at `where` (of its key when `key`), or of
 * the deepest ancestor that exists when the node itself is missing.
 */
function positionOf(doc: Document, lc: LineCounter, where: Segment[], key = false): { line?: number; column?: number } {
  const { isMap, isPair, isScalar, isSeq } = yamlLib();
  let node: unknown = doc.contents;
  let offset: number | undefined = rangeStart(node);
  for (let i = 0; i < where.length; i++) {
    const seg = where[i]!;
    let next: unknown;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (pair === undefined) break;
      if (key && i === where.length - 1) {
        offset = rangeStart(pair.key) ?? offset;
        break;
      }
      next = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      next = node.items[seg];
    }
    if (next === undefined || next === null) break;
    node = next;
    offset = rangeStart(node) ?? offset;
  }
  if (offset === undefined) return {};
  const pos = lc.linePos(offset);
  return { line: pos.line, column: pos.col };
}

function rangeStart(node: unknown): number | undefined {
  if (node !== null && typeof node === 'object' && 'range' in node) {
    const range = (node as { range?: [number, number, number] | null }).range;
    return range?.[0];
  }
  return undefined;
}
