/**
 * The policy file after validation: defaults applied, relative paths resolved
 * against the policy file's folder, dates parsed. This is what `loadPolicy`
 * returns and what the gateway compiles into its plan.
 */
import type { AlertsConfig } from '../alerts/config.ts';
export type Mode = 'enforce' | 'monitor';

export interface ListenerConfig {
  host: string;
  port: number;
  /** worker processes sharing the port (reusePort / cluster); 1 = this process */
  workers: number;
  /** TLS (https) with optional client certificates; null = plain http */
  tls: ListenerTls | null;
}

export interface RetiredPrefix {
  /** a path prefix ending at a segment boundary, e.g. "/v1" (matches /v1 and /v1/..., not /v10) */
  prefix: string;
  /** when the prefix stops being served; absent = already retired */
  sunset: Date | null;
  /** documentation link sent in a `Link: <...>; rel="sunset"` header */
  link: string | null;
  /** served without credentials until the sunset (nothing under it has a security requirement) */
  isPublic: boolean;
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
  /** PostgreSQL instead of SQLite for events and the inventory (scale-out); null: SQLite */
  postgres: { url: SecretRef; schema: string; poolSize: number } | null;
}

/** Where events go besides this process: NATS JetStream (scale-out), or nowhere (null: embedded). */
export interface BusConfig {
  nats: {
    servers: string[];
    stream: string;
    subject: string;
    /** the plain subject decisions are published on, for every gateway */
    decisions: string;
    /** the analysers' durable consumer (a consumer group) */
    durable: string;
    spool: { dir: string; maxBytes: number };
  } | null;
}

export interface DiscoveryConfig {
  /** keep the endpoint inventory inline */
  enabled: boolean;
  /** share of requests whose bodies are inspected, 0..1 */
  sampleRate: number;
  /** bytes of each body captured on a sampled request */
  maxBodyBytes: number;
  /** endpoints kept; past it, new ones are counted under '(other)' */
  maxEndpoints: number;
  /** ms between inventory snapshots written to the store */
  saveIntervalMs: number;
}

export interface DetectionConfig {
  /** observe every request and run the detection rules */
  enabled: boolean;
  /** absolute paths of rule files (new rules, or built-ins tuned by name) */
  ruleFiles: string[];
  /** start from the built-in rules */
  builtins: boolean;
  /** ms between rule evaluations */
  evaluateEveryMs: number;
  /** identities tracked per kind (LRU beyond) */
  maxIdentities: number;
  /** login operations named in the policy: their 401s are failed logins, and the account tried is read */
  logins: LoginConfig[];
  /** also take POSTs that look like logins (src/detect/logins.ts) */
  autoLogins: boolean;
}

/** A login operation and where its request names the account tried. */
export interface LoginConfig {
  /** operationIds, or "METHOD /path" for undocumented ones */
  operations: string[];
  /** body.<field>, query.<name> or header.<name>; null: read the usual fields (username, email, …) */
  account: KeyPart | null;
}

/** The admin listener: the console's API, metrics and dashboard (src/admin). */
export interface AdminConfig {
  host: string;
  /** 0 = a free port (tests) */
  port: number;
  /** the bearer token every API route requires */
  token: SecretRef;
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
  discovery: DiscoveryConfig;
  detection: DetectionConfig;
  alerts: AlertsConfig;
  /** null: no admin listener */
  admin: AdminConfig | null;
  bus: BusConfig;
  /** refuse paths containing ';' (matrix parameters); default true */
  rejectMatrixParams: boolean;
  /** forwarded-for header style sent upstream */
  forwardedHeaders: 'x-forwarded' | 'forwarded' | 'both';
  rateLimits: RateLimitsConfig;
  auth: AuthConfig;
}

/** One window of a rate-limit rule. */
export interface RateLimitWindow {
  limit: number;
  periodMs: number;
  /** GCRA burst; null = not given (GCRA with burst = limit below a minute, sliding window from a minute up) */
  burst: number | null;
}

/** Where a key part's value comes from (see docs/configuration.md#rate-limits). */
export type KeyPartSource = 'ip' | 'subnet' | 'apiKey' | 'principal' | 'operation' | 'global' | 'path' | 'query' | 'header' | 'claim' | 'body';

export interface KeyPart {
  source: KeyPartSource;
  /** parameter, header (lower-cased), claim name, or body field path ('' for the sources that have none) */
  name: string;
  /** body only: the field path split on '.' */
  fieldPath: readonly string[];
  /** as written, e.g. "path.phone" */
  text: string;
}

