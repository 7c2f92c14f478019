/**
 * The policy file after validation: defaults applied, relative paths resolved
 * against the policy file's folder, dates parsed. This is what `loadPolicy`
 * returns and what the gateway compiles into its plan.
 */
export type Mode = 'enforce' | 'monitor';

export interface ListenerConfig {
  host: string;
  port: number;
  /** worker processes sharing the port (reusePort / cluster); 1 = this process */
  workers: number;
}

export interface RetiredPrefix {
  /** a path prefix ending at a segment boundary, e.g. "/v1" (matches /v1 and /v1/..., not /v10) */
  prefix: string;
  /** when the prefix stops being served; absent = already retired */
  sunset: Date | null;
  /** documentation link sent in a `Link: <...>; rel="sunset"` header */
  link: string | null;
}

export interface SunsetEntry {
  /** an operationId, or "METHOD /template" as written in the document */
  operation: string;
  sunset: Date;
  /** when the operation was deprecated (the `Deprecation` header value); absent = unknown */
  deprecatedAt: Date | null;
  link: string | null;
}

export interface UpstreamConfig {
  name: string;
  /** origin of the upstream, e.g. http://127.0.0.1:9000 (a path in it is a prefix added upstream) */
  url: string;
  /** absolute paths of the OpenAPI / Swagger documents */
  openapi: string[];
  /** routing when several upstreams: lower-cased host names (no port, no trailing dot); empty = any */
  hosts: string[];
  /** routing by path prefix; "/" = everything */
  pathPrefix: string;
  /** remove pathPrefix before forwarding */
  stripPrefix: boolean;
  mode: Mode;
  retired: RetiredPrefix[];
  sunsets: SunsetEntry[];
  /** status for refused shadow requests in enforce mode */
  shadowStatus: number;
  /** undici pool: maximum connections to this upstream */
  connections: number;
  /** ms to wait for upstream response headers */
  timeoutMs: number;
  /** ms to wait between upstream body chunks */
  bodyTimeoutMs: number;
}

export interface LimitsConfig {
  /** total bytes of the request head (Node's maxHeaderSize) */
  headerBytes: number;
  /** largest request body accepted */
  bodyBytes: number;
  /** time to receive the complete request head */
  headersTimeoutMs: number;
  /** time to receive the complete request, head and body */
  requestTimeoutMs: number;
  /** idle keep-alive connections are closed after this */
  keepAliveTimeoutMs: number;
  /** a request body slower than this (after a grace second) is cut with 408 */
  minBodyBytesPerSecond: number;
  /** a response the client does not read for this long is abandoned (slow-read guard) */
  slowReadTimeoutMs: number;
  /** concurrent connections allowed from one client address */
  connectionsPerClient: number;
}

export interface StoreConfig {
  /** absolute path of the SQLite database; ':memory:' for none on disk */
  sqlite: string;
  /** ms between batched writes */
  flushIntervalMs: number;
}

export interface AccessLogConfig {
  /** 'stdout', 'off', or an absolute file path */
  target: string;
}

export interface PolicyConfig {
  /** absolute path of the file this was loaded from ('<inline>' for objects) */
  source: string;
  mode: Mode;
  listeners: ListenerConfig[];
  upstreams: UpstreamConfig[];
  /** CIDRs whose X-Forwarded-For / Forwarded headers are believed */
  trustedProxies: string[];
  limits: LimitsConfig;
  store: StoreConfig;
  accessLog: AccessLogConfig;
  /** refuse paths containing ';' (matrix parameters); default true */
  rejectMatrixParams: boolean;
  /** forwarded-for header style sent upstream */
  forwardedHeaders: 'x-forwarded' | 'forwarded' | 'both';
}
