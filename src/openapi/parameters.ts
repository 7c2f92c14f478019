/**
 * Parameter Objects, normalised to one shape for OpenAPI 3.x and Swagger 2.0.
 */

import type { OperationParameter } from './types.ts';
import { isRecord } from './util.ts';
import { invalidDocument } from './errors.ts';
import { breakCycles } from './acyclic.ts';

const LOCATIONS: ReadonlySet<string> = new Set(['path', 'query', 'header', 'cookie', 'body', 'formData']);

/**
 * Swagger 2.0 describes a non-body parameter's type on the parameter itself
 * ("Parameter Object": type, format, items, enum, pattern ...). These keys are
 * copied into a schema so that callers read one shape for every format.
 */
const SWAGGER_SCHEMA_KEYS = [
  'type', 'format', 'items', 'default', 'maximum', 'exclusiveMaximum', 'minimum', 'exclusiveMinimum',
  'maxLength', 'minLength', 'pattern', 'maxItems', 'minItems', 'uniqueItems', 'enum', 'multipleOf',
] as const;

/**
 * Normalises one parameter list (Path Item or Operation level). A malformed
 * entry refuses the document: parameters feed authorisation and validation,
 * and silently dropping one would weaken them.
 */
export function normaliseParameters(list: unknown, where: string, file: string): OperationParameter[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw invalidDocument(file, `${where} is not an array`);
  return list.map((raw, i) => normaliseParameter(raw, `${where}[${i}]`, file));
}

function normaliseParameter(raw: unknown, where: string, file: string): OperationParameter {
  if (!isRecord(raw)) throw invalidDocument(file, `${where} is not an object`);
  if (typeof raw.$ref === 'string') {
    // See the same guard in operations.ts.
    throw invalidDocument(file, `${where} is an unresolved $ref (${raw.$ref})`);
  }
  const { name } = raw;
  const location = raw.in;
  if (typeof name !== 'string' || name === '') throw invalidDocument(file, `${where} has no "name"`);
  if (typeof location !== 'string' || !LOCATIONS.has(location)) {
    throw invalidDocument(file, `${where} (${name}) has an unknown "in": ${JSON.stringify(location)}`);
  }
  return {
    name,
    in: location as OperationParameter['in'],
    // A path parameter is always required, whatever the document says
    // (OAS 3.x "Parameter Object": "If the parameter location is "path", this
    // property is REQUIRED and its value MUST be true"): the template cannot
    // match without it.
    required: location === 'path' || raw.required === true,
    schema: breakCycles(parameterSchema(raw)),
  };
}

function parameterSchema(raw: Record<string, unknown>): Record<string, unknown> | null {
  if (isRecord(raw.schema)) return raw.schema;
  // OAS 3.x: "content" instead of "schema", with exactly one media type.
  if (isRecord(raw.content)) {
    for (const media of Object.values(raw.content)) {
      if (isRecord(media) && isRecord(media.schema)) return media.schema;
    }
    return null;
  }
  const schema: Record<string, unknown> = {};
  for (const key of SWAGGER_SCHEMA_KEYS) {
    if (raw[key] !== undefined) schema[key] = raw[key];
  }
  return Object.keys(schema).length > 0 ? schema : null;
}

/**
 * Path Item parameters overridden by Operation parameters: "A unique
 * parameter is defined by a combination of a name and location" and "These
 * parameters can be overridden at the operation level, but cannot be removed
 * there" (OAS 3.x "Path Item Object", Swagger 2.0 "Path Item Object"). Header
 * names compare case-insensitively (RFC 9110 §5.1).
 */
export function mergeParameters(
  pathLevel: readonly OperationParameter[],
  operationLevel: readonly OperationParameter[],
): OperationParameter[] {
  const key = (p: OperationParameter): string =>
    `${p.in}:${p.in === 'header' ? p.name.toLowerCase() : p.name}`;
  const overrides = new Map(operationLevel.map((p) => [key(p), p]));
  const merged: OperationParameter[] = [];
  for (const p of pathLevel) {
    const override = overrides.get(key(p));
    merged.push(override ?? p);
    if (override) overrides.delete(key(p));
  }
  for (const p of operationLevel) {
    if (overrides.get(key(p)) === p) merged.push(p);
  }
  return merged;
}