export interface RateLimitBan {
  key: 'ip' | 'subnet' | 'apiKey' | 'principal';
  after: number;
  withinMs: number;
  durationsMs: number[];
  resetAfterMs: number;
}

export interface RateLimitRule {
  name: string;
  match: {
    operations: string[];
    tags: string[];
    /** upper-cased */
    methods: string[];
    classes: Array<'documented' | 'shadow' | 'zombie' | 'unknown'>;
    upstreams: string[];
  };
  key: KeyPart[];
  windows: RateLimitWindow[];
  /** windows by plan (API key's or principal's); the plan's windows replace `windows` */
  tiers: Record<string, RateLimitWindow[]>;
  distinct: { of: KeyPart; limit: number; periodMs: number } | null;
  cost: number;
  /** count only requests answered with one of these statuses (decided after the upstream answers) */
  countStatus: number[] | null;
  action: 'reject' | 'delay';
  /** delay action: the longest hold; a request that would wait longer is refused with 429 */
  maxDelayMs: number;
  ban: RateLimitBan | null;
  onFailure: 'open' | 'closed' | 'local';
  dryRun: boolean;
  /** where the rule was defined, for messages: "rateLimits.rules[2]" or "x-apiwarden-rate-limit of getUser" */
  origin: string;
}

export interface RateLimitsConfig {
  store: 'memory' | 'redis';
  /** localAllowance: the share of what a window has left one instance may lease and admit locally (src/limiter/allowance-cache.ts); 0 = off */
  /** leaseLifetimeMs: how long a lease lasts (allowance-cache.ts ttlMs) */
  redis: { url: string; cluster: string[]; prefix: string; timeoutMs: number; localAllowance: number; leaseLifetimeMs: number };
  maxKeys: number;
  /** CIDRs never limited nor banned */
  allow: string[];
  subnet: { ipv4: number; ipv6: number };
  tarpit: { maxHeld: number; maxHeldPerClient: number };
  /** how much of a JSON body is read to find body.* key parts */
  bodyInspectBytes: number;
  /** per-operation weight (operationId or "METHOD /path" → cost); x-apiwarden-cost in a document does the same */
  costs: Record<string, number>;
  rules: RateLimitRule[];
}

/** A secret given by environment variable name (preferred) or inline. */
export interface SecretRef {
  env: string | null;
  value: string | null;
}

export type AuthSchemeConfig =
  | {
      kind: 'jwt';
      issuer: string;
      audiences: string[];
      jwksUri: string | null;
      discoveryUrl: string | null;
      algorithms: string[] | null;
      clockSkewMs: number;
      scopeClaim: string;
      rolesClaim: string | null;
      planClaim: string | null;
      cacheSize: number;
      jwksCooldownMs: number;
    }
  | {
      kind: 'introspection';
      url: string | null;
      discoveryUrl: string | null;
      clientId: string;
      clientSecret: SecretRef;
      timeoutMs: number;
      issuer: string | null;
      audiences: string[];
    }
  | { kind: 'apiKeys'; cacheMs: number }
  | { kind: 'basic'; users: Array<{ name: string; passwordHash: string; scopes: string[]; roles: string[]; plan: string | null }> }
  | { kind: 'hmac'; replayWindowMs: number; clients: Array<{ id: string; secret: SecretRef; scopes: string[]; roles: string[]; plan: string | null }> }
  | { kind: 'mtls'; principalFrom: 'subject-cn' | 'san-dns' | 'san-email' | 'san-uri'; allow: string[]; roles: Record<string, string[]> };

export interface AuthRule {
  match: { operations: string[]; tags: string[] };
  /** the principal needs one of these roles (empty = no role needed) */
  roles: string[];
  /** claims that must have exactly these values */
  claims: Record<string, string | number | boolean>;
  /** object-level check: a request value must equal a claim, unless the principal has one of unlessRoles */
  owner: { value: KeyPart; claim: string; unlessRoles: string[] } | null;
  origin: string;
}

export interface AuthConfig {
  /** by security scheme name */
  schemes: Record<string, AuthSchemeConfig>;
  /** operations reachable without credentials although their document declares no security */
  public: string[];
  rules: AuthRule[];
  /** set X-Apiwarden-Principal (and -Subject, -Scopes, -Roles) on forwarded requests */
  principalHeaders: boolean;
}

export interface ListenerTls {
  cert: string;
  key: string;
  ca: string | null;
  clientCertificates: 'none' | 'request' | 'require';
}
