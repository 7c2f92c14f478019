import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createIntrospectionVerifier } from './introspection.ts';
import type { IntrospectionVerifierOptions } from './introspection.ts';
import type { AuthOutcome, Principal, SchemeVerifier } from './types.ts';
import { authRequest, bearerRequest, closedPortUrl, startIdentityProvider, startStubServer } from './testing/test-helpers.ts';
import type { IdentityProvider, StubAnswer, StubServer } from './testing/test-helpers.ts';

const INTROSPECTION = '/token/introspection';
const nowSec = () => Math.floor(Date.now() / 1000);

async function outcomeOf(verifier: SchemeVerifier, token: string, init: Parameters<typeof bearerRequest>[1] = {}): Promise<AuthOutcome> {
  return verifier.authenticate(bearerRequest(token, init));
}

function principalOf(outcome: AuthOutcome): Principal {
  assert.equal(outcome.result, 'authenticated', JSON.stringify(outcome));
  return (outcome as { principal: Principal }).principal;
}

function assertInvalid(outcome: AuthOutcome, reason: string | RegExp, bearerError = 'invalid_token'): void {
  assert.equal(outcome.result, 'invalid', JSON.stringify(outcome));
  const invalid = outcome as { reason: string; bearerError?: string };
  if (typeof reason === 'string') assert.equal(invalid.reason, reason);
  else assert.match(invalid.reason, reason);
  assert.equal(invalid.bearerError, bearerError);
}

function assertUnavailable(outcome: AuthOutcome, reason?: RegExp): void {
  assert.equal(outcome.result, 'unavailable', JSON.stringify(outcome));
  if (reason !== undefined) assert.match((outcome as { reason: string }).reason, reason);
}

describe('introspection against a real authorisation server (oidc-provider)', () => {
  let idp: IdentityProvider;
  let options: IntrospectionVerifierOptions;

  before(async () => {
    idp = await startIdentityProvider();
    options = {
      scheme: 'oauth',
      discoveryUrl: idp.discoveryUrl,
      clientId: idp.gatewayClient.id,
      clientSecret: idp.gatewayClient.secret,
      audiences: [idp.opaqueResource],
    };
  });
  after(() => idp.close());

  test('an active token gives a principal with its scopes; the second use is served from the cache', async () => {
    const verifier = createIntrospectionVerifier(options);
    const token = await idp.token({ resource: idp.opaqueResource, scope: 'read write' });
    const start = idp.requestCount(INTROSPECTION);
    const principal = principalOf(await outcomeOf(verifier, token));
    assert.equal(principal.id, `introspection:${idp.client.id}`, 'a client-credentials token: the client is the subject');
    assert.equal(principal.subject, idp.client.id);
    assert.equal(principal.method, 'introspection');
    assert.equal(principal.scheme, 'oauth');
    assert.deepEqual(principal.scopes, ['read', 'write']);
    assert.equal(principal.claims['aud'], idp.opaqueResource);
    assert.equal(principal.claims['iss'], idp.issuer);
    assert.ok(principal.expiresAt !== null && principal.expiresAt > Date.now());
    assert.equal(idp.requestCount(INTROSPECTION) - start, 1);

    const again = verifier.authenticate(bearerRequest(token));
    assert.ok(!(again instanceof Promise), 'a cache hit is answered without a promise');
    assert.equal(principalOf(again), principal);
    assert.equal(idp.requestCount(INTROSPECTION) - start, 1, 'no second introspection');
  });

  test('an unknown (inactive) token is invalid, and remembered for a short time', async () => {
    const verifier = createIntrospectionVerifier(options);
    const start = idp.requestCount(INTROSPECTION);
    const now = Date.now();
    assertInvalid(await outcomeOf(verifier, 'not-a-token-the-server-issued', { now }), 'inactive token');
    assertInvalid(await outcomeOf(verifier, 'not-a-token-the-server-issued', { now: now + 9_999 }), 'inactive token');
    assert.equal(idp.requestCount(INTROSPECTION) - start, 1, 'negative answer cached');
    assertInvalid(await outcomeOf(verifier, 'not-a-token-the-server-issued', { now: now + 10_000 }), 'inactive token');
    assert.equal(idp.requestCount(INTROSPECTION) - start, 2, 'asked again after negativeCacheTtlMs');
  });

  test('a token for another resource server is refused (aud)', async () => {
    const verifier = createIntrospectionVerifier({ ...options, audiences: ['https://another-api.example.test'] });
    const token = await idp.token({ resource: idp.opaqueResource });
    assertInvalid(await outcomeOf(verifier, token), 'wrong audience');
  });

  test('a JWT the server refuses to introspect (400 unsupported_token_type) is invalid, not unavailable', async () => {
    const verifier = createIntrospectionVerifier(options);
    assertInvalid(await outcomeOf(verifier, await idp.token({ resource: idp.jwtResource })), /unsupported_token_type/);
  });

  test('wrong client credentials at the server (401 invalid_client): unavailable', async () => {
    const verifier = createIntrospectionVerifier({ ...options, clientSecret: 'wrong-secret' });
    assertUnavailable(await outcomeOf(verifier, await idp.token({ resource: idp.opaqueResource })), /401/);
  });

  test('the discovered issuer must be the configured one', async () => {
    const verifier = createIntrospectionVerifier({ ...options, issuer: 'https://someone-else.example' });
    assertUnavailable(await outcomeOf(verifier, await idp.token({ resource: idp.opaqueResource })), /issuer/);
  });
});

