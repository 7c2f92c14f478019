/**
 * What the inventory keeps for one endpoint while traffic flows: counters
 * and bounded summaries that can be merged, so that two accumulators whose
 * templates turn out to be one (the templater merged them) become one
 * record. toRecord() renders the InventoryEndpoint that stores and reports
 * read.
 */
import type { DataClass } from './data-classes.ts';
import { ClientCounter } from './client-counter.ts';
import { addSample, emptyShape, mergeShapes, type Shape } from './json-shape.ts';
import { LatencyHistogram } from './latency-histogram.ts';
import type { ClassFinding, SensitiveFindings } from './sensitive-scan.ts';
import type { AuthSeen, DataClassSeen, InventoryEndpoint, LearnedTemplate, ObservedRequest } from './types.ts';

/** query parameter names kept per endpoint (the rest are counted as '(other)') */
const MAX_QUERY_NAMES = 64;
/** content types kept per endpoint and direction */
const MAX_CONTENT_TYPES = 16;
/** response statuses with a shape of their own */
const MAX_SHAPE_STATUSES = 16;
/** paths and masked examples kept per data class */
const MAX_CLASS_PATHS = 8;
const MAX_CLASS_EXAMPLES = 3;
/** example requests kept for evidence */
const MAX_EXAMPLES = 5;

export interface ExampleRequest {
  time: number;
  method: string;
  /** path and query as received, truncated */
  target: string;
  status: number;
  clientIp: string | null;
  auth: AuthSeen | null;
}

interface ClassAccumulator {
  request: number;
  response: number;
  unauthenticatedResponse: number;
  unauthenticatedLookup: number;
  paths: string[];
  examples: string[];
}

export class EndpointStats {
  firstSeen = Number.POSITIVE_INFINITY;
  lastSeen = 0;
  count = 0;
  readonly statuses = new Map<string, number>();
  readonly latency = new LatencyHistogram();
  readonly auth = new Map<AuthSeen, number>();
  readonly query = new Map<string, Map<string, number>>();
  readonly requestContentTypes = new Map<string, number>();
  readonly responseContentTypes = new Map<string, number>();
  requestShape: Shape | null = null;
  readonly responseShapes = new Map<string, Shape>();
  readonly dataClasses = new Map<DataClass, ClassAccumulator>();
  readonly clients = new ClientCounter();
  sampled = 0;
  deprecationHeaders = 0;
  /** requests that were answered 2xx without any credential */
  unauthenticatedSuccess = 0;
  readonly examples: ExampleRequest[] = [];

  /** counts one request (no body inspection: see addSample) */
  add(request: ObservedRequest, auth: AuthSeen | null): void {
    this.count++;
    const time = request.time;
    if (time > 0) {
      if (time < this.firstSeen) this.firstSeen = time;
      if (time > this.lastSeen) this.lastSeen = time;
    }
    const status = statusClass(request.status);
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
    if (request.latencyMs !== null) this.latency.add(request.latencyMs);
    if (auth !== null) {
      this.auth.set(auth, (this.auth.get(auth) ?? 0) + 1);
      if (auth === 'none' && request.status >= 200 && request.status < 300) this.unauthenticatedSuccess++;
    }
    if (request.query !== null && request.query !== '') this.#addQuery(request.query);
    if (request.clientIp !== null) this.clients.add(request.clientIp);
    const headers = request.responseHeaders;
    if (headers !== null && (headers.deprecation !== undefined || headers.sunset !== undefined)) this.deprecationHeaders++;
    if (request.requestBody?.contentType) bump(this.requestContentTypes, mediaType(request.requestBody.contentType), MAX_CONTENT_TYPES);
    const responseType = headers?.['content-type'] ?? request.responseBody?.contentType ?? null;
    if (responseType) bump(this.responseContentTypes, mediaType(responseType), MAX_CONTENT_TYPES);
    if (this.examples.length < MAX_EXAMPLES) {
      const target = request.query === null ? request.path : `${request.path}?${request.query}`;
      this.examples.push({ time, method: request.method, target: target.length > 256 ? `${target.slice(0, 256)}…` : target, status: request.status, clientIp: request.clientIp, auth });
    }
  }

  /**
   * What a sampled request's bodies showed: their JSON shapes and the data
   * classes in them (scanned by the caller). `found` holds request-side and
   * response-side findings separately.
   */
  addSample(
    request: ObservedRequest,
    auth: AuthSeen | null,
    bodies: { requestJson: unknown; responseJson: unknown },
    found: { request: SensitiveFindings; response: SensitiveFindings; lookup: SensitiveFindings },
  ): void {
    this.sampled++;
    if (bodies.requestJson !== undefined) this.requestShape = addSample(this.requestShape ?? emptyShape(), bodies.requestJson);
    if (bodies.responseJson !== undefined) {
      const key = String(request.status);
      const known = this.responseShapes.get(key);
      if (known !== undefined) addSample(known, bodies.responseJson);
      else if (this.responseShapes.size < MAX_SHAPE_STATUSES) this.responseShapes.set(key, addSample(emptyShape(), bodies.responseJson));
    }
    const isOpenSuccess = auth === 'none' && request.status >= 200 && request.status < 300;
    for (const [cls, finding] of found.request) this.#addClass(cls, finding, 'request', false);
    for (const [cls, finding] of found.response) this.#addClass(cls, finding, 'response', isOpenSuccess);
    if (isOpenSuccess) for (const [cls, finding] of found.lookup) this.#classOf(cls).unauthenticatedLookup += finding.count;
  }

