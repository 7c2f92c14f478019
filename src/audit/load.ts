/**
 * Loading a document for the audit. The gateway's `loadDocument` keeps what
 * routing needs; the audit also needs what it drops: the security schemes,
 * the server URLs with their schemes and hosts, responses and their schemas,
 * and where each of them is written (JSON Pointers, for locate.ts). So the
 * same steps are taken here (parse, version check, `$ref` resolution by
 * @readme/openapi-parser), the dereferenced document is kept whole, and the
 * operations are still collected by src/openapi's `collectOperations`, so
 * that their templates are exactly those the gateway records traffic under.
 */

import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { dereference, parse } from '@readme/openapi-parser';
import { ApiwardenError } from '../errors.ts';
import { invalidDocument } from '../openapi/errors.ts';
import { detectFormat } from '../openapi/format.ts';
import { serversBasePaths, swaggerBasePath } from '../openapi/base-paths.ts';
import { collectOperations } from '../openapi/operations.ts';
import { isRecord } from '../openapi/util.ts';
import type { LoadedDocument, Operation } from '../openapi/types.ts';
import { pointerOf } from './json-pointer.ts';

export type DocumentFormat = LoadedDocument['format'];

/** A list of Security Requirement Objects: alternatives, each a map from scheme name to scopes. */
export type SecurityRequirements = Array<Record<string, string[]>>;

export interface SecuritySchemeInfo {
  name: string;
  /** pointer to the scheme object */
  pointer: string;
  /** `type` as written ('apiKey', 'http', 'oauth2', 'openIdConnect', 'mutualTLS'; Swagger 2.0 also 'basic') */
  type: string;
  /** apiKey: 'header' | 'query' | 'cookie' as written, else null */
  in: string | null;
  /** apiKey: the parameter, header or cookie name */
  paramName: string | null;
  /** http: the auth scheme, lower-cased; Swagger 2.0 `basic` is 'basic' */
  httpScheme: string | null;
  /** oauth2 flows: OAS 3.x `flows` keys, Swagger 2.0 `flow` */
  flows: string[];
  /** oauth2: the scopes declared by any flow; null for other types */
  scopes: ReadonlySet<string> | null;
}

export interface ServerInfo {
  /** the URL with server variables replaced by their defaults (Swagger 2.0: scheme://host/basePath) */
  url: string;
  /** pointer to the Server Object url (Swagger 2.0: the `schemes` entry) */
  pointer: string;
}

export interface AuditOperation {
  /** upper-case */
  method: string;
  /** the key under `paths`, as written */
  pathKey: string;
  /** pointer to the Operation Object */
  pointer: string;
  /** "METHOD /template" with the first base path, as findings name it */
  label: string;
  /** the templates the gateway routes it under (one per base path) */
  templates: string[];
  /** the Operation Object, dereferenced */
  raw: Record<string, unknown>;
  /** the Path Item Object, dereferenced */
  pathItem: Record<string, unknown>;
  /** effective security: the operation's, else the root's; null when neither declares any */
  security: SecurityRequirements | null;
  /** where the effective security is written, or null */
  securityPointer: string | null;
  /** true when the operation itself declares `security` */
  hasOwnSecurity: boolean;
  /** `x-apiwarden-public: true`: anonymous access is intended */
  isPublic: boolean;
  deprecated: boolean;
  /** effective servers (operation, else path item, else root) */
  servers: ServerInfo[];
  /** the operation as src/openapi collects it (first base path) */
  operation: Operation;
}

export interface AuditDocument {
  /** as given */
  file: string;
  /** absolute path */
  source: string;
  format: DocumentFormat;
  title: string;
  version: string;
  /** the dereferenced document (may be cyclic) */
  doc: Record<string, unknown>;
  schemes: ReadonlyMap<string, SecuritySchemeInfo>;
  /** root `security`, or null when absent */
  rootSecurity: SecurityRequirements | null;
  operations: AuditOperation[];
  /** every server the document declares, at any level, once each */
  servers: ServerInfo[];
}

/** As in src/openapi/load.ts: a bound on `$ref` resolution. */
const DEREFERENCE_TIMEOUT_MS = 60_000;

const OPENAPI3_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const SWAGGER2_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'];

