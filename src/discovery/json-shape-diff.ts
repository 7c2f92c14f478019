/**
 * Drift between a documented schema (an OpenAPI schema object, already
 * dereferenced, possibly cyclic) and the shape observed in traffic:
 * fields the document does not mention, values of types it does not allow,
 * required fields that traffic does not always carry.
 *
 * Composition is read loosely, because specs use it loosely: a field
 * documented in any allOf / oneOf / anyOf branch is documented, the types of
 * all branches are allowed, and a field is required when the schema or an
 * allOf branch requires it, or every oneOf / anyOf branch does. Null is
 * allowed by `nullable: true` (OpenAPI 3.0), `type: [..., "null"]` (3.1) or a
 * null in `enum`. An object schema that lists no properties (or says
 * `additionalProperties: true`) documents a free-form object: nothing in it
 * is undocumented.
 */
import { displayPath, itemsPath, mapValuesPath, propertyPath } from './json-shape-keys.ts';
import { JSON_TYPES, shapeCount, type JsonType, type Shape } from './json-shape.ts';

export type DriftKind = 'undocumented-field' | 'type-mismatch' | 'missing-required';

export interface DriftItem {
  /** where, as in findings: 'data[].email', 'byId{*}', '(body)' */
  path: string;
  kind: DriftKind;
  /** what the document says: allowed types ('string|null'), or 'required' */
  documented?: string;
  /** what traffic showed: the offending types, the field's types, or how often a required field was absent */
  observed?: string;
}

export interface DiffOptions {
  /** a request body or a response body: readOnly fields are not required in requests, writeOnly ones not in responses */
  direction?: 'request' | 'response';
  /** items reported at most (default 500) */
  maxItems?: number;
}

/** Composition nested deeper than this is not followed (dereferenced documents can be cyclic). */
const MAX_BRANCH_DEPTH = 16;
const DEFAULT_MAX_ITEMS = 500;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What a set of alternative schemas documents at one position, all branches together. */
interface Documented {
  /** no schema constrains the type */
  isAnyType: boolean;
  types: Set<JsonType>;
  /** property name → the schemas documenting it */
  properties: Map<string, unknown[]>;
  required: Set<string>;
  /** additionalProperties: schemas given, true / {} (any), false (none) */
  additionalSchemas: unknown[];
  isAdditionalAny: boolean;
  isAdditionalForbidden: boolean;
  items: unknown[];
  isItemsAny: boolean;
}

function typeOfValue(value: unknown): JsonType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value as JsonType;
}

function isJsonType(value: unknown): value is JsonType {
  return typeof value === 'string' && (JSON_TYPES as readonly string[]).includes(value);
}

/** The schemas of `schema` and of its composition branches, each once. */
function branchesOf(schema: unknown): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const seen = new Set<object>();
  const visit = (node: unknown, depth: number) => {
    if (!isRecord(node) || seen.has(node) || depth > MAX_BRANCH_DEPTH) return;
    seen.add(node);
    out.push(node);
    for (const key of ['allOf', 'oneOf', 'anyOf'] as const) {
      const list = node[key];
      if (Array.isArray(list)) for (const branch of list) visit(branch, depth + 1);
    }
  };
  visit(schema, 0);
  return out;
}

/** Required names: own and allOf ones, and those every oneOf (or anyOf) branch requires. */
function requiredOf(schema: unknown, depth: number, seen: Set<object>): Set<string> {
  const out = new Set<string>();
  if (!isRecord(schema) || depth > MAX_BRANCH_DEPTH || seen.has(schema)) return out;
  seen.add(schema);
  if (Array.isArray(schema.required)) for (const r of schema.required) if (typeof r === 'string') out.add(r);
  if (Array.isArray(schema.allOf)) for (const b of schema.allOf) for (const r of requiredOf(b, depth + 1, seen)) out.add(r);
  for (const key of ['oneOf', 'anyOf'] as const) {
    const list = schema[key];
    if (!Array.isArray(list) || list.length === 0) continue;
    const sets = list.map((b) => requiredOf(b, depth + 1, seen));
    for (const r of sets[0]!) if (sets.every((s) => s.has(r))) out.add(r);
  }
  seen.delete(schema);
  return out;
}

