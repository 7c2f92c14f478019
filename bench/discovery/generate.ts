/**
 * Traffic from a document: the document's endpoints, and for one level of
 * "requests per endpoint" a reproducible, shuffled list of requests, each
 * labelled with the endpoint it was made for. The label is for the scorer
 * only; what a reconstruction sees is (method, host, path, query, status).
 *
 * How many requests each endpoint gets (README: "Traffic"):
 *   total = round(mean × endpoints); the endpoints are ranked in a seeded
 *   random order, the same at every level, and endpoint of rank r gets a
 *   share ∝ 1/r^s (s = 1, Zipf, as API traffic is in life), apportioned by
 *   largest remainder so that the counts are exact, not lucky. At a mean of
 *   m the least popular endpoint expects m/H(E) requests (H = harmonic
 *   number: ≈ 7.7 for 1,200 endpoints), so at 100 every endpoint of any real
 *   document gets some; at 1 about half of them get none, and an endpoint
 *   with no request is left out of recall (nothing could learn it).
 */

import { parseTemplate, type TemplateSegment } from '../../src/openapi/template.ts';
import type { SpecDocument, SpecOperation, SpecParameter } from './spec-operations.ts';
import { apportion, createRandom, shuffle, type Random } from './random.ts';
import { compileMatcher, encodeSegment, endpointKey, type TemplateMatcher } from './template-match.ts';
import { classifyParameter } from './value-kinds.ts';
import type { ValueSource } from './values.ts';

export interface DocumentEndpoint {
  /** `GET /v1/customers/{}` */
  key: string;
  method: string;
  /** the template as the document writes it (the first operation with this key) */
  template: string;
  operation: SpecOperation;
  /** a path parameter of this endpoint takes only the values of an enum (or true/false) */
  hasEnumParameter: boolean;
}

export interface TrafficRequest {
  method: string;
  host: string;
  /** percent-encoded, without the query */
  path: string;
  query: string | null;
  status: number;
  /** index of the endpoint it was made for (the scorer's ground truth; never shown to a reconstruction) */
  endpoint: number;
  /**
   * The endpoint's key with its enum path parameters replaced by this
   * request's values (`GET /repos/{}/{}/tarball` for `…/{archive_format}`);
   * the endpoint's key itself when it has none. Scorer only.
   */
  enumLiteralKey: string;
}

/** The skew of requests over endpoints (1 = Zipf). */
export const ENDPOINT_ZIPF_S = 1;
/** Share of requests that carry optional query parameters. */
const QUERY_SHARE = 0.3;
/** Share of requests answered with a client error. */
const ERROR_SHARE = 0.05;
/** Draws tried before giving up on a path that routes to another endpoint. */
const MAX_REDRAWS = 20;

export interface Endpoints {
  endpoints: DocumentEndpoint[];
  /** operations whose key another operation already had (`/users/{id}` and `/users/{name}`), set aside */
  duplicates: string[];
  matcher: TemplateMatcher;
}

export function documentEndpoints(doc: SpecDocument): Endpoints {
  const byKey = new Map<string, DocumentEndpoint>();
  const duplicates: string[] = [];
  for (const operation of doc.operations) {
    const key = endpointKey(operation.method, operation.template);
    if (byKey.has(key)) {
      duplicates.push(`${operation.method} ${operation.template}`);
      continue;
    }
    byKey.set(key, {
      key,
      method: operation.method,
      template: operation.template,
      operation,
      hasEnumParameter: pathParameters(operation).some(({ param, isAfterDot }) => isEnumParameter(param, isAfterDot)),
    });
  }
  const endpoints = [...byKey.values()];
  return { endpoints, duplicates, matcher: compileMatcher(endpoints) };
}

/** The path parameters of the operation's template, declared or not (an undeclared one is a free string). */
function pathParameters(operation: SpecOperation): Array<{ param: SpecParameter; isAfterDot: boolean }> {
  const out: Array<{ param: SpecParameter; isAfterDot: boolean }> = [];
  for (const segment of parseTemplate(operation.template)) {
    segment.forEach((token, i) => {
      if (token.kind === 'param') out.push({ param: declared(operation, token.name), isAfterDot: isAfterDot(segment, i) });
    });
  }
  return out;
}

/** Does the parameter take only the values of an enum (or true/false), listed in the document? */
function isEnumParameter(param: SpecParameter, isAfterDot: boolean): boolean {
  const cache = isAfterDot ? enumAfterDot : enumAlone;
  let known = cache.get(param);
  if (known === undefined) {
    known = classifyParameter(param, '', isAfterDot)[0]?.kind === 'enum';
    cache.set(param, known);
  }
  return known;
}

const enumAlone = new WeakMap<SpecParameter, boolean>();
const enumAfterDot = new WeakMap<SpecParameter, boolean>();

/** Does the parameter at `i` follow a '.' inside its segment (`stream.{container}`, `{id}.{format}`)? */
function isAfterDot(segment: TemplateSegment, i: number): boolean {
  const before = segment[i - 1];
  return before !== undefined && before.kind === 'static' && before.text.endsWith('.');
}

const undeclared = new WeakMap<SpecOperation, Map<string, SpecParameter>>();

