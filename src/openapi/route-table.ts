/**
 * The operation table of one upstream: every operation of its documents in
 * find-my-way radix trees (static text before parameters, backtracking when
 * a deeper segment fails), built once at start-up and never changed.
 *
 * find-my-way, not a home-made matcher: it is the router of fastify, with
 * years of fixes for precedence, decoding and pathological paths. This
 * module only adapts OpenAPI templates to it (template.ts) and covers three
 * gaps: parameter names it cannot carry, an empty last segment matching a
 * parameter, and HEAD answered by GET.
 */

import FindMyWay from 'find-my-way';
import type { LoadedDocument, Operation, RouteMatch, RouteTable } from './types.ts';
import { parseTemplate, routablePath, routeKey, toFindMyWayRoute, type FindMyWayRoute } from './template.ts';

export interface CompileRouteTableOptions {
  /**
   * `/users/` matches `/users` and the reverse. Off by default: RFC 3986
   * §6.2.3 leaves them different resources, and OpenAPI templates are exact.
   */
  readonly ignoreTrailingSlash?: boolean;
  /**
   * The longest value of one path parameter; a longer one does not match.
   * It also bounds the input of the regexes of in-segment templates.
   * Default 512: find-my-way's own default (100) is short for real ids.
   */
  readonly maxParamLength?: number;
}

const DEFAULT_MAX_PARAM_LENGTH = 512;

/** The store of a find-my-way route. */
interface RouteEntry {
  readonly operation: Operation;
  readonly route: FindMyWayRoute;
}

type Router = FindMyWay.Instance<FindMyWay.HTTPVersion.V1>;
type HttpMethod = FindMyWay.HTTPMethod;
type Found = FindMyWay.FindResult<FindMyWay.HTTPVersion.V1>;

