/**
 * What a document says an operation answers and accepts, beyond routing:
 * the documented response status codes with the JSON schema of each body,
 * the query parameter names, deprecation and sunset markers. The spec diff
 * (src/discovery/spec-diff.ts) compares these with what traffic showed.
 *
 * The document is read the way load.ts reads it (same parser, same
 * dereferencing, same operation walk in operations.ts), so that an
 * operation here has the very `template` that LoadedDocument.operations
 * gives it; load.ts keeps the dereferenced tree to itself, hence the second
 * pass. It runs once per document, off the request path.
 */

import { readDereferenced } from './load.ts';
import type { LoadedDocument, Operation } from './types.ts';
import { serversBasePaths, swaggerBasePath } from './base-paths.ts';
import { collectOperations } from './operations.ts';
import { breakCycles } from './acyclic.ts';
import { isRecord } from './util.ts';

/** One documented response of an operation. */
export interface DocumentedResponse {
  /**
   * the key under `responses`: an exact code ('200'), a range with the
   * upper-case 'X' of OAS 3.x "Responses Object" ('2XX', also when written
   * '2xx'), or 'default'
   */
  status: string;
  /** media types under `content` (OAS 3.x); Swagger 2.0: ['application/json'] when a schema is given */
  mediaTypes: string[];
  /**
   * the schema of a JSON body (dereferenced, cycles cut to `{}` so that it
   * can be serialised), or null when no JSON body is documented
   */
  jsonSchema: unknown;
}

/** What the spec diff needs to know about one documented operation. */
export interface OperationDetails {
  method: string;
  /** the same template as Operation.template (with the base path) */
  template: string;
  operationId: string;
  /** in document order */
  responses: DocumentedResponse[];
  /** names of the query parameters (path-level and operation-level) */
  queryParameters: string[];
  /** `deprecated: true` on the Operation Object (OAS 3.x and Swagger 2.0 "Operation Object") */
  isDeprecated: boolean;
  /**
   * the Path Item is marked deprecated. The specifications give a Path Item
   * no `deprecated` field; documents that retire a whole path write
   * `deprecated: true` or `x-deprecated: true` there, and both are read.
   */
  isPathDeprecated: boolean;
  /** `x-sunset` of the operation, else of the path item: when it stops answering (the document's counterpart of the RFC 8594 Sunset header) */
  sunset: string | null;
  /** `x-deprecated-at` of the operation, else of the path item (the counterpart of the RFC 9745 Deprecation header) */
  deprecatedAt: string | null;
}

/** The key of an operation in an OperationDetails map. */
export function operationKey(method: string, template: string): string {
  return `${method.toUpperCase()} ${template}`;
}

/**
 * Loads a document and gives the details of each operation, keyed by
 * operationKey(method, template). Fails like loadDocument (ApiwardenError
 * OPENAPI_INVALID, the message starting with `file`).
 */
export async function loadOperationDetails(file: string): Promise<Map<string, OperationDetails>> {
  const { source, format, doc } = await readDereferenced(file);
  return operationDetailsOf(doc, format, { file, source });
}

/**
 * The details of every operation of a document that is already parsed and
 * dereferenced (what loadOperationDetails does after reading the file).
 */
export function operationDetailsOf(
  doc: Record<string, unknown>,
  format: LoadedDocument['format'],
  where: { file: string; source: string },
): Map<string, OperationDetails> {
  // Warnings were already reported by loadDocument; they are not repeated.
  const warnings: string[] = [];
  const rootBasePaths = format === 'swagger-2.0'
    ? [swaggerBasePath(doc.basePath, warnings)]
    : serversBasePaths(doc.servers, [''], 'servers', warnings);
  const operations = collectOperations(doc, { format, file: where.file, source: where.source, rootBasePaths, warnings });
  const paths = isRecord(doc.paths) ? doc.paths : {};
  const details = new Map<string, OperationDetails>();
  for (const operation of operations) {
    const pathItem = pathItemOf(paths, operation.documentPath);
    const raw = pathItem?.[operation.method.toLowerCase()];
    if (!isRecord(pathItem) || !isRecord(raw)) continue;
    details.set(operationKey(operation.method, operation.template), detailsOf(operation, pathItem, raw, format));
  }
  return details;
}

/** collectOperations routes a key without a leading '/' as '/key' (with a warning). */
function pathItemOf(paths: Record<string, unknown>, documentPath: string): Record<string, unknown> | null {
  const item = Object.hasOwn(paths, documentPath) ? paths[documentPath] : paths[documentPath.slice(1)];
  return isRecord(item) ? item : null;
}

