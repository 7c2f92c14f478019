/**
 * The inventory as an OpenAPI 3.1 document: a draft of what the API really
 * serves, for a person to review and merge into the real document (with
 * `onlyUndocumented`, just the shadow endpoints).
 *
 * What goes in is what traffic proves, and no more:
 * - paths from the templates (OAS 3.1 §4.8.8 Paths Object), the path
 *   parameters typed from the shapes their values had (an integer, a UUID);
 * - query parameters with the types their values had, never `required`
 *   (traffic cannot prove a parameter is required, only that it was sent);
 * - request and response bodies as JSON Schema from the merged shapes
 *   (json-shape-schema.ts: a schema every sample satisfies);
 * - `security` naming the schemes requests were seen to use. Requests
 *   without credentials are *not* exported as an empty requirement `{}`,
 *   which would document anonymous access as intended: that decision is the
 *   reviewer's, and the count is in `x-apiwarden.auth`;
 * - `x-apiwarden` evidence (counts, first and last seen, template
 *   confidence, data classes with where they were seen). No value seen in
 *   traffic is exported, not even masked: the draft is meant for a
 *   repository.
 */
import { stringify } from 'yaml';
import type { DataClassSeen, InventoryEndpoint, LearnedParam } from './types.ts';
import { parseTemplate, routablePath, routeKey, type TemplateSegment } from '../openapi/template.ts';
import { jsonRank } from '../openapi/responses.ts';
import { mergeShapes, type Shape } from './json-shape.ts';
import { toJsonSchema as shapeToJsonSchema } from './json-shape-schema.ts';

export interface ExportOptions {
  /** info.title */
  title: string;
  /** info.version */
  version: string;
  description?: string;
  /** only endpoints the inventory has no documented operation for (shadow endpoints) */
  onlyUndocumented?: boolean;
  /**
   * servers[] (OAS 3.1 "Server Object"). Templates are full paths, so give
   * origins ('https://api.example.com'), not base paths.
   */
  servers?: ReadonlyArray<string | { url: string; description?: string }>;
  /** the inventory records that an API key was sent, not where; default header 'X-API-Key' */
  apiKeyHeader?: string;
  /** the same for a session cookie; default 'session' */
  sessionCookie?: string;
  /** default: toJsonSchema of json-shape-schema.ts */
  toJsonSchema?: (shape: Shape) => unknown;
}

/** OAS 3.x "Path Item Object" methods, in the order the specification lists them. */
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/**
 * A media type name as RFC 6838 §4.2 allows it (restricted-name); the keys
 * of a Content map are media types or ranges (OAS 3.1 "Media Type Object").
 * Content types come from the wire: anything else is dropped.
 */
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;

const EXACT_STATUS = /^[2-5]\d\d$/;
/** endpoints named in x-apiwarden.skipped at most; the rest are counted */
const MAX_SKIPPED_LISTED = 100;
const STATUS_CLASS = /^[2-5]xx$/i;

type Json = Record<string, unknown>;

/**
 * The schema of a path parameter whose values all had one segment shape
 * (segment-shapes.ts). Only shapes with an exact JSON Schema counterpart
 * get one (JSON Schema 2020-12 Validation §7.3 formats, or a pattern);
 * the others are strings, described.
 */
const SHAPE_SCHEMAS: Readonly<Record<string, Json>> = {
  integer: { type: 'integer' },
  uuid: { type: 'string', format: 'uuid' },
  email: { type: 'string', format: 'email' },
  md5: { type: 'string', pattern: '^[0-9a-fA-F]{32}$' },
  sha1: { type: 'string', pattern: '^[0-9a-fA-F]{40}$' },
  sha256: { type: 'string', pattern: '^[0-9a-fA-F]{64}$' },
  hex: { type: 'string', pattern: '^[0-9a-fA-F]+$' },
  // Crockford base32 (https://github.com/ulid/spec), either case
  ulid: { type: 'string', pattern: '^[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$' },
};

