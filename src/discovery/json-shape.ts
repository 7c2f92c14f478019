/**
 * The shape of JSON bodies, learned from samples: per position, how many
 * values of each JSON type were seen, the string formats they all had,
 * object properties with how many objects had each (so `required` is
 * "present in every object seen"), array items merged into one shape.
 *
 * A shape is plain JSON (stored as is in SQLite or PostgreSQL) and merging
 * is associative and commutative: counts add up, formats intersect, flags
 * OR, and every rule that drops detail does so by a property of the union
 * of all samples, never by their order. Merging the shapes of two batches
 * therefore equals the shape of all their samples, whichever instance saw
 * which sample (src/discovery/json-shape.property.test.ts checks this).
 *
 * Bounds, per sample: objects and arrays deeper than `maxDepth` are counted
 * but not looked into, nor are any once `maxNodes` values have been seen;
 * per position: at most `maxProperties` named properties (the first in
 * code-unit order of all names seen, so that the choice does not depend on
 * order), the others merged into `additional`; objects whose keys are all
 * identifiers (json-shape-keys.ts) are maps, their values merged into
 * `additional`, and a position that was a map once stays one.
 */
import { isIdLikeKey } from './json-shape-keys.ts';
import { formatsOf, keepFormats, type StringFormat } from './json-shape-formats.ts';

export const JSON_TYPES = ['string', 'integer', 'number', 'boolean', 'object', 'array', 'null'] as const;
/** 'integer' is a number without a fraction; 'number' the others (JSON Schema 2020-12 Core §4.2.1). */
export type JsonType = typeof JSON_TYPES[number];

export interface Shape {
  /** values seen at this position, by type */
  types: Partial<Record<JsonType, number>>;
  /** the formats every string seen here satisfied (STRING_FORMATS order); absent until a string is seen */
  formats?: StringFormat[];
  /** named properties; a property's count (the sum of its types) is the number of objects that had it */
  properties?: Record<string, Shape>;
  /** the values of keys not in `properties`: a map's values, or the properties beyond the cap */
  additional?: Shape;
  /** the objects here are maps (their keys were identifiers) */
  isMap?: true;
  /** some object here had more property names than the cap (never set on a map) */
  hasOverflow?: true;
  /** some object or array here was not looked into (depth or node budget) */
  isTruncated?: true;
  /** every element of every array seen here */
  items?: Shape;
}

export interface ShapeLimits {
  /** levels of objects and arrays looked into below the top (default 8) */
  maxDepth: number;
  /** named properties kept per position (default 200) */
  maxProperties: number;
  /** values looked at per sample before the rest are only counted (default 20 000) */
  maxNodes: number;
}

export const DEFAULT_SHAPE_LIMITS: Readonly<ShapeLimits> = { maxDepth: 8, maxProperties: 200, maxNodes: 20_000 };

function limitsOf(limits: Partial<ShapeLimits> | undefined): ShapeLimits {
  return limits ? { ...DEFAULT_SHAPE_LIMITS, ...limits } : DEFAULT_SHAPE_LIMITS;
}

export function emptyShape(): Shape {
  return { types: {} };
}

/** How many values a shape describes: the number of samples, for a top-level shape. */
export function shapeCount(shape: Shape): number {
  let n = 0;
  for (const type of JSON_TYPES) n += shape.types[type] ?? 0;
  return n;
}

// Property names come from the wire: "__proto__" or "constructor" must be
// plain own properties, never the prototype's.
function ownProperty(record: Record<string, Shape>, key: string): Shape | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function defineProperty(record: Record<string, Shape>, key: string, value: Shape): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function bump(shape: Shape, type: JsonType, by = 1): void {
  shape.types[type] = (shape.types[type] ?? 0) + by;
}

/** Merges `source` into `target` in place; `source` is not modified nor shared. */
function mergeInto(target: Shape, source: Shape, limits: ShapeLimits): void {
  if (source.formats !== undefined) {
    target.formats = target.formats === undefined ? [...source.formats] : target.formats.filter((f) => source.formats!.includes(f));
  }
  for (const type of JSON_TYPES) {
    const n = source.types[type];
    if (n) bump(target, type, n);
  }
  if (source.isTruncated) target.isTruncated = true;
  if (source.hasOverflow) target.hasOverflow = true;
  if (source.items) {
    if (target.items) mergeInto(target.items, source.items, limits);
    else target.items = copyShape(source.items, limits);
  }
  if (source.isMap && !target.isMap) makeMap(target, limits);
  if (target.isMap) {
    if (source.properties) for (const key of Object.keys(source.properties)) fold(target, source.properties[key]!, limits);
  } else if (source.properties) {
    target.properties ??= {};
    for (const key of Object.keys(source.properties)) {
      const from = source.properties[key]!;
      const into = ownProperty(target.properties, key);
      if (into) mergeInto(into, from, limits);
      else defineProperty(target.properties, key, copyShape(from, limits));
    }
    capProperties(target, limits);
  }
  if (source.additional) fold(target, source.additional, limits);
}

function copyShape(shape: Shape, limits: ShapeLimits): Shape {
  const copy = emptyShape();
  mergeInto(copy, shape, limits);
  return copy;
}

