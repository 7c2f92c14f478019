/**
 * JSON Schema of `apiwarden.yaml` as written by users: which keys exist, their
 * types, ranges, and defaults (ajv fills them in). Values with a syntax of
 * their own (durations, sizes, dates, URLs, CIDRs, host names, paths) are
 * strings here and are parsed by `values.ts`, so their messages can say what
 * is wrong rather than "must match pattern".
 *
 * `description` is the phrase used in type messages ("must be <description>,
 * got ..."), so keep it short and starting with an article.
 */

const duration = {
  type: ['integer', 'string'],
  description: 'a duration: milliseconds as an integer, or a string such as 500ms, 10s, 2m, 1h',
};
const size = {
  type: ['integer', 'string'],
  description: 'a size: bytes as an integer, or a string such as 512b, 16kb, 1mb',
};
const date = {
  type: 'string',
  description: 'a date such as 2025-06-30, or a date-time with a zone such as 2025-06-30T12:00:00Z',
};
const url = { type: 'string', description: 'an http:// or https:// URL' };
const mode = { enum: ['enforce', 'monitor'] };
const path = { type: 'string', minLength: 1, description: 'a file path' };

const listener = {
  type: 'object',
  description: 'a listener mapping with at least a port',
  additionalProperties: false,
  required: ['port'],
  properties: {
    host: { type: 'string', default: '127.0.0.1', description: "an IP address or 'localhost'" },
    // 0 = an ephemeral port chosen by the system (tests)
    port: { type: 'integer', minimum: 0, maximum: 65535 },
    workers: { type: ['integer', 'string'], minimum: 1, default: 1, description: "a number of workers (1 or more) or 'auto'" },
  },
};

const retired = {
  type: 'object',
  description: 'a mapping with a prefix',
  additionalProperties: false,
  required: ['prefix'],
  properties: {
    prefix: { type: 'string', description: 'a path prefix such as /v1' },
    sunset: date,
    link: url,
  },
};

const sunset = {
  type: 'object',
  description: 'a mapping with an operation and a sunset date',
  additionalProperties: false,
  required: ['operation', 'sunset'],
  properties: {
    operation: { type: 'string', minLength: 1, description: 'an operationId or "METHOD /path"' },
    sunset: date,
    deprecatedAt: date,
    link: url,
  },
};

const upstream = {
  type: 'object',
  description: 'an upstream mapping with name, url and openapi',
  additionalProperties: false,
  required: ['name', 'url', 'openapi'],
  properties: {
    name: {
      type: 'string',
      pattern: '^[a-z0-9][a-z0-9_-]*$',
      description: "a name of lower-case letters, digits, '-' and '_', starting with a letter or digit",
    },
    url,
    openapi: {
      type: ['string', 'array'],
      minLength: 1,
      minItems: 1,
      items: path,
      description: 'a file path or a list of file paths',
    },
    hosts: { type: 'array', items: { type: 'string', description: 'a host name' }, default: [] },
    pathPrefix: { type: 'string', default: '/', description: 'a path prefix such as /api' },
    stripPrefix: { type: 'boolean', default: false },
    // no default: an upstream without a mode follows the global one
    mode,
    shadow: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: { status: { type: 'integer', minimum: 400, maximum: 599, default: 404 } },
    },
    retired: { type: 'array', items: retired, default: [] },
    sunsets: { type: 'array', items: sunset, default: [] },
    connections: { type: 'integer', minimum: 1, default: 128 },
    timeout: { ...duration, default: '30s' },
    bodyTimeout: { ...duration, default: '30s' },
  },
};

export const policySchema = {
  type: 'object',
  description: 'a mapping of settings such as listeners and upstreams',
  additionalProperties: false,
  required: ['listeners', 'upstreams'],
  properties: {
    mode: { ...mode, default: 'enforce' },
    listeners: { type: 'array', minItems: 1, items: listener },
    trustedProxies: { type: 'array', items: { type: 'string', description: 'an IP address or CIDR' }, default: [] },
    forwardedHeaders: { enum: ['x-forwarded', 'forwarded', 'both'], default: 'x-forwarded' },
    rejectMatrixParams: { type: 'boolean', default: true },
    limits: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        headerBytes: { ...size, default: 16384 },
        bodyBytes: { ...size, default: '1mb' },
        headersTimeout: { ...duration, default: '10s' },
        requestTimeout: { ...duration, default: '30s' },
        keepAliveTimeout: { ...duration, default: '5s' },
        // bytes per second; 0 disables the check
        minBodyRate: { type: 'integer', minimum: 0, default: 1024 },
        slowReadTimeout: { ...duration, default: '30s' },
        connectionsPerClient: { type: 'integer', minimum: 1, default: 64 },
      },
    },
    upstreams: { type: 'array', minItems: 1, items: upstream },
    store: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        sqlite: { ...path, default: '.apiwarden/apiwarden.db' },
        flushInterval: { ...duration, default: '1s' },
      },
    },
    accessLog: { type: 'string', minLength: 1, default: 'stdout', description: "'stdout', 'off' or a file path" },
  },
} as const;