/** Security schemes for the ways requests were seen to authenticate (AuthSeen); 'hmac' and 'other' have no standard scheme. */
function schemeFor(auth: string, options: ExportOptions): [name: string, scheme: Json] | null {
  switch (auth) {
    case 'bearer': return ['bearerAuth', { type: 'http', scheme: 'bearer' }];
    case 'basic': return ['basicAuth', { type: 'http', scheme: 'basic' }];
    case 'apikey': return ['apiKeyAuth', { type: 'apiKey', in: 'header', name: options.apiKeyHeader ?? 'X-API-Key' }];
    case 'cookie': return ['cookieAuth', { type: 'apiKey', in: 'cookie', name: options.sessionCookie ?? 'session' }];
    // OAS 3.1 "Security Scheme Object": type mutualTLS
    case 'mtls': return ['mutualTLS', { type: 'mutualTLS' }];
    default: return null;
  }
}

function isShape(value: unknown): value is Shape {
  return typeof value === 'object' && value !== null && typeof (value as { types?: unknown }).types === 'object'
    && (value as { types?: unknown }).types !== null;
}

function shapeCount(shape: Shape): number {
  let n = 0;
  for (const count of Object.values(shape.types)) n += count ?? 0;
  return n;
}

function isoTime(ms: number): string | null {
  return ms > 0 && Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

function addCounts(into: Record<string, number>, from: Readonly<Record<string, number | undefined>>): void {
  for (const [key, n] of Object.entries(from)) {
    if (typeof n === 'number') into[key] = (into[key] ?? 0) + n;
  }
}

/** null for a template that cannot be an OpenAPI path: a placeholder ('(other)'), a query part, a stray brace. */
function exportableSegments(template: string): TemplateSegment[] | null {
  if (!template.startsWith('/') || routablePath(template).hadQuery) return null;
  const segments = parseTemplate(template);
  for (const segment of segments) {
    for (const token of segment) if (token.kind === 'static' && /[{}]/.test(token.text)) return null;
  }
  return segments;
}

/**
 * The path key, with parameter names made unique and non-empty: the
 * Paths Object needs every template expression to name a parameter, and a
 * parameter is unique by name and location (OAS 3.1 "Parameter Object").
 */
function pathKeyOf(segments: readonly TemplateSegment[]): { path: string; names: string[] } {
  const names: string[] = [];
  const used = new Set<string>();
  const path = segments.map((segment) => segment.map((token) => {
    if (token.kind === 'static') return token.text;
    let name = token.name === '' ? `param${names.length + 1}` : token.name;
    for (let n = 2; used.has(name); n++) name = `${token.name || 'param'}${n}`;
    used.add(name);
    names.push(name);
    return `{${name}}`;
  }).join('')).join('/');
  return { path: `/${path}`, names };
}

/** The learned parameters of an endpoint, by position of their template expression. */
function learnedByPosition(endpoint: InventoryEndpoint, segments: readonly TemplateSegment[]): Array<LearnedParam | null> {
  const out: Array<LearnedParam | null> = [];
  for (const segment of segments) {
    for (const token of segment) {
      if (token.kind === 'param') out.push(endpoint.learned?.params.find((p) => p.name === token.name) ?? null);
    }
  }
  return out;
}

function pathParameterSchema(shapes: Record<string, number>): Json {
  const seen = Object.entries(shapes).filter(([, n]) => n > 0);
  if (seen.length === 1) {
    const known = SHAPE_SCHEMAS[seen[0]![0]];
    if (known) return { ...known };
  }
  return { type: 'string' };
}

/** Query values arrive as text; a type narrower than string only when every value had it. */
function queryParameterSchema(types: Record<string, number>): Json {
  const seen = Object.keys(types).filter((t) => (types[t] ?? 0) > 0);
  if (seen.length > 0 && seen.every((t) => t === 'integer')) return { type: 'integer' };
  if (seen.length > 0 && seen.every((t) => t === 'integer' || t === 'number')) return { type: 'number' };
  if (seen.length > 0 && seen.every((t) => t === 'boolean')) return { type: 'boolean' };
  return { type: 'string' };
}

function mediaTypeOf(raw: string): string | null {
  const essence = (raw.split(';', 1)[0] ?? '').trim().toLowerCase();
  return MEDIA_TYPE.test(essence) ? essence : null;
}

/** The most frequent JSON media type among those seen, or application/json. */
function jsonMediaType(contentTypes: Readonly<Record<string, number>>): string {
  let best: [string, number] | null = null;
  for (const [raw, n] of Object.entries(contentTypes)) {
    const type = mediaTypeOf(raw);
    if (type === null || jsonRank(type) < 2) continue;
    if (best === null || n > best[1]) best = [type, n];
  }
  return best?.[0] ?? 'application/json';
}

function mergeShapeValues(values: readonly unknown[]): Shape | null {
  let merged: Shape | null = null;
  for (const value of values) {
    if (!isShape(value) || shapeCount(value) === 0) continue;
    merged = merged === null ? value : mergeShapes(merged, value);
  }
  return merged;
}

/** One operation from the endpoints of one method and template (several hosts merge into one). */
function operationOf(
  group: readonly InventoryEndpoint[],
  pathKey: { names: string[] },
  options: ExportOptions,
  schemes: Map<string, Json>,
): Json {
  const toSchema = options.toJsonSchema ?? shapeToJsonSchema;
  const statuses: Record<string, number> = {};
  const auth: Record<string, number> = {};
  const requestTypes: Record<string, number> = {};
  const responseTypes: Record<string, number> = {};
  const query = new Map<string, Record<string, number>>();
  const pathShapes = pathKey.names.map(() => ({ shapes: {} as Record<string, number>, distinct: 0 }));
  const dataClasses = new Map<string, { request: number; response: number; unauthenticatedResponse: number; paths: Set<string> }>();
  const hosts = new Set<string>();
  const documentedAs = new Set<string>();
  let count = 0;
  let clients = 0;
  let firstSeen = Infinity;
  let lastSeen = 0;
  let confidence = 1;

  for (const endpoint of group) {
    count += endpoint.count;
    clients += endpoint.clients;
    if (endpoint.firstSeen > 0) firstSeen = Math.min(firstSeen, endpoint.firstSeen);
    lastSeen = Math.max(lastSeen, endpoint.lastSeen);
    if (endpoint.learned) confidence = Math.min(confidence, endpoint.learned.confidence);
    if (endpoint.host !== '') hosts.add(endpoint.host);
    if (endpoint.operationId !== null) documentedAs.add(endpoint.operationId);
    addCounts(statuses, endpoint.statuses);
    addCounts(auth, endpoint.auth);
    addCounts(requestTypes, endpoint.requestContentTypes);
    addCounts(responseTypes, endpoint.responseContentTypes);
    for (const [name, types] of Object.entries(endpoint.query)) {
      if (name === '') continue;
      let into = query.get(name);
      if (!into) query.set(name, into = {});
      addCounts(into, types);
    }
    learnedByPosition(endpoint, parseTemplate(endpoint.template)).forEach((param, i) => {
      const target = pathShapes[i];
      if (!param || !target) return;
      addCounts(target.shapes, param.shapes);
      target.distinct += param.distinct;
    });
    for (const [cls, seen] of Object.entries(endpoint.dataClasses) as Array<[string, DataClassSeen]>) {
      let into = dataClasses.get(cls);
      if (!into) dataClasses.set(cls, into = { request: 0, response: 0, unauthenticatedResponse: 0, paths: new Set() });
      into.request += seen.request;
      into.response += seen.response;
      into.unauthenticatedResponse += seen.unauthenticatedResponse;
      for (const p of seen.paths) into.paths.add(p);
    }
  }

  const parameters: Json[] = pathKey.names.map((name, i) => {
    const seen = pathShapes[i]!;
    const shapes = Object.keys(seen.shapes);
    return {
      name,
      in: 'path',
      // OAS 3.1 "Parameter Object": required MUST be true for a path parameter
      required: true,
      schema: pathParameterSchema(seen.shapes),
      ...(shapes.length > 0 ? { 'x-apiwarden': { shapes: { ...seen.shapes }, distinct: seen.distinct } } : {}),
    };
  });
  for (const name of [...query.keys()].sort()) {
    const types = query.get(name)!;
    parameters.push({ name, in: 'query', required: false, schema: queryParameterSchema(types), 'x-apiwarden': { types: { ...types } } });
  }

  const operation: Json = {
    summary: `Observed in traffic (${count} requests): review before merging`,
    ...(parameters.length > 0 ? { parameters } : {}),
  };

  const requestShape = mergeShapeValues(group.map((e) => e.requestShape));
  const requestContent: Json = {};
  for (const raw of Object.keys(requestTypes)) {
    const type = mediaTypeOf(raw);
    if (type !== null && jsonRank(type) < 2) requestContent[type] = {};
  }
  if (requestShape) requestContent[jsonMediaType(requestTypes)] = { schema: toSchema(requestShape) };
  if (Object.keys(requestContent).length > 0) operation.requestBody = { required: false, content: requestContent };

  operation.responses = responsesOf(group, statuses, jsonMediaType(responseTypes), toSchema);

  const requirements: Json[] = [];
  for (const [kind] of Object.entries(auth).filter(([k, n]) => k !== 'none' && n > 0).sort((a, b) => b[1] - a[1])) {
    const scheme = schemeFor(kind, options);
    if (!scheme) continue;
    schemes.set(scheme[0], scheme[1]);
    requirements.push({ [scheme[0]]: [] });
  }
  if (requirements.length > 0) operation.security = requirements;

  operation['x-apiwarden'] = {
    count,
    firstSeen: Number.isFinite(firstSeen) ? isoTime(firstSeen) : null,
    lastSeen: isoTime(lastSeen),
    confidence,
    clients,
    hosts: [...hosts].sort(),
    statuses,
    auth,
    documentedAs: [...documentedAs].sort(),
    dataClasses: Object.fromEntries([...dataClasses].map(([cls, d]) => [cls, {
      request: d.request, response: d.response, unauthenticatedResponse: d.unauthenticatedResponse, paths: [...d.paths].sort(),
    }])),
  };
  return operation;
}

/**
 * Responses by exact status where bodies were sampled (with their schema),
 * and by range (`2XX`, OAS 3.1 "Responses Object") for the classes seen
 * with no exact code. A Response Object needs a description.
 */
function responsesOf(
  group: readonly InventoryEndpoint[],
  statuses: Readonly<Record<string, number>>,
  mediaType: string,
  toSchema: (shape: Shape) => unknown,
): Json {
  const byStatus = new Map<string, unknown[]>();
  for (const endpoint of group) {
    for (const [status, shape] of Object.entries(endpoint.responseShapes)) {
      if (!EXACT_STATUS.test(status)) continue;
      const list = byStatus.get(status);
      if (list) list.push(shape);
      else byStatus.set(status, [shape]);
    }
  }
  const responses: Json = {};
  for (const status of [...byStatus.keys()].sort()) {
    const shape = mergeShapeValues(byStatus.get(status)!);
    responses[status] = shape
      ? { description: `Observed (${shapeCount(shape)} sampled bodies).`, content: { [mediaType]: { schema: toSchema(shape) } } }
      : { description: 'Observed.' };
  }
  for (const cls of Object.keys(statuses).sort()) {
    if (!STATUS_CLASS.test(cls) || (statuses[cls] ?? 0) <= 0) continue;
    const digit = cls[0]!;
    if ([...byStatus.keys()].some((s) => s.startsWith(digit))) continue;
    responses[`${digit}XX`] = { description: `Observed (${statuses[cls]} responses; codes not sampled).` };
  }
  if (Object.keys(responses).length === 0) responses.default = { description: 'No response was observed.' };
  return responses;
}

/**
 * An OpenAPI 3.1.0 document of the endpoints. Paths are sorted, methods in
 * the specification's order, so that the same inventory exports the same
 * text. Templates that differ only in parameter names are one path (OAS 3.1
 * "Paths Object": such templates "MUST NOT exist as they are identical"):
 * the busiest endpoint's names win.
 */
export function exportOpenApi(endpoints: readonly InventoryEndpoint[], options: ExportOptions): Json {
  const groups = new Map<string, { segments: TemplateSegment[]; count: number; byMethod: Map<string, InventoryEndpoint[]> }>();
  const skipped: string[] = [];
  const ranked = [...endpoints].sort((a, b) => b.count - a.count);
  for (const endpoint of ranked) {
    if (options.onlyUndocumented && endpoint.operationId !== null) continue;
    const method = endpoint.method.toLowerCase();
    const segments = exportableSegments(endpoint.template);
    if (segments === null || !(METHODS as readonly string[]).includes(method)) {
      skipped.push(`${endpoint.method} ${endpoint.host}${endpoint.template}`);
      continue;
    }
    const key = routeKey(segments, false);
    let group = groups.get(key);
    if (!group) groups.set(key, group = { segments, count: 0, byMethod: new Map() });
    group.count += endpoint.count;
    const list = group.byMethod.get(method);
    if (list) list.push(endpoint);
    else group.byMethod.set(method, [endpoint]);
  }

  const schemes = new Map<string, Json>();
  const items = [...groups.values()].map((group) => {
    const pathKey = pathKeyOf(group.segments);
    const item: Json = {};
    for (const method of METHODS) {
      const list = group.byMethod.get(method);
      if (list) item[method] = operationOf(list, pathKey, options, schemes);
    }
    return [pathKey.path, item] as const;
  }).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  // Object.fromEntries defines own properties: a path is never a prototype key
  const paths = Object.fromEntries(items);

  const document: Json = {
    openapi: '3.1.0',
    info: {
      title: options.title,
      version: options.version,
      ...(options.description === undefined ? {} : { description: options.description }),
    },
  };
  if (options.servers && options.servers.length > 0) {
    document.servers = options.servers.map((s) => (typeof s === 'string' ? { url: s } : { ...s }));
  }
  document.paths = paths;
  if (schemes.size > 0) {
    document.components = { securitySchemes: Object.fromEntries([...schemes].sort((a, b) => (a[0] < b[0] ? -1 : 1))) };
  } else if (items.length === 0) {
    // OAS 3.1 "OpenAPI Object": at least one of paths, components, webhooks
    // "MUST be present"; @readme/openapi-parser reads that as "not empty",
    // so an empty export carries an empty schemas map to stay valid for it.
    document.components = { schemas: {} };
  }
  document['x-apiwarden'] = {
    generator: 'apiwarden inventory export',
    endpoints: endpoints.length,
    ...(skipped.length > 0 ? { skipped: skipped.slice(0, MAX_SKIPPED_LISTED) } : {}),
    ...(skipped.length > MAX_SKIPPED_LISTED ? { skippedMore: skipped.length - MAX_SKIPPED_LISTED } : {}),
  };
  return document;
}

/**
 * The document as YAML. Repeated objects are written out, not as YAML
 * anchors and aliases, which some OpenAPI tools do not follow.
 */
export function toYaml(document: unknown): string {
  return stringify(document, { aliasDuplicateObjects: false, lineWidth: 0 });
}