/** Merges a value shape into the position's `additional`. */
function fold(target: Shape, shape: Shape, limits: ShapeLimits): void {
  if (target.additional) mergeInto(target.additional, shape, limits);
  else target.additional = copyShape(shape, limits);
}

function makeMap(target: Shape, limits: ShapeLimits): void {
  target.isMap = true;
  if (!target.properties) return;
  for (const key of Object.keys(target.properties)) fold(target, target.properties[key]!, limits);
  delete target.properties;
}

/** Keeps the first `maxProperties` names in code-unit order; the others go to `additional`. */
function capProperties(target: Shape, limits: ShapeLimits): void {
  const properties = target.properties!;
  const keys = Object.keys(properties);
  if (keys.length <= limits.maxProperties) return;
  keys.sort(compareKeys);
  for (const key of keys.slice(limits.maxProperties)) {
    fold(target, properties[key]!, limits);
    delete properties[key];
  }
  target.hasOverflow = true;
}

interface Budget { nodes: number }

function addValue(shape: Shape, value: unknown, depth: number, limits: ShapeLimits, budget: Budget): void {
  budget.nodes++;
  if (value === null) return bump(shape, 'null');
  switch (typeof value) {
    case 'boolean': return bump(shape, 'boolean');
    case 'number': return bump(shape, Number.isInteger(value) ? 'integer' : 'number');
    case 'string':
      bump(shape, 'string');
      // hot path: once the strings here disagree, no format is tested again
      if (shape.formats === undefined) shape.formats = formatsOf(value);
      else if (shape.formats.length > 0) shape.formats = keepFormats(shape.formats, value);
      return;
    case 'object': break;
    default: return; // undefined, functions, bigint: not JSON
  }
  const isLookedInto = depth < limits.maxDepth && budget.nodes <= limits.maxNodes;
  if (Array.isArray(value)) {
    bump(shape, 'array');
    if (value.length === 0) return;
    if (!isLookedInto) {
      shape.isTruncated = true;
      return;
    }
    shape.items ??= emptyShape();
    for (const element of value) addValue(shape.items, element, depth + 1, limits, budget);
    return;
  }
  bump(shape, 'object');
  const object = value as Record<string, unknown>;
  const keys = Object.keys(object);
  if (keys.length === 0) return;
  if (!isLookedInto) {
    shape.isTruncated = true;
    return;
  }
  if (!shape.isMap && keys.every(isIdLikeKey)) makeMap(shape, limits);
  if (shape.isMap) {
    shape.additional ??= emptyShape();
    for (const key of keys) addValue(shape.additional, object[key], depth + 1, limits, budget);
    return;
  }
  shape.properties ??= {};
  for (const key of keys) {
    let property = ownProperty(shape.properties, key);
    if (!property) defineProperty(shape.properties, key, property = emptyShape());
    addValue(property, object[key], depth + 1, limits, budget);
  }
  capProperties(shape, limits);
}

/** A stable layout: types in JSON_TYPES order (null last, as in ["string", "null"]), properties sorted, so that equal shapes serialise alike. */
function canonical(shape: Shape): Shape {
  const out: Shape = { types: {} };
  for (const type of JSON_TYPES) {
    const n = shape.types[type];
    if (n) out.types[type] = n;
  }
  if (shape.formats !== undefined) out.formats = [...shape.formats];
  if (shape.isMap) out.isMap = true;
  // a map has no named properties to overflow: whether a record overflowed
  // before the position became a map depends on sample order, so it is dropped
  if (shape.hasOverflow && !shape.isMap) out.hasOverflow = true;
  if (shape.isTruncated) out.isTruncated = true;
  if (shape.properties) {
    const keys = Object.keys(shape.properties).sort(compareKeys);
    // Object.fromEntries defines own properties, so "__proto__" stays a name
    out.properties = Object.fromEntries(keys.map((k) => [k, canonical(shape.properties![k]!)]));
  }
  if (shape.additional) out.additional = canonical(shape.additional);
  if (shape.items) out.items = canonical(shape.items);
  return out;
}

/** The shape of one sample. */
export function shapeOf(value: unknown, limits?: Partial<ShapeLimits>): Shape {
  const shape = emptyShape();
  addValue(shape, value, 0, limitsOf(limits), { nodes: 0 });
  return canonical(shape);
}

/**
 * Adds one sample to an accumulated shape, in place (no copy of the
 * accumulated shape, unlike mergeShapes); returns it. The result equals
 * mergeShapes(shape, shapeOf(value)) but for the order of its keys.
 */
export function addSample(shape: Shape, value: unknown, limits?: Partial<ShapeLimits>): Shape {
  addValue(shape, value, 0, limitsOf(limits), { nodes: 0 });
  return shape;
}

/** The shape of the samples of both shapes; neither is modified. */
export function mergeShapes(a: Shape, b: Shape, limits?: Partial<ShapeLimits>): Shape {
  const resolved = limitsOf(limits);
  const merged = copyShape(a, resolved);
  mergeInto(merged, b, resolved);
  return canonical(merged);
}

/** The canonical layout of a shape (sorted keys), e.g. after addSample, before storing it. */
export function normaliseShape(shape: Shape): Shape {
  return canonical(shape);
}