/**
 * Loads and dereferences a document for the audit. Throws ApiwardenError
 * `OPENAPI_INVALID` whose message starts with `file` when it cannot be read,
 * parsed or resolved, or is not an OpenAPI 3.0 / 3.1 or Swagger 2.0 document.
 */
export async function loadAuditDocument(file: string): Promise<AuditDocument> {
  const source = resolve(file);
  try {
    const info = await stat(source);
    if (!info.isFile()) throw invalidDocument(file, 'not a regular file');
  } catch (err) {
    if (err instanceof ApiwardenError) throw err;
    throw invalidDocument(file, `cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)})`, err);
  }
  let raw: unknown;
  try {
    raw = await parse(source);
  } catch (err) {
    throw invalidDocument(file, `cannot parse the document: ${firstLine(err)}`, err);
  }
  const format = detectFormat(file, raw);
  let doc: unknown;
  try {
    // circular: true, as the gateway does (see src/openapi/load.ts): every
    // schema is resolved, recursive ones become cyclic objects.
    doc = await dereference(source, { dereference: { circular: true }, timeoutMs: DEREFERENCE_TIMEOUT_MS });
  } catch (err) {
    throw invalidDocument(file, `cannot resolve a $ref: ${firstLine(err)}`, err);
  }
  if (!isRecord(doc)) throw invalidDocument(file, 'the resolved document is not an object');
  return describeDocument(file, source, format, doc);
}

function describeDocument(file: string, source: string, format: DocumentFormat, doc: Record<string, unknown>): AuditDocument {
  const warnings: string[] = [];
  const basePaths = format === 'swagger-2.0'
    ? [swaggerBasePath(doc.basePath, warnings)]
    : serversBasePaths(doc.servers, [''], 'servers', warnings);
  // collectOperations checks the shape of `security` and parameters, and
  // refuses the document when they are malformed.
  const collected = collectOperations(doc, { format, file, source, rootBasePaths: basePaths, warnings });
  const byKey = new Map<string, Operation[]>();
  for (const op of collected) {
    const key = `${op.method} ${op.documentPath}`;
    const list = byKey.get(key);
    if (list) list.push(op);
    else byKey.set(key, [op]);
  }

  const rootSecurity = Array.isArray(doc.security) ? (doc.security as SecurityRequirements) : null;
  const servers = new Map<string, ServerInfo>();
  const rootServers = serversOf(format, doc, doc, ['servers'], ['schemes']);
  for (const s of rootServers) servers.set(s.pointer, s);

  const operations: AuditOperation[] = [];
  const paths = isRecord(doc.paths) ? doc.paths : {};
  const methods = format === 'swagger-2.0' ? SWAGGER2_METHODS : OPENAPI3_METHODS;
  for (const [pathKey, pathItem] of Object.entries(paths)) {
    if (pathKey.startsWith('x-') || !isRecord(pathItem)) continue;
    const documentPath = pathKey.startsWith('/') ? pathKey : `/${pathKey}`;
    const pathServers = format === 'swagger-2.0' ? [] : serversOf(format, doc, pathItem, ['paths', pathKey, 'servers'], []);
    for (const s of pathServers) servers.set(s.pointer, s);
    for (const method of methods) {
      const raw = pathItem[method];
      if (!isRecord(raw)) continue;
      const upper = method.toUpperCase();
      const routed = byKey.get(`${upper} ${documentPath}`);
      const first = routed?.[0];
      if (routed === undefined || first === undefined) continue;
      const opServers = serversOf(format, doc, raw, ['paths', pathKey, method, 'servers'], ['paths', pathKey, method, 'schemes']);
      for (const s of opServers) servers.set(s.pointer, s);
      const pointer = pointerOf(['paths', pathKey, method]);
      const hasOwnSecurity = Array.isArray(raw.security);
      const security = hasOwnSecurity ? (raw.security as SecurityRequirements) : rootSecurity;
      operations.push({
        method: upper,
        pathKey,
        pointer,
        label: `${upper} ${first.template}`,
        templates: [...new Set(routed.map((o) => o.template))],
        raw,
        pathItem,
        security,
        securityPointer: hasOwnSecurity ? `${pointer}/security` : rootSecurity ? '/security' : null,
        hasOwnSecurity,
        isPublic: raw['x-apiwarden-public'] === true,
        deprecated: raw.deprecated === true,
        servers: opServers.length > 0 ? opServers : pathServers.length > 0 ? pathServers : rootServers,
        operation: first,
      });
    }
  }

  const info = isRecord(doc.info) ? doc.info : {};
  return {
    file,
    source,
    format,
    title: typeof info.title === 'string' ? info.title : '',
    version: typeof info.version === 'string' ? info.version : String(info.version ?? ''),
    doc,
    schemes: schemesOf(format, doc),
    rootSecurity,
    operations,
    servers: [...servers.values()],
  };
}