describe('introspection against stub servers', () => {
  const servers: StubServer[] = [];
  async function stub(answer: (body: URLSearchParams) => StubAnswer): Promise<StubServer> {
    const server = await startStubServer((request) => answer(new URLSearchParams(request.body)));
    servers.push(server);
    return server;
  }
  const make = (server: StubServer | string, overrides: Partial<IntrospectionVerifierOptions> = {}) =>
    createIntrospectionVerifier({
      scheme: 'oauth',
      introspectionUrl: typeof server === 'string' ? server : `${server.origin}/introspect`,
      clientId: 'gateway client',
      clientSecret: 'se:cret',
      ...overrides,
    });
  const active = (extra: Record<string, unknown> = {}): StubAnswer => ({
    json: { active: true, sub: 'user-7', scope: 'read', exp: nowSec() + 3600, token_type: 'Bearer', ...extra },
  });

  after(async () => {
    for (const server of servers) await server.close();
  });

  test('the request: POST, client_secret_basic, token and token_type_hint=access_token', async () => {
    const server = await stub(() => active());
    principalOf(await outcomeOf(make(server), 'tok.en-1'));
    const [request] = server.requests;
    assert.ok(request);
    assert.equal(request.method, 'POST');
    assert.equal(request.path, '/introspect');
    assert.match(request.headers['content-type'] ?? '', /^application\/x-www-form-urlencoded/);
    // RFC 6749 §2.3.1: id and secret form-encoded, then base64
    assert.equal(request.headers.authorization, `Basic ${Buffer.from('gateway+client:se%3Acret').toString('base64')}`);
    const body = new URLSearchParams(request.body);
    assert.equal(body.get('token'), 'tok.en-1');
    assert.equal(body.get('token_type_hint'), 'access_token');
  });

  test('principal from the response: sub, scopes, roles and plan claims', async () => {
    const server = await stub(() => active({ scope: 'read write', groups: ['ops'], tier: 'gold', username: 'alice' }));
    const principal = principalOf(await outcomeOf(make(server, { rolesClaim: 'groups', planClaim: 'tier' }), 't'));
    assert.equal(principal.id, 'introspection:user-7');
    assert.deepEqual(principal.scopes, ['read', 'write']);
    assert.deepEqual(principal.roles, ['ops']);
    assert.equal(principal.plan, 'gold');
  });

  test('what the response says is checked: exp, nbf, iss, aud, token_type, a subject', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ active: false }, 'inactive token'],
      [{ exp: nowSec() - 3600 }, 'expired'],
      [{ nbf: nowSec() + 3600 }, 'not yet valid'],
      [{ iss: 'https://evil.example' }, 'wrong issuer'],
      [{ aud: ['https://other.example'] }, 'wrong audience'],
      [{ token_type: 'refresh_token' }, 'not a bearer access token'],
      [{ token_type: 'DPoP' }, 'not a bearer access token'],
      [{ sub: undefined, client_id: undefined }, 'no subject'],
      [{ cnf: { jkt: 'thumb' } }, 'sender-constrained token (cnf jkt) presented as a bearer token'],
    ];
    for (const [extra, reason] of cases) {
      const server = await stub(() => active(extra));
      const verifier = make(server, { issuer: 'https://as.example', audiences: ['https://api.example'] });
      assertInvalid(await outcomeOf(verifier, 'some-token'), reason);
    }
    const server = await stub(() => active({ iss: 'https://as.example', aud: 'https://api.example', nbf: nowSec() - 10 }));
    principalOf(await outcomeOf(make(server, { issuer: 'https://as.example', audiences: ['https://api.example'] }), 'some-token'));
  });

  test('server down (closed port): unavailable', async () => {
    const verifier = make(await closedPortUrl('/introspect'));
    assertUnavailable(await outcomeOf(verifier, 'some-token'), /ECONNREFUSED|fetch failed/);
  });

  test('server answering 500 or something that is not an introspection response: unavailable', async () => {
    for (const answer of [{ status: 500, json: { error: 'server_error' } }, { json: { active: 'yes' } }, { json: ['active'] }]) {
      const server = await stub(() => answer);
      assertUnavailable(await outcomeOf(make(server), 'some-token'));
    }
  });

  test('server down with a cached positive: still authenticated until the cache entry expires, then unavailable', async () => {
    const server = await stub(() => active());
    const verifier = make(server);
    const now = Date.now();
    principalOf(await outcomeOf(verifier, 'cached-token', { now }));
    await server.close();
    principalOf(await outcomeOf(verifier, 'cached-token', { now: now + 59_999 }));
    assertUnavailable(await outcomeOf(verifier, 'cached-token', { now: now + 60_000 }));
    assertUnavailable(await outcomeOf(verifier, 'never-seen-token', { now }));
  });

  test('a cached positive is not used past the token exp', async () => {
    const exp = nowSec() + 5;
    const server = await stub(() => active({ exp }));
    const verifier = make(server);
    principalOf(await outcomeOf(verifier, 'short-lived'));
    assert.equal(server.requests.length, 1);
    assertInvalid(await outcomeOf(verifier, 'short-lived', { now: (exp + 31) * 1000 }), 'expired');
  });

  test('server that never answers: unavailable within the timeout', { timeout: 10_000 }, async () => {
    const server = await stub(() => 'hang');
    const verifier = make(server, { fetchTimeoutMs: 200 });
    assertUnavailable(await outcomeOf(verifier, 'some-token'), /timed out/);
  });

  test('concurrent requests with the same token share one introspection call', async () => {
    const server = await stub(() => active());
    const verifier = make(server);
    const outcomes = await Promise.all([1, 2, 3, 4].map(() => outcomeOf(verifier, 'shared-token')));
    for (const outcome of outcomes) principalOf(outcome);
    assert.equal(server.requests.length, 1);
  });

  test('missing and malformed credentials never reach the server', async () => {
    const server = await stub(() => active());
    const verifier = make(server);
    assert.deepEqual(await verifier.authenticate(authRequest()), { result: 'missing' });
    assertInvalid(await verifier.authenticate(authRequest({ query: 'access_token=abc' })), /outside/, 'invalid_request');
    assertInvalid(
      await verifier.authenticate(authRequest({ headers: [['Authorization', 'Bearer a'], ['Authorization', 'Bearer b']] })),
      'more than one Authorization header',
      'invalid_request',
    );
    assert.equal(server.requests.length, 0);
  });

  test('challenge and configuration faults', () => {
    const verifier = make('https://as.example/introspect');
    assert.equal(verifier.challenge(), 'Bearer realm="oauth"');
    assert.equal(verifier.challenge('invalid_token'), 'Bearer realm="oauth", error="invalid_token"');
    assert.equal(verifier.method, 'introspection');
    assert.throws(() => make('http://as.example/introspect'), /must be https/);
    assert.throws(() => make('https://as.example/introspect', { discoveryUrl: 'https://as.example/.well-known/openid-configuration' }), /exactly one/);
    assert.throws(() => make('https://as.example/introspect', { clientSecret: '' }), /clientSecret/);
    assert.throws(() => make('https://as.example/introspect', { audiences: [] }), /audiences/);
  });
});
