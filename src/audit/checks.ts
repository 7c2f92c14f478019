/**
 * The audit checks: one function per check, each taking a loaded document
 * and returning draft findings (a pointer, no file position or traffic yet:
 * audit.ts adds those). A check reads; it never changes the document.
 *
 * Granularity, chosen per check:
 * - per operation: auth.missing, auth.anonymous, lifecycle.no-sunset,
 *   data.sensitive-response (each is a decision about that operation);
 * - per cause, listing the operations concerned: schemes (api key location,
 *   Basic over http, implicit flow), servers, undefined schemes and scopes,
 *   credential-like parameters (one finding per parameter name);
 * - per document: responses.no-401-403 and responses.no-429. They are about
 *   the API's error contract as a whole; one finding per operation would
 *   bury the high ones under hundreds of lows on a large API (Stripe: ~450).
 */

import { isRecord } from '../openapi/util.ts';
import type { FindingId, Severity } from './types.ts';
import type { AuditDocument, AuditOperation, SecurityRequirements } from './load.ts';
import { escapePointerSegment } from './json-pointer.ts';
import { findSensitiveFields } from './sensitive.ts';
import type { SensitiveField } from './sensitive.ts';

export interface DraftFinding {
  id: FindingId;
  severity: Severity;
  message: string;
  /** pointer into the dereferenced document */
  pointer: string;
  /** the operations concerned */
  operations: readonly AuditOperation[];
  /** true when the finding is about its one operation (not a group that happens to have one) */
  isPerOperation: boolean;
}

export interface CheckContext {
  /** true when the policy announces a sunset for this operation (`--config`) */
  hasPolicySunset?: (document: AuditDocument, operation: AuditOperation) => boolean;
}

export type Check = (document: AuditDocument, context: CheckContext) => DraftFinding[];

/** How a request without credentials fares. */
export type Access = 'none' | 'anonymous' | 'authenticated';

/**
 * - none: no requirement applies (none on the operation, none or `[]` at the
 *   root: OAS 3.x "OpenAPI Object" `security` lists the alternatives, and an
 *   empty list has none);
 * - anonymous: the operation opts out with `security: []`, or `{}` is one of
 *   the alternatives ("Security Requirement Object": "To make security
 *   optional, an empty security requirement ({}) can be included");
 * - authenticated: every alternative names at least one scheme.
 */
export function accessOf(op: AuditOperation): Access {
  const { security } = op;
  if (security === null) return 'none';
  if (security.length === 0) return op.hasOwnSecurity ? 'anonymous' : 'none';
  return security.some(isEmptyRequirement) ? 'anonymous' : 'authenticated';
}

function isEmptyRequirement(requirement: unknown): boolean {
  return isRecord(requirement) && Object.keys(requirement).length === 0;
}

function usesScheme(op: AuditOperation, scheme: string): boolean {
  return op.security?.some((r) => isRecord(r) && Object.hasOwn(r, scheme)) ?? false;
}

/** At most `max` items, then "(+N more)". */
function listOf(items: readonly string[], max = 3): string {
  const shown = items.slice(0, max).join(', ');
  return items.length > max ? `${shown} (+${items.length - max} more)` : shown;
}

function operationCount(ops: readonly unknown[]): string {
  return ops.length === 1 ? '1 operation' : `${ops.length} operations`;
}

// ---------------------------------------------------------------------------
// sensitive fields, shared by auth.missing and data.sensitive-response

const sensitiveCache = new WeakMap<AuditOperation, SensitiveField[]>();

/** Schemas of the success responses (2xx, 2XX): what a caller gets back. */
function successSchemas(document: AuditDocument, op: AuditOperation): Array<{ schema: unknown; pointer: string }> {
  const out: Array<{ schema: unknown; pointer: string }> = [];
  const responses = op.raw.responses;
  if (!isRecord(responses)) return out;
  for (const [code, response] of Object.entries(responses)) {
    if (!/^2(\d\d|xx)$/i.test(code) || !isRecord(response)) continue;
    const at = `${op.pointer}/responses/${escapePointerSegment(code)}`;
    if (document.format === 'swagger-2.0') {
      if (isRecord(response.schema)) out.push({ schema: response.schema, pointer: `${at}/schema` });
    } else if (isRecord(response.content)) {
      for (const [media, object] of Object.entries(response.content)) {
        if (isRecord(object) && isRecord(object.schema)) {
          out.push({ schema: object.schema, pointer: `${at}/content/${escapePointerSegment(media)}/schema` });
        }
      }
    }
  }
  return out;
}

