import { loadAlertsConfig } from '../alerts/config.ts';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ApiwardenError } from '../errors.ts';
import { loadPolicy, parsePolicy, PolicyError } from './load.ts';
import { didYouMean, fieldName } from './policy-error.ts';
import type { PolicyConfig } from './types.ts';

const fixtures = fileURLToPath(new URL('../../test/fixtures/config/', import.meta.url));
const specs = join(fixtures, 'specs');

/** Loads a fixture that must fail and returns its error. */
async function failure(file: string): Promise<PolicyError> {
  try {
    await loadPolicy(file);
  } catch (err) {
    assert.ok(err instanceof PolicyError, `expected a PolicyError, got ${String(err)}`);
    return err;
  }
  assert.fail(`${file} loaded without error`);
}

/**
 * Every negative fixture with the problems it must report, in order, each
 * as `file:line:column: field: message`. Exact, so a change of wording or
 * position is a visible decision.
 */
const INVALID: Record<string, string[]> = {
  'syntax-error.yaml': [
    'syntax-error.yaml:7:1: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
  ],
  'duplicate-key.yaml': [
    "duplicate-key.yaml:3:5: duplicate key 'port': a key may appear only once in a mapping",
  ],
  'empty.yaml': [
    'empty.yaml:1:1: the policy file is empty; it needs at least listeners and upstreams',
  ],
  'not-a-mapping.yaml': [
    'not-a-mapping.yaml:1:1: the policy file must be a mapping of settings such as listeners and upstreams (got a list)',
  ],
  // "upstreams is required" is not reported: it is the same typo
  'unknown-top-key.yaml': [
    "unknown-top-key.yaml:3:1: upstream: unknown field 'upstream' (did you mean 'upstreams'?)",
  ],
  'unknown-nested-key.yaml': [
    "unknown-nested-key.yaml:4:3: limits.bodySize: unknown field 'bodySize'; expected one of: headerBytes, bodyBytes, headersTimeout, requestTimeout, keepAliveTimeout, minBodyRate, slowReadTimeout, connectionsPerClient",
    "unknown-nested-key.yaml:9:5: upstreams[0].path_prefix: unknown field 'path_prefix' (did you mean 'pathPrefix'?)",
  ],
  'wrong-type.yaml': [
    'wrong-type.yaml:2:11: listeners[0].port: must be an integer (got the string "8080")',
    'wrong-type.yaml:3:21: rejectMatrixParams: must be true or false (got the string "yes")',
    'wrong-type.yaml:8:18: upstreams[0].connections: must be an integer (got the number 1.5)',
    'wrong-type.yaml:9:12: upstreams[0].hosts: must be a list (got the string "api.example.com")',
  ],
  'missing-fields.yaml': [
    'missing-fields.yaml:2:5: listeners[0].port: is required',
    'missing-fields.yaml:4:5: upstreams[0].url: is required',
    "missing-fields.yaml:4:11: upstreams[0].name: must be a name of lower-case letters, digits, '-' and '_', starting with a letter or digit (got the string \"Accounts\")",
    'missing-fields.yaml:5:14: upstreams[0].openapi: must list at least one entry',
    'missing-fields.yaml:6:23: upstreams[0].shadow.status: must be between 400 and 599 (got 200)',
  ],
  'no-listeners.yaml': [
    'no-listeners.yaml:1:12: listeners: must list at least one entry',
  ],
  'bad-mode.yaml': [
    "bad-mode.yaml:1:7: mode: must be 'enforce' or 'monitor' (got the string \"enforcing\"); did you mean 'enforce'?",
    "bad-mode.yaml:4:19: forwardedHeaders: must be 'x-forwarded', 'forwarded' or 'both' (got the string \"x-forwarded-for\"); did you mean 'x-forwarded'?",
    "bad-mode.yaml:9:11: upstreams[0].mode: must be 'enforce' or 'monitor' (got the string \"Monitor\"); did you mean 'monitor'?",
  ],
  'bad-listener.yaml': [
    "bad-listener.yaml:2:11: listeners[0].host: must be an IP address or 'localhost' (got \"api.example.com\"); to serve a host name, listen on 0.0.0.0 or :: and route with upstreams[].hosts",
    'bad-listener.yaml:3:11: listeners[0].port: must be between 0 and 65535 (got 70000)',
    "bad-listener.yaml:4:14: listeners[0].workers: must be a number of workers (1 or more) or 'auto' (got \"many\")",
    'bad-listener.yaml:5:5: listeners[1].port: is required',
    "bad-listener.yaml:5:11: listeners[1].host: must be an IP address or 'localhost' (got \"[::1]\"); write the IPv6 address without brackets: ::1",
    'bad-listener.yaml:6:14: listeners[1].workers: must be at least 1 (got 0)',
  ],
  'duplicate-listeners.yaml': [
    'duplicate-listeners.yaml:4:11: listeners[1].port: 127.0.0.1:8080 is already used by listeners[0] (line 2)',
    'duplicate-listeners.yaml:8:11: listeners[3].port: [0:0:0:0:0:0:0:1]:9090 is already used by listeners[2] (line 5)',
  ],
  'bad-url.yaml': [
    'bad-url.yaml:5:10: upstreams[0].url: must be an http:// or https:// URL (got "ftp://127.0.0.1:9000")',
    'bad-url.yaml:8:10: upstreams[1].url: must not contain a user name or password; credentials in URLs end up in logs',
  ],
  'bad-cidr.yaml': [
    'bad-cidr.yaml:4:5: trustedProxies[0]: "10.0.0.1/8" has bits set after the /8 prefix; did you mean 10.0.0.0/8?',
    'bad-cidr.yaml:5:5: trustedProxies[1]: prefix length "/33" must be a whole number from 0 to 32 for IPv4',
    'bad-cidr.yaml:6:5: trustedProxies[2]: "proxy.internal" is not an IP address or CIDR; write e.g. 10.0.0.0/8, 192.168.1.10 or 2001:db8::/32',
  ],
  'duplicate-names.yaml': [
    "duplicate-names.yaml:7:11: upstreams[1].name: duplicate upstream name 'accounts' (first used by upstreams[0], line 4)",
  ],
  'bad-duration.yaml': [
    'bad-duration.yaml:4:19: limits.headersTimeout: "10 sec" is not a duration; use milliseconds (500) or a whole number with ms, s, m, h or d (500ms, 10s, 2m, 1h, 1d)',
    'bad-duration.yaml:5:21: limits.keepAliveTimeout: must be greater than 0',
    'bad-duration.yaml:10:14: upstreams[0].timeout: must be greater than 0',
    'bad-duration.yaml:11:18: upstreams[0].bodyTimeout: "30" is not a duration; use milliseconds (500) or a whole number with ms, s, m, h or d (500ms, 10s, 2m, 1h, 1d)',
  ],
  'bad-size.yaml': [
    'bad-size.yaml:4:16: limits.headerBytes: "16KiB" is not a size; use bytes (16384) or a whole number with b, kb, mb or gb (512b, 16kb, 1mb; 1kb = 1024 bytes)',
    'bad-size.yaml:5:14: limits.bodyBytes: must be at most 1gb',
  ],
  'request-timeout.yaml': [
    'request-timeout.yaml:4:19: limits.requestTimeout: requestTimeout (5s) must be at least headersTimeout (10s): the whole request cannot take less time than its head',
  ],
  'bad-date.yaml': [
    'bad-date.yaml:9:17: upstreams[0].retired[0].sunset: "2025-02-30" is not a valid date; use YYYY-MM-DD (2025-06-30) or a date-time with a zone (2025-06-30T12:00:00Z)',
    'bad-date.yaml:12:17: upstreams[0].sunsets[0].sunset: "2027-01-01T12:00:00" has no time zone; add Z or an offset, e.g. 2027-01-01T12:00:00Z',
    // an explicit !!timestamp tag is checked as written, not rolled over
    'bad-date.yaml:14:29: upstreams[0].sunsets[1].sunset: "2026-13-01" is not a valid date; use YYYY-MM-DD (2025-06-30) or a date-time with a zone (2025-06-30T12:00:00Z)',
  ],
  'sunset-before-deprecated.yaml': [
    'sunset-before-deprecated.yaml:10:23: upstreams[0].sunsets[0].deprecatedAt: must be before sunset (deprecatedAt 2026-06-01, sunset 2026-01-01)',
  ],
  'bad-rate-limits.yaml': [
    'bad-rate-limits.yaml:7:12: rateLimits.rules[0].key: key part "path." needs a name after the dot, e.g. path.id',
    'bad-rate-limits.yaml:8:16: rateLimits.rules[0].limits[0]: "5/hour": "hour" is not a duration; write the period with ms, s, m, h or d, e.g. 10/1s, 600/1m, 5/1h, 20000/1d',
    'bad-rate-limits.yaml:8:24: rateLimits.rules[0].limits[1]: "10/500ms": a window must last at least 1s',
    "bad-rate-limits.yaml:9:13: rateLimits.rules[1].name: duplicate rule name 'phone-lookups' (first used by rules[0])",
    'bad-rate-limits.yaml:10:17: rateLimits.rules[1].key[1]: unknown key part "cookie.session"; use one of ip, subnet, apiKey, principal, operation, global, path.<name>, query.<name>, header.<name>, claim.<name>, body.<name>',
    'bad-rate-limits.yaml:12:7: rateLimits.rules[2]: a rule needs limits, tiers or distinct (otherwise it limits nothing)',
    'bad-rate-limits.yaml:17:15: rateLimits.rules[3].action: a rule that counts by outcome cannot delay: the outcome is known only after the request was served; use reject',
    'bad-rate-limits.yaml:20:23: rateLimits.rules[4].distinct.of: "path.id" is also the rule\'s key: a key always touches exactly one value of itself',
  ],
  'bad-auth.yaml': [
    "bad-auth.yaml:7:81: auth.schemes.bearerAuth.jwt.algorithms[0]: must be 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512' or 'EdDSA' (got the string \"HS256\"); did you mean 'RS256'?",
    "bad-auth.yaml:9:43: auth.schemes.partner.hmac.clients[0].secret: give exactly one of 'env' (preferred: keeps the secret out of the file) or 'value'",
    'bad-auth.yaml:11:7: auth.schemes.twoKinds: give exactly one of jwt, introspection, apiKeys, basic, hmac or mtls (got apiKeys and basic)',
    'bad-auth.yaml:14:7: auth.rules[0]: a rule needs roles, claims or owner (otherwise it allows everything it matches)',
    'bad-auth.yaml:15:23: auth.rules[1].owner.value: "global" is not a request value; use path.<name>, query.<name>, header.<name> or body.<field>',
  ],
  'bad-operation.yaml': [
    'bad-operation.yaml:8:20: upstreams[0].sunsets[0].operation: "FETCH /v1/users" must be an operationId (getUserV1) or a method and path template ("GET /v1/users/{id}")',
    'bad-operation.yaml:12:15: upstreams[0].sunsets[1].link: must be an http:// or https:// URL (got "mailto:api@example.com")',
    'bad-operation.yaml:13:20: upstreams[0].sunsets[2].operation: "getUserV1" already has a schedule at sunsets[1]',
  ],
  'missing-openapi.yaml': [
    `missing-openapi.yaml:8:9: upstreams[0].openapi[1]: OpenAPI file not found: ${join(specs, 'missing.yaml')}`,
    `missing-openapi.yaml:9:9: upstreams[0].openapi[2]: OpenAPI path is not a file: ${specs}`,
  ],
  'ambiguous-routing.yaml': [
    "ambiguous-routing.yaml:11:31: upstreams[1].hosts[1]: routing is ambiguous: upstreams[0] ('accounts', line 4) also serves host 'api.example.com' under pathPrefix '/'; use a different host or pathPrefix",
    "ambiguous-routing.yaml:18:17: upstreams[3].pathPrefix: routing is ambiguous: upstreams[2] ('legacy', line 12) also serves any host under pathPrefix '/'; give one of them hosts or a different pathPrefix",
  ],
  'bad-hosts.yaml': [
    'bad-hosts.yaml:8:9: upstreams[0].hosts[0]: "api.example.com:8443" must be a host name without a port',
    'bad-hosts.yaml:9:9: upstreams[0].hosts[1]: "bad_host!.example.com" is not a host name; write e.g. api.example.com or *.example.com',
    'bad-hosts.yaml:11:9: upstreams[0].hosts[3]: "api.*.example.com" is not a host name; write e.g. api.example.com or *.example.com',
  ],
  'bad-prefixes.yaml': [
    'bad-prefixes.yaml:7:17: upstreams[0].pathPrefix: "/accounts/" must not end with "/" (prefixes match whole segments); write "/accounts"',
    'bad-prefixes.yaml:9:17: upstreams[0].retired[0].prefix: "v1" must start with "/"',
    'bad-prefixes.yaml:15:17: upstreams[1].retired[0].prefix: "/v1" is outside this upstream\'s pathPrefix "/orders" and would never match; write the full request path, e.g. "/orders/v1" (or set stripPrefix: true)',
    'bad-prefixes.yaml:17:17: upstreams[1].retired[2].prefix: "/orders/v1" is already listed at retired[1]',
  ],
};

