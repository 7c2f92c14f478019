/**
 * Concrete request paths for an operation's template, with parameter values
 * drawn from each parameter's schema. Used by tests against real documents
 * (and usable by a future "probe every declared endpoint" command).
 */

import type { Operation, OperationParameter } from './types.ts';

const UUID = '3fa85f64-5717-4562-b3fc-2c963f66afa6';
/** Values for a free string, mixed-case so that no static segment equals them. */
const STRING_VALUES = ['a1B2c3', 'Zq9Xw8', 'k7M5n3p1'];
/** Candidates tried against a `pattern`, the first that matches wins. */
const PATTERN_CANDIDATES = [
  'a1B2c3', 'abc123', 'abc', 'ABC', '42', '1', UUID, 'a1b2c3d4e5f6', 'a-b', 'a_b', 'a.b', 'ab12', 'AB12',
  'cus_a1B2c3', 'acct_1', 'example.com', 'a@example.com', 'us-east-1', 'nyc1', '2024-01-31', 'en_US', 'a',
];

/**
 * The candidate values of one path parameter, most typical first: an enum's
 * first value, 42 for a number, a UUID for `format: uuid`, a value matching a
 * simple `pattern`, else a mixed-case string. `attempt` picks a later
 * candidate, to step around a static sibling segment.
 */
export function sampleValue(parameter: OperationParameter | undefined, attempt = 0): string {
  const schema = effectiveSchema(parameter?.schema ?? null);
  const candidates: string[] = [];
  const enumValues = Array.isArray(schema.enum) ? schema.enum.filter((v) => v !== null).map(String) : [];
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  if (enumValues.length > 0) candidates.push(...enumValues);
  else if (type === 'integer' || type === 'number') candidates.push('42', '7', '1001');
  else if (schema.format === 'uuid') candidates.push(UUID, '0b7f6c1e-2d3a-4e5f-8a9b-0c1d2e3f4a5b');
  else if (typeof schema.pattern === 'string') candidates.push(...patternValues(schema.pattern));
  candidates.push(...STRING_VALUES);
  return candidates[Math.min(attempt, candidates.length - 1)] as string;
}

/** The template with every `{name}` replaced by a percent-encoded sample. */
export function samplePath(operation: Operation, attempt = 0): string {
  return operation.template.replace(/\{([^{}]*)\}/g, (_, name: string) => {
    const parameter = operation.parameters.find((p) => p.in === 'path' && p.name === name);
    return encodeURIComponent(sampleValue(parameter, attempt));
  });
}

/** A schema given through allOf / oneOf / anyOf is read from its first branch. */
function effectiveSchema(schema: Record<string, unknown> | null): Record<string, unknown> {
  if (schema === null) return {};
  for (const key of ['allOf', 'oneOf', 'anyOf']) {
    const branches = schema[key];
    if (Array.isArray(branches) && branches.length > 0 && typeof branches[0] === 'object' && branches[0] !== null) {
      return { ...effectiveSchema(branches[0] as Record<string, unknown>), ...withoutKey(schema, key) };
    }
  }
  return schema;
}

function withoutKey(schema: Record<string, unknown>, key: string): Record<string, unknown> {
  const copy = { ...schema };
  delete copy[key];
  return copy;
}

function patternValues(pattern: string): string[] {
  let regex: RegExp;
  try {
    regex = new RegExp(pattern, 'u');
  } catch {
    return [];
  }
  return PATTERN_CANDIDATES.filter((c) => regex.test(c));
}
