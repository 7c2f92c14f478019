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
    tls: {
      type: 'object',
      description: 'a mapping with cert and key (PEM files), and ca for client certificates',
      additionalProperties: false,
      required: ['cert', 'key'],
      properties: {
        cert: path,
        key: path,
        // CA certificates that client certificates must chain to (mutual TLS)
        ca: path,
        // 'request': ask for a certificate, serve without one (schemes decide); 'require': refuse the handshake without a valid one
        clientCertificates: { enum: ['none', 'request', 'require'], default: 'none' },
      },
    },
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
    public: { type: 'boolean', default: false },
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

/** key parts of a rate-limit rule: see docs/configuration.md#rate-limits */
const keyPart = {
  type: 'string',
  minLength: 1,
  description: "a key part such as ip, subnet, apiKey, principal, operation, global, path.<name>, query.<name>, header.<name>, claim.<name> or body.<field>",
};

const window = {
  type: ['string', 'object'],
  description: "a window such as '10/1s' or a mapping with limit, per and optionally burst",
  additionalProperties: false,
  required: ['limit', 'per'],
  properties: {
    limit: { type: 'integer', minimum: 1 },
    per: duration,
    burst: { type: 'integer', minimum: 1 },
  },
};

export const rateLimitRuleSchema = {
  type: 'object',
  description: 'a rule mapping with a name, a key and limits or distinct',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$', description: "a name of letters, digits, '.', '-' and '_'" },
    match: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        operations: { type: 'array', items: { type: 'string', minLength: 1, description: 'an operationId or "METHOD /path"' }, default: [] },
        tags: { type: 'array', items: { type: 'string' }, default: [] },
        methods: { type: 'array', items: { type: 'string', description: 'an HTTP method' }, default: [] },
        classes: { type: 'array', items: { enum: ['documented', 'shadow', 'zombie', 'unknown'] }, default: [] },
        upstreams: { type: 'array', items: { type: 'string' }, default: [] },
      },
    },
    key: { type: ['string', 'array'], items: keyPart, minItems: 1, default: ['ip'], description: 'a key part or a list of key parts' },
    limits: { type: 'array', items: window, default: [] },
    tiers: { type: 'object', additionalProperties: { type: 'array', items: window, minItems: 1 }, default: {} },
    distinct: {
      type: 'object',
      description: 'a mapping with of, limit and per',
      additionalProperties: false,
      required: ['of', 'limit', 'per'],
      properties: { of: keyPart, limit: { type: 'integer', minimum: 1 }, per: duration },
    },
    cost: { type: 'integer', minimum: 1, default: 1 },
    countStatus: { type: 'array', items: { type: 'integer', minimum: 100, maximum: 599 }, minItems: 1 },
    action: { enum: ['reject', 'delay'], default: 'reject' },
    maxDelay: { ...duration, default: '10s' },
    ban: {
      type: 'object',
      description: 'a mapping with after and durations',
      additionalProperties: false,
      properties: {
        key: { enum: ['ip', 'subnet', 'apiKey', 'principal'], default: 'ip' },
        after: { type: 'integer', minimum: 1, default: 3 },
        within: { ...duration, default: '10m' },
        durations: { type: 'array', items: duration, minItems: 1, default: ['1m', '10m', '1h', '1d'] },
        resetAfter: { ...duration, default: '1d' },
      },
    },
    onFailure: { enum: ['open', 'closed', 'local'], default: 'local' },
    dryRun: { type: 'boolean', default: false },
  },
};