function declared(operation: SpecOperation, name: string): SpecParameter {
  const found = operation.parameters.find((p) => p.in === 'path' && p.name === name);
  if (found !== undefined) return found;
  let map = undeclared.get(operation);
  if (map === undefined) {
    map = new Map();
    undeclared.set(operation, map);
  }
  let param = map.get(name);
  if (param === undefined) {
    param = { name, in: 'path', required: true, schema: { type: 'string' }, description: '', examples: [] };
    map.set(name, param);
  }
  return param;
}

/** Requests per endpoint for one level (see the module comment). */
export function allocate(endpointCount: number, mean: number, seed: string): number[] {
  const ranking = shuffle(Array.from({ length: endpointCount }, (_, i) => i), createRandom(`${seed}|ranking`));
  const weights = new Array<number>(endpointCount).fill(0);
  ranking.forEach((endpoint, rank) => {
    weights[endpoint] = 1 / (rank + 1) ** ENDPOINT_ZIPF_S;
  });
  return apportion(Math.round(mean * endpointCount), weights);
}

export interface Traffic {
  requests: TrafficRequest[];
  /** requests whose first draw routed to another endpoint and were drawn again */
  redraws: number;
  /** requests dropped because no draw routed back to their endpoint */
  dropped: number;
}

export function generateTraffic(doc: SpecDocument, endpoints: Endpoints, values: ValueSource, mean: number, seed: string): Traffic {
  const counts = allocate(endpoints.endpoints.length, mean, seed);
  const random = createRandom(`${seed}|level ${mean}`);
  const requests: TrafficRequest[] = [];
  let redraws = 0;
  let dropped = 0;
  endpoints.endpoints.forEach((endpoint, index) => {
    const segments = parseTemplate(endpoint.template);
    const queryParams = endpoint.operation.parameters.filter((p) => p.in === 'query');
    for (let n = 0; n < (counts[index] as number); n++) {
      let built: BuiltPath | null = null;
      for (let attempt = 0; attempt < MAX_REDRAWS && built === null; attempt++) {
        const candidate = buildPath(endpoint.operation, segments, values, random);
        if (endpoints.matcher.match(endpoint.method, candidate.path) === index) built = candidate;
        else redraws++;
      }
      if (built === null) {
        dropped++;
        continue;
      }
      requests.push({
        method: endpoint.method,
        host: doc.host,
        path: built.path,
        query: buildQuery(queryParams, segments, values, random),
        status: statusFor(endpoint.operation, random),
        endpoint: index,
        enumLiteralKey: endpoint.hasEnumParameter ? endpointKey(endpoint.method, built.enumLiteral) : endpoint.key,
      });
    }
  });
  return { requests: shuffle(requests, random), redraws, dropped };
}

interface BuiltPath {
  path: string;
  /** the template with its enum parameters replaced by the values drawn for them */
  enumLiteral: string;
}

function buildPath(operation: SpecOperation, segments: readonly TemplateSegment[], values: ValueSource, random: Random): BuiltPath {
  let previous = '';
  let path = '';
  let enumLiteral = '';
  for (const segment of segments) {
    let text = '';
    let literal = '';
    segment.forEach((token, i) => {
      if (token.kind === 'static') {
        const encoded = encodeSegment(token.text);
        text += encoded;
        literal += encoded;
        return;
      }
      const param = declared(operation, token.name);
      const afterDot = isAfterDot(segment, i);
      const value = encodeSegment(values.draw(param, previous, random, afterDot));
      text += value;
      // a value with braces would read as a parameter in a template: keep the parameter
      literal += isEnumParameter(param, afterDot) && !/[{}]/.test(value) ? value : '{}';
    });
    if (segment.every((t) => t.kind === 'static')) previous = text;
    path += `/${text}`;
    enumLiteral += `/${literal}`;
  }
  return path === '' ? { path: '/', enumLiteral: '/' } : { path, enumLiteral };
}

/** Required query parameters always; optional ones (one to three) on a share of requests. */
function buildQuery(params: readonly SpecParameter[], segments: readonly TemplateSegment[], values: ValueSource, random: Random): string | null {
  const required = params.filter((p) => p.schema.type !== 'object' && p.required);
  const optional = params.filter((p) => p.schema.type !== 'object' && !p.required);
  const chosen = [...required];
  if (optional.length > 0 && random.chance(QUERY_SHARE)) {
    const k = random.int(1, Math.min(3, optional.length));
    chosen.push(...shuffle([...optional], random).slice(0, k));
  }
  if (chosen.length === 0) return null;
  const context = segments.at(-1)?.map((t) => (t.kind === 'static' ? t.text : '')).join('') ?? '';
  return chosen.map((p) => `${encodeURIComponent(p.name)}=${encodeURIComponent(values.draw(p, context, random))}`).join('&');
}

function statusFor(operation: SpecOperation, random: Random): number {
  const documented = [...operation.statuses].sort((a, b) => a - b);
  if (random.chance(ERROR_SHARE)) {
    const clientErrors = documented.filter((s) => s >= 400 && s < 500);
    return clientErrors.includes(404) ? 404 : (clientErrors[0] ?? 404);
  }
  return documented.find((s) => s >= 200 && s < 300) ?? 200;
}
