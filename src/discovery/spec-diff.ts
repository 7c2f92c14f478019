/**
 * The spec diff: what traffic showed (the inventory) against what the
 * OpenAPI documents declare, as findings.
 *
 * - shadow:   served, not documented;
 * - zombie:   documented as going away (deprecated, past its sunset), or gone
 *             from the documents (removed since the previous release, under a
 *             retired version or prefix), or announced as deprecated by the
 *             server's own Deprecation / Sunset headers — and still called;
 * - orphan:   documented, never seen;
 * - drift:    seen and documented, but not as documented (query parameters,
 *             status codes, response fields and types);
 * - exposure: sensitive data answered with 2xx to requests without
 *             credentials. The reference incident (DESIGN.md) was exactly
 *             this: an unauthenticated lookup by phone number answering with
 *             account details, fed 33 million numbers. It is the loudest
 *             finding there is.
 *
 * Severities (the one table; spec-diff.test.ts pins each row):
 *
 * | kind     | when                                                              | severity |
 * | -------- | ----------------------------------------------------------------- | -------- |
 * | exposure | personal, financial or credential class, and the caller supplies  | critical |
 * |          | an identifier (path parameter, id-like query parameter, or a      |          |
 * |          | sensitive value in the request): the endpoint can be enumerated   |          |
 * | exposure | such a class without an identifier; or any class on an            | high     |
 * |          | undocumented (shadow / removed) endpoint                          |          |
 * | exposure | other classes (an IP address) on a documented endpoint            | medium   |
 * | shadow   | answered 2xx to requests without credentials (unauthenticated-    | high     |
 * |          | Success; without that count: 2xx and unauthenticated requests)    |          |
 * | shadow   | answered 2xx (or 3xx) otherwise                                   | medium   |
 * | shadow   | never answered 2xx/3xx (probes, 404s): likely not an endpoint     | low      |
 * | zombie   | still answers 2xx/3xx                                             | high     |
 * | zombie   | called, but answers only errors                                   | medium   |
 * | drift    | undocumented response fields (data beyond the contract: OWASP     | medium   |
 * |          | API3:2023), or undocumented 5xx answers                           |          |
 * | drift    | type mismatches, missing required fields, undocumented query      | low      |
 * |          | parameters, other undocumented statuses                           |          |
 * | orphan   | the inventory is mature (see isYoung)                             | low      |
 * | orphan   | the inventory is young, or the operation is deprecated anyway     | info     |
 *
 * Hosts: OpenAPI base paths drop the host (base-paths.ts), so every endpoint,
 * whatever its host, is compared with every document. Run the diff per
 * upstream (endpoints of that upstream's hosts, its documents) to keep
 * them apart.
 */
import type { DataClassSeen, Finding, InventoryEndpoint, Severity } from './types.ts';
import type { LoadedDocument, Operation, RouteMatch, RouteTable } from '../openapi/types.ts';
import { compileRouteTable } from '../openapi/route-table.ts';
import { parseTemplate, routablePath, routeKey } from '../openapi/template.ts';
import { documentedResponseFor, operationKey, type OperationDetails } from '../openapi/responses.ts';
import { diffShapes as jsonShapeDiff, type DriftItem } from './json-shape-diff.ts';
import type { Shape } from './json-shape.ts';
import { isDataClass, KIND_OF_CLASS } from './data-classes.ts';
import { classifyValue } from './sensitive-values.ts';
import { maskValue } from './sensitive-mask.ts';
import { findingId, sortFindings } from './findings.ts';

export type { DriftItem } from './json-shape-diff.ts';

/** The documents to compare with. */
export interface SpecDocuments {
  /** the documents in force (one upstream's) */
  current: readonly LoadedDocument[];
  /**
   * details of the current documents' operations (loadOperationDetails,
   * several maps merged into one); without them only query parameters,
   * deprecation and `x-sunset` are compared, not statuses nor bodies
   */
  details?: ReadonlyMap<string, OperationDetails>;
  /** the previous release of the documents: what it has and `current` lacks was removed */
  previous?: readonly LoadedDocument[];
}

/** diffShapes of json-shape-diff.ts, or a stand-in (tests, another shape model). */
export type ShapeDiff = (documentedSchema: unknown, observedShape: Shape) => readonly DriftItem[];

export interface DiffInventoryOptions {
  /**
   * How long and how much the inventory has observed, for orphans: until it
   * has seen enough, "never observed" means little. Defaults: since the
   * earliest firstSeen, the sum of the endpoints' counts.
   */
  observation?: { since?: number; requests?: number };
  /** the end of the observation window (epoch ms); default: the latest lastSeen */
  now?: number;
  /** an inventory younger than this is young (default 7 days: a weekly job has run once) */
  youngAgeMs?: number;
  /** an inventory with fewer requests than this is young (default 1000) */
  youngRequests?: number;
  /** path prefixes that are retired ('/v1', '/api/legacy'): anything seen under them is a zombie */
  retiredPrefixes?: readonly string[];
  /**
   * OPTIONS on a documented path is a CORS preflight (Fetch Standard §4.8;
   * RFC 9110 §9.3.7), answered by the server or a middleware for every
   * path, and documents rarely declare it: not a shadow. Default true.
   */
  isPreflightDocumented?: boolean;
  /** default: diffShapes of json-shape-diff.ts */
  diffShapes?: ShapeDiff;
  /** drift items kept per finding (default 50) */
  maxDriftItems?: number;
}

const DAY_MS = 86_400_000;
export const DEFAULT_YOUNG_AGE_MS = 7 * DAY_MS;
export const DEFAULT_YOUNG_REQUESTS = 1_000;
const DEFAULT_MAX_DRIFT_ITEMS = 50;
const MAX_EXAMPLE_REQUESTS = 3;