const rateLimits = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    store: { enum: ['memory', 'redis'], default: 'memory' },
    redis: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        url: { type: 'string', default: 'redis://127.0.0.1:6379', description: 'a redis:// or rediss:// URL' },
        cluster: { type: 'array', items: { type: 'string', description: 'a host:port' }, default: [] },
        prefix: { type: 'string', default: 'aw:' },
        timeout: { ...duration, default: '50ms' },
        localAllowance: {
          description: "share of a window's remaining quota one instance may lease from Redis and admit locally (far under the limit only; leased units are spent in Redis at once, unused ones handed back); 0 = every decision in Redis",
          type: 'number', minimum: 0, maximum: 0.5, default: 0.0625,
        },
        leaseLifetime: {
          ...duration,
          default: '10s',
          description: 'how long a lease of local allowances lasts: it pays for clients that come back within it, and bounds how long a lease may outlive a ban placed elsewhere or an outage, or keep other instances stricter',
        },
      },
    },
    maxKeys: { type: 'integer', minimum: 1000, default: 1000000 },
    allow: { type: 'array', items: { type: 'string', description: 'an IP address or CIDR' }, default: [] },
    subnet: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        ipv4: { type: 'integer', minimum: 8, maximum: 32, default: 24 },
        ipv6: { type: 'integer', minimum: 16, maximum: 128, default: 64 },
      },
    },
    tarpit: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        maxHeld: { type: 'integer', minimum: 0, default: 1000 },
        maxHeldPerClient: { type: 'integer', minimum: 0, default: 16 },
      },
    },
    bodyInspectBytes: { ...size, default: '64kb' },
    costs: { type: 'object', additionalProperties: { type: 'integer', minimum: 1 }, default: {} },
    rules: { type: 'array', items: rateLimitRuleSchema, default: [] },
  },
};

const secretRef = {
  type: 'object',
  description: "a mapping with 'env' (the name of an environment variable holding the secret) or 'value'",
  additionalProperties: false,
  properties: { env: { type: 'string', minLength: 1 }, value: { type: 'string', minLength: 1 } },
};

const authScheme = {
  type: 'object',
  description: 'a mapping with one of jwt, introspection, apiKeys, basic, hmac or mtls',
  additionalProperties: false,
  properties: {
    jwt: {
      type: 'object',
      additionalProperties: false,
      required: ['issuer', 'audiences'],
      properties: {
        issuer: { type: 'string', minLength: 1 },
        audiences: { type: 'array', items: { type: 'string' }, minItems: 1 },
        jwksUri: url,
        discoveryUrl: url,
        algorithms: { type: 'array', items: { enum: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] }, minItems: 1 },
        clockSkew: { ...duration, default: '30s' },
        scopeClaim: { type: 'string', default: 'scope' },
        rolesClaim: { type: 'string' },
        planClaim: { type: 'string' },
        cacheSize: { type: 'integer', minimum: 0, default: 10000 },
        // least time between two JWKS fetches caused by an unknown key id
        jwksCooldown: { ...duration, default: '30s' },
      },
    },
    introspection: {
      type: 'object',
      additionalProperties: false,
      required: ['clientId', 'clientSecret'],
      properties: {
        url,
        discoveryUrl: url,
        clientId: { type: 'string', minLength: 1 },
        clientSecret: secretRef,
        timeout: { ...duration, default: '2s' },
        issuer: { type: 'string' },
        audiences: { type: 'array', items: { type: 'string' } },
      },
    },
    apiKeys: {
      type: 'object',
      additionalProperties: false,
      properties: { cache: { ...duration, default: '5s' } },
    },
    basic: {
      type: 'object',
      additionalProperties: false,
      required: ['users'],
      properties: {
        users: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['name', 'passwordHash'],
            properties: {
              name: { type: 'string', minLength: 1 },
              passwordHash: { type: 'string', pattern: '^scrypt\\$', description: "a hash from 'apiwarden hash-password'" },
              scopes: { type: 'array', items: { type: 'string' }, default: [] },
              roles: { type: 'array', items: { type: 'string' }, default: [] },
              plan: { type: 'string' },
            },
          },
        },
      },
    },
    hmac: {
      type: 'object',
      additionalProperties: false,
      required: ['clients'],
      properties: {
        replayWindow: { ...duration, default: '5m' },
        clients: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['id', 'secret'],
            properties: {
              id: { type: 'string', minLength: 1 },
              secret: secretRef,
              scopes: { type: 'array', items: { type: 'string' }, default: [] },
              roles: { type: 'array', items: { type: 'string' }, default: [] },
              plan: { type: 'string' },
            },
          },
        },
      },
    },
    mtls: {
      type: 'object',
      additionalProperties: false,
      properties: {
        principalFrom: { enum: ['subject-cn', 'san-dns', 'san-email', 'san-uri'], default: 'subject-cn' },
        allow: { type: 'array', items: { type: 'string' }, default: [] },
        roles: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } }, default: {} },
      },
    },
  },
};