export function sensitiveFieldsOf(document: AuditDocument, op: AuditOperation): SensitiveField[] {
  let fields = sensitiveCache.get(op);
  if (fields) return fields;
  const byPath = new Map<string, SensitiveField>();
  for (const { schema, pointer } of successSchemas(document, op)) {
    for (const field of findSensitiveFields(schema, pointer)) if (!byPath.has(field.path)) byPath.set(field.path, field);
  }
  fields = [...byPath.values()];
  sensitiveCache.set(op, fields);
  return fields;
}

function describeFields(fields: readonly SensitiveField[]): string {
  return listOf(fields.map((f) => `${f.path} (${f.kind})`), 5);
}

// ---------------------------------------------------------------------------
// access control

/** auth.missing: nothing protects the operation. */
export function checkMissingSecurity(document: AuditDocument): DraftFinding[] {
  return document.operations.filter((op) => accessOf(op) === 'none').map((op) => {
    const fields = sensitiveFieldsOf(document, op);
    const severity: Severity = op.isPublic ? 'info' : fields.length > 0 ? 'critical' : 'high';
    let message = `${op.label} has no security requirement (none on the operation, none at the root)`;
    if (op.isPublic) message += '; marked x-apiwarden-public: true, so this is intended';
    else if (fields.length > 0) message += `, and its responses carry ${describeFields(fields)}`;
    return { id: 'auth.missing', severity, message, pointer: op.pointer, operations: [op], isPerOperation: true };
  });
}

/** auth.anonymous: `security: []` on the operation, or `{}` among the alternatives. */
export function checkAnonymousAccess(document: AuditDocument): DraftFinding[] {
  const out: DraftFinding[] = [];
  for (const op of document.operations) {
    if (accessOf(op) !== 'anonymous' || op.security === null) continue;
    const severity: Severity = op.isPublic ? 'info' : 'medium';
    const intended = op.isPublic ? ' (marked x-apiwarden-public: true: intended)' : '';
    if (op.security.length === 0) {
      out.push({
        id: 'auth.anonymous', severity, pointer: `${op.pointer}/security`, operations: [op], isPerOperation: true,
        message: `${op.label} removes authentication with security: []${intended}`,
      });
    } else {
      const index = op.security.findIndex(isEmptyRequirement);
      const where = op.hasOwnSecurity ? 'its security' : 'the root security it inherits';
      out.push({
        id: 'auth.anonymous', severity, pointer: `${op.securityPointer}/${index}`, operations: [op], isPerOperation: true,
        message: `${op.label} accepts anonymous requests: ${where} lists the empty requirement {} as an alternative${intended}`,
      });
    }
  }
  return out;
}

/** auth.api-key-in-query (high) and auth.api-key-in-cookie (low). */
export function checkApiKeyLocation(document: AuditDocument): DraftFinding[] {
  const out: DraftFinding[] = [];
  for (const scheme of document.schemes.values()) {
    if (scheme.type !== 'apiKey' || (scheme.in !== 'query' && scheme.in !== 'cookie')) continue;
    const ops = document.operations.filter((op) => usesScheme(op, scheme.name));
    const name = scheme.paramName === null ? '' : ` "${scheme.paramName}"`;
    const isQuery = scheme.in === 'query';
    out.push({
      id: isQuery ? 'auth.api-key-in-query' : 'auth.api-key-in-cookie',
      severity: isQuery ? 'high' : 'low',
      message: `apiKey scheme "${scheme.name}" sends the key in the ${isQuery ? 'query parameter' : 'cookie'}${name} (${operationCount(ops)})`,
      pointer: `${scheme.pointer}/in`,
      operations: ops,
      isPerOperation: false,
    });
  }
  return out;
}

/**
 * Normalised names (see sensitive.ts normaliseName) of parameters that carry
 * credentials. In a path, a segment named `token` or `key` is usually the id
 * of a resource (Stripe's `/v1/tokens/{token}`), so only the names that
 * cannot be an id count there.
 */
const CREDENTIAL_PARAMETERS: ReadonlySet<string> = new Set([
  'accesstoken', 'authtoken', 'idtoken', 'refreshtoken', 'apitoken', 'sessiontoken', 'jwt',
  'apikey', 'password', 'passwd', 'secret', 'clientsecret',
]);
const QUERY_CREDENTIAL_PARAMETERS: ReadonlySet<string> = new Set(['token', 'key', 'sessionid', 'sid', 'auth', 'pwd', 'bearer']);

