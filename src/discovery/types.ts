/**
 * The contract between the sources of traffic (gateway events, access logs,
 * HAR files) and discovery (path templating, the inventory, the spec diff).
 * Every source turns what it reads into ObservedRequest values; discovery
 * never looks at a source's own format.
 */

/** One request as seen by a source: inline from the gateway, or out of band from a log. */
export interface ObservedRequest {
  /** epoch milliseconds at which the request arrived (0 when the source has no time) */
  time: number;
  /** upper-case method ('GET'); 'UNKNOWN' when the source does not record it */
  method: string;
  /** lower-cased host without port; '' when the source does not record it */
  host: string;
  /** the path as received, still percent-encoded, without the query */
  path: string;
  /** the raw query string without '?', or null when there was none */
  query: string | null;
  /** response status, 0 when none was sent or the source does not say */
  status: number;
  /** the client's address, or null */
  clientIp: string | null;
  userAgent: string | null;
  /** response body bytes, or null when unknown */
  bytesOut: number | null;
  /** whole-request latency in ms, or null when unknown */
  latencyMs: number | null;
  /**
   * Request headers with lower-cased names (only what the source has; logs
   * usually have none). Values of credentials are never kept here: sources
   * replace them with '<redacted>' so that discovery can tell that an
   * Authorization header was sent, and of which scheme ('Bearer <redacted>').
   */
  requestHeaders: Readonly<Record<string, string>> | null;
  responseHeaders: Readonly<Record<string, string>> | null;
  /** a sample of the request body (bounded by the source), or null */
  requestBody: BodySample | null;
  responseBody: BodySample | null;
}

/** The first bytes of a body, as text, with the content type it was sent with. */
export interface BodySample {
  contentType: string | null;
  /** decoded as UTF-8; at most the source's byte cap */
  text: string;
  /** true when the body was longer than `text` */
  truncated: boolean;
}

/** A template learned from traffic, with the evidence behind it. */
export interface LearnedTemplate {
  /** the host pattern: '' when hosts are not told apart, 'api.example.com', or '{tenant}.api.example.com' */
  host: string;
  /** '/v2/users/{userId}/orders/{orderId}': OpenAPI path-template syntax, static parts percent-encoded as received */
  template: string;
  /** requests this template has absorbed */
  count: number;
  /** requests by upper-case method */
  methods: Readonly<Record<string, number>>;
  params: LearnedParam[];
  /** 0..1: how sure the templater is that every parameter is one (1 when there is none) */
  confidence: number;
}

export interface LearnedParam {
  /** the name given to it ('userId', 'id', 'param2') */
  name: string;
  /** index of the path segment it sits in (0 = first segment after the leading '/') */
  segment: number;
  /** distinct values seen (exact up to a cap, estimated past it) */
  distinct: number;
  /** how the values looked: shape name → count ('integer', 'uuid', 'phone', 'word', …) */
  shapes: Readonly<Record<string, number>>;
  /** a few values seen, for evidence (never more than a handful) */
  examples: readonly string[];
}

/** How a request authenticated, as far as its headers tell (discovery never verifies). */
export type AuthSeen = 'none' | 'apikey' | 'bearer' | 'basic' | 'cookie' | 'mtls' | 'hmac' | 'other';

/** What is known about one endpoint (host, method, template), kept incrementally. */
export interface InventoryEndpoint {
  /** host pattern as learned ('' when hosts are not told apart) */
  host: string;
  method: string;
  /** OpenAPI path template, learned or documented */
  template: string;
  /** the documented operation this endpoint maps to, or null (shadow) */
  operationId: string | null;
  firstSeen: number;
  lastSeen: number;
  count: number;
  /** by status class: '2xx' → count ('0' for no response) */
  statuses: Readonly<Record<string, number>>;
  /** latency in ms: sum and max (mean = sum / count of requests with a latency), an approximate p95, and the histogram it comes from */
  latency: { count: number; sumMs: number; maxMs: number; p95Ms: number | null; buckets?: readonly number[] };
  /** requests by how they authenticated */
  auth: Readonly<Partial<Record<AuthSeen, number>>>;
  /** query parameter name → value types seen ('integer', 'string', 'boolean', …) with counts */
  query: Readonly<Record<string, Readonly<Record<string, number>>>>;
  requestContentTypes: Readonly<Record<string, number>>;
  responseContentTypes: Readonly<Record<string, number>>;
  /** merged JSON shapes of sampled bodies (json-shape.ts), by direction; response by status code */
  requestShape: unknown;
  responseShapes: Readonly<Record<string, unknown>>;
  /** sensitive data classes seen in sampled bodies and query values, with counts and masked examples */
  dataClasses: Readonly<Record<string, DataClassSeen>>;
  /** distinct client addresses (estimated past a cap) */
  clients: number;
  /** requests whose bodies were sampled */
  sampled: number;
  /** responses that carried Deprecation or Sunset headers */
  deprecationHeaders: number;
  /** 2xx answers to requests that offered no credential */
  unauthenticatedSuccess?: number;
  /** the template's evidence when it was learned from traffic (null when it comes from a document) */
  learned: LearnedTemplate | null;
}

export interface DataClassSeen {
  /** in requests (bodies, query values, path segments) */
  request: number;
  /** in responses */
  response: number;
  /** in answers that were 2xx to requests without credentials */
  unauthenticatedResponse: number;
  /**
   * in the path or query of requests answered 2xx without credentials: a
   * lookup keyed by this value that anyone may call ('does this phone
   * number have an account?'), even when the answer holds no such value
   */
  unauthenticatedLookup?: number;
  /** where in the bodies ('data[].email', 'query.phone'), a few */
  paths: readonly string[];
  /** masked examples ('+1415•••2671'), a few */
  examples: readonly string[];
}

export type FindingKind = 'shadow' | 'zombie' | 'orphan' | 'drift' | 'exposure';
export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';

/** One thing wrong between what is served and what is documented. */
export interface Finding {
  /** stable across runs: kind + host + method + template (+ detail for drift) */
  id: string;
  kind: FindingKind;
  severity: Severity;
  host: string;
  method: string;
  template: string;
  operationId: string | null;
  /** one line a person reads first */
  title: string;
  /** why this severity, what to do */
  detail: string;
  /** counts, example requests (masked), clients, drift items */
  evidence: Readonly<Record<string, unknown>>;
  firstSeen: number | null;
  lastSeen: number | null;
}