function detailsOf(
  operation: Operation,
  pathItem: Record<string, unknown>,
  raw: Record<string, unknown>,
  format: LoadedDocument['format'],
): OperationDetails {
  return {
    method: operation.method,
    template: operation.template,
    operationId: operation.operationId,
    responses: responsesOf(raw.responses, format),
    queryParameters: operation.parameters.filter((p) => p.in === 'query').map((p) => p.name),
    isDeprecated: operation.deprecated,
    isPathDeprecated: pathItem.deprecated === true || pathItem['x-deprecated'] === true,
    sunset: dateExtension(raw['x-sunset']) ?? dateExtension(pathItem['x-sunset']),
    deprecatedAt: dateExtension(raw['x-deprecated-at']) ?? dateExtension(pathItem['x-deprecated-at']),
  };
}

/** A YAML date without quotes parses as a string or a Date depending on the parser; both become text. */
function dateExtension(value: unknown): string | null {
  if (typeof value === 'string' && value !== '') return value;
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value.toISOString();
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}

/**
 * OAS 3.x "Responses Object": keys are HTTP status codes, ranges `1XX` to
 * `5XX` (upper-case; "2xx" is tolerated and normalised) and `default`.
 * Swagger 2.0 allows codes and `default`. Anything else (`x-` extensions,
 * typos) is not a response.
 */
const STATUS_KEY = /^(?:[1-5]\d\d|[1-5]XX|default)$/;

function responsesOf(value: unknown, format: LoadedDocument['format']): DocumentedResponse[] {
  if (!isRecord(value)) return [];
  const out: DocumentedResponse[] = [];
  for (const [key, response] of Object.entries(value)) {
    const status = key === 'default' ? key : key.toUpperCase();
    if (!STATUS_KEY.test(status) || !isRecord(response)) continue;
    if (format === 'swagger-2.0') {
      // Swagger 2.0 "Response Object": `schema` describes the body; the
      // media type comes from `produces`, overwhelmingly JSON in practice.
      const schema = isRecord(response.schema) ? breakCycles(response.schema) : null;
      out.push({ status, mediaTypes: schema === null ? [] : ['application/json'], jsonSchema: schema });
      continue;
    }
    const content = isRecord(response.content) ? response.content : {};
    out.push({ status, mediaTypes: Object.keys(content), jsonSchema: jsonSchemaOf(content) });
  }
  return out;
}

/**
 * The schema of the JSON body among the media types of a Content map,
 * preferring `application/json`, then a structured-syntax `+json` suffix
 * (RFC 6839 §3.1) such as `application/problem+json`, then the ranges
 * `application/*` and `*\/*` that a JSON answer also satisfies (OAS 3.x
 * "Media Type Object": the more specific key applies).
 */
function jsonSchemaOf(content: Record<string, unknown>): unknown {
  let best: { rank: number; schema: unknown } | null = null;
  for (const [mediaType, media] of Object.entries(content)) {
    const rank = jsonRank(mediaType);
    if (rank === 0 || !isRecord(media) || media.schema === undefined) continue;
    if (best === null || rank > best.rank) best = { rank, schema: media.schema };
  }
  if (best === null) return null;
  return typeof best.schema === 'object' && best.schema !== null ? breakCycles(best.schema) : best.schema;
}

/** 3: application/json; 2: +json; 1: a range that includes JSON; 0: not JSON. */
export function jsonRank(mediaType: string): number {
  const essence = (mediaType.split(';', 1)[0] ?? '').trim().toLowerCase();
  if (essence === 'application/json') return 3;
  if (essence.endsWith('+json') || essence === 'text/json') return 2;
  if (essence === 'application/*' || essence === '*/*') return 1;
  return 0;
}

/**
 * The documented response that applies to a status: the exact code, else
 * its range, else `default` (OAS 3.x "Responses Object": "If a response
 * range is defined using an explicit code, the explicit code definition
 * takes precedence over the range definition"; `default` covers "all HTTP
 * codes that are not covered individually"). Null when none applies.
 */
export function documentedResponseFor(details: OperationDetails, status: string): DocumentedResponse | null {
  const exact = details.responses.find((r) => r.status === status);
  if (exact) return exact;
  const range = `${status[0] ?? ''}XX`;
  return details.responses.find((r) => r.status === range)
    ?? details.responses.find((r) => r.status === 'default')
    ?? null;
}