/** auth.credential-in-url: a query or path parameter named like a credential, one finding per name. */
export function checkCredentialInUrl(document: AuditDocument): DraftFinding[] {
  // A query apiKey scheme's own parameter is reported by auth.api-key-in-query.
  const schemeParams = new Set([...document.schemes.values()]
    .filter((s) => s.type === 'apiKey' && s.in === 'query' && s.paramName !== null)
    .map((s) => s.paramName));
  const groups = new Map<string, { name: string; in: string; pointer: string; ops: AuditOperation[] }>();
  for (const op of document.operations) {
    const lists: Array<[unknown, string]> = [
      [op.pathItem.parameters, `/paths/${escapePointerSegment(op.pathKey)}/parameters`],
      [op.raw.parameters, `${op.pointer}/parameters`],
    ];
    for (const [list, at] of lists) {
      if (!Array.isArray(list)) continue;
      list.forEach((param: unknown, i) => {
        if (!isRecord(param) || typeof param.name !== 'string' || (param.in !== 'query' && param.in !== 'path')) return;
        if (schemeParams.has(param.name) && param.in === 'query') return;
        const normalised = param.name.toLowerCase().replace(/[\s_.-]/g, '');
        // `?key=` is Google's API key convention, `?token=` Slack's (until 2021).
        if (!CREDENTIAL_PARAMETERS.has(normalised) && !(param.in === 'query' && QUERY_CREDENTIAL_PARAMETERS.has(normalised))) return;
        const key = `${param.in} ${param.name}`;
        const group = groups.get(key) ?? { name: param.name, in: param.in, pointer: `${at}/${i}`, ops: [] };
        if (!group.ops.includes(op)) group.ops.push(op);
        groups.set(key, group);
      });
    }
  }
  return [...groups.values()].map((g) => ({
    id: 'auth.credential-in-url',
    severity: 'medium',
    message: `${g.in} parameter "${g.name}" looks like a credential and travels in the URL (${operationCount(g.ops)}: ${listOf(g.ops.map((o) => o.label))})`,
    pointer: g.pointer,
    operations: g.ops,
    isPerOperation: false,
  }));
}

/** Every place a list of requirements is written, with the operations it applies to. */
function requirementSites(document: AuditDocument): Array<{ pointer: string; requirements: SecurityRequirements; ops: AuditOperation[] }> {
  const sites: Array<{ pointer: string; requirements: SecurityRequirements; ops: AuditOperation[] }> = [];
  if (document.rootSecurity) {
    sites.push({ pointer: '/security', requirements: document.rootSecurity, ops: document.operations.filter((o) => !o.hasOwnSecurity) });
  }
  for (const op of document.operations) {
    if (op.hasOwnSecurity && op.security) sites.push({ pointer: `${op.pointer}/security`, requirements: op.security, ops: [op] });
  }
  return sites;
}

/** auth.undefined-scheme (high) and auth.undefined-scope (medium), one finding per scheme or scope. */
export function checkSecurityReferences(document: AuditDocument): DraftFinding[] {
  const schemes = new Map<string, { pointer: string; ops: Set<AuditOperation> }>();
  const scopes = new Map<string, { scheme: string; scope: string; pointer: string; ops: Set<AuditOperation> }>();
  for (const site of requirementSites(document)) {
    site.requirements.forEach((requirement, i) => {
      if (!isRecord(requirement)) return;
      for (const [name, wanted] of Object.entries(requirement)) {
        const pointer = `${site.pointer}/${i}/${escapePointerSegment(name)}`;
        const scheme = document.schemes.get(name);
        if (!scheme) {
          const group = schemes.get(name) ?? { pointer, ops: new Set() };
          for (const op of site.ops) group.ops.add(op);
          schemes.set(name, group);
          continue;
        }
        // Scopes are declared only by oauth2 flows; openIdConnect scopes
        // come from the discovery document, and OAS 3.1 lets other types
        // list roles, which are declared nowhere.
        if (scheme.scopes === null || !Array.isArray(wanted)) continue;
        wanted.forEach((scope: unknown, j) => {
          if (typeof scope !== 'string' || scheme.scopes?.has(scope)) return;
          const key = `${name}\u0000${scope}`;
          const group = scopes.get(key) ?? { scheme: name, scope, pointer: `${pointer}/${j}`, ops: new Set() };
          for (const op of site.ops) group.ops.add(op);
          scopes.set(key, group);
        });
      }
    });
  }
  const out: DraftFinding[] = [];
  for (const [name, g] of schemes) {
    out.push({
      id: 'auth.undefined-scheme', severity: 'high', pointer: g.pointer, operations: [...g.ops], isPerOperation: false,
      message: `security requirement names "${name}", which the document does not declare as a security scheme (${operationCount([...g.ops])})`,
    });
  }
  for (const g of scopes.values()) {
    out.push({
      id: 'auth.undefined-scope', severity: 'medium', pointer: g.pointer, operations: [...g.ops], isPerOperation: false,
      message: `scope "${g.scope}" is not declared by any flow of OAuth 2 scheme "${g.scheme}" (${operationCount([...g.ops])})`,
    });
  }
  return out;
}