describe('invalid policy files', () => {
  it('has a table entry for every fixture', () => {
    const files = readdirSync(join(fixtures, 'invalid')).filter((f) => f.endsWith('.yaml'));
    assert.deepEqual(Object.keys(INVALID).sort(), files.sort());
  });

  for (const [name, expected] of Object.entries(INVALID)) {
    it(`${name}: ${expected[0]!.slice(name.length + 1, 100)}`, async () => {
      const file = join(fixtures, 'invalid', name);
      const err = await failure(file);
      const lines = err.message.split('\n');
      assert.equal(lines.length, expected.length, err.message);
      lines.forEach((line, i) => assert.ok(line.endsWith(expected[i]!), `line ${i + 1}:\n  got      ${line}\n  expected …${expected[i]}`));
      assert.equal(err.problems.length, expected.length);
      for (const p of err.problems) assert.equal(p.file, file);
    });
  }
});

describe('PolicyError', () => {
  it('carries code, the first position, and every problem', async () => {
    const file = join(fixtures, 'invalid', 'wrong-type.yaml');
    const err = await failure(file);
    assert.ok(err instanceof ApiwardenError);
    assert.equal(err.code, 'CONFIG_INVALID');
    assert.equal(err.name, 'PolicyError');
    assert.deepEqual([err.file, err.line, err.column, err.field], [file, 2, 11, 'listeners[0].port']);
    assert.deepEqual(err.problems.map((p) => [p.line, p.column, p.field]), [
      [2, 11, 'listeners[0].port'],
      [3, 21, 'rejectMatrixParams'],
      [8, 18, 'upstreams[0].connections'],
      [9, 12, 'upstreams[0].hosts'],
    ]);
  });

  it('names the file relative to the working directory when that is shorter', async () => {
    const file = join(fixtures, 'invalid', 'empty.yaml');
    const err = await failure(file);
    const rel = relative(process.cwd(), file);
    assert.ok(err.message.startsWith(`${rel.length < file.length ? rel : file}:1:1: `), err.message);
  });

  it('reports an unreadable file without a position', async () => {
    const file = join(fixtures, 'no-such-policy.yaml');
    const err = await failure(file);
    assert.deepEqual([err.line, err.column, err.field], [0, 0, '']);
    assert.match(err.message, /no-such-policy\.yaml: cannot read the policy file: file not found$/);
    assert.equal((err.cause as NodeJS.ErrnoException).code, 'ENOENT');
  });
});