const authRule = {
  type: 'object',
  description: 'a rule mapping with match and roles, claims or owner',
  additionalProperties: false,
  properties: {
    match: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        operations: { type: 'array', items: { type: 'string', minLength: 1 }, default: [] },
        tags: { type: 'array', items: { type: 'string' }, default: [] },
      },
    },
    roles: { type: 'array', items: { type: 'string' }, default: [] },
    claims: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] }, default: {} },
    owner: {
      type: 'object',
      additionalProperties: false,
      required: ['value', 'claim'],
      properties: {
        value: keyPart,
        claim: { type: 'string', minLength: 1 },
        unlessRoles: { type: 'array', items: { type: 'string' }, default: [] },
      },
    },
  },
};

const auth = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    schemes: { type: 'object', additionalProperties: authScheme, default: {} },
    public: { type: 'array', items: { type: 'string', minLength: 1, description: 'an operationId or "METHOD /path"' }, default: [] },
    rules: { type: 'array', items: authRule, default: [] },
    principalHeaders: { type: 'boolean', default: true },
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
        // scale-out: inventory, counters and findings in PostgreSQL (the analysers write it)
        postgres: {
          type: 'object',
          additionalProperties: false,
          required: ['url'],
          properties: {
            url: secretRef,
            schema: { type: 'string', pattern: '^[a-z_][a-z0-9_]{0,62}$', default: 'apiwarden' },
            poolSize: { type: 'integer', minimum: 2, maximum: 100, default: 4 },
          },
        },
      },
    },
    // scale-out: gateways publish their events to NATS JetStream; analysers consume them
    bus: {
      type: 'object',
      additionalProperties: false,
      properties: {
        nats: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            servers: { type: 'array', minItems: 1, items: { type: 'string' }, default: ['nats://127.0.0.1:4222'] },
            stream: { type: 'string', pattern: '^[A-Za-z0-9_-]+$', default: 'APIWARDEN_EVENTS' },
            subject: { type: 'string', minLength: 1, default: 'apiwarden.events' },
            decisions: { type: 'string', minLength: 1, default: 'apiwarden.decisions' },
            durable: { type: 'string', pattern: '^[A-Za-z0-9_-]+$', default: 'apiwarden-analysers' },
            spool: {
              type: 'object',
              additionalProperties: false,
              default: {},
              properties: {
                dir: { ...path, default: '.apiwarden/spool' },
                maxBytes: { ...size, default: '256mb' },
              },
            },
          },
        },
      },
    },
    accessLog: { type: 'string', minLength: 1, default: 'stdout', description: "'stdout', 'off' or a file path" },
    discovery: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        enabled: { type: 'boolean', default: true },
        // share of requests whose bodies are inspected (shapes, sensitive data classes)
        sampleRate: { type: 'number', minimum: 0, maximum: 1, default: 0.05 },
        maxBodyBytes: { ...size, default: '16kb' },
        maxEndpoints: { type: 'integer', minimum: 1, maximum: 1000000, default: 20000 },
        saveInterval: { ...duration, default: '10s' },
      },
    },
    detection: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        enabled: { type: 'boolean', default: true },
        // files of detection rules: new rules, or built-ins tuned or disabled by name
        rules: { type: 'array', items: path, default: [] },
        builtins: { type: 'boolean', default: true },
        evaluateEvery: { ...duration, default: '1s' },
        maxIdentities: { type: 'integer', minimum: 100, maximum: 10000000, default: 20000 },
        // login operations: their 401s count as failed logins, per account tried
        logins: {
          type: 'array',
          default: [],
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['operations'],
            properties: {
              operations: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
              account: { type: 'string', minLength: 1 },
            },
          },
        },
        autoLogins: { type: 'boolean', default: true },
      },
    },
    // checked field by field by src/alerts/config.ts (parseAlerts)
    alerts: { type: 'object', default: {} },
    // the console: admin API, metrics and dashboard on their own listener
    admin: {
      type: 'object',
      additionalProperties: false,
      required: ['token'],
      properties: {
        listen: {
          type: 'object',
          additionalProperties: false,
          required: ['port'],
          properties: {
            host: { type: 'string', default: '127.0.0.1', description: "an IP address or 'localhost' (loopback by default: the console is for operators)" },
            port: { type: 'integer', minimum: 0, maximum: 65535 },
          },
          default: { host: '127.0.0.1', port: 9090 },
        },
        token: secretRef,
      },
    },
    rateLimits,
    auth,
  },
} as const;
