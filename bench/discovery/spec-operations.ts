/**
 * What the traffic generator and the scorer need from an OpenAPI 3.x or
 * Swagger 2.0 document: its operations (method, full path template), each
 * path and query parameter with everything that hints at its values (schema,
 * description, examples), the documented status codes, and the one host
 * that every generated request is sent to.
 *
 * Not src/openapi/load.ts: the gateway's loader keeps a parameter's schema
 * but drops what only a traffic generator wants (the parameter's own
 * `example`/`examples`, its description), and it builds one operation per
 * server where the benchmark uses servers[0] only. Parsing and `$ref`
 * resolution are the same library with the same options.
 */

import { resolve } from 'node:path';
import { dereference, parse } from '@readme/openapi-parser';
import { breakCycles } from '../../src/openapi/acyclic.ts';
import { serverBasePath, swaggerBasePath } from '../../src/openapi/base-paths.ts';
import { routablePath } from '../../src/openapi/template.ts';

export interface SpecParameter {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  /** the JSON schema (Swagger 2.0: built from the parameter's own type keys); {} when none */
  schema: Record<string, unknown>;
  description: string;
  /** example values from the parameter and its schema (`example`, `examples`, `x-example`) */
  examples: unknown[];
  /**
   * The document says the value is a path of several segments, sent as
   * they are: Azure's `x-ms-skip-url-encoding` ('/{scope}/providers/…',
   * '/{roleId}'), or a Google API's parameter right after the version
   * ('/v1/{jobName}': Google's `{+jobName}`, which the conversion to
   * OpenAPI wrote without its '+').
   */
  isPath?: boolean;
}

export interface SpecOperation {
  method: string;
  /** base path + path, without any `?query` part a document put in it */
  template: string;
  parameters: SpecParameter[];
  /** documented status codes (`2XX` read as 200) */
  statuses: number[];
}