  merge(other: EndpointStats): void {
    this.count += other.count;
    if (other.firstSeen < this.firstSeen) this.firstSeen = other.firstSeen;
    if (other.lastSeen > this.lastSeen) this.lastSeen = other.lastSeen;
    for (const [k, v] of other.statuses) this.statuses.set(k, (this.statuses.get(k) ?? 0) + v);
    this.latency.merge(other.latency);
    for (const [k, v] of other.auth) this.auth.set(k, (this.auth.get(k) ?? 0) + v);
    for (const [name, types] of other.query) {
      for (const [type, n] of types) this.#bumpQuery(name, type, n);
    }
    for (const [k, v] of other.requestContentTypes) bump(this.requestContentTypes, k, MAX_CONTENT_TYPES, v);
    for (const [k, v] of other.responseContentTypes) bump(this.responseContentTypes, k, MAX_CONTENT_TYPES, v);
    if (other.requestShape !== null) this.requestShape = this.requestShape === null ? other.requestShape : mergeShapes(this.requestShape, other.requestShape);
    for (const [status, shape] of other.responseShapes) {
      const known = this.responseShapes.get(status);
      if (known !== undefined) this.responseShapes.set(status, mergeShapes(known, shape));
      else if (this.responseShapes.size < MAX_SHAPE_STATUSES) this.responseShapes.set(status, shape);
    }
    for (const [cls, acc] of other.dataClasses) {
      const into = this.#classOf(cls);
      into.request += acc.request;
      into.response += acc.response;
      into.unauthenticatedResponse += acc.unauthenticatedResponse;
      into.unauthenticatedLookup += acc.unauthenticatedLookup;
      addCapped(into.paths, acc.paths, MAX_CLASS_PATHS);
      addCapped(into.examples, acc.examples, MAX_CLASS_EXAMPLES);
    }
    this.clients.merge(other.clients);
    this.sampled += other.sampled;
    this.deprecationHeaders += other.deprecationHeaders;
    this.unauthenticatedSuccess += other.unauthenticatedSuccess;
    for (const e of other.examples) if (this.examples.length < MAX_EXAMPLES) this.examples.push(e);
  }

  toRecord(key: { host: string; method: string; template: string; operationId: string | null }, learned: LearnedTemplate | null): InventoryEndpoint {
    const classes: Record<string, DataClassSeen> = {};
    for (const [cls, acc] of this.dataClasses) {
      classes[cls] = { request: acc.request, response: acc.response, unauthenticatedResponse: acc.unauthenticatedResponse, unauthenticatedLookup: acc.unauthenticatedLookup, paths: [...acc.paths], examples: [...acc.examples] };
    }
    // Object.fromEntries defines own properties: a query parameter named "__proto__" stays a parameter
    const query: Record<string, Record<string, number>> = Object.fromEntries([...this.query].map(([name, types]) => [name, Object.fromEntries(types)]));
    return {
      host: key.host,
      method: key.method,
      template: key.template,
      operationId: key.operationId,
      firstSeen: Number.isFinite(this.firstSeen) ? this.firstSeen : 0,
      lastSeen: this.lastSeen,
      count: this.count,
      statuses: Object.fromEntries(this.statuses),
      latency: { count: this.latency.count, sumMs: this.latency.sumMs, maxMs: this.latency.maxMs, p95Ms: this.latency.quantile(0.95), buckets: [...this.latency.counts] },
      auth: Object.fromEntries(this.auth),
      query,
      requestContentTypes: Object.fromEntries(this.requestContentTypes),
      responseContentTypes: Object.fromEntries(this.responseContentTypes),
      requestShape: this.requestShape,
      responseShapes: Object.fromEntries(this.responseShapes),
      dataClasses: classes,
      clients: this.clients.count,
      sampled: this.sampled,
      deprecationHeaders: this.deprecationHeaders,
      unauthenticatedSuccess: this.unauthenticatedSuccess,
      learned,
    };
  }