/**
 * The servers an object declares: OAS 3.x `servers` (variables replaced by
 * their defaults, "Server Variable Object"), Swagger 2.0 `schemes` combined
 * with the root `host` and `basePath` ("Swagger Object"; an operation's
 * `schemes` overrides the root's).
 */
function serversOf(
  format: DocumentFormat,
  doc: Record<string, unknown>,
  owner: Record<string, unknown>,
  serversAt: readonly string[],
  schemesAt: readonly string[],
): ServerInfo[] {
  if (format === 'swagger-2.0') {
    if (!Array.isArray(owner.schemes)) return [];
    const host = typeof doc.host === 'string' ? doc.host : '';
    const basePath = typeof doc.basePath === 'string' ? doc.basePath : '';
    return owner.schemes.flatMap((scheme, i) => typeof scheme === 'string'
      ? [{ url: `${scheme.toLowerCase()}://${host}${basePath}`, pointer: pointerOf([...schemesAt, i]) }]
      : []);
  }
  if (!Array.isArray(owner.servers)) return [];
  return owner.servers.flatMap((server, i) => {
    if (!isRecord(server) || typeof server.url !== 'string') return [];
    const variables = isRecord(server.variables) ? server.variables : {};
    const url = server.url.replace(/\{([^{}]*)\}/g, (whole, name: string) => {
      const variable = variables[name];
      return isRecord(variable) && typeof variable.default === 'string' ? variable.default : whole;
    });
    return [{ url, pointer: pointerOf([...serversAt, i, 'url']) }];
  });
}

function schemesOf(format: DocumentFormat, doc: Record<string, unknown>): Map<string, SecuritySchemeInfo> {
  const at = format === 'swagger-2.0' ? ['securityDefinitions'] : ['components', 'securitySchemes'];
  const raw = format === 'swagger-2.0'
    ? doc.securityDefinitions
    : isRecord(doc.components) ? doc.components.securitySchemes : undefined;
  const schemes = new Map<string, SecuritySchemeInfo>();
  if (!isRecord(raw)) return schemes;
  for (const [name, value] of Object.entries(raw)) {
    if (!isRecord(value)) continue;
    const type = typeof value.type === 'string' ? value.type : '';
    const flowObjects: Record<string, unknown>[] = [];
    const flows: string[] = [];
    if (format === 'swagger-2.0') {
      if (typeof value.flow === 'string') flows.push(value.flow);
      flowObjects.push(value);
    } else if (isRecord(value.flows)) {
      for (const [flow, object] of Object.entries(value.flows)) {
        flows.push(flow);
        if (isRecord(object)) flowObjects.push(object);
      }
    }
    let scopes: Set<string> | null = null;
    if (type === 'oauth2') {
      scopes = new Set();
      for (const flow of flowObjects) if (isRecord(flow.scopes)) for (const s of Object.keys(flow.scopes)) scopes.add(s);
    }
    schemes.set(name, {
      name,
      pointer: pointerOf([...at, name]),
      type,
      in: typeof value.in === 'string' ? value.in : null,
      paramName: typeof value.name === 'string' ? value.name : null,
      httpScheme: type === 'basic' ? 'basic' : type === 'http' && typeof value.scheme === 'string' ? value.scheme.toLowerCase() : null,
      flows,
      scopes,
    });
  }
  return schemes;
}

function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  if (message.endsWith('is not a valid JSON Schema')) return 'empty, or the top level is not an object';
  return message.split('\n', 1)[0] ?? message;
}
