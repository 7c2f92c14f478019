/**
 * Access control through the real gateway: OpenAPI security semantics,
 * default deny, tokens from a real identity provider, API keys, mutual TLS,
 * object-level rules, and the header tricks that would let a client check
 * one credential and hand the upstream another.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { startTestUpstream, type TestUpstream } from './helpers/upstream.ts';
import { eventually, withGateway } from './helpers/gateway.ts';
import { rawRequest, statusOf } from './helpers/upstream.ts';
import { requestFrom } from './helpers/client.ts';
import { createSigningKey, startIdentityProvider, startStubServer, type SigningKey, type StubServer } from '../../src/auth/testing/test-helpers.ts';
import { createTestCa, opensslVersion } from '../../src/auth/testing/pki/test-helpers.ts';
import { signRequest } from '../../src/auth/hmac-verifier.ts';

const ISSUER = 'https://idp.test/';
const PARTNER_SECRET = 'partner-1-secret-0123456789abcdef0123456789';
const AUDIENCE = 'secured-api';

let upstream: TestUpstream;
let jwks: StubServer;
let key: SigningKey;

before(async () => {
  upstream = await startTestUpstream();
  key = await createSigningKey('k1', 'ES256');
  jwks = await startStubServer(() => ({ json: { keys: [key.publicJwk] } }));
});
after(async () => {
  await upstream.close();
  await jwks.close();
});

function token(claims: Record<string, unknown>, options: { exp?: string; kid?: string } = {}): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', kid: options.kid ?? 'k1' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(options.exp ?? '5m')
    .sign(key.privateKey);
}

function securedPolicy(extra = '', mode = 'enforce'): string {
  return `
mode: ${mode}
listeners: [{ port: 0 }]
accessLog: 'off'
store: { sqlite: ':memory:' }
upstreams:
  - name: secured
    url: ${upstream.url}
    openapi: $FIXTURES/secured.yaml
auth:
  schemes:
    bearerAuth:
      jwt: { issuer: '${ISSUER}', audiences: [${AUDIENCE}], jwksUri: '${jwks.origin}/jwks', algorithms: [ES256], rolesClaim: roles }
    partnerSignature:
      hmac: { clients: [{ id: partner-1, secret: { value: '${PARTNER_SECRET}' } }] }
  rules:
    - match: { operations: [getUser, addNote] }
      owner: { value: path.userId, claim: sub, unlessRoles: [admin] }
    - match: { operations: [listOrders] }
      owner: { value: query.userId, claim: sub }
    - match: { operations: [createOrder] }
      owner: { value: body.userId, claim: sub }
${extra}`;
}

describe('access control through the gateway', () => {
  it('denies by default an operation without any security requirement; monitor mode reports it', async () => {
    const yaml = (mode: string) => `
mode: ${mode}
listeners: [{ port: 0 }]
accessLog: 'off'
store: { sqlite: ':memory:' }
upstreams:
  - { name: legacy, url: ${upstream.url}, openapi: $FIXTURES/unsecured.yaml }
`;
    await withGateway(yaml('enforce'), async (gw) => {
      const denied = await fetch(`${gw.url}/accounts/42/status`);
      assert.equal(denied.status, 403);
      assert.equal(((await denied.json()) as { code: string }).code, 'NO_ACCESS_RULE');
      // marked x-apiwarden-public: reachable
      assert.equal((await fetch(`${gw.url}/health`)).status, 200);
      const event = await eventually(() => gw.events.find((e) => e.operationId === 'getAccountStatus'));
      assert.deepEqual([event.decision, event.auth], ['denied', 'no-rule']);
    });
    await withGateway(yaml('monitor'), async (gw) => {
      assert.equal((await fetch(`${gw.url}/accounts/42/status`)).status, 200);
      const event = await eventually(() => gw.events.find((e) => e.operationId === 'getAccountStatus'));
      assert.deepEqual([event.decision, event.auth], ['forwarded', 'no-rule']);
    });
  });

  it('bearer JWT: missing → 401 with a challenge, invalid → invalid_token, valid → forwarded with the principal', async () => {
    await withGateway(securedPolicy(), async (gw) => {
      const none = await fetch(`${gw.url}/v1/users/alice`);
      assert.equal(none.status, 401);
      assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="bearerAuth"');
      const body = (await none.json()) as Record<string, unknown>;
      assert.deepEqual(Object.keys(body).sort(), ['code', 'status', 'title', 'type'], 'the body says nothing about why');

      const expired = await fetch(`${gw.url}/v1/users/alice`, { headers: { authorization: `Bearer ${await token({ sub: 'alice' }, { exp: '-10m' })}` } });
      assert.equal(expired.status, 401);
      assert.match(String(expired.headers.get('www-authenticate')), /error="invalid_token"/);

      const ok = await fetch(`${gw.url}/v1/users/alice`, { headers: { authorization: `Bearer ${await token({ sub: 'alice', scope: 'read' })}` } });
      assert.equal(ok.status, 200);
      const forwarded = upstream.received.at(-1)!;
      assert.equal(forwarded.headers['x-apiwarden-principal'], `jwt:${ISSUER}|alice`);
      assert.equal(forwarded.headers['x-apiwarden-subject'], 'alice');
      const event = await eventually(() => gw.events.find((e) => e.status === 200 && e.operationId === 'getUser'));
      assert.deepEqual([event.principal, event.auth], [`jwt:${ISSUER}|alice`, 'authenticated']);
    });
  });

  it('one principal cannot read another\'s object; an admin can (object-level rule)', async () => {
    await withGateway(securedPolicy(), async (gw) => {
      const alice = { authorization: `Bearer ${await token({ sub: 'alice' })}` };
      assert.equal((await fetch(`${gw.url}/v1/users/alice`, { headers: alice })).status, 200);
      const other = await fetch(`${gw.url}/v1/users/bob`, { headers: alice });
      assert.equal(other.status, 403);
      assert.equal(((await other.json()) as { code: string }).code, 'ACCESS_DENIED');
      const admin = { authorization: `Bearer ${await token({ sub: 'root', roles: ['admin'] })}` };
      assert.equal((await fetch(`${gw.url}/v1/users/bob`, { headers: admin })).status, 200);
      // percent-encoding does not make /users/bob look like alice's
      assert.equal((await fetch(`${gw.url}/v1/users/%62ob`, { headers: alice })).status, 403);
    });
  });

  it('object-level values that could mean two things never match: repeated query parameters, duplicate JSON members', async () => {
    await withGateway(securedPolicy(), async (gw) => {
      const alice = { authorization: `Bearer ${await token({ sub: 'alice' })}` };
      assert.equal((await fetch(`${gw.url}/v1/orders?userId=alice`, { headers: alice })).status, 200);
      assert.equal((await fetch(`${gw.url}/v1/orders?userId=bob`, { headers: alice })).status, 403);
      // Express reads an array, PHP the last, Java frameworks often the first: refused
      assert.equal((await fetch(`${gw.url}/v1/orders?userId=alice&userId=bob`, { headers: alice })).status, 403);
      const post = (body: string) => fetch(`${gw.url}/v1/orders`, { method: 'POST', headers: { ...alice, 'content-type': 'application/json' }, body });
      assert.equal((await post('{"userId":"alice","item":1}')).status, 200);
      assert.equal((await post('{"userId":"bob","item":1}')).status, 403);
      assert.equal((await post('{"userId":"alice","userId":"bob"}')).status, 403);
      assert.equal(upstream.received.at(-1)!.body.toString(), '{"userId":"alice","item":1}', 'refused bodies never reach the upstream');
    });
  });

  it('HMAC request signatures: signed requests pass once; tampered, replayed or stale ones do not', async () => {
    await withGateway(securedPolicy(), async (gw) => {
      const body = '{"amount":100}';
      const sign = (target: string, b: string, now = Date.now()) => signRequest({ keyId: 'partner-1', secret: PARTNER_SECRET, method: 'POST', target, body: Buffer.from(b), now });
      const send = (authorization: string, b: string) => fetch(`${gw.url}/v1/partner/invoices`, { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body: b });
      const good = sign('/v1/partner/invoices', body);
      assert.equal((await send(good, body)).status, 200);
      assert.equal(upstream.received.at(-1)!.headers['x-apiwarden-principal'], 'hmac:partner-1');
      assert.equal((await send(good, body)).status, 401, 'a replayed signature');
      assert.equal((await send(sign('/v1/partner/invoices', body), '{"amount":999}')).status, 401, 'a changed body');
      assert.equal((await send(sign('/v1/partner/invoices', body, Date.now() - 3_600_000), body)).status, 401, 'outside the replay window');
    });
  });

  it('scopes: valid but insufficient is 403 with error="insufficient_scope"', async () => {
    await withGateway(securedPolicy(), async (gw) => {
      const reader = { authorization: `Bearer ${await token({ sub: 'alice', scope: 'read' })}`, 'content-type': 'application/json' };
      const res = await fetch(`${gw.url}/v1/users/alice/notes`, { method: 'POST', headers: reader, body: '{}' });
      assert.equal(res.status, 403);
      assert.match(String(res.headers.get('www-authenticate')), /error="insufficient_scope"/);
      const writer = { authorization: `Bearer ${await token({ sub: 'alice', scope: 'read notes:write' })}`, 'content-type': 'application/json' };
      assert.equal((await fetch(`${gw.url}/v1/users/alice/notes`, { method: 'POST', headers: writer, body: '{}' })).status, 200);
    });
  });

  it('alternatives: an API key or a bearer token with the reports scope; anonymous where the document allows it', async () => {
    await withGateway(securedPolicy(), async (gw) => {
      const { key: apiKey } = await gw.runtime.apiKeys.create({ owner: 'reporting-team', scopes: [] });
      assert.equal((await fetch(`${gw.url}/v1/reports`, { headers: { 'x-api-key': apiKey } })).status, 200);
      assert.equal(upstream.received.at(-1)!.headers['x-apiwarden-auth-method'], 'apiKey');
      assert.equal((await fetch(`${gw.url}/v1/reports`, { headers: { 'x-api-key': 'aw_not-a-real-key-0000000000000000000000000000' } })).status, 401);
      const bearer = { authorization: `Bearer ${await token({ sub: 'alice', scope: 'reports' })}` };
      assert.equal((await fetch(`${gw.url}/v1/reports`, { headers: bearer })).status, 200);
      // optional authentication: anonymous passes, a bad token does not
      assert.equal((await fetch(`${gw.url}/v1/profile`)).status, 200);
      assert.equal((await fetch(`${gw.url}/v1/profile`, { headers: { authorization: 'Bearer not.a.token' } })).status, 401);
      assert.equal((await fetch(`${gw.url}/v1/health`)).status, 200);
    });
  });

  it('a client-sent principal header never reaches the upstream', async () => {
    await withGateway(securedPolicy(), async (gw) => {
      const headers = {
        authorization: `Bearer ${await token({ sub: 'alice' })}`,
        'x-apiwarden-principal': 'jwt:forged|admin',
        'X-Apiwarden-Roles': 'admin',
        'x_apiwarden_subject': 'admin',
      };
      assert.equal((await requestFrom('127.0.0.1', `${gw.url}/v1/users/alice`, { headers })).status, 200);
      const got = upstream.received.at(-1)!;
      assert.equal(got.headers['x-apiwarden-principal'], `jwt:${ISSUER}|alice`);
      assert.equal(got.headers['x-apiwarden-roles'], undefined);
      assert.ok(!got.rawHeaders.some((h) => /^x_apiwarden/i.test(h)), 'underscore spellings are removed too');
      // on an anonymous operation too
      await requestFrom('127.0.0.1', `${gw.url}/v1/health`, { headers: { 'x-apiwarden-principal': 'jwt:forged|admin' } });
      assert.equal(upstream.received.at(-1)!.headers['x-apiwarden-principal'], undefined);
    });
  });

  it('a credential sent twice is refused: two Authorization headers, header and query', async () => {
    await withGateway(securedPolicy(), async (gw) => {
      const good = await token({ sub: 'alice' });
      const twice = await rawRequest(gw.port, `GET /v1/users/alice HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${good}\r\nAuthorization: Bearer ${await token({ sub: 'bob' })}\r\nConnection: close\r\n\r\n`);
      assert.ok([400, 401].includes(statusOf(twice)), `two Authorization headers: ${statusOf(twice)}`);
      const both = await fetch(`${gw.url}/v1/users/alice?access_token=${good}`, { headers: { authorization: `Bearer ${good}` } });
      assert.equal(both.status, 401);
      assert.match(String(both.headers.get('www-authenticate')), /invalid_request/);
      const queryOnly = await fetch(`${gw.url}/v1/users/alice?access_token=${good}`);
      assert.equal(queryOnly.status, 401, 'a token in the query where the scheme says header');
      const keys = await fetch(`${gw.url}/v1/reports`, { headers: { 'x-api-key': 'a, b' } });
      assert.equal(keys.status, 401);
    });
  });

  it('follows the identity provider: OIDC discovery, real tokens, key rotation without restart', async () => {
    const idp = await startIdentityProvider();
    try {
      const yaml = `
listeners: [{ port: 0 }]
accessLog: 'off'
store: { sqlite: ':memory:' }
upstreams:
  - { name: secured, url: ${upstream.url}, openapi: $FIXTURES/secured.yaml }
auth:
  schemes:
    bearerAuth:
      jwt: { issuer: '${idp.issuer}', audiences: ['${idp.jwtResource}'], discoveryUrl: '${idp.discoveryUrl}', jwksCooldown: 1ms }
`;
      await withGateway(yaml, async (gw) => {
        const first = await idp.token({ resource: idp.jwtResource });
        assert.equal((await fetch(`${gw.url}/v1/profile`, { headers: { authorization: `Bearer ${first}` } })).status, 200);
        await idp.rotateKeys([await createSigningKey('key-2')]);
        const second = await idp.token({ resource: idp.jwtResource });
        assert.equal((await fetch(`${gw.url}/v1/profile`, { headers: { authorization: `Bearer ${second}` } })).status, 200);
        assert.ok(idp.requestCount('/jwks') >= 2, 'the new key was fetched');
      });
    } finally {
      await idp.close();
    }
  });

  it('mutual TLS: a TLS listener maps a verified client certificate to a principal', { skip: opensslVersion() ? false : 'openssl is not installed' }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'apiwarden-mtls-'));
    const ca = createTestCa(dir, 'clients');
    const server = ca.issue({ cn: '127.0.0.1', ips: ['127.0.0.1'], usage: 'server' });
    const partner = ca.issue({ cn: 'partner-1' });
    const expired = ca.issue({ cn: 'partner-2', startDate: '20200101000000Z', endDate: '20200102000000Z' });
    const stranger = createTestCa(dir, 'strangers').issue({ cn: 'partner-1' });
    const yaml = `
listeners: [{ port: 0, tls: { cert: ${server.certFile}, key: ${server.keyFile}, ca: ${ca.certFile}, clientCertificates: request } }]
accessLog: 'off'
store: { sqlite: ':memory:' }
upstreams:
  - { name: secured, url: ${upstream.url}, openapi: $FIXTURES/secured.yaml }
auth:
  schemes:
    bearerAuth:
      jwt: { issuer: '${ISSUER}', audiences: [${AUDIENCE}], jwksUri: '${jwks.origin}/jwks', algorithms: [ES256] }
`;
    await withGateway(yaml, async (gw) => {
      const get = (path: string, cert?: { cert: string; key: string }) => new Promise<number>((resolve, reject) => {
        const req = https.request(`https://127.0.0.1:${gw.port}${path}`, { ca: readFileSync(ca.certFile), ...(cert ?? {}), agent: false }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end();
      });
      assert.equal(await get('/v1/partner/orders', partner), 200);
      assert.equal(upstream.received.at(-1)!.headers['x-apiwarden-principal'], 'mtls:partner-1');
      assert.equal(upstream.received.at(-1)!.headers['x-forwarded-proto'], 'https');
      assert.equal(await get('/v1/partner/orders'), 401, 'no certificate');
      assert.equal(await get('/v1/partner/orders', expired), 401, 'expired');
      assert.equal(await get('/v1/partner/orders', stranger), 401, 'another CA');
      // operations that do not name the mutualTLS scheme work without a certificate
      assert.equal(await get('/v1/health'), 200);
    });
  });
});
