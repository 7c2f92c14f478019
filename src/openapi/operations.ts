/**
 * Operations of a dereferenced document: one Operation per (method, path,
 * base path), with its effective parameters, security and extensions.
 */

import type { LoadedDocument, Operation } from './types.ts';
import { isRecord } from './util.ts';
import { invalidDocument } from './errors.ts';
import { mergeParameters, normaliseParameters } from './parameters.ts';
import { serversBasePaths } from './base-paths.ts';

type Format = LoadedDocument['format'];

/**
 * The fixed fields of a Path Item that are operations. OAS 3.x "Path Item
 * Object" adds `trace` to Swagger 2.0's list. Anything else under a path
 * (`parameters`, `servers`, `summary`, `x-...`) is not an operation.
 */
const OPENAPI3_METHODS: ReadonlySet<string> = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);
const SWAGGER2_METHODS: ReadonlySet<string> = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch']);

export interface CollectContext {
  readonly format: Format;
  /** the path as the caller gave it, for messages */
  readonly file: string;
  /** absolute path of the document */
  readonly source: string;
  readonly rootBasePaths: readonly string[];
  readonly warnings: string[];
}

/**
 * Walks `paths` (never `webhooks`: OAS 3.1 webhooks are requests the API
 * sends, not routes it serves).
 */
export function collectOperations(doc: Record<string, unknown>, ctx: CollectContext): Operation[] {
  const { file, warnings } = ctx;
  const paths = doc.paths;
  if (paths === undefined || paths === null) return [];
  if (!isRecord(paths)) throw invalidDocument(file, '"paths" is not an object');
  const methods = ctx.format === 'swagger-2.0' ? SWAGGER2_METHODS : OPENAPI3_METHODS;
  const rootSecurity = doc.security === undefined ? null : securityRequirements(doc.security, 'security', file);

  const operations: Operation[] = [];
  for (const [key, pathItem] of Object.entries(paths)) {
    // "Paths Object": "This object MAY be extended with Specification Extensions".
    if (key.startsWith('x-')) continue;
    const where = `paths[${JSON.stringify(key)}]`;
    let documentPath = key;
    if (!documentPath.startsWith('/')) {
      // "The field name MUST begin with a forward slash": tolerated, as the
      // intent is unambiguous.
      warnings.push(`${where}: a path must begin with "/"; routed as "/${key}"`);
      documentPath = `/${key}`;
    }
    if (!isRecord(pathItem)) throw invalidDocument(file, `${where} is not an object`);
    // Dereferencing resolves every $ref or fails; this guards against a
    // parser change silently dropping operations.
    if (typeof pathItem.$ref === 'string') throw invalidDocument(file, `${where} is an unresolved $ref (${pathItem.$ref})`);
    const pathParameters = normaliseParameters(pathItem.parameters, `${where}.parameters`, file);
    const pathBasePaths = ctx.format === 'swagger-2.0'
      ? ctx.rootBasePaths
      : serversBasePaths(pathItem.servers, ctx.rootBasePaths, `${where}.servers`, warnings);

    for (const [method, operation] of Object.entries(pathItem)) {
      if (!methods.has(method)) continue;
      const opWhere = `${where}.${method}`;
      if (!isRecord(operation)) throw invalidDocument(file, `${opWhere} is not an object`);
      if (typeof operation.$ref === 'string') throw invalidDocument(file, `${opWhere} is an unresolved $ref (${operation.$ref})`);
      const basePaths = ctx.format === 'swagger-2.0'
        ? pathBasePaths
        : serversBasePaths(operation.servers, pathBasePaths, `${opWhere}.servers`, warnings);
      const parameters = mergeParameters(
        pathParameters,
        normaliseParameters(operation.parameters, `${opWhere}.parameters`, file),
      );
      // "Operation Object" security: "This definition overrides any declared
      // top-level security. To remove a top-level security declaration, an
      // empty array can be used." So `[]` is kept as "explicitly none".
      const security = operation.security === undefined
        ? rootSecurity
        : securityRequirements(operation.security, `${opWhere}.security`, file);
      const upperMethod = method.toUpperCase();
      for (const basePath of basePaths) {
        const template = basePath + documentPath;
        operations.push({
          method: upperMethod,
          template,
          documentPath,
          operationId: typeof operation.operationId === 'string' && operation.operationId !== ''
            ? operation.operationId
            : `${upperMethod} ${template}`,
          deprecated: operation.deprecated === true,
          parameters: [...parameters],
          security: security === null ? null : copySecurity(security),
          tags: Array.isArray(operation.tags) ? operation.tags.filter((t): t is string => typeof t === 'string') : [],
          extensions: extensionsOf(operation),
          source: ctx.source,
        });
      }
    }
  }
  return operations;
}

/**
 * A list of Security Requirement Objects (OAS 3.x / Swagger 2.0 "Security
 * Requirement Object": a map from scheme name to a list of scopes or roles).
 * A malformed one refuses the document: guessing at access-control rules is
 * not an option for a gateway.
 */
function securityRequirements(value: unknown, where: string, file: string): Array<Record<string, string[]>> {
  if (!Array.isArray(value)) throw invalidDocument(file, `${where} is not an array of security requirements`);
  return value.map((requirement, i) => {
    if (!isRecord(requirement)) throw invalidDocument(file, `${where}[${i}] is not an object`);
    const out: Record<string, string[]> = {};
    for (const [scheme, scopes] of Object.entries(requirement)) {
      if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string')) {
        throw invalidDocument(file, `${where}[${i}].${scheme} is not an array of strings`);
      }
      out[scheme] = [...scopes];
    }
    return out;
  });
}

function copySecurity(security: ReadonlyArray<Record<string, string[]>>): Array<Record<string, string[]>> {
  return security.map((requirement) =>
    Object.fromEntries(Object.entries(requirement).map(([scheme, scopes]) => [scheme, [...scopes]])));
}

function extensionsOf(operation: Record<string, unknown>): Record<string, unknown> {
  const extensions: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(operation)) {
    if (key.startsWith('x-')) extensions[key] = value;
  }
  return extensions;
}