/** The HTTP methods of OAS 3.x "Path Item Object"; anything else cannot be documented. */
const OPENAPI_METHODS: ReadonlySet<string> = new Set(['GET', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH', 'TRACE']);

// ---------------------------------------------------------------------------
// the documents, indexed

interface SpecIndex {
  readonly table: RouteTable;
  /** 'METHOD routeKey' → operation (parameter names erased, trailing '/' ignored) */
  readonly byKey: ReadonlyMap<string, Operation>;
  readonly byOperationId: ReadonlyMap<string, readonly Operation[]>;
  /** operation → its document */
  readonly documentOf: ReadonlyMap<Operation, LoadedDocument>;
}

/**
 * Decodes the static text of a template for comparison: learned templates
 * keep it as received ('/files/a%20b'), documents as written ('/files/a b').
 * decodeURI leaves reserved characters encoded (%2F stays a %2F), and a
 * decoding that would create a brace, and so a parameter, is refused.
 */
function comparable(template: string): string {
  try {
    const decoded = decodeURI(template);
    const braces = (s: string): number => s.split(/[{}]/).length;
    return braces(decoded) === braces(template) ? decoded : template;
  } catch {
    return template;
  }
}

/** Equal for two templates that match the same paths (OpenAPI "Path Templating": names do not matter). */
export function templateKey(template: string): string {
  return routeKey(parseTemplate(routablePath(comparable(template)).path), true);
}

function indexSpec(documents: readonly LoadedDocument[]): SpecIndex {
  // Trailing slashes ignored: the templater drops them ('/users/' is '/users').
  const table = compileRouteTable(documents, { ignoreTrailingSlash: true });
  const documentOf = new Map<Operation, LoadedDocument>();
  for (const document of documents) for (const operation of document.operations) documentOf.set(operation, document);
  const byKey = new Map<string, Operation>();
  const byOperationId = new Map<string, Operation[]>();
  for (const operation of table.operations) {
    byKey.set(`${operation.method} ${templateKey(operation.template)}`, operation);
    const list = byOperationId.get(operation.operationId);
    if (list) list.push(operation);
    else byOperationId.set(operation.operationId, [operation]);
  }
  return { table, byKey, byOperationId, documentOf };
}

/** find-my-way can refuse odd input (a malformed escape); that is "no match", not a fault. */
function safeMatch(table: RouteTable, method: string, path: string): RouteMatch | null {
  try {
    return table.match(method, path);
  } catch {
    return null;
  }
}

function safeHasPath(table: RouteTable, path: string): boolean {
  try {
    return table.hasPath(path);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------
// matching an endpoint to a documented operation

/**
 * How an endpoint was found in the documents:
 * - exact: same method and template, parameter names erased;
 * - specific: the learned template, read as a literal path, is routed to a
 *   documented operation: the learned one is more specific (a static
 *   '/users/me' against a documented '/users/{id}');
 * - operationId: the inventory had recorded the operation (the gateway
 *   routed it inline) and the document still has it;
 * - examples: the learned template is more generic than documented ones
 *   ('/files/{name}' over documented '/files/a.pdf' and '/files/b.pdf'), but
 *   every value the templater saw, substituted back, is routed to a
 *   documented operation: the templater merged documented static paths;
 * - path: the method is unknown (a log without it), the path is documented;
 * - preflight: OPTIONS on a documented path (see isPreflightDocumented).
 */
type MatchHow = 'exact' | 'specific' | 'operationId' | 'examples' | 'path' | 'preflight';

interface Documented {
  readonly how: MatchHow;
  /** null for 'path' and 'preflight': no one operation to compare with */
  readonly operation: Operation | null;
  /** every operation the endpoint stands for (several for 'examples') */
  readonly operations: readonly Operation[];
}

function matchDocumented(endpoint: InventoryEndpoint, spec: SpecIndex, isPreflightDocumented: boolean): Documented | null {
  const { method, template } = endpoint;
  if (template.startsWith('/')) {
    const key = templateKey(template);
    const exact = spec.byKey.get(`${method} ${key}`) ?? (method === 'HEAD' ? spec.byKey.get(`GET ${key}`) : undefined);
    if (exact) return { how: 'exact', operation: exact, operations: [exact] };
    const routed = OPENAPI_METHODS.has(method) ? safeMatch(spec.table, method, routablePath(template).path) : null;
    if (routed) return { how: 'specific', operation: routed.operation, operations: [routed.operation] };
  }
  if (endpoint.operationId !== null) {
    const byId = spec.byOperationId.get(endpoint.operationId) ?? [];
    const operation = byId.find((o) => o.method === method) ?? byId[0];
    if (operation) return { how: 'operationId', operation, operations: [operation] };
  }
  if (!template.startsWith('/')) return null;
  const fromExamples = matchExamples(endpoint, spec);
  if (fromExamples) return fromExamples;
  const path = routablePath(template).path;
  if (method === 'UNKNOWN' && safeHasPath(spec.table, path)) return { how: 'path', operation: null, operations: [] };
  if (method === 'OPTIONS' && isPreflightDocumented && safeHasPath(spec.table, path)) {
    return { how: 'preflight', operation: null, operations: [] };
  }
  return null;
}

/**
 * Concrete paths from a learned template and the values its parameters
 * took, or null when they do not cover every value seen (the templater keeps
 * a handful of examples: past that, unseen values may be undocumented).
 */
function examplePaths(endpoint: InventoryEndpoint): string[] | null {
  const learned = endpoint.learned;
  if (!learned) return null;
  const segments = parseTemplate(routablePath(endpoint.template).path);
  const names = segments.flatMap((s) => s.filter((t) => t.kind === 'param').map((t) => t.name));
  if (names.length === 0) return null;
  const values = new Map<string, readonly string[]>();
  for (const name of names) {
    const param = learned.params.find((p) => p.name === name);
    if (!param || param.examples.length === 0 || param.distinct > param.examples.length) return null;
    // a value that would change the path's structure cannot be substituted
    if (param.examples.some((v) => v === '' || /[/?#]/.test(v))) return null;
    values.set(name, param.examples);
  }
  const n = Math.max(...[...values.values()].map((v) => v.length));
  const paths: string[] = [];
  for (let i = 0; i < n; i++) {
    const path = segments.map((segment) => segment.map((t) => {
      if (t.kind === 'static') return t.text;
      const list = values.get(t.name)!;
      return list[i % list.length]!;
    }).join('')).join('/');
    paths.push(`/${path}`);
  }
  return paths;
}

function matchExamples(endpoint: InventoryEndpoint, spec: SpecIndex): Documented | null {
  if (!OPENAPI_METHODS.has(endpoint.method)) return null;
  const paths = examplePaths(endpoint);
  if (!paths) return null;
  const operations: Operation[] = [];
  for (const path of paths) {
    const found = safeMatch(spec.table, endpoint.method, path);
    if (!found) return null;
    if (!operations.includes(found.operation)) operations.push(found.operation);
  }
  // Compared with an operation only when all values went to the same one.
  return { how: 'examples', operation: operations.length === 1 ? operations[0]! : null, operations };
}

/**
 * Documented operations that an undocumented endpoint's template is more
 * generic than: each documented template, read as a literal path, is
 * routed through a table of the undocumented learned templates. A learned
 * '/users/{id}' covers a documented '/users/me'. Covered operations are not
 * orphans (their traffic may have been absorbed), and the shadow's evidence
 * names them.
 */
function coverage(endpoints: readonly InventoryEndpoint[], operations: readonly Operation[]): Map<InventoryEndpoint, Operation[]> {
  const groups = new Map<string, InventoryEndpoint[]>();
  const pseudo: Operation[] = [];
  for (const endpoint of endpoints) {
    if (!endpoint.template.startsWith('/') || !OPENAPI_METHODS.has(endpoint.method)) continue;
    const key = `${endpoint.method} ${templateKey(endpoint.template)}`;
    const group = groups.get(key);
    if (group) {
      group.push(endpoint);
      continue;
    }
    groups.set(key, [endpoint]);
    const template = routablePath(endpoint.template).path;
    pseudo.push({
      method: endpoint.method, template, documentPath: template, operationId: key, deprecated: false,
      parameters: [], security: null, tags: [], extensions: {}, source: '(inventory)',
    });
  }
  const out = new Map<InventoryEndpoint, Operation[]>();
  if (pseudo.length === 0) return out;
  const table = compileRouteTable(
    [{ source: '(inventory)', format: 'openapi-3.1', title: '', version: '', basePaths: [''], operations: pseudo }],
    { ignoreTrailingSlash: true },
  );
  for (const operation of operations) {
    const found = safeMatch(table, operation.method, routablePath(operation.template).path);
    if (!found) continue;
    for (const endpoint of groups.get(found.operation.operationId) ?? []) {
      const list = out.get(endpoint);
      if (list) list.push(operation);
      else out.set(endpoint, [operation]);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// zombies

type ZombieReason =
  | 'deprecated' | 'path-deprecated' | 'deprecated-at-passed' | 'sunset-passed'
  | 'removed' | 'retired-version' | 'retired-prefix' | 'deprecation-headers';

const REASON_TEXT: Readonly<Record<ZombieReason, string>> = {
  deprecated: 'the document marks the operation deprecated',
  'path-deprecated': 'the document marks the whole path deprecated',
  'deprecated-at-passed': 'its x-deprecated-at date has passed',
  'sunset-passed': 'it answered after its x-sunset date',
  removed: 'it was in the previous document and is gone from the current one',
  'retired-version': 'it is under an API version the documents no longer have',
  'retired-prefix': 'it is under a retired path prefix',
  'deprecation-headers': 'its own responses announce deprecation (Deprecation / Sunset headers)',
};

function dateOf(value: unknown): number | null {
  if (typeof value !== 'string' && !(value instanceof Date)) return null;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

function stringExtension(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

const VERSION_SEGMENT = /^v(\d{1,6})(?:\.(\d{1,6}))?$/i;

function versionOf(segment: string): [number, number] | null {
  const m = VERSION_SEGMENT.exec(segment);
  return m ? [Number(m[1]), Number(m[2] ?? 0)] : null;
}

function compareVersions(a: readonly [number, number], b: readonly [number, number]): number {
  return a[0] - b[0] || a[1] - b[1];
}

/**
 * A learned '/v1/...' where the documents have the same prefix only with
 * newer versions ('/v2/...'): a retired version, still served. A version
 * newer than every documented one is not retired (an unreleased API is a
 * shadow). The successor is the same template under a documented version,
 * when there is one.
 */
function retiredVersion(endpoint: InventoryEndpoint, spec: SpecIndex): { version: string; documented: string[]; successor: string | null } | null {
  const segments = routablePath(endpoint.template).path.split('/').slice(1);
  const at = segments.findIndex((s) => versionOf(s) !== null);
  if (at === -1) return null;
  const version = versionOf(segments[at]!)!;
  const prefix = segments.slice(0, at).join('/');
  const documented = new Map<string, [number, number]>();
  for (const operation of spec.table.operations) {
    const other = operation.template.split('/').slice(1);
    if (other.length <= at || other.slice(0, at).join('/') !== prefix) continue;
    const v = versionOf(other[at]!);
    if (v) documented.set(other[at]!, v);
  }
  const versions = [...documented.entries()].sort((a, b) => compareVersions(b[1], a[1]));
  if (versions.length === 0 || versions.some(([, v]) => compareVersions(v, version) === 0)) return null;
  if (compareVersions(versions[0]![1], version) < 0) return null;
  let successor: string | null = null;
  for (const [name] of versions) {
    const candidate = ['', ...segments.slice(0, at), name, ...segments.slice(at + 1)].join('/');
    const found = spec.byKey.get(`${endpoint.method} ${templateKey(candidate)}`);
    if (found) {
      successor = found.template;
      break;
    }
  }
  return { version: segments[at]!, documented: versions.map(([name]) => name), successor };
}

function retiredPrefix(template: string, prefixes: readonly string[]): string | null {
  for (const raw of prefixes) {
    const prefix = raw.endsWith('/') ? raw.slice(0, -1) : raw;
    if (prefix !== '' && (template === prefix || template.startsWith(`${prefix}/`))) return raw;
  }
  return null;
}

// ---------------------------------------------------------------------------
// evidence

const MASK = '•••';

/**
 * Evidence never carries a value as seen: a path parameter may be a phone
 * number. A value of a known class is masked by that class's convention
 * (sensitive-mask.ts); any other keeps its first and last two characters.
 */
export function maskExample(value: string, name?: string): string {
  const cls = classifyValue(value, name);
  if (cls !== null) return maskValue(cls, value);
  return value.length <= 6 ? MASK : `${value.slice(0, 2)}${MASK}${value.slice(-2)}`;
}

/** Up to three requests as they looked, with parameter values masked. */
function exampleRequests(endpoint: InventoryEndpoint): string[] {
  const learned = endpoint.learned;
  const segments = parseTemplate(endpoint.template);
  const hasParams = segments.some((s) => s.some((t) => t.kind === 'param'));
  if (!learned || !hasParams) return [`${endpoint.method} ${endpoint.host}${endpoint.template}`];
  const out: string[] = [];
  for (let i = 0; i < MAX_EXAMPLE_REQUESTS; i++) {
    let isComplete = true;
    const path = segments.map((segment) => segment.map((t) => {
      if (t.kind === 'static') return t.text;
      const param = learned.params.find((p) => p.name === t.name);
      const value = param?.examples[i];
      if (value === undefined) {
        isComplete = false;
        return `{${t.name}}`;
      }
      return maskExample(value, t.name);
    }).join('')).join('/');
    if (!isComplete && i > 0) break;
    out.push(`${endpoint.method} ${endpoint.host}/${path}`);
  }
  return out;
}

function successes(endpoint: InventoryEndpoint): number {
  return endpoint.statuses['2xx'] ?? 0;
}

/** 2xx or 3xx: the endpoint exists and does something (a redirect to a login page still is one). */
function answers(endpoint: InventoryEndpoint): number {
  return (endpoint.statuses['2xx'] ?? 0) + (endpoint.statuses['3xx'] ?? 0);
}

function unauthenticated(endpoint: InventoryEndpoint): number {
  return endpoint.auth.none ?? 0;
}

/**
 * 2xx answers to requests without credentials: exact when the inventory
 * counts them (unauthenticatedSuccess); otherwise inferred, loosely, from
 * both having happened on the endpoint.
 */
function answersUnauthenticated(endpoint: InventoryEndpoint): boolean {
  if (endpoint.unauthenticatedSuccess !== undefined) return endpoint.unauthenticatedSuccess > 0;
  return successes(endpoint) > 0 && unauthenticated(endpoint) > 0;
}

function share(part: number, whole: number): number {
  return whole > 0 ? Math.round((part / whole) * 1000) / 1000 : 0;
}

function baseEvidence(endpoint: InventoryEndpoint): Record<string, unknown> {
  return {
    requests: endpoint.count,
    statuses: { ...endpoint.statuses },
    auth: { ...endpoint.auth },
    clients: endpoint.clients,
    ...(endpoint.learned ? { templateConfidence: endpoint.learned.confidence } : {}),
  };
}

function endpointLabel(endpoint: InventoryEndpoint): string {
  return `${endpoint.method} ${endpoint.host}${endpoint.template}`;
}

interface FindingParts {
  kind: Finding['kind'];
  severity: Severity;
  detailKey?: string;
  title: string;
  detail: string;
  evidence: Record<string, unknown>;
  operationId: string | null;
}

function endpointFinding(endpoint: InventoryEndpoint, parts: FindingParts): Finding {
  return {
    id: findingId(parts.kind, endpoint.host, endpoint.method, endpoint.template, parts.detailKey),
    kind: parts.kind,
    severity: parts.severity,
    host: endpoint.host,
    method: endpoint.method,
    template: endpoint.template,
    operationId: parts.operationId,
    title: parts.title,
    detail: parts.detail,
    evidence: parts.evidence,
    firstSeen: endpoint.firstSeen > 0 ? endpoint.firstSeen : null,
    lastSeen: endpoint.lastSeen > 0 ? endpoint.lastSeen : null,
  };
}

// ---------------------------------------------------------------------------
// exposure

/**
 * Query parameter names that carry an identifier (the thing an enumeration
 * iterates over): '*id', 'uuid', 'phone', 'email', 'user', 'account', ...
 * as a whole name or its last word ('user_id', 'userId', 'phoneNumber').
 */
const IDENTIFIER_NAME = /(?:^|[_.-])(?:id|ids|uuid|guid|key|phone|msisdn|mobile|tel|email|mail|user|username|login|account|acct|number|no|ssn|iban|card|customer|order)$|[a-z0-9](?:Id|ID|Ids|Uuid|Number|Phone|Email|Msisdn)$/;

/** Where the caller supplies an identifier: path parameters, id-like query parameters, sensitive values sent. */
function identifiersOf(endpoint: InventoryEndpoint): string[] {
  const out: string[] = [];
  for (const segment of parseTemplate(routablePath(endpoint.template).path)) {
    for (const token of segment) if (token.kind === 'param') out.push(`path {${token.name}}`);
  }
  for (const name of Object.keys(endpoint.query)) {
    if (IDENTIFIER_NAME.test(name) || IDENTIFIER_NAME.test(name.toLowerCase())) out.push(`query ${name}`);
  }
  for (const [cls, seen] of Object.entries(endpoint.dataClasses)) {
    if (seen.request > 0) out.push(`request ${cls}`);
  }
  return out;
}

/** Personal, financial or credential: every class the audit has a kind for (KIND_OF_CLASS); 'ip' is not one. */
function isSevereClass(cls: string): boolean {
  return isDataClass(cls) && KIND_OF_CLASS[cls] !== null;
}

function exposureOf(endpoint: InventoryEndpoint, isDocumented: boolean, operationId: string | null): Finding | null {
  const none = unauthenticated(endpoint);
  if (none === 0) return null;
  const exposed = Object.entries(endpoint.dataClasses)
    .filter((entry): entry is [string, DataClassSeen] => entry[1] !== undefined && entry[1].unauthenticatedResponse > 0)
    .sort((a, b) => b[1].unauthenticatedResponse - a[1].unauthenticatedResponse);
  // a lookup keyed by personal data in the path or query, answered 2xx without credentials: an
  // existence oracle even when the answer holds no such value ("does this number have an account?")
  const lookups = Object.entries(endpoint.dataClasses)
    .filter((entry): entry is [string, DataClassSeen] => entry[1] !== undefined && (entry[1].unauthenticatedLookup ?? 0) > 0 && isSevereClass(entry[0]))
    .map(([cls]) => cls);
  if (exposed.length === 0) return lookups.length > 0 ? lookupExposureOf(endpoint, isDocumented, operationId, none, lookups) : null;
  const severe = exposed.filter(([cls]) => isSevereClass(cls)).map(([cls]) => cls);
  const identifiers = identifiersOf(endpoint);
  const isEnumerable = identifiers.length > 0;
  let severity: Severity;
  if (severe.length > 0 && isEnumerable) severity = 'critical';
  else if (severe.length > 0 || !isDocumented) severity = 'high';
  else severity = 'medium';

  const classes = exposed.map(([cls]) => cls);
  const label = endpointLabel(endpoint);
  const title = `${label} returns ${classes.join(', ')} to unauthenticated callers`
    + (isEnumerable && severe.length > 0 ? ', keyed by a caller-supplied identifier' : '');
  const why = [
    `${none} of ${endpoint.count} requests carried no credentials and ${successes(endpoint)} were answered 2xx;`,
    `responses to unauthenticated requests held ${classes.join(', ')}.`,
    isEnumerable && severe.length > 0
      ? `The caller chooses the record (${identifiers.join(', ')}), so anyone can enumerate it: this is the shape of the account-lookup breach that leaked 33 million phone numbers.`
      : '',
    isDocumented ? '' : 'The endpoint is not in the documents, so nobody reviewed its access control.',
  ].filter((s) => s !== '').join(' ');
  const todo = 'Require authentication and an authorisation check on the record at the gateway (deny by default), rate-limit it per client and per identifier, and check whether the data was already harvested (distinct clients, request volume over time).';
  return endpointFinding(endpoint, {
    kind: 'exposure',
    severity,
    operationId,
    title,
    detail: `${why} ${todo}`,
    evidence: {
      ...baseEvidence(endpoint),
      unauthenticated: none,
      unauthenticatedShare: share(none, endpoint.count),
      successful: successes(endpoint),
      ...(endpoint.unauthenticatedSuccess !== undefined ? { unauthenticatedSuccess: endpoint.unauthenticatedSuccess } : {}),
      documented: isDocumented,
      identifiers,
      classes: Object.fromEntries(exposed.map(([cls, seen]) => [cls, {
        unauthenticatedResponses: seen.unauthenticatedResponse,
        responses: seen.response,
        requests: seen.request,
        paths: [...seen.paths],
        examples: [...seen.examples],
      }])),
      exampleRequests: exampleRequests(endpoint),
    },
  });
}

/** The reference breach's shape: callers choose a phone number (or email, …) and learn about its account. */
function lookupExposureOf(endpoint: InventoryEndpoint, isDocumented: boolean, operationId: string | null, none: number, classes: readonly string[]): Finding {
  const label = endpointLabel(endpoint);
  const lookedUp = Object.fromEntries(classes.map((cls) => {
    const seen = endpoint.dataClasses[cls]!;
    return [cls, { unauthenticatedLookups: seen.unauthenticatedLookup ?? 0, requests: seen.request, paths: [...seen.paths], examples: [...seen.examples] }];
  }));
  return endpointFinding(endpoint, {
    kind: 'exposure',
    severity: 'critical',
    operationId,
    title: `${label} answers lookups by ${classes.join(', ')} to unauthenticated callers`,
    detail: [
      `${none} of ${endpoint.count} requests carried no credentials and ${successes(endpoint)} were answered 2xx;`,
      `callers put ${classes.join(', ')} values in the path or query and got an answer about them.`,
      'Anyone can test numbers (or addresses) one by one and learn which have an account: this is the shape of the account-lookup breach that leaked 33 million phone numbers.',
      isDocumented ? '' : 'The endpoint is not in the documents, so nobody reviewed its access control.',
      'Require authentication at the gateway (deny by default), limit it per client and per looked-up value (rateLimits with key path.<param>), and check whether it was already enumerated (distinct values per client, miss ratio).',
    ].filter((s) => s !== '').join(' '),
    evidence: {
      ...baseEvidence(endpoint),
      unauthenticated: none,
      unauthenticatedShare: share(none, endpoint.count),
      successful: successes(endpoint),
      documented: isDocumented,
      identifiers: identifiersOf(endpoint),
      lookups: lookedUp,
      exampleRequests: exampleRequests(endpoint),
    },
  });
}

// ---------------------------------------------------------------------------
// drift

function isShape(value: unknown): value is Shape {
  return typeof value === 'object' && value !== null && typeof (value as { types?: unknown }).types === 'object'
    && (value as { types?: unknown }).types !== null;
}

function shapeValues(shape: Shape): number {
  let n = 0;
  for (const count of Object.values(shape.types)) n += count ?? 0;
  return n;
}

function typesOf(shape: Shape): string {
  return Object.entries(shape.types).filter(([, n]) => (n ?? 0) > 0).map(([t]) => t).join('|');
}

interface DriftContext {
  readonly diffShapes: ShapeDiff;
  readonly maxItems: number;
}

/** Query parameter names an apiKey security scheme reads from the query (OAS 3.x "Security Scheme Object", in: query): not undocumented. */
function queryKeyNames(document: LoadedDocument | undefined): Set<string> {
  const out = new Set<string>();
  for (const scheme of document?.securitySchemes?.values() ?? []) {
    if (scheme.type === 'apiKey' && scheme.in === 'query' && scheme.paramName !== null) out.add(scheme.paramName);
  }
  return out;
}

function queryDrift(endpoint: InventoryEndpoint, operation: Operation, document: LoadedDocument | undefined, ctx: DriftContext): Finding | null {
  const documented = new Set(operation.parameters.filter((p) => p.in === 'query').map((p) => p.name));
  for (const name of queryKeyNames(document)) documented.add(name);
  const undocumented = Object.entries(endpoint.query).filter(([name]) => !documented.has(name));
  if (undocumented.length === 0) return null;
  const items: DriftItem[] = undocumented.slice(0, ctx.maxItems).map(([name, types]) => ({
    path: `query.${name}`,
    kind: 'undocumented-field',
    observed: Object.keys(types).join('|'),
  }));
  const names = undocumented.map(([name]) => name);
  return endpointFinding(endpoint, {
    kind: 'drift',
    severity: 'low',
    detailKey: 'query',
    operationId: operation.operationId,
    title: `${endpointLabel(endpoint)} receives undocumented query parameters: ${abbreviate(names)}`,
    detail: 'Clients send query parameters that the operation does not declare (OAS 3.x "Parameter Object", in: query). Either the server reads them (a hidden feature, or a debug switch: document or remove it) or clients send them for nothing. Undocumented inputs escape request validation.',
    evidence: { ...baseEvidence(endpoint), items, requestsWithParameter: Object.fromEntries(undocumented.map(([n, t]) => [n, sum(Object.values(t))])) },
  });
}

function sum(values: readonly number[]): number {
  let n = 0;
  for (const v of values) n += v;
  return n;
}

function abbreviate(names: readonly string[], max = 5): string {
  const shown = names.slice(0, max).join(', ');
  return names.length > max ? `${shown} and ${names.length - max} more` : shown;
}

const EXACT_STATUS = /^[1-5]\d\d$/;
const STATUS_CLASS = /^[1-5]xx$/i;

/**
 * Statuses answered that the operation does not document. Exact codes are
 * known for sampled responses (the keys of responseShapes), classes for
 * all ('2xx'); a code is documented by itself, its range or `default`
 * (documentedResponseFor), a class by any documented code or range in it, or
 * `default`. 1xx and "no response" ('0') are not answers a document lists.
 */
function statusDrift(endpoint: InventoryEndpoint, details: OperationDetails): Finding | null {
  const undocumented: Array<{ status: string; count: number | null }> = [];
  const reportedClasses = new Set<string>();
  for (const status of Object.keys(endpoint.responseShapes)) {
    if (!EXACT_STATUS.test(status) || status.startsWith('1')) continue;
    if (documentedResponseFor(details, status) === null) {
      undocumented.push({ status, count: null });
      reportedClasses.add(status[0]!);
    }
  }
  const hasDefault = details.responses.some((r) => r.status === 'default');
  for (const [cls, count] of Object.entries(endpoint.statuses)) {
    if (!STATUS_CLASS.test(cls) || cls.startsWith('1') || count <= 0 || hasDefault) continue;
    const digit = cls[0]!;
    if (reportedClasses.has(digit) || details.responses.some((r) => r.status.startsWith(digit))) continue;
    undocumented.push({ status: cls.toLowerCase(), count });
  }
  if (undocumented.length === 0) return null;
  const hasServerErrors = undocumented.some((u) => u.status.startsWith('5'));
  const statuses = undocumented.map((u) => u.status);
  return endpointFinding(endpoint, {
    kind: 'drift',
    severity: hasServerErrors ? 'medium' : 'low',
    detailKey: 'status',
    operationId: details.operationId,
    title: `${endpointLabel(endpoint)} answers undocumented statuses: ${abbreviate(statuses)}`,
    detail: `The operation documents ${details.responses.map((r) => r.status).join(', ') || 'no response'}, but answered ${statuses.join(', ')}. `
      + (hasServerErrors
        ? 'Server errors may be faults triggered from outside (malformed input, fuzzing) and can leak internals: look at them first. '
        : '')
      + 'Document the statuses the operation really answers (OAS 3.x "Responses Object"), or fix the server.',
    evidence: {
      ...baseEvidence(endpoint),
      documented: details.responses.map((r) => r.status),
      undocumented,
    },
  });
}

function responseDrift(endpoint: InventoryEndpoint, details: OperationDetails, ctx: DriftContext): Finding[] {
  const out: Finding[] = [];
  for (const [status, shape] of Object.entries(endpoint.responseShapes)) {
    if (!isShape(shape) || shapeValues(shape) === 0) continue;
    const documented = documentedResponseFor(details, status);
    if (documented === null) continue; // reported by statusDrift
    let items: DriftItem[];
    if (documented.jsonSchema !== null && documented.jsonSchema !== undefined) {
      items = [...ctx.diffShapes(documented.jsonSchema, shape)];
    } else if (documented.mediaTypes.length === 0) {
      // OAS 3.x "Response Object": no `content` documents a response without a body.
      items = [{ path: '(body)', kind: 'undocumented-field', documented: 'no content', observed: typesOf(shape) }];
    } else {
      continue; // a body in another media type: nothing to compare a JSON shape with
    }
    if (items.length === 0) continue;
    const kept = items.slice(0, ctx.maxItems);
    const fields = items.filter((i) => i.kind === 'undocumented-field');
    const mismatches = items.filter((i) => i.kind === 'type-mismatch');
    const missing = items.filter((i) => i.kind === 'missing-required');
    const parts = [
      fields.length > 0 ? `${fields.length} undocumented field${fields.length === 1 ? '' : 's'} (${abbreviate(fields.map((i) => i.path), 3)})` : '',
      mismatches.length > 0 ? `${mismatches.length} type mismatch${mismatches.length === 1 ? '' : 'es'}` : '',
      missing.length > 0 ? `${missing.length} missing required field${missing.length === 1 ? '' : 's'}` : '',
    ].filter((s) => s !== '');
    out.push(endpointFinding(endpoint, {
      kind: 'drift',
      severity: fields.length > 0 ? 'medium' : 'low',
      detailKey: `response ${status}`,
      operationId: details.operationId,
      title: `${endpointLabel(endpoint)} ${status} responses differ from the document: ${parts.join(', ')}`,
      detail: (fields.length > 0
        ? 'The responses carry fields the document does not declare: data beyond the contract reaches clients unreviewed (OWASP API3:2023, broken object property level authorization). Remove them from the response, or document them after review. '
        : '')
        + `Compared with the documented ${documented.status} response schema; the observed shape comes from ${shapeValues(shape)} sampled responses.`,
      evidence: {
        ...baseEvidence(endpoint),
        status,
        documentedStatus: documented.status,
        sampled: shapeValues(shape),
        items: kept,
        ...(items.length > kept.length ? { itemsOmitted: items.length - kept.length } : {}),
      },
    }));
  }
  return out;
}

// ---------------------------------------------------------------------------
// the diff

interface Observation {
  readonly since: number | null;
  readonly requests: number;
  readonly now: number | null;
  readonly isYoung: boolean;
}

/**
 * Young: observed for less than `youngAgeMs` (default 7 days, so that a
 * weekly job has had a chance to run) or fewer than `youngRequests`
 * requests (default 1000). Until then, an operation not seen is as likely
 * rare as unused, and an orphan is only info.
 */
function observationOf(endpoints: readonly InventoryEndpoint[], options: DiffInventoryOptions): Observation {
  let earliest: number | null = null;
  let latest: number | null = null;
  let requests = 0;
  for (const e of endpoints) {
    if (e.firstSeen > 0 && (earliest === null || e.firstSeen < earliest)) earliest = e.firstSeen;
    if (e.lastSeen > 0 && (latest === null || e.lastSeen > latest)) latest = e.lastSeen;
    requests += e.count;
  }
  const since = options.observation?.since ?? earliest;
  const total = options.observation?.requests ?? requests;
  const now = options.now ?? latest;
  const age = since === null || now === null ? 0 : now - since;
  const isYoung = age < (options.youngAgeMs ?? DEFAULT_YOUNG_AGE_MS) || total < (options.youngRequests ?? DEFAULT_YOUNG_REQUESTS);
  return { since, requests: total, now, isYoung };
}

/**
 * Compares an inventory with the documents. Returns the findings, most
 * severe first (sortFindings). Pure: the same input gives the same
 * findings, ids included.
 */
/**
 * The index of a set of documents (a route table of every operation) is
 * built once per set: callers that diff again and again (the console, the
 * finding alerts) pass the same loaded array, and building the router of
 * 10,000 operations is most of a diff's time.
 */
const specIndexes = new WeakMap<readonly LoadedDocument[], SpecIndex>();
function indexSpecCached(documents: readonly LoadedDocument[]): SpecIndex {
  let index = specIndexes.get(documents);
  if (index === undefined) {
    index = indexSpec(documents);
    specIndexes.set(documents, index);
  }
  return index;
}

export function diffInventory(
  endpoints: readonly InventoryEndpoint[],
  documents: SpecDocuments,
  options: DiffInventoryOptions = {},
): Finding[] {
  const current = indexSpecCached(documents.current);
  const previous = documents.previous && documents.previous.length > 0 ? indexSpecCached(documents.previous) : null;
  const details = documents.details ?? new Map<string, OperationDetails>();
  const isPreflightDocumented = options.isPreflightDocumented ?? true;
  const ctx: DriftContext = {
    diffShapes: options.diffShapes ?? ((schema, shape) => jsonShapeDiff(schema, shape, { direction: 'response' })),
    maxItems: options.maxDriftItems ?? DEFAULT_MAX_DRIFT_ITEMS,
  };

  const findings: Finding[] = [];
  const observed = new Set<Operation>();
  const matches = new Map<InventoryEndpoint, Documented | null>();
  for (const endpoint of endpoints) {
    const match = matchDocumented(endpoint, current, isPreflightDocumented);
    matches.set(endpoint, match);
    for (const operation of match?.operations ?? []) observed.add(operation);
  }
  const covered = coverage(endpoints.filter((e) => matches.get(e) === null), current.table.operations);
  for (const operations of covered.values()) for (const operation of operations) observed.add(operation);

  for (const endpoint of endpoints) {
    const match = matches.get(endpoint) ?? null;
    if (match) findings.push(...documentedFindings(endpoint, match, current, details, ctx));
    else findings.push(...undocumentedFindings(endpoint, current, previous, covered.get(endpoint) ?? [], options));
  }

  const observation = observationOf(endpoints, options);
  for (const operation of current.table.operations) {
    if (!observed.has(operation)) findings.push(orphanOf(operation, details.get(operationKey(operation.method, operation.template)), observation));
  }
  return sortFindings(findings);
}

function documentedFindings(
  endpoint: InventoryEndpoint,
  match: Documented,
  spec: SpecIndex,
  details: ReadonlyMap<string, OperationDetails>,
  ctx: DriftContext,
): Finding[] {
  const out: Finding[] = [];
  const { operation } = match;
  const operationId = operation?.operationId ?? null;
  const detail = operation ? details.get(operationKey(operation.method, operation.template)) : undefined;

  // zombie
  const reasons: ZombieReason[] = [];
  const dates: Record<string, string> = {};
  for (const o of match.operations) {
    const d = details.get(operationKey(o.method, o.template));
    if (o.deprecated && !reasons.includes('deprecated')) reasons.push('deprecated');
    if (d?.isPathDeprecated && !reasons.includes('path-deprecated')) reasons.push('path-deprecated');
    const sunset = d?.sunset ?? stringExtension(o.extensions['x-sunset']);
    const deprecatedAt = d?.deprecatedAt ?? stringExtension(o.extensions['x-deprecated-at']);
    if (sunset !== null) dates.sunset = sunset;
    if (deprecatedAt !== null) dates.deprecatedAt = deprecatedAt;
    // RFC 8594 §3: after the Sunset time the resource is expected to stop
    // answering; an answer seen after it is the zombie's proof of life.
    const sunsetMs = dateOf(sunset);
    if (sunsetMs !== null && endpoint.lastSeen > sunsetMs && !reasons.includes('sunset-passed')) reasons.push('sunset-passed');
    // RFC 9745 §2.1: a Deprecation date in the past means it is deprecated now.
    const deprecatedMs = dateOf(deprecatedAt);
    if (deprecatedMs !== null && endpoint.lastSeen >= deprecatedMs && !o.deprecated && !reasons.includes('deprecated-at-passed')) {
      reasons.push('deprecated-at-passed');
    }
  }
  if (endpoint.deprecationHeaders > 0) reasons.push('deprecation-headers');
  if (reasons.length > 0) out.push(zombieOf(endpoint, reasons, { documented: true, operationId, ...dates }));

  // drift: only against one operation, reached by its own template or id
  if (operation && match.how !== 'path' && match.how !== 'preflight') {
    const query = queryDrift(endpoint, operation, spec.documentOf.get(operation), ctx);
    if (query) out.push(query);
    if (detail) {
      const status = statusDrift(endpoint, detail);
      if (status) out.push(status);
      out.push(...responseDrift(endpoint, detail, ctx));
    }
  }

  const exposure = exposureOf(endpoint, true, operationId);
  if (exposure) out.push(exposure);
  return out;
}

function undocumentedFindings(
  endpoint: InventoryEndpoint,
  current: SpecIndex,
  previous: SpecIndex | null,
  covers: readonly Operation[],
  options: DiffInventoryOptions,
): Finding[] {
  const out: Finding[] = [];
  const reasons: ZombieReason[] = [];
  const extra: Record<string, unknown> = { documented: false };
  const removed = previous ? matchDocumented(endpoint, previous, false) : null;
  if (removed?.operation) {
    reasons.push('removed');
    extra.removedOperation = removed.operation.operationId;
    extra.previousTemplate = removed.operation.template;
  }
  const retired = retiredVersion(endpoint, current);
  if (retired) {
    reasons.push('retired-version');
    extra.version = retired.version;
    extra.documentedVersions = retired.documented;
    if (retired.successor !== null) extra.successor = retired.successor;
  }
  const prefix = retiredPrefix(endpoint.template, options.retiredPrefixes ?? []);
  if (prefix !== null) {
    reasons.push('retired-prefix');
    extra.retiredPrefix = prefix;
  }
  if (endpoint.deprecationHeaders > 0) reasons.push('deprecation-headers');

  if (reasons.length > 0) {
    out.push(zombieOf(endpoint, reasons, extra));
  } else {
    out.push(shadowOf(endpoint, covers));
  }
  const exposure = exposureOf(endpoint, false, null);
  if (exposure) out.push(exposure);
  return out;
}

function zombieOf(endpoint: InventoryEndpoint, reasons: readonly ZombieReason[], extra: Record<string, unknown>): Finding {
  const isAlive = answers(endpoint) > 0;
  const severity: Severity = isAlive ? 'high' : 'medium';
  const label = endpointLabel(endpoint);
  const successor = typeof extra.successor === 'string' ? ` (successor: ${extra.successor})` : '';
  const first = REASON_TEXT[reasons[0]!];
  return endpointFinding(endpoint, {
    kind: 'zombie',
    severity,
    operationId: typeof extra.operationId === 'string' ? extra.operationId : null,
    title: isAlive ? `${label} should be retired but still answers: ${first}` : `${label} should be retired and is still called: ${first}`,
    detail: `${reasons.map((r) => REASON_TEXT[r]).join('; ')}${successor}. `
      + (isAlive
        ? `It answered ${answers(endpoint)} requests with 2xx/3xx from ${endpoint.clients} clients. Retired code is rarely patched or monitored: move the remaining clients, then make it answer 410 Gone (RFC 9110 §15.5.11) or block it at the gateway.`
        : 'It answers only errors, but clients still call it: find them (see clients) and move them on, then remove the route.'),
    evidence: { ...baseEvidence(endpoint), reasons: [...reasons], deprecationHeaders: endpoint.deprecationHeaders, ...extra, exampleRequests: exampleRequests(endpoint) },
  });
}

function shadowOf(endpoint: InventoryEndpoint, covers: readonly Operation[]): Finding {
  const ok = answers(endpoint);
  const none = unauthenticated(endpoint);
  const isOpen = answersUnauthenticated(endpoint);
  const severity: Severity = isOpen ? 'high' : ok > 0 ? 'medium' : 'low';
  const label = endpointLabel(endpoint);
  const coversText = covers.length > 0
    ? ` Its template is more generic than the documented ${covers.map((o) => `${o.method} ${o.template}`).join(', ')}, but it was also called with other values.`
    : '';
  return endpointFinding(endpoint, {
    kind: 'shadow',
    severity,
    operationId: null,
    title: isOpen
      ? `${label} is not documented and answers requests without credentials`
      : ok > 0 ? `${label} is served but not documented` : `${label} is called but not documented (never answered 2xx/3xx)`,
    detail: (ok > 0
      ? `Nothing in the documents matches it, yet it answered ${ok} of ${endpoint.count} requests with 2xx/3xx${isOpen ? `, and ${none} requests carried no credentials` : ''}. An endpoint nobody documented is an endpoint nobody reviewed: document it (exportOpenApi drafts the entry) and give it an access rule, or block it at the gateway.`
      : `Nothing in the documents matches it and it never answered 2xx/3xx: likely probing or stale clients. Confirm it is blocked.`)
      + coversText,
    evidence: {
      ...baseEvidence(endpoint),
      unauthenticated: none,
      ...(endpoint.unauthenticatedSuccess !== undefined ? { unauthenticatedSuccess: endpoint.unauthenticatedSuccess } : {}),
      ...(covers.length > 0 ? { covers: covers.map((o) => `${o.method} ${o.template}`) } : {}),
      ...(endpoint.operationId !== null ? { inventoryOperationId: endpoint.operationId } : {}),
      exampleRequests: exampleRequests(endpoint),
    },
  });
}

function orphanOf(operation: Operation, detail: OperationDetails | undefined, observation: Observation): Finding {
  const isDeprecated = operation.deprecated || detail?.isPathDeprecated === true;
  const severity: Severity = observation.isYoung || isDeprecated ? 'info' : 'low';
  const ageDays = observation.since === null || observation.now === null ? 0 : Math.round(((observation.now - observation.since) / DAY_MS) * 10) / 10;
  return {
    id: findingId('orphan', '', operation.method, operation.template),
    kind: 'orphan',
    severity,
    host: '',
    method: operation.method,
    template: operation.template,
    operationId: operation.operationId,
    title: `${operation.method} ${operation.template} is documented but was never observed`,
    detail: isDeprecated
      ? 'It is deprecated and nobody calls it: remove it from the server and the document.'
      : observation.isYoung
        ? `The inventory is young (${ageDays} days, ${observation.requests} requests): it may just be rare. Look again later.`
        : `Not one of ${observation.requests} requests in ${ageDays} days reached it. Either it is unused (remove it: every served route is attack surface) or its traffic does not pass the gateway (check the routing).`,
    evidence: {
      source: operation.source,
      deprecated: isDeprecated,
      inventoryAgeDays: ageDays,
      inventoryRequests: observation.requests,
      isYoung: observation.isYoung,
    },
    firstSeen: null,
    lastSeen: null,
  };
}
