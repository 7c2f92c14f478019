/**
 * What the auth benchmark (run.ts) runs against: the variants (one operation
 * each, identical but for its path segment and its `security`), the OpenAPI
 * document and policy file of a gateway serving some of them, the upstream
 * nginx, the credentials (an API key in the gateway's SQLite store, ES256
 * tokens) and the JWKS endpoint the gateway fetches its keys from.
 *
 * Every address is 127.0.0.1; the ports (18090-18093) differ from
 * bench/proxy's (18080-18084), so the two benchmarks do not collide.
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { stringify } from 'yaml';
import { createSqliteApiKeyStore } from '../../src/auth/api-key-store.ts';
import { HOST } from '../proxy/lib.ts';

export const PORTS = {
  upstream: 18090,
  gateway: 18091,
  jwks: 18092,
  /** the second gateway of --entry-b in the one-process mode */
  gatewayB: 18093,
} as const;

/**
 * The request of a variant: the same templated GET for all, under a path
 * segment of its own so that one gateway can serve every variant.
 */
export function requestPath(variant: Pick<Variant, 'id'>): string {
  return `/v1/${variant.id}/customers/cus_1042`;
}

export const ISSUER = `http://${HOST}:${PORTS.jwks}/`;
export const AUDIENCE = 'bench-api';
export const SCOPE = 'customers:read';

export type VariantId = 'public' | 'anonymous' | 'anonymous-token' | 'apikey' | 'jwt' | 'jwt-many' | 'jwt-cold';

export interface Variant {
  id: VariantId;
  label: string;
  /** the operation's `security`; null = none declared (then x-apiwarden-public) */
  security: Array<Record<string, string[]>> | null;
  /** what each request carries */
  credential: 'none' | 'api-key' | 'one-token' | 'many-tokens';
}

/** Verified-token cache of the `bearerSmallCache` scheme (jwt-cold): smaller than the cycle of tokens. */
export const SMALL_CACHE = 100;

/** The baseline of every ratio: "auth off" as a document says it (`security: []`). */
export const BASELINE: VariantId = 'anonymous';

export const VARIANTS: readonly Variant[] = [
  {
    id: 'anonymous',
    label: 'auth off (`security: []`, anonymous)',
    security: [],
    credential: 'none',
  },
  {
    id: 'public',
    label: 'no requirement, `x-apiwarden-public` (synchronous path)',
    security: null,
    credential: 'none',
  },
  {
    // the control for "jwt": the same bytes on the wire, nothing checked (no
    // scheme is named, so the token is only forwarded); jwt minus this is the
    // checking, this minus anonymous is carrying the header through the proxy
    id: 'anonymous-token',
    label: 'auth off, the JWT sent anyway (forwarded, not checked)',
    security: [],
    credential: 'one-token',
  },
  {
    id: 'apikey',
    label: 'API key (X-Api-Key, one key, cached)',
    security: [{ apiKeyAuth: [SCOPE] }],
    credential: 'api-key',
  },
  {
    id: 'jwt',
    label: 'JWT ES256 (one token, cached)',
    security: [{ bearerAuth: [SCOPE] }],
    credential: 'one-token',
  },
  {
    id: 'jwt-many',
    label: 'JWT ES256 (N tokens rotated, all cached)',
    security: [{ bearerAuth: [SCOPE] }],
    credential: 'many-tokens',
  },
  {
    id: 'jwt-cold',
    label: `JWT ES256 (N tokens rotated, cache of ${SMALL_CACHE}: every request verified)`,
    // tokens are sent in a cycle longer than this scheme's LRU: each is evicted before it comes back
    security: [{ bearerSmallCache: [SCOPE] }],
    credential: 'many-tokens',
  },
];

// ---------------------------------------------------------------- documents and policies

/**
 * The OpenAPI document of a gateway: one GET per variant, the same template
 * under the variant's segment, differing only in `security`; every scheme
 * declared in all documents.
 */
export function writeDocument(dir: string, variants: readonly Variant[], name: string): string {
  const paths: Record<string, unknown> = {};
  for (const variant of variants) {
    const operation: Record<string, unknown> = {
      operationId: `getCustomer_${variant.id.replace('-', '_')}`,
      parameters: [{ name: 'customerId', in: 'path', required: true, schema: { type: 'string' } }],
      responses: { '200': { description: 'a customer' } },
    };
    if (variant.security === null) operation['x-apiwarden-public'] = true;
    else operation.security = variant.security;
    paths[`/v1/${variant.id}/customers/{customerId}`] = { get: operation };
  }
  const document = {
    // 3.1: a Security Requirement may list role names for non-OAuth schemes (OAS 3.1 §4.8.30)
    openapi: '3.1.0',
    info: { title: `apiwarden auth benchmark (${variants.map((v) => v.id).join(', ')})`, version: '1.0.0' },
    paths,
    components: {
      securitySchemes: {
        apiKeyAuth: { type: 'apiKey', in: 'header', name: 'X-Api-Key' },
        bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        bearerSmallCache: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      },
    },
  };
  const file = join(dir, `${name}-openapi.yaml`);
  writeFileSync(file, `# generated by bench/auth/setup.ts\n${stringify(document)}`);
  return file;
}

export interface GatewayPolicy {
  file: string;
  db: string;
}

