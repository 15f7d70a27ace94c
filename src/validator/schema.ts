/**
 * JSON Schema check of a case (the same schemas/case.schema.json editors use),
 * with ajv's errors turned into one message per problem at its YAML position.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import schema from '../../schemas/case.schema.json' with { type: 'json' };
import type { PathSegment } from '../loader/index.js';

export interface SchemaProblem {
  path: PathSegment[];
  message: string;
  hint?: string;
}

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  // verbose: the parent schema lets a message list the keys that are allowed.
  compiled ??= new Ajv({ allErrors: true, verbose: true, strict: false }).compile(schema);
  return compiled;
}

export function checkSchema(value: unknown): SchemaProblem[] {
  const validate = validator();
  if (validate(value)) return [];
  const errors = validate.errors ?? [];
  // A oneOf failure explains itself; its branches' errors at the same place are noise.
  const oneOfPaths = new Set(errors.filter((e) => e.keyword === 'oneOf').map((e) => e.instancePath));
  const seen = new Set<string>();
  const out: SchemaProblem[] = [];
  for (const e of errors) {
    if (e.keyword !== 'oneOf' && [...oneOfPaths].some((p) => e.instancePath === p)) continue;
    const problem = describe(e);
    const key = `${problem.path.join('/')}|${problem.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(problem);
  }
  return out;
}

export function splitPointer(pointer: string): PathSegment[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function dotted(path: PathSegment[]): string {
  return path.length === 0 ? '(top level)' : path.map(String).join('.');
}

function describe(e: ErrorObject): SchemaProblem {
  const path = splitPointer(e.instancePath);
  const where = dotted(path);
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required': {
      const key = String(params.missingProperty);
      return { path, message: `${where}: missing required key '${key}'`, hint: `add '${key}:' under ${where}` };
    }
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const parent = e.parentSchema as { properties?: Record<string, unknown> } | undefined;
      const allowed = Object.keys(parent?.properties ?? {});
      return {
        path: [...path, key],
        message: `${where}: unknown key '${key}'`,
        hint: allowed.length > 0 ? `valid keys: ${allowed.join(', ')}` : 'remove it',
      };
    }
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map(String);
      return { path, message: `${where}: ${JSON.stringify(e.data)} is not allowed`, hint: `valid values: ${allowed.join(', ')}` };
    }
    case 'type':
      return { path, message: `${where}: must be ${String(params.type)}, got ${JSON.stringify(e.data)}`, hint: `expected type: ${String(params.type)}` };
    case 'oneOf':
      if (path[path.length - 1] === 'concurrency_list') {
        return {
          path,
          message: `${where}: must be a string of positive integers or a list of integers, got ${JSON.stringify(e.data)}`,
          hint: 'e.g. concurrency_list: "1 2 4 8"',
        };
      }
      return { path, message: `${where}: ${e.message ?? 'does not match the schema'}` };
    case 'dependencies':
    case 'dependentRequired':
      return {
        path,
        message: `${where}: '${String(params.property)}' needs '${String(params.missingProperty)}'`,
        hint: ['baseline', 'tolerance_pct'].includes(String(params.property))
          ? 'a baseline bound is `{ baseline: X, tolerance_pct: P }`'
          : `add '${String(params.missingProperty)}' next to it`,
      };
    case 'propertyNames':
      return { path, message: `${where}: key ${JSON.stringify(params.propertyName)} must be a concurrency (an integer)` };
    default:
      return { path, message: `${where}: ${e.message ?? e.keyword}`, hint: 'see schemas/case.schema.json' };
  }
}