function documentedAt(schemas: readonly unknown[]): Documented {
  const doc: Documented = {
    isAnyType: false, types: new Set(), properties: new Map(), required: new Set(),
    additionalSchemas: [], isAdditionalAny: false, isAdditionalForbidden: false, items: [], isItemsAny: false,
  };
  let hasTypeSource = false;
  for (const top of schemas) {
    if (top === true || (isRecord(top) && Object.keys(top).length === 0)) doc.isAnyType = true;
    if (top === false) hasTypeSource = true; // the false schema allows nothing
    for (const r of requiredOf(top, 0, new Set())) doc.required.add(r);
    for (const s of branchesOf(top)) {
      if (isJsonType(s.type)) { doc.types.add(s.type); hasTypeSource = true; }
      if (Array.isArray(s.type)) for (const t of s.type) if (isJsonType(t)) { doc.types.add(t); hasTypeSource = true; }
      if (s.nullable === true || s['x-nullable'] === true) doc.types.add('null');
      if (Array.isArray(s.enum)) for (const v of s.enum) { doc.types.add(typeOfValue(v)); hasTypeSource = true; }
      if ('const' in s) { doc.types.add(typeOfValue(s.const)); hasTypeSource = true; }
      if (isRecord(s.properties)) {
        if (s.type === undefined) { doc.types.add('object'); hasTypeSource = true; }
        for (const [name, sub] of Object.entries(s.properties)) {
          const list = doc.properties.get(name);
          if (list) list.push(sub);
          else doc.properties.set(name, [sub]);
        }
      }
      const additional = s.additionalProperties;
      if (additional === false) doc.isAdditionalForbidden = true;
      else if (additional === true || (isRecord(additional) && Object.keys(additional).length === 0)) doc.isAdditionalAny = true;
      else if (isRecord(additional)) doc.additionalSchemas.push(additional);
      if (additional !== undefined && s.type === undefined) { doc.types.add('object'); hasTypeSource = true; }
      if (s.items !== undefined) {
        if (s.type === undefined) { doc.types.add('array'); hasTypeSource = true; }
        if (isRecord(s.items) && Object.keys(s.items).length > 0) doc.items.push(s.items);
        else doc.isItemsAny = true;
      }
      if (Array.isArray(s.prefixItems)) doc.items.push(...s.prefixItems);
    }
  }
  if (!hasTypeSource) doc.isAnyType = true;
  if (doc.items.length === 0) doc.isItemsAny = true;
  return doc;
}

function allows(doc: Documented, type: JsonType): boolean {
  if (doc.isAnyType || doc.types.has(type)) return true;
  return type === 'integer' && doc.types.has('number');
}

function typeList(types: Iterable<JsonType>): string {
  const set = new Set(types);
  return JSON_TYPES.filter((t) => set.has(t)).join('|');
}

function observedTypes(shape: Shape): JsonType[] {
  return JSON_TYPES.filter((t) => (shape.types[t] ?? 0) > 0);
}

interface Walk { items: DriftItem[]; max: number; direction: 'request' | 'response' | undefined }

function report(walk: Walk, item: DriftItem): void {
  if (walk.items.length < walk.max) walk.items.push(item);
}

/** Fields the direction does not carry (OpenAPI 3.0 §4.7.25.2 readOnly / writeOnly and "required"). */
function isExemptFromRequired(schemas: readonly unknown[] | undefined, direction: Walk['direction']): boolean {
  if (!schemas || direction === undefined) return false;
  const flag = direction === 'request' ? 'readOnly' : 'writeOnly';
  return schemas.some((s) => branchesOf(s).some((b) => b[flag] === true));
}

function diffAt(schemas: readonly unknown[], observed: Shape, path: string, walk: Walk): void {
  if (walk.items.length >= walk.max || shapeCount(observed) === 0) return;
  const doc = documentedAt(schemas);
  const offending = observedTypes(observed).filter((t) => !allows(doc, t));
  if (offending.length > 0) {
    report(walk, { path: displayPath(path), kind: 'type-mismatch', documented: typeList(doc.types), observed: typeList(offending) });
  }
  const objects = observed.types.object ?? 0;
  if (objects > 0 && allows(doc, 'object')) diffObject(doc, observed, objects, path, walk);
  if (observed.items && allows(doc, 'array') && !doc.isItemsAny) diffAt(doc.items, observed.items, itemsPath(path), walk);
}

function diffObject(doc: Documented, observed: Shape, objects: number, path: string, walk: Walk): void {
  const isOpen = doc.isAdditionalAny || (doc.properties.size === 0 && !doc.isAdditionalForbidden);
  for (const [name, shape] of Object.entries(observed.properties ?? {})) {
    const documented = doc.properties.get(name);
    const childPath = propertyPath(path, name);
    if (documented) diffAt(documented, shape, childPath, walk);
    else if (doc.additionalSchemas.length > 0) diffAt(doc.additionalSchemas, shape, childPath, walk);
    else if (!isOpen) report(walk, { path: childPath, kind: 'undocumented-field', observed: typeList(observedTypes(shape)) });
  }
  if (observed.additional && observed.isMap) {
    const mapPath = mapValuesPath(path);
    if (doc.additionalSchemas.length > 0) diffAt(doc.additionalSchemas, observed.additional, mapPath, walk);
    else if (!isOpen) report(walk, { path: mapPath, kind: 'undocumented-field', observed: typeList(observedTypes(observed.additional)) });
  }
  // objects not looked into, maps and overflowing objects do not tell which names were absent
  if (observed.isTruncated || observed.isMap) return;
  for (const name of doc.required) {
    const shape = observed.properties && Object.hasOwn(observed.properties, name) ? observed.properties[name] : undefined;
    if (!shape && observed.hasOverflow) continue;
    const present = shape ? shapeCount(shape) : 0;
    if (present >= objects || isExemptFromRequired(doc.properties.get(name), walk.direction)) continue;
    report(walk, {
      path: propertyPath(path, name), kind: 'missing-required', documented: 'required',
      observed: `absent in ${objects - present} of ${objects} objects`,
    });
  }
}

/**
 * The drift of an observed shape from a documented schema, in the order of
 * the observed fields, at most `maxItems` items. A field that is
 * undocumented is reported once, not with everything inside it.
 */
export function diffShapes(documentedSchema: unknown, observed: Shape, options?: DiffOptions): DriftItem[] {
  const walk: Walk = { items: [], max: options?.maxItems ?? DEFAULT_MAX_ITEMS, direction: options?.direction };
  diffAt([documentedSchema], observed, '', walk);
  return walk.items;
}