/**
 * The policy of a gateway: one listener, the upstream, a fresh SQLite store
 * (events and API keys), the access log off (it would cost every variant
 * the same, and lower the share of auth), every scheme configured.
 */
export function writePolicy(dir: string, variants: readonly Variant[], name: string, options: { workers: number; port: number }): GatewayPolicy {
  const db = join(dir, `${name}.db`);
  const jwt = {
    issuer: ISSUER,
    audiences: [AUDIENCE],
    jwksUri: `http://${HOST}:${PORTS.jwks}/jwks.json`,
    algorithms: ['ES256'],
  };
  const policy = {
    mode: 'enforce',
    listeners: [{ host: HOST, port: options.port, workers: options.workers }],
    upstreams: [{ name: 'app', url: `http://${HOST}:${PORTS.upstream}`, openapi: writeDocument(dir, variants, name), connections: 128 }],
    // one client address with all of wrk's connections
    limits: { connectionsPerClient: 1024 },
    store: { sqlite: db },
    accessLog: 'off',
    auth: {
      schemes: {
        apiKeyAuth: { apiKeys: { cache: '5s' } },
        bearerAuth: { jwt },
        bearerSmallCache: { jwt: { ...jwt, cacheSize: SMALL_CACHE } },
      },
    },
  };
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, `# generated by bench/auth/setup.ts\n${stringify(policy)}`);
  return { file, db };
}

/** A key in the gateway's store, made as `apiwarden keys create` makes it; the clear key is returned. */
export async function createApiKey(db: string): Promise<string> {
  const store = createSqliteApiKeyStore(db);
  try {
    const created = await store.create({ owner: 'bench', scopes: [SCOPE], name: 'bench/auth' });
    return created.key;
  } finally {
    await store.close();
  }
}

// ---------------------------------------------------------------- upstream

const UPSTREAM_BODY = '{"id":"cus_1042","status":"active","plan":"pro","devices":2,"updatedAt":"2025-11-02T10:00:00Z"}';

/** The upstream: nginx answering every path with the same 95-byte JSON, as in bench/proxy. */
export function writeUpstreamNginxConf(dir: string, workers: number): string {
  const isRoot = process.getuid?.() === 0;
  mkdirSync(join(dir, 'upstream-tmp'), { recursive: true });
  const file = join(dir, 'upstream-nginx.conf');
  writeFileSync(file, `# generated by bench/auth/setup.ts
${isRoot ? 'user root;\n' : ''}daemon off;
master_process on;
worker_processes ${workers};
pid ${dir}/upstream-nginx.pid;
error_log ${dir}/upstream-nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/upstream-tmp/body;
  proxy_temp_path ${dir}/upstream-tmp/proxy;
  fastcgi_temp_path ${dir}/upstream-tmp/fastcgi;
  uwsgi_temp_path ${dir}/upstream-tmp/uwsgi;
  scgi_temp_path ${dir}/upstream-tmp/scgi;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  server {
    listen ${HOST}:${PORTS.upstream} reuseport backlog=4096;
    default_type application/json;
    location / { return 200 '${UPSTREAM_BODY}'; }
  }
}
`);
  return file;
}

// ---------------------------------------------------------------- tokens and JWKS

export interface Issuer {
  /** one valid token (the `jwt` variant) */
  token: string;
  /** `count` distinct valid tokens, one per line (the rotated variants) */
  tokensFile: string;
  count: number;
  /** where the JWKS is served */
  jwksUri: string;
  /** JWKS requests served so far */
  readonly jwksFetches: number;
  close(): Promise<void>;
}

/**
 * An ES256 key pair, tokens signed with it (valid for `validS` seconds; the
 * run must end before), and the JWKS served on 127.0.0.1:18092 (or `port`;
 * 0 = any free port) from this process. A gateway fetches it once per JWT
 * scheme at its first token (then jose keeps the key).
 */
export async function startIssuer(dir: string, count: number, validS: number, port: number = PORTS.jwks): Promise<Issuer> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench-es256', alg: 'ES256', use: 'sig' };
  const body = JSON.stringify({ keys: [jwk] });
  const now = Math.floor(Date.now() / 1000);
  const sign = (sub: string): Promise<string> =>
    new SignJWT({ scope: SCOPE })
      .setProtectedHeader({ alg: 'ES256', kid: jwk.kid, typ: 'JWT' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(sub)
      .setIssuedAt(now)
      .setExpirationTime(now + validS)
      .sign(privateKey);
  const token = await sign('user-0');
  const tokens: string[] = [];
  for (let i = 1; i <= count; i++) tokens.push(await sign(`user-${i}`));
  const tokensFile = join(dir, 'tokens.txt');
  writeFileSync(tokensFile, tokens.join('\n') + '\n');

  let jwksFetches = 0;
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/jwks.json') {
      jwksFetches++;
      res.writeHead(200, { 'content-type': 'application/jwk-set+json', 'cache-control': 'max-age=600' });
      res.end(body);
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, () => resolveListen());
  });
  const address = server.address();
  return {
    token,
    tokensFile,
    count,
    jwksUri: `http://${HOST}:${typeof address === 'object' && address ? address.port : port}/jwks.json`,
    get jwksFetches() {
      return jwksFetches;
    },
    close() {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}