export interface SpecDocument {
  file: string;
  title: string;
  format: 'openapi-3' | 'swagger-2.0';
  /** servers[0]'s host (Swagger: `host`); `api.example.com` when the document names none */
  host: string;
  operations: SpecOperation[];
  warnings: string[];
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
const FALLBACK_HOST = 'api.example.com';
const DEREFERENCE_TIMEOUT_MS = 120_000;

export async function loadSpecDocument(file: string): Promise<SpecDocument> {
  const source = resolve(file);
  const raw: unknown = await parse(source);
  if (!isRecord(raw)) throw new Error(`${file}: not an OpenAPI document`);
  const format = typeof raw.swagger === 'string' ? 'swagger-2.0' : 'openapi-3';
  if (format === 'openapi-3' && typeof raw.openapi !== 'string') throw new Error(`${file}: neither "openapi" nor "swagger"`);
  // The options of src/openapi/load.ts (see the comment there on circular).
  const doc: unknown = await dereference(source, { dereference: { circular: true }, timeoutMs: DEREFERENCE_TIMEOUT_MS });
  if (!isRecord(doc)) throw new Error(`${file}: the resolved document is not an object`);

  const warnings: string[] = [];
  const rootServer = format === 'openapi-3' ? firstServer(doc.servers) : null;
  const host = format === 'swagger-2.0' ? swaggerHost(doc.host) : serverHost(rootServer);
  const swaggerBase = format === 'swagger-2.0' ? swaggerBasePath(doc.basePath, warnings) : '';
  const info: Record<string, unknown> = isRecord(doc.info) ? doc.info : {};
  const operations: SpecOperation[] = [];
  const paths = isRecord(doc.paths) ? doc.paths : {};
  for (const [key, item] of Object.entries(paths)) {
    if (key.startsWith('x-') || !isRecord(item)) continue;
    const documentPath = key.startsWith('/') ? key : `/${key}`;
    const pathParameters = parameterList(item.parameters);
    for (const method of METHODS) {
      const operation = item[method];
      if (!isRecord(operation)) continue;
      const basePath = format === 'swagger-2.0'
        ? swaggerBase
        : serverBasePath(firstServer(operation.servers) ?? firstServer(item.servers) ?? rootServer ?? { url: '/' }, `${method} ${key}`, warnings) ?? '';
      const { path } = routablePath(basePath + documentPath);
      const parameters = mergeParameters(pathParameters, parameterList(operation.parameters));
      if (isGoogleHost(host)) markReservedExpansions(path, parameters);
      operations.push({
        method: method.toUpperCase(),
        template: path,
        parameters,
        statuses: statusCodes(operation.responses),
      });
    }
  }
  return {
    file: source,
    title: typeof info.title === 'string' ? info.title : source,
    format,
    host,
    operations,
    warnings,
  };
}

function parameterList(list: unknown): SpecParameter[] {
  if (!Array.isArray(list)) return [];
  const out: SpecParameter[] = [];
  for (const raw of list) {
    if (!isRecord(raw) || typeof raw.name !== 'string') continue;
    if (raw.in !== 'path' && raw.in !== 'query') continue;
    const schema = breakCycles(parameterSchema(raw));
    const examples: unknown[] = [];
    if (raw.example !== undefined) examples.push(raw.example);
    if (raw['x-example'] !== undefined) examples.push(raw['x-example']);
    // OAS 3.x Parameter Object `examples`: a map of Example Objects.
    if (isRecord(raw.examples)) {
      for (const ex of Object.values(raw.examples)) if (isRecord(ex) && ex.value !== undefined) examples.push(ex.value);
    }
    if (schema.example !== undefined) examples.push(schema.example);
    // OAS 3.1 (JSON Schema 2020-12) `examples`: an array.
    if (Array.isArray(schema.examples)) examples.push(...(schema.examples as unknown[]));
    out.push({
      name: raw.name,
      in: raw.in,
      required: raw.in === 'path' || raw.required === true,
      schema,
      description: typeof raw.description === 'string' ? raw.description : typeof schema.description === 'string' ? schema.description : '',
      examples: examples.filter((e) => typeof e === 'string' || typeof e === 'number'),
      ...(raw['x-ms-skip-url-encoding'] === true ? { isPath: true } : {}),
    });
  }
  return out;
}

function isGoogleHost(host: string): boolean {
  return host === 'googleapis.com' || host.endsWith('.googleapis.com');
}

/** Google's '/v1/{jobName}', '/v1beta1/{+name}:cancel': a parameter right after the version is a resource path. */
function markReservedExpansions(template: string, parameters: SpecParameter[]): void {
  for (const m of template.matchAll(/\/v\d+(?:(?:alpha|beta|p)\d*)?\/\{([^{}]+)\}/g)) {
    const index = parameters.findIndex((p) => p.in === 'path' && p.name === m[1]);
    if (index >= 0) parameters[index] = { ...(parameters[index] as SpecParameter), isPath: true };
  }
}

/** Swagger 2.0 keeps a non-body parameter's type on the parameter itself. */
const SWAGGER_SCHEMA_KEYS = ['type', 'format', 'items', 'enum', 'pattern', 'minimum', 'maximum', 'minLength', 'maxLength', 'default'] as const;

function parameterSchema(raw: Record<string, unknown>): Record<string, unknown> {
  if (isRecord(raw.schema)) return raw.schema;
  if (isRecord(raw.content)) {
    for (const media of Object.values(raw.content)) if (isRecord(media) && isRecord(media.schema)) return media.schema;
  }
  const schema: Record<string, unknown> = {};
  for (const key of SWAGGER_SCHEMA_KEYS) if (raw[key] !== undefined) schema[key] = raw[key];
  return schema;
}

/** Operation parameters override path-item ones with the same name and location. */
function mergeParameters(pathLevel: SpecParameter[], operationLevel: SpecParameter[]): SpecParameter[] {
  const key = (p: SpecParameter): string => `${p.in}:${p.name}`;
  const overridden = new Set(operationLevel.map(key));
  return [...pathLevel.filter((p) => !overridden.has(key(p))), ...operationLevel];
}

function statusCodes(responses: unknown): number[] {
  if (!isRecord(responses)) return [];
  const codes: number[] = [];
  for (const key of Object.keys(responses)) {
    if (/^[1-5]\d\d$/.test(key)) codes.push(Number(key));
    else if (/^[1-5]XX$/i.test(key)) codes.push(Number(key[0]) * 100);
  }
  return codes;
}

function firstServer(servers: unknown): Record<string, unknown> | null {
  return Array.isArray(servers) && isRecord(servers[0]) ? servers[0] : null;
}

/** The host of a Server Object, with server variables at their defaults. */
function serverHost(server: Record<string, unknown> | null): string {
  if (server === null || typeof server.url !== 'string') return FALLBACK_HOST;
  const variables = isRecord(server.variables) ? server.variables : {};
  const url = server.url.replace(/\{([^{}]*)\}/g, (whole, name: string) => {
    const variable = variables[name];
    return isRecord(variable) && typeof variable.default === 'string' ? variable.default : whole;
  });
  try {
    const { hostname } = new URL(url);
    return hostname === '' ? FALLBACK_HOST : hostname.toLowerCase();
  } catch {
    return FALLBACK_HOST;
  }
}

function swaggerHost(host: unknown): string {
  if (typeof host !== 'string' || host === '') return FALLBACK_HOST;
  return host.replace(/:\d+$/, '').toLowerCase();
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