/** What the minimal fixture must give: every default of the contract. */
function minimalExpected(source: string): PolicyConfig {
  return {
    source,
    mode: 'enforce',
    listeners: [{ host: '127.0.0.1', port: 8080, workers: 1, tls: null }],
    upstreams: [{
      name: 'accounts',
      url: 'http://127.0.0.1:9000',
      openapi: [join(specs, 'accounts.yaml')],
      hosts: [],
      pathPrefix: '/',
      stripPrefix: false,
      mode: 'enforce',
      retired: [],
      sunsets: [],
      shadowStatus: 404,
      connections: 128,
      timeoutMs: 30_000,
      bodyTimeoutMs: 30_000,
    }],
    trustedProxies: [],
    limits: {
      headerBytes: 16_384,
      bodyBytes: 1_048_576,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 5000,
      minBodyBytesPerSecond: 1024,
      slowReadTimeoutMs: 30_000,
      connectionsPerClient: 64,
    },
    store: { sqlite: join(fixtures, '.apiwarden', 'apiwarden.db'), flushIntervalMs: 1000, postgres: null },
    accessLog: { target: 'stdout' },
    discovery: { enabled: true, sampleRate: 0.05, maxBodyBytes: 16384, maxEndpoints: 20000, saveIntervalMs: 10000 },
    detection: { enabled: true, ruleFiles: [], builtins: true, evaluateEveryMs: 1000, maxIdentities: 20000, logins: [], autoLogins: true },
    alerts: loadAlertsConfig({}),
    admin: null,
    bus: { nats: null },
    rejectMatrixParams: true,
    forwardedHeaders: 'x-forwarded',
    rateLimits: {
      store: 'memory',
      redis: { url: 'redis://127.0.0.1:6379', cluster: [], prefix: 'aw:', timeoutMs: 50, localAllowance: 1 / 16, leaseLifetimeMs: 10_000 },
      maxKeys: 1_000_000,
      allow: [],
      subnet: { ipv4: 24, ipv6: 64 },
      tarpit: { maxHeld: 1000, maxHeldPerClient: 16 },
      bodyInspectBytes: 65_536,
      costs: {},
      rules: [],
    },
    auth: { schemes: {}, public: [], rules: [], principalHeaders: true },
  };
}