// ---------------------------------------------------------------------------
// transport

/**
 * true for a plain-http URL whose host is not this machine. A relative URL
 * (OAS 3.x: relative to where the document is served) has no scheme of its
 * own and is not judged.
 */
export function isPlainHttpRemote(url: string): boolean {
  const match = /^http:\/\/(\[[^\]]*\]|[^/:?#]*)/i.exec(url.trim());
  if (!match) return false;
  const host = (match[1] ?? '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost') || host === '[::1]' || host === '0.0.0.0') return false;
  return !/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** transport.http-server: one finding per plain-http server entry. */
export function checkHttpServers(document: AuditDocument): DraftFinding[] {
  return document.servers.filter((s) => isPlainHttpRemote(s.url)).map((server) => {
    const ops = document.operations.filter((op) => op.servers.some((s) => s.pointer === server.pointer));
    const what = document.format === 'swagger-2.0'
      ? `schemes lists plain http for ${/^http:\/\/\/?$|^http:\/\/\//.test(server.url) ? 'the host serving the document (no host declared)' : server.url}`
      : `server ${server.url} uses plain http`;
    return {
      id: 'transport.http-server', severity: 'high', pointer: server.pointer, operations: ops, isPerOperation: false,
      message: `${what} (${operationCount(ops)})`,
    };
  });
}

/** auth.basic-over-http: a Basic scheme used by operations reachable over plain http. */
export function checkBasicOverHttp(document: AuditDocument): DraftFinding[] {
  const out: DraftFinding[] = [];
  for (const scheme of document.schemes.values()) {
    if (scheme.httpScheme !== 'basic') continue;
    const ops = document.operations.filter((op) => usesScheme(op, scheme.name) && op.servers.some((s) => isPlainHttpRemote(s.url)));
    if (ops.length === 0) continue;
    const urls = [...new Set(ops.flatMap((op) => op.servers.filter((s) => isPlainHttpRemote(s.url)).map((s) => s.url)))];
    out.push({
      id: 'auth.basic-over-http', severity: 'high', pointer: scheme.pointer, operations: ops, isPerOperation: false,
      message: `HTTP Basic scheme "${scheme.name}" is used by ${operationCount(ops)} served over plain http (${listOf(urls)})`,
    });
  }
  return out;
}

/** auth.oauth2-implicit: an OAuth 2 scheme offering the implicit flow. */
export function checkOauth2Implicit(document: AuditDocument): DraftFinding[] {
  const out: DraftFinding[] = [];
  for (const scheme of document.schemes.values()) {
    if (scheme.type !== 'oauth2' || !scheme.flows.includes('implicit')) continue;
    const ops = document.operations.filter((op) => usesScheme(op, scheme.name));
    out.push({
      id: 'auth.oauth2-implicit', severity: 'medium', operations: ops, isPerOperation: false,
      pointer: document.format === 'swagger-2.0' ? `${scheme.pointer}/flow` : `${scheme.pointer}/flows/implicit`,
      message: `OAuth 2 scheme "${scheme.name}" offers the implicit flow (${operationCount(ops)})`,
    });
  }
  return out;
}

// ---------------------------------------------------------------------------
// lifecycle and responses

function declaresSunsetHeader(op: AuditOperation): boolean {
  const responses = op.raw.responses;
  if (!isRecord(responses)) return false;
  return Object.values(responses).some((r) => isRecord(r) && isRecord(r.headers)
    && Object.keys(r.headers).some((h) => h.toLowerCase() === 'sunset'));
}

/** lifecycle.no-sunset: deprecated, with no announced end. */
export function checkDeprecatedWithoutSunset(document: AuditDocument, context: CheckContext): DraftFinding[] {
  return document.operations
    .filter((op) => op.deprecated && op.raw['x-sunset'] === undefined && !declaresSunsetHeader(op)
      && !(context.hasPolicySunset?.(document, op) ?? false))
    .map((op) => ({
      id: 'lifecycle.no-sunset', severity: 'low', pointer: `${op.pointer}/deprecated`, operations: [op], isPerOperation: true,
      message: `${op.label} is deprecated but announces no sunset (no x-sunset, no Sunset response header${context.hasPolicySunset ? ', none in the policy' : ''})`,
    }));
}

function declaresStatus(op: AuditOperation, statuses: readonly string[]): boolean {
  const responses = op.raw.responses;
  if (!isRecord(responses)) return false;
  // OAS 3.x "Responses Object": a range such as 4XX covers every code in it.
  return Object.keys(responses).some((code) => statuses.includes(code.toUpperCase()) || code.toUpperCase() === '4XX');
}

/** responses.no-401-403: one finding for the document, listing the secured operations concerned. */
export function checkAuthResponses(document: AuditDocument): DraftFinding[] {
  const secured = document.operations.filter((op) => op.security?.some((r) => isRecord(r) && Object.keys(r).length > 0) ?? false);
  const missing = secured.filter((op) => !declaresStatus(op, ['401', '403']));
  const first = missing[0];
  if (first === undefined) return [];
  return [{
    id: 'responses.no-401-403', severity: 'low', pointer: `${first.pointer}/responses`, operations: missing, isPerOperation: false,
    message: `${missing.length} of ${secured.length} secured operations declare neither 401 nor 403: ${listOf(missing.map((o) => o.label))}`,
  }];
}

/** responses.no-429: one finding for the document, listing the operations concerned. */
export function checkRateLimitResponses(document: AuditDocument): DraftFinding[] {
  const missing = document.operations.filter((op) => !declaresStatus(op, ['429']));
  const first = missing[0];
  if (first === undefined) return [];
  return [{
    id: 'responses.no-429', severity: 'low', pointer: `${first.pointer}/responses`, operations: missing, isPerOperation: false,
    message: `${missing.length} of ${document.operations.length} operations declare no 429 response: ${listOf(missing.map((o) => o.label))}`,
  }];
}

// ---------------------------------------------------------------------------
// data

/**
 * data.sensitive-response: critical where anonymous callers get the data,
 * info where authentication is required. An operation with no security at
 * all is reported by auth.missing, whose message names the fields, unless it
 * is marked public (auth.missing is then only info, and the data is what
 * matters).
 */
export function checkSensitiveResponses(document: AuditDocument): DraftFinding[] {
  const out: DraftFinding[] = [];
  for (const op of document.operations) {
    const access = accessOf(op);
    if (access === 'none' && !op.isPublic) continue;
    const fields = sensitiveFieldsOf(document, op);
    const first = fields[0];
    if (first === undefined) continue;
    const isExposed = access !== 'authenticated';
    out.push({
      id: 'data.sensitive-response', severity: isExposed ? 'critical' : 'info', pointer: first.pointer, operations: [op], isPerOperation: true,
      message: isExposed
        ? `${op.label} returns ${describeFields(fields)} to callers without authentication`
        : `${op.label} returns ${describeFields(fields)} (authenticated)`,
    });
  }
  return out;
}

/** Every check, in the order their findings are produced. */
export const CHECKS: ReadonlyArray<{ name: string; ids: readonly FindingId[]; run: Check }> = [
  { name: 'missing security', ids: ['auth.missing'], run: checkMissingSecurity },
  { name: 'anonymous access', ids: ['auth.anonymous'], run: checkAnonymousAccess },
  { name: 'api key location', ids: ['auth.api-key-in-query', 'auth.api-key-in-cookie'], run: checkApiKeyLocation },
  { name: 'credentials in URLs', ids: ['auth.credential-in-url'], run: checkCredentialInUrl },
  { name: 'security references', ids: ['auth.undefined-scheme', 'auth.undefined-scope'], run: checkSecurityReferences },
  { name: 'Basic over http', ids: ['auth.basic-over-http'], run: checkBasicOverHttp },
  { name: 'OAuth 2 implicit flow', ids: ['auth.oauth2-implicit'], run: checkOauth2Implicit },
  { name: 'plain http servers', ids: ['transport.http-server'], run: checkHttpServers },
  { name: 'deprecated without sunset', ids: ['lifecycle.no-sunset'], run: checkDeprecatedWithoutSunset },
  { name: '401/403 responses', ids: ['responses.no-401-403'], run: checkAuthResponses },
  { name: '429 responses', ids: ['responses.no-429'], run: checkRateLimitResponses },
  { name: 'sensitive responses', ids: ['data.sensitive-response'], run: checkSensitiveResponses },
];