/** The HTTP methods of OAS 3.x "Path Item Object" (Swagger 2.0's minus trace). */
const ROUTABLE_METHODS: ReadonlySet<string> = new Set(['GET', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH', 'TRACE']);

// hot path: find-my-way parses the query string of every lookup; the paths
// given here have none, so one shared object answers instead of a new `{}`.
const NO_QUERY = Object.freeze({});
const noQuery = (): Readonly<Record<string, never>> => NO_QUERY;
const noHandler = (): void => {};

/**
 * A pair of trees: `all` holds every route; `endingWithSlash` holds the
 * routes whose template ends with '/', the only ones that can match a path
 * ending with '/' (see CompiledRouteTable.#find).
 */
class Trees {
  readonly all: Router;
  readonly endingWithSlash: Router;

  constructor(options: CompileRouteTableOptions) {
    const config = {
      ignoreTrailingSlash: options.ignoreTrailingSlash ?? false,
      maxParamLength: options.maxParamLength ?? DEFAULT_MAX_PARAM_LENGTH,
      querystringParser: noQuery,
    };
    this.all = FindMyWay(config);
    this.endingWithSlash = FindMyWay(config);
  }

  add(method: HttpMethod, entry: RouteEntry, endsWithSlash: boolean): void {
    this.all.on(method, entry.route.path, noHandler, entry);
    if (endsWithSlash) this.endingWithSlash.on(method, entry.route.path, noHandler, entry);
  }
}

/**
 * Builds the table of one upstream from its documents, in order. When a
 * method and template is declared twice — parameter names aside, in one
 * document or across several — the first is kept and a warning recorded.
 */
export function compileRouteTable(
  documents: readonly LoadedDocument[],
  options: CompileRouteTableOptions = {},
): RouteTable {
  const ignoreTrailingSlash = options.ignoreTrailingSlash ?? false;
  // Every route under its method.
  const byMethod = new Trees(options);
  // Every template once, under GET: tells "wrong method" from "unknown path".
  const byPath = new Trees(options);

  const warnings: string[] = [];
  const operations: Operation[] = [];
  const declared = new Map<string, Operation>(); // "METHOD key" → the operation kept
  const paths = new Set<string>();
  const gets: Array<{ key: string; entry: RouteEntry; endsWithSlash: boolean }> = [];

  for (const document of documents) {
    for (const operation of document.operations) {
      const { method } = operation;
      if (!ROUTABLE_METHODS.has(method)) {
        warnings.push(`${describe(operation)}: ${method} is not an OpenAPI method and is not routed`);
        continue;
      }
      const { path, hadQuery } = routablePath(operation.template);
      if (hadQuery) {
        warnings.push(`${describe(operation)}: the query part of the template is not routed; matched on "${path}"`);
      }
      const segments = parseTemplate(path);
      const key = routeKey(segments, ignoreTrailingSlash);
      const first = declared.get(`${method} ${key}`);
      if (first !== undefined) {
        warnings.push(`${describe(operation)} duplicates ${describe(first)}; the first is kept`);
        continue;
      }
      const entry: RouteEntry = { operation, route: toFindMyWayRoute(segments) };
      // find-my-way trims the final '/' itself with ignoreTrailingSlash.
      const endsWithSlash = !ignoreTrailingSlash && path.length > 1 && path.endsWith('/');
      try {
        byMethod.add(method as HttpMethod, entry, endsWithSlash);
      } catch (err) {
        // find-my-way refuses a route it sees as already declared; the key
        // should have caught that first, so keep going with a warning.
        warnings.push(`${describe(operation)} is not routed: ${(err as Error).message}`);
        continue;
      }
      declared.set(`${method} ${key}`, operation);
      operations.push(operation);
      if (method === 'GET') gets.push({ key, entry, endsWithSlash });
      if (!paths.has(key)) {
        paths.add(key);
        byPath.add('GET', entry, endsWithSlash);
      }
    }
  }

  // RFC 9110 §9.3.2: HEAD is GET without content, so where a template has
  // GET and no HEAD, HEAD is answered with the GET operation. Registered
  // here so that matching stays one lookup, and so that the GET of
  // `/docs/latest` answers HEAD before a declared HEAD of `/docs/{id}`.
  for (const { key, entry, endsWithSlash } of gets) {
    if (!declared.has(`HEAD ${key}`)) byMethod.add('HEAD', entry, endsWithSlash);
  }

  return new CompiledRouteTable(byMethod, byPath, ignoreTrailingSlash, operations, warnings);
}

function describe(operation: Operation): string {
  return `${operation.method} ${operation.template} (${operation.operationId}, ${operation.source})`;
}

class CompiledRouteTable implements RouteTable {
  readonly operations: readonly Operation[];
  readonly warnings: readonly string[];
  readonly #byMethod: Trees;
  readonly #byPath: Trees;
  readonly #ignoreTrailingSlash: boolean;

  constructor(byMethod: Trees, byPath: Trees, ignoreTrailingSlash: boolean, operations: Operation[], warnings: string[]) {
    this.#byMethod = byMethod;
    this.#byPath = byPath;
    this.#ignoreTrailingSlash = ignoreTrailingSlash;
    this.operations = Object.freeze(operations);
    this.warnings = Object.freeze(warnings);
  }

  // hot path: one find-my-way lookup (two for a path ending with '/' that
  // hit a parameter); besides find-my-way's result, only the RouteMatch is
  // allocated, and the renamed parameters for the rare template whose names
  // find-my-way cannot carry.
  match(method: string, path: string): RouteMatch | null {
    const found = this.#find(this.#byMethod, method as HttpMethod, path);
    if (found === null) return null;
    const { operation, route } = found.store as RouteEntry;
    const params = found.params as Record<string, string>;
    return { operation, params: route.rename === null ? params : renameParams(params, route.rename) };
  }

  hasPath(path: string): boolean {
    return this.#find(this.#byPath, 'GET', path) !== null;
  }

  #find(trees: Trees, method: HttpMethod, path: string): Found | null {
    const found = trees.all.find(method, path);
    if (found === null) return null;
    // find-my-way lets a plain parameter match an empty last segment
    // (`/users/` for `/users/{id}`), but a path parameter needs a value
    // (OAS 3.x "Path Templating": a template expression is replaced by the
    // parameter's value; an empty one is not a value of a required
    // parameter). In a canonical path (no `//`) an empty segment can only be
    // the last one, so the cheap check on the last character comes first.
    const { route } = found.store as RouteEntry;
    if (!route.endsWithPlainParam || path.charCodeAt(path.length - 1) !== 47 /* '/' */) return found;
    // With ignoreTrailingSlash, find-my-way already dropped the final '/' of
    // any path but the root, which no template ending with a parameter matches.
    if (this.#ignoreTrailingSlash) return path === '/' ? null : found;
    // Only a template that itself ends with '/' can match: ask their tree.
    return trees.endingWithSlash.find(method, path);
  }
}

/** Gives back the document's parameter names (see toFindMyWayRoute). */
function renameParams(
  params: Record<string, string>,
  rename: NonNullable<FindMyWayRoute['rename']>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [fmwName, name] of rename) {
    const value = params[fmwName];
    if (name !== null && value !== undefined) out[name] = value;
  }
  return out;
}
