/**
 * A learned shape as a JSON Schema: the keywords that JSON Schema 2020-12
 * and OpenAPI 3.1 schema objects share (type, with an array for unions,
 * format, properties, required, additionalProperties, items), so the result
 * can be shown next to a documented schema, exported into a generated
 * OpenAPI document, or compiled by ajv.
 *
 * The schema accepts every sample the shape was learned from: it states only
 * what all of them had. Positions that were not looked into (isTruncated)
 * get their types alone; properties not in every object are optional; an
 * object that is not a map and had no overflow leaves additionalProperties
 * unsaid, since samples never prove that a field cannot appear.
 */
import { JSON_TYPES, shapeCount, type JsonType, type Shape } from './json-shape.ts';

export interface JsonSchemaObject {
  type?: JsonType | JsonType[];
  format?: string;
  properties?: Record<string, JsonSchemaObject>;
  required?: string[];
  additionalProperties?: JsonSchemaObject;
  items?: JsonSchemaObject;
}

/** The type names of a shape, 'integer' absorbed by 'number' when both were seen. */
export function schemaTypes(shape: Shape): JsonType[] {
  const types = JSON_TYPES.filter((t) => (shape.types[t] ?? 0) > 0);
  return shape.types.number ? types.filter((t) => t !== 'integer') : types;
}

export function toJsonSchema(shape: Shape): JsonSchemaObject {
  const types = schemaTypes(shape);
  if (types.length === 0) return {};
  const schema: JsonSchemaObject = { type: types.length === 1 ? types[0]! : types };
  if (shape.types.string && shape.formats && shape.formats.length > 0) schema.format = shape.formats[0]!;
  if (shape.isTruncated) return schema;
  const objects = shape.types.object ?? 0;
  if (objects > 0 && shape.properties) {
    const entries = Object.entries(shape.properties);
    if (entries.length > 0) {
      // Object.fromEntries defines own properties: a field named "__proto__" stays a field
      schema.properties = Object.fromEntries(entries.map(([k, s]) => [k, toJsonSchema(s)]));
      const required = entries.filter(([, s]) => shapeCount(s) === objects).map(([k]) => k);
      if (required.length > 0) schema.required = required;
    }
  }
  if (objects > 0 && shape.additional) schema.additionalProperties = toJsonSchema(shape.additional);
  if (shape.types.array && shape.items) schema.items = toJsonSchema(shape.items);
  return schema;
}
