/**
 * Test harness for the bearer-token verifiers: a real identity provider
 * (oidc-provider) on 127.0.0.1, small JSON servers for the failure cases, and
 * request builders. Not part of the build (tsconfig.build.json excludes
 * test-helpers.ts): oidc-provider is a dev dependency.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import type { AuthRequest } from '../types.ts';

// ---------------------------------------------------------------------------
// servers

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

async function shut(server: Server): Promise<void> {
  // idle keep-alive sockets (fetch keeps them) and requests left hanging on purpose
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** A URL on 127.0.0.1 where nothing listens (a port taken, then released). */
export async function closedPortUrl(path = '/'): Promise<string> {
  const server = createServer();
  const port = await listen(server);
  await shut(server);
  return `http://127.0.0.1:${port}${path}`;
}

export interface StubRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** What a stub answers: a JSON body with a status, or 'hang' to never answer. */
export type StubAnswer = { status?: number; json: unknown } | 'hang';

export interface StubServer {
  /** http://127.0.0.1:<port> */
  readonly origin: string;
  /** requests received so far */
  readonly requests: StubRequest[];
  close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 that answers JSON from a function and records what it got. */
export async function startStubServer(answer: (request: StubRequest) => StubAnswer): Promise<StubServer> {
  const requests: StubRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: StubRequest = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(request);
      const reply = answer(request);
      if (reply === 'hang') return;
      res.writeHead(reply.status ?? 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(reply.json));
    });
  });
  const port = await listen(server);
  return { origin: `http://127.0.0.1:${port}`, requests, close: () => shut(server) };
}

// ---------------------------------------------------------------------------
// keys

export interface SigningKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** private JWK with kid, alg and use, as oidc-provider takes it */
  privateJwk: JWK;
  publicJwk: JWK;
}

export async function createSigningKey(kid: string, alg: 'RS256' | 'ES256' = 'RS256'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const meta = { kid, alg, use: 'sig' };
  return {
    kid,
    alg,
    privateKey,
    publicKey,
    privateJwk: { ...(await exportJWK(privateKey)), ...meta },
    publicJwk: { ...(await exportJWK(publicKey)), ...meta },
  };
}

// ---------------------------------------------------------------------------
// the identity provider

interface OidcProvider {
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
}
type ProviderConstructor = new (issuer: string, configuration: Record<string, unknown>) => OidcProvider;

async function loadProvider(): Promise<ProviderConstructor> {
  // oidc-provider ships no type declarations; a computed specifier keeps tsc from looking for them
  const specifier = 'oidc-provider';
  const module = (await import(specifier)) as { default: ProviderConstructor };
  return module.default;
}

interface StoredArtifact {
  payload: Record<string, unknown>;
  expiresAt: number | undefined;
}

/**
 * oidc-provider's storage interface, in memory, one store per harness (the
 * library's own development adapter is process-wide and warns on every
 * start). Shared by the providers that rotateKeys() swaps in, so tokens
 * survive a rotation as they would at a real provider.
 */
function memoryAdapter(store: Map<string, StoredArtifact>) {
  return class MemoryAdapter {
    readonly #name: string;
    constructor(name: string) {
      this.#name = name;
    }
    #key(id: string): string {
      return `${this.#name}:${id}`;
    }
    #live(key: string): StoredArtifact | undefined {
      const entry = store.get(key);
      if (entry?.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
        store.delete(key);
        return undefined;
      }
      return entry;
    }
    async upsert(id: string, payload: Record<string, unknown>, expiresIn?: number): Promise<void> {
      store.set(this.#key(id), { payload: structuredClone(payload), expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : undefined });
    }
    async find(id: string): Promise<Record<string, unknown> | undefined> {
      return this.#live(this.#key(id))?.payload;
    }
    async findByUid(uid: string): Promise<Record<string, unknown> | undefined> {
      for (const [key, entry] of store) if (key.startsWith(`${this.#name}:`) && entry.payload['uid'] === uid) return this.#live(key)?.payload;
      return undefined;
    }
    async findByUserCode(userCode: string): Promise<Record<string, unknown> | undefined> {
      for (const [key, entry] of store) if (key.startsWith(`${this.#name}:`) && entry.payload['userCode'] === userCode) return this.#live(key)?.payload;
      return undefined;
    }
    async consume(id: string): Promise<void> {
      const entry = this.#live(this.#key(id));
      if (entry !== undefined) entry.payload['consumed'] = Math.floor(Date.now() / 1000);
    }
    async destroy(id: string): Promise<void> {
      store.delete(this.#key(id));
    }
    async revokeByGrantId(grantId: string): Promise<void> {
      for (const [key, entry] of store) if (entry.payload['grantId'] === grantId) store.delete(key);
    }
  };
}

export interface IdentityProvider {
  readonly issuer: string;
  /** `${issuer}/.well-known/openid-configuration` */
  readonly discoveryUrl: string;
  readonly jwksUri: string;
  readonly introspectionUrl: string;
  readonly tokenUrl: string;
  /** resource indicator (RFC 8707) whose tokens are JWTs; also their `aud` */
  readonly jwtResource: string;
  /** resource indicator whose tokens are opaque (for introspection) */
  readonly opaqueResource: string;
  /** the API client that gets tokens (client_credentials, client_secret_basic) */
  readonly client: { id: string; secret: string };
  /** the gateway's own client, for introspection */
  readonly gatewayClient: { id: string; secret: string };
  /** the signing keys in use; the first RS256 one signs */
  readonly keys: readonly SigningKey[];
  /** requests received for a path (e.g. '/jwks', '/token/introspection') */
  requestCount(path: string): number;
  /** an access token from the token endpoint (client_credentials grant) */
  token(options?: { resource?: string; scope?: string }): Promise<string>;
  /** serves a new key set from now on (a new provider instance on the same address and storage) */
  rotateKeys(keys: readonly SigningKey[]): Promise<void>;
  close(): Promise<void>;
}