  /**
   * Counters as a stored record left them (a restart). Everything merges on
   * from there, except distinct clients, which continue from the stored
   * count as a floor (the stored sketch is not kept).
   */
  static fromRecord(record: InventoryEndpoint): EndpointStats {
    const stats = new EndpointStats();
    stats.count = record.count;
    stats.firstSeen = record.firstSeen > 0 ? record.firstSeen : Number.POSITIVE_INFINITY;
    stats.lastSeen = record.lastSeen;
    for (const [k, v] of Object.entries(record.statuses)) stats.statuses.set(k, v);
    stats.latency.restore(record.latency);
    for (const [k, v] of Object.entries(record.auth)) if (v !== undefined) stats.auth.set(k as AuthSeen, v);
    for (const [name, types] of Object.entries(record.query)) stats.query.set(name, new Map(Object.entries(types)));
    for (const [k, v] of Object.entries(record.requestContentTypes)) stats.requestContentTypes.set(k, v);
    for (const [k, v] of Object.entries(record.responseContentTypes)) stats.responseContentTypes.set(k, v);
    stats.requestShape = (record.requestShape as Shape | null) ?? null;
    for (const [k, v] of Object.entries(record.responseShapes)) stats.responseShapes.set(k, v as Shape);
    for (const [cls, seen] of Object.entries(record.dataClasses)) {
      stats.dataClasses.set(cls as DataClass, { request: seen.request, response: seen.response, unauthenticatedResponse: seen.unauthenticatedResponse, unauthenticatedLookup: seen.unauthenticatedLookup ?? 0, paths: [...seen.paths], examples: [...seen.examples] });
    }
    stats.clients.setFloor(record.clients);
    stats.sampled = record.sampled;
    stats.deprecationHeaders = record.deprecationHeaders;
    stats.unauthenticatedSuccess = record.unauthenticatedSuccess ?? 0;
    return stats;
  }

  #addQuery(query: string): void {
    let start = 0;
    while (start <= query.length) {
      let end = query.indexOf('&', start);
      if (end < 0) end = query.length;
      if (end > start) {
        const eq = query.indexOf('=', start);
        const hasValue = eq >= 0 && eq < end;
        const name = safeDecode(query.slice(start, hasValue ? eq : end));
        const value = hasValue ? safeDecode(query.slice(eq + 1, end)) : '';
        if (name !== '') this.#bumpQuery(name.length > 64 ? `${name.slice(0, 64)}…` : name, valueType(value), 1);
      }
      start = end + 1;
    }
  }

  #bumpQuery(name: string, type: string, n: number): void {
    let types = this.query.get(name);
    if (types === undefined) {
      if (this.query.size >= MAX_QUERY_NAMES) name = '(other)';
      types = this.query.get(name);
      if (types === undefined) this.query.set(name, types = new Map());
    }
    types.set(type, (types.get(type) ?? 0) + n);
  }

  #classOf(cls: DataClass): ClassAccumulator {
    let acc = this.dataClasses.get(cls);
    if (acc === undefined) this.dataClasses.set(cls, acc = { request: 0, response: 0, unauthenticatedResponse: 0, unauthenticatedLookup: 0, paths: [], examples: [] });
    return acc;
  }

  #addClass(cls: DataClass, finding: ClassFinding, side: 'request' | 'response', isOpenSuccess: boolean): void {
    const acc = this.#classOf(cls);
    acc[side] += finding.count;
    if (isOpenSuccess) acc.unauthenticatedResponse += finding.count;
    addCapped(acc.paths, finding.paths.map((p) => `${side}.${p}`), MAX_CLASS_PATHS);
    addCapped(acc.examples, finding.examples, MAX_CLASS_EXAMPLES);
  }
}

/** '2xx' for 200..299; '0' when no answer was sent or the source does not say */
export function statusClass(status: number): string {
  if (status >= 100 && status < 600) return `${Math.floor(status / 100)}xx`;
  return '0';
}

/** 'application/json' from 'application/json; charset=utf-8' */
export function mediaType(contentType: string): string {
  const semi = contentType.indexOf(';');
  const type = (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  return type.length > 100 ? type.slice(0, 100) : type;
}

/** the JSON-ish type of a query value: what an OpenAPI parameter schema would say */
export function valueType(value: string): string {
  if (value === '') return 'empty';
  if (/^-?(0|[1-9][0-9]{0,15})$/.test(value)) return 'integer';
  if (/^-?(0|[1-9][0-9]*)\.[0-9]+$/.test(value)) return 'number';
  if (value === 'true' || value === 'false') return 'boolean';
  return 'string';
}

function safeDecode(text: string): string {
  if (!text.includes('%') && !text.includes('+')) return text;
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

function bump(map: Map<string, number>, key: string, cap: number, n = 1): void {
  const known = map.get(key);
  if (known !== undefined) map.set(key, known + n);
  else if (map.size < cap) map.set(key, n);
  else map.set('(other)', (map.get('(other)') ?? 0) + n);
}

function addCapped(into: string[], from: readonly string[], cap: number): void {
  for (const item of from) {
    if (into.length >= cap) return;
    if (!into.includes(item)) into.push(item);
  }
}
