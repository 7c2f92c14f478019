import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';
import { SignJWT, base64url, decodeJwt, decodeProtectedHeader, exportSPKI } from 'jose';
import type { CryptoKey, JWTPayload } from 'jose';
import { createJwtVerifier } from './jwt-verifier.ts';
import type { JwtVerifierOptions } from './jwt-verifier.ts';
import type { AuthOutcome, Principal, SchemeVerifier } from './types.ts';
import {
  authRequest,
  bearerRequest,
  closedPortUrl,
  createSigningKey,
  startIdentityProvider,
  startStubServer,
} from './testing/test-helpers.ts';
import type { IdentityProvider, SigningKey } from './testing/test-helpers.ts';

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

async function sign(
  claims: JWTPayload,
  key: CryptoKey | Uint8Array,
  header: { alg: string; kid?: string; typ?: string },
): Promise<string> {
  return new SignJWT(claims).setProtectedHeader(header).sign(key);
}

describe('JWT verifier against a real identity provider (oidc-provider)', () => {
  let idp: IdentityProvider;
  let key: SigningKey;
  let options: JwtVerifierOptions;
  const verifiers: SchemeVerifier[] = [];
  const make = (overrides: Partial<JwtVerifierOptions> = {}) => {
    const verifier = createJwtVerifier({ ...options, ...overrides });
    verifiers.push(verifier);
    return verifier;
  };
  /** claims of a good token of this issuer, for self-signed test tokens */
  const claims = (extra: JWTPayload = {}): JWTPayload => ({
    iss: idp.issuer,
    aud: idp.jwtResource,
    sub: 'user-1',
    iat: nowSec(),
    exp: nowSec() + 300,
    scope: 'read',
    ...extra,
  });

  before(async () => {
    key = await createSigningKey('key-1');
    idp = await startIdentityProvider({ keys: [key] });
    options = { scheme: 'oidc', issuer: idp.issuer, audiences: [idp.jwtResource], jwksUri: idp.jwksUri };
  });
  after(async () => {
    for (const verifier of verifiers) await verifier.close?.();
    await idp.close();
  });

  test('a real client_credentials token verifies through OIDC discovery', async () => {
    const discoveryBefore = idp.requestCount('/.well-known/openid-configuration');
    const verifier = make({ jwksUri: undefined, discoveryUrl: idp.discoveryUrl, typ: 'at+jwt' });
    const token = await idp.token({ scope: 'read write' });
    const payload = decodeJwt(token);
    const principal = principalOf(await outcomeOf(verifier, token));
    assert.equal(principal.id, `jwt:${idp.issuer}|${idp.client.id}`);
    assert.equal(principal.subject, idp.client.id);
    assert.equal(principal.method, 'jwt');
    assert.equal(principal.scheme, 'oidc');
    assert.deepEqual(principal.scopes, ['read', 'write']);
    assert.deepEqual(principal.roles, []);
    assert.equal(principal.plan, null);
    assert.equal(principal.expiresAt, (payload.exp ?? 0) * 1000);
    assert.equal(principal.claims['client_id'], idp.client.id);
    assert.ok(Object.isFrozen(principal) && Object.isFrozen(principal.claims));

    const other = await idp.token({ scope: 'read' });
    principalOf(await outcomeOf(verifier, other));
    assert.equal(idp.requestCount('/.well-known/openid-configuration') - discoveryBefore, 1, 'discovery is fetched once');
  });

  test('the discovered issuer must be the configured one', async () => {
    const verifier = make({ jwksUri: undefined, discoveryUrl: idp.discoveryUrl, issuer: 'https://someone-else.example' });
    assertUnavailable(await outcomeOf(verifier, await idp.token()), /issuer/);
  });

  test('key rotation at the provider is followed without a restart (unknown kid → JWKS refetch)', async () => {
    const rotating = await startIdentityProvider({ keys: [await createSigningKey('old')] });
    try {
      const verifier = make({ issuer: rotating.issuer, jwksUri: rotating.jwksUri, jwksCooldownMs: 0 });
      const first = await rotating.token();
      assert.equal(decodeProtectedHeader(first).kid, 'old');
      principalOf(await outcomeOf(verifier, first));
      assert.equal(rotating.requestCount('/jwks'), 1);

      // new key first (it signs), old key still published for tokens in flight
      await rotating.rotateKeys([await createSigningKey('new'), ...rotating.keys]);
      const second = await rotating.token();
      assert.equal(decodeProtectedHeader(second).kid, 'new');
      principalOf(await outcomeOf(verifier, second));
      assert.equal(rotating.requestCount('/jwks'), 2, 'one refetch for the new kid');

      // the old key retired: a token signed with it after retirement is refused
      const retired = rotating.keys[1]!;
      await rotating.rotateKeys([await createSigningKey('newer')]);
      const third = await rotating.token();
      principalOf(await outcomeOf(verifier, third));
      const late = await sign(
        { iss: rotating.issuer, aud: rotating.jwtResource, sub: 'x', exp: nowSec() + 60 },
        retired.privateKey,
        { alg: 'RS256', kid: retired.kid },
      );
      assertInvalid(await outcomeOf(verifier, late), 'unknown signing key');
    } finally {
      await rotating.close();
    }
  });

  test('unknown kids refetch the JWKS at most once per cooldown', async () => {
    const verifier = make({ jwksCooldownMs: 60_000 });
    principalOf(await outcomeOf(verifier, await idp.token()));
    const fetches = idp.requestCount('/jwks');
    const stranger = await createSigningKey('stranger');
    for (let i = 0; i < 5; i++) {
      const token = await sign(claims({ jti: `j${i}` }), stranger.privateKey, { alg: 'RS256', kid: `stranger-${i}` });
      assertInvalid(await outcomeOf(verifier, token), 'unknown signing key');
    }
    assert.equal(idp.requestCount('/jwks'), fetches, 'within the cooldown after a fetch, no refetch');
  });

  describe('attacks', () => {
    let verifier: SchemeVerifier;
    before(() => {
      verifier = make({ jwksCooldownMs: 0 });
    });

    test('alg: none', async () => {
      const encode = (value: unknown) => base64url.encode(JSON.stringify(value));
      const unsigned = `${encode({ alg: 'none', typ: 'JWT' })}.${encode(claims())}.`;
      assertInvalid(await outcomeOf(verifier, unsigned), 'algorithm not allowed');
      const withKid = `${encode({ alg: 'none', kid: key.kid })}.${encode(claims())}.`;
      assertInvalid(await outcomeOf(verifier, withKid), 'algorithm not allowed');
    });

    test('HS256 signed with the RSA public key (as PEM, as JWK bytes)', async () => {
      const pem = await exportSPKI(key.publicKey);
      for (const secret of [pem, JSON.stringify(key.publicJwk), JSON.stringify({ keys: [key.publicJwk] })]) {
        const forged = await sign(claims(), new TextEncoder().encode(secret), { alg: 'HS256', kid: key.kid });
        assertInvalid(await outcomeOf(verifier, forged), 'algorithm not allowed');
      }
      assert.throws(() => createJwtVerifier({ ...options, algorithms: ['RS256', 'HS256'] }), /HS256 is refused/);
      assert.throws(() => createJwtVerifier({ ...options, algorithms: ['none'] }), /none is refused/);
      assert.throws(() => createJwtVerifier({ ...options, algorithms: ['XX256'] }), /unknown algorithm/);
    });

    test('expired (beyond the clock skew), and accepted within it', async () => {
      const expired = await sign(claims({ iat: nowSec() - 7200, exp: nowSec() - 3600 }), key.privateKey, { alg: 'RS256', kid: key.kid });
      assertInvalid(await outcomeOf(verifier, expired), 'expired');
      const justExpired = await sign(claims({ exp: nowSec() - 5 }), key.privateKey, { alg: 'RS256', kid: key.kid });
      principalOf(await outcomeOf(verifier, justExpired));
    });

    test('not yet valid (nbf beyond the clock skew), and accepted within it', async () => {
      const early = await sign(claims({ nbf: nowSec() + 600 }), key.privateKey, { alg: 'RS256', kid: key.kid });
      assertInvalid(await outcomeOf(verifier, early), 'not yet valid');
      const almost = await sign(claims({ nbf: nowSec() + 5 }), key.privateKey, { alg: 'RS256', kid: key.kid });
      principalOf(await outcomeOf(verifier, almost));
    });

    test('wrong issuer', async () => {
      const token = await sign(claims({ iss: 'https://idp.evil.example' }), key.privateKey, { alg: 'RS256', kid: key.kid });
      assertInvalid(await outcomeOf(verifier, token), 'wrong issuer');
    });

    test('wrong audience (a real token for another resource server, and a self-signed one)', async () => {
      const other = createJwtVerifier({ ...options, audiences: ['https://another-api.example.test'] });
      assertInvalid(await outcomeOf(other, await idp.token()), 'wrong audience');
      const token = await sign(claims({ aud: ['https://another-api.example.test', 'https://third.example'] }), key.privateKey, { alg: 'RS256', kid: key.kid });
      assertInvalid(await outcomeOf(verifier, token), 'wrong audience');
    });

    test('unknown kid, still unknown after a refresh', async () => {
      const stranger = await createSigningKey('attacker-key');
      const before = idp.requestCount('/jwks');
      const token = await sign(claims(), stranger.privateKey, { alg: 'RS256', kid: stranger.kid });
      assertInvalid(await outcomeOf(verifier, token), 'unknown signing key');
      assert.equal(idp.requestCount('/jwks') - before, 1, 'the JWKS was refetched once for the unknown kid');
      // a key of its own under the real kid: the signature does not match
      const impostor = await sign(claims(), stranger.privateKey, { alg: 'RS256', kid: key.kid });
      assertInvalid(await outcomeOf(verifier, impostor), 'bad signature');
    });

    test('tampered payload, signature kept', async () => {
      const real = await idp.token({ scope: 'read' });
      const [header, payload, signature] = real.split('.');
      const altered = { ...JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')), scope: 'read write admin' };
      const tampered = `${header}.${base64url.encode(JSON.stringify(altered))}.${signature}`;
      assertInvalid(await outcomeOf(verifier, tampered), 'bad signature');
      principalOf(await outcomeOf(verifier, real));
    });

    test('required claims: exp and sub must be there', async () => {
      const { exp: _exp, ...noExp } = claims();
      assertInvalid(await outcomeOf(verifier, await sign(noExp, key.privateKey, { alg: 'RS256', kid: key.kid })), 'missing exp claim');
      const { sub: _sub, ...noSub } = claims();
      assertInvalid(await outcomeOf(verifier, await sign(noSub, key.privateKey, { alg: 'RS256', kid: key.kid })), 'missing sub claim');
      const strict = make({ requiredClaims: ['jti'] });
      assertInvalid(await outcomeOf(strict, await sign(claims(), key.privateKey, { alg: 'RS256', kid: key.kid })), 'missing jti claim');
    });

    test('garbage is a malformed token, not a fault', async () => {
      for (const token of ['abc', 'a.b.c', 'eyJhbGciOiJSUzI1NiJ9.e30.', `${base64url.encode('{"alg":"RS256","kid":{}}')}.e30.c2ln`]) {
        const outcome = await outcomeOf(verifier, token);
        assert.equal(outcome.result, 'invalid', token);
      }
    });

    test('token in the query string where the scheme says header', async () => {
      const real = await idp.token();
      const outcome = await verifier.authenticate(authRequest({ query: `access_token=${real}` }));
      assertInvalid(outcome, /outside the Authorization header/, 'invalid_request');
    });

    test('two Authorization headers', async () => {
      const real = await idp.token();
      const outcome = await verifier.authenticate(
        authRequest({ headers: [['Authorization', `Bearer ${real}`], ['Authorization', 'Bearer forged']] }),
      );
      assertInvalid(outcome, 'more than one Authorization header', 'invalid_request');
    });

    test('a certificate-bound token needs the certificate (RFC 8705), even from the cache', async () => {
      const raw = Buffer.from('client certificate DER');
      const cert = { raw } as PeerCertificate;
      const thumbprint = createHash('sha256').update(raw).digest('base64url');
      const token = await sign(claims({ cnf: { 'x5t#S256': thumbprint } }), key.privateKey, { alg: 'RS256', kid: key.kid });
      principalOf(await outcomeOf(verifier, token, { peerCertificate: cert }));
      assertInvalid(await outcomeOf(verifier, token), /without a client certificate/);
      const dpop = await sign(claims({ cnf: { jkt: 'abc' } }), key.privateKey, { alg: 'RS256', kid: key.kid });
      assertInvalid(await outcomeOf(verifier, dpop), /cnf jkt/);
    });
  });

  describe('verified-token cache', () => {
    test('the second verification of a token does not fetch keys again; another token does', async () => {
      // keys are always stale here, so every real verification fetches the JWKS
      const verifier = make({ jwksCacheMaxAgeMs: 0, jwksStaleIfErrorMs: 0, failureBackoffMs: 0 });
      const a = await idp.token();
      const b = await idp.token();
      const start = idp.requestCount('/jwks');
      const first = principalOf(await outcomeOf(verifier, a));
      assert.equal(idp.requestCount('/jwks') - start, 1);
      const second = principalOf(await outcomeOf(verifier, a));
      assert.equal(idp.requestCount('/jwks') - start, 1, 'served from the cache');
      assert.equal(second, first);
      principalOf(await outcomeOf(verifier, b));
      assert.equal(idp.requestCount('/jwks') - start, 2, 'a new token is verified with (fresh) keys');
    });

    test('a cache hit is answered without a promise', async () => {
      const verifier = make();
      const token = await idp.token();
      principalOf(await outcomeOf(verifier, token));
      const hit = verifier.authenticate(bearerRequest(token));
      assert.ok(!(hit instanceof Promise));
      assert.equal(hit.result, 'authenticated');
    });

    test('a cached token past its exp is rejected', async () => {
      const verifier = make({ cacheMaxAgeMs: 3_600_000, jwksCacheMaxAgeMs: 0, jwksStaleIfErrorMs: 0 });
      const token = await idp.token();
      const exp = decodeJwt(token).exp ?? 0;
      principalOf(await outcomeOf(verifier, token));
      const fetches = idp.requestCount('/jwks');
      // past exp but within the clock skew: still good, from the cache
      principalOf(await outcomeOf(verifier, token, { now: (exp + 10) * 1000 }));
      assert.equal(idp.requestCount('/jwks'), fetches, 'decided from the cache entry');
      assertInvalid(await outcomeOf(verifier, token, { now: (exp + 31) * 1000 }), 'expired');
      assertInvalid(await outcomeOf(verifier, token, { now: (exp + 3600) * 1000 }), 'expired');
    });

    test('an entry lives at most cacheMaxAgeMs, then the token is verified again', async () => {
      const verifier = make({ cacheMaxAgeMs: 1000, jwksCacheMaxAgeMs: 0, jwksStaleIfErrorMs: 0, failureBackoffMs: 0 });
      const token = await idp.token();
      const now = Date.now();
      principalOf(await outcomeOf(verifier, token, { now }));
      const fetches = idp.requestCount('/jwks');
      principalOf(await outcomeOf(verifier, token, { now: now + 999 }));
      assert.equal(idp.requestCount('/jwks'), fetches);
      principalOf(await outcomeOf(verifier, token, { now: now + 1000 }));
      assert.equal(idp.requestCount('/jwks'), fetches + 1);
    });
  });

  test('principal: roles, plan and scp from configured claims', async () => {
    const verifier = make({ rolesClaim: 'realm_access.roles', planClaim: 'https://example.test/plan' });
    const token = await sign(
      claims({ scope: undefined, scp: ['a', 'b'], realm_access: { roles: ['admin', 'ops'] }, 'https://example.test/plan': 'gold' }),
      key.privateKey,
      { alg: 'RS256', kid: key.kid },
    );
    const principal = principalOf(await outcomeOf(verifier, token));
    assert.deepEqual(principal.scopes, ['a', 'b']);
    assert.deepEqual(principal.roles, ['admin', 'ops']);
    assert.equal(principal.plan, 'gold');
    assert.equal(principal.id, `jwt:${idp.issuer}|user-1`);
  });

  test('ES256 keys work when allowed, and are refused when not in the list', async () => {
    const ec = await createSigningKey('ec-1', 'ES256');
    const jwks = await startStubServer(() => ({ json: { keys: [ec.publicJwk] } }));
    try {
      const token = await sign(claims(), ec.privateKey, { alg: 'ES256', kid: ec.kid });
      principalOf(await outcomeOf(make({ jwksUri: `${jwks.origin}/jwks` }), token));
      assertInvalid(await outcomeOf(make({ jwksUri: `${jwks.origin}/jwks`, algorithms: ['RS256'] }), token), 'algorithm not allowed');
    } finally {
      await jwks.close();
    }
  });

  test('missing and malformed credentials never reach the keys', async () => {
    const verifier = make();
    assert.deepEqual(await verifier.authenticate(authRequest()), { result: 'missing' });
    assertInvalid(await verifier.authenticate(authRequest({ headers: [['Authorization', 'Bearer']] })), 'empty bearer token', 'invalid_request');
  });

  test('challenge (RFC 6750 §3)', () => {
    const verifier = make();
    assert.equal(verifier.challenge(), 'Bearer realm="oidc"');
    assert.equal(verifier.challenge('invalid_token'), 'Bearer realm="oidc", error="invalid_token"');
    assert.equal(verifier.challenge('insufficient_scope'), 'Bearer realm="oidc", error="insufficient_scope"');
    assert.equal(verifier.method, 'jwt');
    assert.equal(verifier.needsBody, false);
  });

  test('configuration faults are refused at construction', () => {
    assert.throws(() => createJwtVerifier({ ...options, audiences: [] }), /audiences/);
    assert.throws(() => createJwtVerifier({ ...options, discoveryUrl: idp.discoveryUrl }), /exactly one/);
    assert.throws(() => createJwtVerifier({ ...options, jwksUri: undefined }), /exactly one/);
    assert.throws(() => createJwtVerifier({ ...options, issuer: undefined }), /issuer is required/);
    assert.throws(() => createJwtVerifier({ ...options, jwksUri: 'http://idp.example.com/jwks' }), /must be https/);
    assert.doesNotThrow(() => createJwtVerifier({ ...options, jwksUri: 'http://idp.example.com/jwks', allowInsecureHttp: true }));
    assert.throws(() => createJwtVerifier({ ...options, clockSkewSec: -1 }), RangeError);
  });
});

describe('JWT verifier when the keys cannot be fetched', () => {
  let key: SigningKey;
  const issuer = 'https://idp.example.test';
  const audience = 'https://api.example.test';
  const token = (extra: JWTPayload = {}, kid = 'k1') =>
    sign({ iss: issuer, aud: audience, sub: 'u', exp: nowSec() + 300, ...extra }, key.privateKey, { alg: 'RS256', kid });

  before(async () => {
    key = await createSigningKey('k1');
  });

  test('JWKS endpoint unreachable and nothing cached: unavailable, not invalid', async () => {
    const verifier = createJwtVerifier({ scheme: 's', issuer, audiences: [audience], jwksUri: await closedPortUrl('/jwks') });
    assertUnavailable(await outcomeOf(verifier, await token()), /JWKS/);
  });

  test('discovery endpoint unreachable: unavailable', async () => {
    const verifier = createJwtVerifier({ scheme: 's', audiences: [audience], discoveryUrl: await closedPortUrl('/.well-known/openid-configuration') });
    assertUnavailable(await outcomeOf(verifier, await token()), /discovery/);
  });

  test('JWKS endpoint that never answers: unavailable after the timeout', { timeout: 10_000 }, async () => {
    const silent = await startStubServer(() => 'hang');
    try {
      const verifier = createJwtVerifier({ scheme: 's', issuer, audiences: [audience], jwksUri: `${silent.origin}/jwks`, fetchTimeoutMs: 200 });
      assertUnavailable(await outcomeOf(verifier, await token()), /timed out/);
    } finally {
      await silent.close();
    }
  });

  test('JWKS endpoint answering 500 or a non-JWKS document: unavailable', async () => {
    for (const answer of [{ status: 500, json: { error: 'boom' } }, { json: { not: 'a jwks' } }]) {
      const server = await startStubServer(() => answer);
      try {
        const verifier = createJwtVerifier({ scheme: 's', issuer, audiences: [audience], jwksUri: `${server.origin}/jwks` });
        assertUnavailable(await outcomeOf(verifier, await token()));
      } finally {
        await server.close();
      }
    }
  });

  test('endpoint down after a fetch: stale keys still verify; an unknown kid is unavailable; too stale is unavailable', async () => {
    const server = await startStubServer(() => ({ json: { keys: [key.publicJwk] } }));
    const lenient = createJwtVerifier({ scheme: 's', issuer, audiences: [audience], jwksUri: `${server.origin}/jwks`, jwksCacheMaxAgeMs: 0, jwksCooldownMs: 0 });
    const strict = createJwtVerifier({ scheme: 's', issuer, audiences: [audience], jwksUri: `${server.origin}/jwks`, jwksCacheMaxAgeMs: 0, jwksStaleIfErrorMs: 0 });
    principalOf(await outcomeOf(lenient, await token({ jti: 'a' })));
    principalOf(await outcomeOf(strict, await token({ jti: 'a' })));
    await server.close();

    principalOf(await outcomeOf(lenient, await token({ jti: 'b' })));
    assertUnavailable(await outcomeOf(lenient, await token({ jti: 'c' }, 'k2')));
    assertUnavailable(await outcomeOf(strict, await token({ jti: 'b' })));
    // tokens verified before are still in the verified-token cache
    principalOf(await outcomeOf(strict, await token({ jti: 'a' })));
  });

  test('a failed fetch is not retried before failureBackoffMs', async () => {
    let healthy = false;
    const server = await startStubServer(() => (healthy ? { json: { keys: [key.publicJwk] } } : { status: 503, json: {} }));
    try {
      const verifier = createJwtVerifier({ scheme: 's', issuer, audiences: [audience], jwksUri: `${server.origin}/jwks`, failureBackoffMs: 60_000 });
      assertUnavailable(await outcomeOf(verifier, await token({ jti: '1' })));
      healthy = true;
      assertUnavailable(await outcomeOf(verifier, await token({ jti: '2' })), /failed recently/);
      assert.equal(server.requests.length, 1);
    } finally {
      await server.close();
    }
  });
});