/** Starts oidc-provider on 127.0.0.1 (ephemeral port), with JWT and opaque access tokens and introspection. */
export async function startIdentityProvider(options: { keys?: readonly SigningKey[]; accessTokenTtlSec?: number } = {}): Promise<IdentityProvider> {
  const Provider = await loadProvider();
  let keys: readonly SigningKey[] = options.keys ?? [await createSigningKey('key-1')];
  const ttl = options.accessTokenTtlSec ?? 300;
  const client = { id: 'api-client', secret: 'api-client-secret-0123456789' };
  const gatewayClient = { id: 'gateway', secret: 'gateway-secret-0123456789' };
  const jwtResource = 'https://api.example.test/jwt';
  const opaqueResource = 'https://api.example.test/opaque';
  const store = new Map<string, StoredArtifact>();
  const counts = new Map<string, number>();

  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    counts.set(path, (counts.get(path) ?? 0) + 1);
    if (handler === undefined) {
      res.writeHead(503).end();
      return;
    }
    handler(req, res);
  });
  const port = await listen(server);
  const issuer = `http://127.0.0.1:${port}`;

  const build = (signing: readonly SigningKey[]): OidcProvider =>
    new Provider(issuer, {
      adapter: memoryAdapter(store),
      clients: [
        {
          client_id: client.id,
          client_secret: client.secret,
          grant_types: ['client_credentials'],
          redirect_uris: [],
          response_types: [],
          token_endpoint_auth_method: 'client_secret_basic',
        },
        {
          client_id: gatewayClient.id,
          client_secret: gatewayClient.secret,
          grant_types: [],
          redirect_uris: [],
          response_types: [],
          token_endpoint_auth_method: 'client_secret_basic',
        },
      ],
      jwks: { keys: signing.map((key) => key.privateJwk) },
      ttl: { AccessToken: ttl, ClientCredentials: ttl },
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        introspection: {
          enabled: true,
          // only the gateway may introspect
          allowedPolicy: (ctx: { oidc: { client: { clientId: string } } }) => ctx.oidc.client.clientId === gatewayClient.id,
        },
        resourceIndicators: {
          enabled: true,
          defaultResource: (_ctx: unknown, _client: unknown, oneOf?: string) => oneOf ?? jwtResource,
          getResourceServerInfo: (_ctx: unknown, resource: string) => ({
            scope: 'read write admin',
            audience: resource,
            accessTokenTTL: ttl,
            accessTokenFormat: resource === opaqueResource ? 'opaque' : 'jwt',
            ...(resource === opaqueResource ? {} : { jwt: { sign: { alg: 'RS256' } } }),
          }),
        },
      },
    });

  handler = build(keys).callback();

  return {
    issuer,
    discoveryUrl: `${issuer}/.well-known/openid-configuration`,
    jwksUri: `${issuer}/jwks`,
    introspectionUrl: `${issuer}/token/introspection`,
    tokenUrl: `${issuer}/token`,
    jwtResource,
    opaqueResource,
    client,
    gatewayClient,
    get keys() {
      return keys;
    },
    requestCount: (path) => counts.get(path) ?? 0,
    async token({ resource = jwtResource, scope = 'read' } = {}) {
      const response = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope, resource }),
      });
      const body = (await response.json()) as { access_token?: string };
      if (response.status !== 200 || typeof body.access_token !== 'string') {
        throw new Error(`token endpoint answered ${response.status}: ${JSON.stringify(body)}`);
      }
      return body.access_token;
    },
    async rotateKeys(next) {
      keys = next;
      handler = build(next).callback();
    },
    close: () => shut(server),
  };
}

// ---------------------------------------------------------------------------
// requests

export interface AuthRequestInit {
  /** header fields in order, as received; repeated names stay repeated in rawHeaders */
  headers?: ReadonlyArray<readonly [string, string]>;
  query?: string;
  body?: Buffer | null;
  now?: number;
  peerCertificate?: AuthRequest['peerCertificate'];
}

/**
 * An AuthRequest as the gateway would build it. Like Node, `headers` keeps
 * the first of repeated fields that it does not join (authorization).
 */
export function authRequest(init: AuthRequestInit = {}): AuthRequest {
  const headers: AuthRequest['headers'] = {};
  const rawHeaders: string[] = [];
  for (const [name, value] of init.headers ?? []) {
    rawHeaders.push(name, value);
    const lower = name.toLowerCase();
    headers[lower] ??= value;
  }
  return {
    method: 'GET',
    path: '/v1/things',
    query: init.query ?? '',
    headers,
    rawHeaders,
    peerCertificate: init.peerCertificate ?? null,
    peerCertificateAuthorized: false,
    body: init.body ?? null,
    now: init.now ?? Date.now(),
  };
}

/** A request with `Authorization: Bearer <token>`. */
export function bearerRequest(token: string, init: Omit<AuthRequestInit, 'headers'> = {}): AuthRequest {
  return authRequest({ ...init, headers: [['Authorization', `Bearer ${token}`]] });
}
