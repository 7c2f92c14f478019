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

/**
 * Counters over a handful of keys (status classes, kinds of credential,
 * the types of one query parameter's values), in the order the keys were
 * first seen: a Map<string, number>'s semantics in two short arrays, with
 * no hashing per request (the keys are a few shared constants).
 */
export class SmallCounts<K extends string = string> {
  readonly keys: K[] = [];
  readonly counts: number[] = [];

  add(key: K, n: number): void {
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] === key) {
        this.counts[i]! += n;
        return;
      }
    }
    keys.push(key);
    this.counts.push(n);
  }

  merge(other: SmallCounts<K>): void {
    for (let i = 0; i < other.keys.length; i++) this.add(other.keys[i] as K, other.counts[i] as number);
  }

  /** Object.fromEntries of the Map it stands for (own properties, "__proto__" included) */
  toObject(): Record<string, number> {
    return Object.fromEntries(this.keys.map((key, i) => [key, this.counts[i] as number]));
  }
}

export class EndpointStats {
  firstSeen = Number.POSITIVE_INFINITY;
  lastSeen = 0;
  count = 0;
  readonly statuses = new SmallCounts();
  readonly latency = new LatencyHistogram();
  readonly auth = new SmallCounts<AuthSeen>();
  /** per query parameter name, the values' types */
  readonly query = new Map<string, SmallCounts>();
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
    this.statuses.add(status, 1);
    if (request.latencyMs !== null) this.latency.add(request.latencyMs);
    if (auth !== null) {
      this.auth.add(auth, 1);
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
    this.statuses.merge(other.statuses);
    this.latency.merge(other.latency);
    this.auth.merge(other.auth);
    for (const [name, types] of other.query) {
      for (let i = 0; i < types.keys.length; i++) this.#bumpQuery(name, types.keys[i] as string, types.counts[i] as number);
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
    const query: Record<string, Record<string, number>> = Object.fromEntries([...this.query].map(([name, types]) => [name, types.toObject()]));
    return {
      host: key.host,
      method: key.method,
      template: key.template,
      operationId: key.operationId,
      firstSeen: Number.isFinite(this.firstSeen) ? this.firstSeen : 0,
      lastSeen: this.lastSeen,
      count: this.count,
      statuses: this.statuses.toObject(),
      latency: { count: this.latency.count, sumMs: this.latency.sumMs, maxMs: this.latency.maxMs, p95Ms: this.latency.quantile(0.95), buckets: [...this.latency.counts] },
      auth: this.auth.toObject(),
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
    for (const [k, v] of Object.entries(record.statuses)) stats.statuses.add(k, v);
    stats.latency.restore(record.latency);
    for (const [k, v] of Object.entries(record.auth)) if (v !== undefined) stats.auth.add(k as AuthSeen, v);
    for (const [name, types] of Object.entries(record.query)) {
      const counts = new SmallCounts();
      for (const [type, n] of Object.entries(types)) counts.add(type, n);
      stats.query.set(name, counts);
    }
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

  // hot path: a value is typed where it lies in the query unless it needs decoding (no slice)
  #addQuery(query: string): void {
    let start = 0;
    while (start <= query.length) {
      let end = query.indexOf('&', start);
      if (end < 0) end = query.length;
      if (end > start) {
        const eq = query.indexOf('=', start);
        const hasValue = eq >= 0 && eq < end;
        const nameEnd = hasValue ? eq : end;
        const rawName = query.slice(start, nameEnd);
        const name = needsDecoding(query, start, nameEnd) ? safeDecode(rawName) : rawName;
        const type = !hasValue ? 'empty' : needsDecoding(query, eq + 1, end) ? valueType(safeDecode(query.slice(eq + 1, end))) : valueTypeAt(query, eq + 1, end);
        if (name !== '') this.#bumpQuery(name.length > 64 ? `${name.slice(0, 64)}…` : name, type, 1);
      }
      start = end + 1;
    }
  }

  #bumpQuery(name: string, type: string, n: number): void {
    let types = this.query.get(name);
    if (types === undefined) {
      if (this.query.size >= MAX_QUERY_NAMES) name = '(other)';
      types = this.query.get(name);
      if (types === undefined) this.query.set(name, types = new SmallCounts());
    }
    types.add(type, n);
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

const STATUS_CLASSES = ['0', '1xx', '2xx', '3xx', '4xx', '5xx'] as const;

/** '2xx' for 200..299; '0' when no answer was sent or the source does not say */
export function statusClass(status: number): string {
  if (status >= 100 && status < 600) return STATUS_CLASSES[Math.floor(status / 100)] as string;
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
  return valueTypeAt(value, 0, value.length);
}

/**
 * valueType of text[start, end), by hand: 'integer' is /^-?(0|[1-9][0-9]{0,15})$/,
 * 'number' /^-?(0|[1-9][0-9]*)\.[0-9]+$/, 'boolean' 'true' or 'false'.
 */
export function valueTypeAt(text: string, start: number, end: number): string {
  if (start >= end) return 'empty';
  let i = start;
  if (text.charCodeAt(i) === 0x2d) i++;
  const digitsStart = i;
  const first = text.charCodeAt(i);
  if (i < end && first === 0x30) i++;
  else if (i < end && first >= 0x31 && first <= 0x39) {
    i++;
    while (i < end && isDigit(text.charCodeAt(i))) i++;
  }
  if (i > digitsStart) {
    if (i === end) return i - digitsStart <= 16 ? 'integer' : 'string';
    if (text.charCodeAt(i) !== 0x2e) return 'string';
    const fractionStart = ++i;
    while (i < end && isDigit(text.charCodeAt(i))) i++;
    return i === end && i > fractionStart ? 'number' : 'string';
  }
  const length = end - start;
  if ((length === 4 && text.startsWith('true', start)) || (length === 5 && text.startsWith('false', start))) return 'boolean';
  return 'string';
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

/** a '%' or '+' in text[start, end): safeDecode would change it */
function needsDecoding(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x25 || code === 0x2b) return true;
  }
  return false;
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