describe('valid policy files', () => {
  it('fills every default into a minimal file', async () => {
    const file = join(fixtures, 'minimal.yaml');
    assert.deepEqual(await loadPolicy(file), minimalExpected(file));
  });

  it('maps every field of a full file', async () => {
    const file = join(fixtures, 'full.yaml');
    const expected: PolicyConfig = {
      source: file,
      mode: 'monitor',
      listeners: [
        { host: '0.0.0.0', port: 8443, workers: 4, tls: null },
        { host: '::1', port: 0, workers: availableParallelism(), tls: null },
      ],
      upstreams: [
        {
          name: 'accounts',
          // lower-cased host, trailing slash dropped
          url: 'https://accounts.internal:8443/base',
          openapi: [join(specs, 'accounts.yaml')],
          hosts: ['api.example.com', '*.example.com'],
          pathPrefix: '/accounts',
          stripPrefix: true,
          mode: 'enforce',
          retired: [
            { prefix: '/v1', sunset: new Date('2025-06-30T00:00:00Z'), link: 'https://example.com/migrate', isPublic: false },
            { prefix: '/beta', sunset: null, link: null, isPublic: false },
          ],
          sunsets: [
            {
              operation: 'getUserV1',
              sunset: new Date('2027-01-01T10:00:00Z'),
              deprecatedAt: new Date('2026-01-01T00:00:00Z'),
              link: 'https://example.com/v2',
            },
            { operation: 'GET /v1/users/{id}/devices', sunset: new Date('2027-06-01T00:00:00Z'), deprecatedAt: null, link: null },
          ],
          shadowStatus: 403,
          connections: 32,
          timeoutMs: 10_000,
          bodyTimeoutMs: 120_000,
        },
        {
          name: 'orders_v2',
          url: 'http://127.0.0.1:9001',
          openapi: [join(specs, 'orders.yaml'), join(specs, 'orders-admin.yaml')],
          hosts: [],
          pathPrefix: '/orders',
          stripPrefix: false,
          mode: 'monitor', // inherited from the global mode
          retired: [],
          sunsets: [],
          shadowStatus: 404,
          connections: 128,
          timeoutMs: 30_000,
          bodyTimeoutMs: 30_000,
        },
      ],
      trustedProxies: ['10.0.0.0/8', '192.168.1.10/32', '2001:db8::/32'],
      limits: {
        headerBytes: 8192,
        bodyBytes: 2 * 1024 * 1024,
        headersTimeoutMs: 5000,
        requestTimeoutMs: 60_000,
        keepAliveTimeoutMs: 2500,
        minBodyBytesPerSecond: 0,
        slowReadTimeoutMs: 45_000,
        connectionsPerClient: 16,
      },
      store: { sqlite: join(fixtures, 'data', 'apiwarden.db'), flushIntervalMs: 250, postgres: null },
      accessLog: { target: join(fixtures, 'logs', 'access.log') },
      discovery: { enabled: true, sampleRate: 0.05, maxBodyBytes: 16384, maxEndpoints: 20000, saveIntervalMs: 10000 },
      detection: { enabled: true, ruleFiles: [], builtins: true, evaluateEveryMs: 1000, maxIdentities: 20000, logins: [], autoLogins: true },
      alerts: loadAlertsConfig({}),
      admin: null,
    bus: { nats: null },
      rejectMatrixParams: false,
      forwardedHeaders: 'both',
      rateLimits: {
        store: 'redis',
        redis: { url: 'redis://127.0.0.1:6380', cluster: [], prefix: 'gw:', timeoutMs: 20, localAllowance: 1 / 16, leaseLifetimeMs: 10_000 },
        maxKeys: 50_000,
        allow: ['10.0.0.0/8'],
        subnet: { ipv4: 16, ipv6: 48 },
        tarpit: { maxHeld: 200, maxHeldPerClient: 4 },
        bodyInspectBytes: 8192,
        costs: { searchUsers: 5 },
        rules: [
          {
            name: 'phone-lookups',
            match: { operations: ['getPhoneStatus'], tags: [], methods: ['GET'], classes: [], upstreams: [] },
            key: [{ source: 'path', name: 'phone', fieldPath: [], text: 'path.phone' }],
            windows: [{ limit: 5, periodMs: 3_600_000, burst: null }],
            tiers: {},
            distinct: null,
            cost: 1,
            countStatus: null,
            action: 'reject',
            maxDelayMs: 10_000,
            ban: null,
            onFailure: 'local',
            dryRun: false,
            origin: 'rateLimits.rules[0]',
          },
          {
            name: 'accounts-per-key',
            match: { operations: [], tags: ['accounts'], methods: [], classes: ['documented'], upstreams: [] },
            key: [{ source: 'apiKey', name: '', fieldPath: [], text: 'apiKey' }],
            windows: [],
            tiers: { gold: [{ limit: 100, periodMs: 1000, burst: null }] },
            distinct: { of: { source: 'body', name: 'account.id', fieldPath: ['account', 'id'], text: 'body.account.id' }, limit: 200, periodMs: 86_400_000 },
            cost: 1,
            countStatus: [404],
            action: 'reject',
            maxDelayMs: 10_000,
            ban: { key: 'subnet', after: 2, withinMs: 300_000, durationsMs: [60_000, 3_600_000], resetAfterMs: 86_400_000 },
            onFailure: 'closed',
            dryRun: true,
            origin: 'rateLimits.rules[1]',
          },
          {
            name: 'everyone',
            match: { operations: [], tags: [], methods: [], classes: [], upstreams: [] },
            key: [
              { source: 'ip', name: '', fieldPath: [], text: 'ip' },
              { source: 'header', name: 'user-agent', fieldPath: [], text: 'header.User-Agent' },
            ],
            windows: [
              { limit: 10, periodMs: 1000, burst: 20 },
              { limit: 600, periodMs: 60_000, burst: null },
              { limit: 20_000, periodMs: 86_400_000, burst: null },
            ],
            tiers: {},
            distinct: null,
            cost: 1,
            countStatus: null,
            action: 'delay',
            maxDelayMs: 2000,
            ban: null,
            onFailure: 'local',
            dryRun: false,
            origin: 'rateLimits.rules[2]',
          },
        ],
      },
      auth: {
        schemes: {
          bearerAuth: {
            kind: 'jwt', issuer: 'https://idp.example.com/', audiences: ['accounts'], jwksUri: null, discoveryUrl: null,
            algorithms: ['RS256', 'ES256'], clockSkewMs: 10_000, scopeClaim: 'scope', rolesClaim: 'roles', planClaim: 'plan', cacheSize: 10_000, jwksCooldownMs: 30_000,
          },
          opaque: {
            kind: 'introspection', url: 'https://idp.example.com/introspect', discoveryUrl: null, clientId: 'gateway',
            clientSecret: { env: 'APIWARDEN_INTROSPECTION_SECRET', value: null }, timeoutMs: 1000, issuer: null, audiences: [],
          },
          apiKeyAuth: { kind: 'apiKeys', cacheMs: 2000 },
          signed: { kind: 'hmac', replayWindowMs: 300_000, clients: [{ id: 'partner-1', secret: { env: 'PARTNER_1_SECRET', value: null }, scopes: ['read'], roles: [], plan: null }] },
          clientCert: { kind: 'mtls', principalFrom: 'san-dns', allow: ['partner.example.com'], roles: {} },
        },
        public: ['getHealth', 'GET /status'],
        rules: [
          { match: { operations: ['getUser'], tags: [] }, roles: [], claims: {}, owner: { value: { source: 'path', name: 'id', fieldPath: [], text: 'path.id' }, claim: 'sub', unlessRoles: ['admin'] }, origin: 'auth.rules[0]' },
          { match: { operations: [], tags: ['admin'] }, roles: ['admin'], claims: {}, owner: null, origin: 'auth.rules[1]' },
        ],
        principalHeaders: false,
      },
    };
    assert.deepEqual(await loadPolicy(file), expected);
  });

  it('resolves relative paths against the folder of `source`, not the working directory', () => {
    const text = readFileSync(join(fixtures, 'minimal.yaml'), 'utf8');
    const source = join(fixtures, 'minimal.yaml');
    assert.deepEqual(parsePolicy(text, source), minimalExpected(source));
  });

  it("keeps ':memory:' and 'off' as they are", () => {
    const text = `${readFileSync(join(fixtures, 'minimal.yaml'), 'utf8')}store: { sqlite: ':memory:' }\naccessLog: 'off'\n`;
    const policy = parsePolicy(text, join(fixtures, 'inline.yaml'));
    assert.equal(policy.store.sqlite, ':memory:');
    assert.deepEqual(policy.accessLog, { target: 'off' });
  });

  it('reads the lease lifetime of local allowances, from 1s to 1m, and names the line of one outside', () => {
    const base = readFileSync(join(fixtures, 'minimal.yaml'), 'utf8');
    const policy = parsePolicy(`${base}rateLimits: { store: redis, redis: { leaseLifetime: 15s } }\n`, join(fixtures, 'inline.yaml'));
    assert.equal(policy.rateLimits.redis.leaseLifetimeMs, 15_000);
    assert.throws(() => parsePolicy(`${base}rateLimits:\n  redis:\n    leaseLifetime: 2m\n`, join(fixtures, 'inline.yaml')), {
      message: /inline\.yaml:\d+:\d+: rateLimits\.redis\.leaseLifetime: a lease lifetime must be from 1s to 1m, got 2m/,
    });
  });

  it('reads YAML 1.2 even under a %YAML 1.1 directive (no yes/no booleans)', () => {
    const text = `%YAML 1.1\n---\n${readFileSync(join(fixtures, 'minimal.yaml'), 'utf8')}rejectMatrixParams: no\n`;
    assert.throws(() => parsePolicy(text, join(fixtures, 'inline.yaml')), {
      message: /:10:21: rejectMatrixParams: must be true or false \(got the string "no"\)$/,
    });
  });

  it('accepts the full example of docs/configuration.md', () => {
    const docs = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
    const example = /```yaml\n(# apiwarden\.yaml[\s\S]*?)```/.exec(docs)?.[1];
    assert.ok(example, 'docs/configuration.md has a ```yaml block starting with "# apiwarden.yaml"');
    // the example's relative paths point at the fixtures' specs/ folder
    const policy = parsePolicy(example, join(fixtures, 'apiwarden.yaml'));
    assert.equal(policy.upstreams.length, 2);
  });
});

describe('message helpers', () => {
  it('builds readable field paths', () => {
    assert.equal(fieldName(['upstreams', 0, 'retired', 1, 'sunset']), 'upstreams[0].retired[1].sunset');
    assert.equal(fieldName(['mode']), 'mode');
    assert.equal(fieldName([]), '');
  });

  it('suggests close names, ignoring case, - and _', () => {
    const keys = ['listeners', 'upstreams', 'pathPrefix', 'timeout', 'trustedProxies'];
    assert.equal(didYouMean('upstream', keys), 'upstreams');
    assert.equal(didYouMean('path_prefix', keys), 'pathPrefix');
    assert.equal(didYouMean('timout', keys), 'timeout');
    assert.equal(didYouMean('trusted-proxies', keys), 'trustedProxies');
    assert.equal(didYouMean('color', keys), undefined);
  });
});
