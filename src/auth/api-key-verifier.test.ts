import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSqliteApiKeyStore, generateApiKey } from './api-key-store.ts';
import { createApiKeyVerifier } from './api-key-verifier.ts';
import type { AuthOutcome, AuthRequest } from './types.ts';

const T0 = 1_800_000_000_000;

function request(parts: { rawHeaders?: string[]; query?: string; now?: number } = {}): AuthRequest {
  const rawHeaders = parts.rawHeaders ?? [];
  const headers: Record<string, string> = {};
  for (let i = 0; i < rawHeaders.length; i += 2) headers[rawHeaders[i]!.toLowerCase()] = rawHeaders[i + 1]!;
  return {
    method: 'GET',
    path: '/v1/orders',
    query: parts.query ?? '',
    headers,
    rawHeaders,
    peerCertificate: null,
    peerCertificateAuthorized: false,
    body: null,
    now: parts.now ?? T0,
  };
}

async function setup(options: { cacheMs?: number } = {}) {
  const store = createSqliteApiKeyStore(':memory:', { now: () => T0 - 1000 });
  const created = await store.create({ owner: 'alice', scopes: ['orders:read'], roles: ['ops'], plan: 'gold', expiresAt: T0 + 60_000 });
  const verifier = createApiKeyVerifier({ scheme: 'ApiKeyAuth', in: 'header', name: 'X-API-Key', store, ...options });
  return { store, created, verifier };
}

describe('createApiKeyVerifier', () => {
  it('authenticates a valid key from the declared header, names case-insensitive', async () => {
    const { store, created, verifier } = await setup();
    assert.equal(verifier.method, 'apiKey');
    assert.equal(verifier.needsBody, false);
    assert.equal(verifier.challenge(), null);
    const outcome = await verifier.authenticate(request({ rawHeaders: ['x-api-key', created.key] }));
    assert.deepEqual(outcome, {
      result: 'authenticated',
      principal: {
        id: `apikey:${created.id}`,
        subject: 'alice',
        method: 'apiKey',
        scheme: 'ApiKeyAuth',
        scopes: ['orders:read'],
        roles: ['ops'],
        claims: { keyId: created.id, owner: 'alice' },
        plan: 'gold',
        expiresAt: T0 + 60_000,
      },
    });
    await store.close();
  });

  it('reads query and cookie keys from exactly the declared name', async () => {
    const store = createSqliteApiKeyStore(':memory:');
    const { key } = await store.create({ owner: 'bob', scopes: [] });
    const now = Date.now();
    const byQuery = createApiKeyVerifier({ scheme: 'q', in: 'query', name: 'api_key', store });
    assert.equal((await byQuery.authenticate(request({ query: `a=1&api_key=${key}`, now }))).result, 'authenticated');
    assert.equal((await byQuery.authenticate(request({ query: `API_KEY=${key}`, now }))).result, 'missing');
    assert.equal((await byQuery.authenticate(request({ rawHeaders: ['api_key', key], now }))).result, 'missing', 'not from a header');
    const byCookie = createApiKeyVerifier({ scheme: 'c', in: 'cookie', name: 'aw', store });
    assert.equal((await byCookie.authenticate(request({ rawHeaders: ['Cookie', `x=1; aw=${key}`], now }))).result, 'authenticated');
    assert.equal((await byCookie.authenticate(request({ query: `aw=${key}`, now }))).result, 'missing', 'not from the query');
    await store.close();
  });

  it('refuses a credential present twice, even when both copies are the valid key', async () => {
    const { store, created, verifier } = await setup();
    const cases: AuthRequest[] = [
      request({ rawHeaders: ['X-API-Key', created.key, 'x-api-key', created.key] }),
      request({ rawHeaders: ['X-API-Key', created.key, 'X-API-Key', 'other'] }),
    ];
    for (const r of cases) {
      assert.deepEqual(await verifier.authenticate(r), { result: 'invalid', reason: 'duplicate credential', bearerError: 'invalid_request' });
    }
    const byQuery = createApiKeyVerifier({ scheme: 'q', in: 'query', name: 'k', store });
    assert.equal((await byQuery.authenticate(request({ query: `k=${created.key}&k=${created.key}` }))).result, 'invalid');
    const byCookie = createApiKeyVerifier({ scheme: 'c', in: 'cookie', name: 'k', store });
    assert.equal((await byCookie.authenticate(request({ rawHeaders: ['Cookie', `k=${created.key}; k=x`] }))).result, 'invalid');
    await store.close();
  });

  it('answers missing without a key, invalid for malformed, unknown, revoked and expired ones', async () => {
    const { store, created, verifier } = await setup({ cacheMs: 0 });
    const other = await store.create({ owner: 'x', scopes: [] });
    await store.revoke(other.id, T0 - 500);
    const cases: Array<[AuthRequest, AuthOutcome]> = [
      [request(), { result: 'missing' }],
      [request({ rawHeaders: ['X-API-Key', ''] }), { result: 'missing' }],
      [request({ rawHeaders: ['X-API-Key', 'hunter2'] }), { result: 'invalid', reason: 'malformed api key' }],
      [request({ rawHeaders: ['X-API-Key', generateApiKey()] }), { result: 'invalid', reason: 'unknown api key' }],
      [request({ rawHeaders: ['X-API-Key', other.key] }), { result: 'invalid', reason: 'revoked api key' }],
      [request({ rawHeaders: ['X-API-Key', created.key], now: T0 + 60_000 }), { result: 'invalid', reason: 'expired api key' }],
    ];
    for (const [r, expected] of cases) assert.deepEqual(await verifier.authenticate(r), expected);
    await store.close();
  });

  it('without a cache, a revoked key is refused on the next request', async () => {
    const { store, created, verifier } = await setup({ cacheMs: 0 });
    const r = request({ rawHeaders: ['X-API-Key', created.key] });
    assert.equal((await verifier.authenticate(r)).result, 'authenticated');
    await store.revoke(created.id, T0);
    assert.equal((await verifier.authenticate(r)).result, 'invalid');
    await store.close();
  });

  it('with the cache, a revoked key is refused once cacheMs has passed on the request clock', async () => {
    const { store, created, verifier } = await setup({ cacheMs: 5000 });
    const at = (now: number) => request({ rawHeaders: ['X-API-Key', created.key], now });
    assert.equal((await verifier.authenticate(at(T0))).result, 'authenticated');
    await store.revoke(created.id, T0);
    const cached = verifier.authenticate(at(T0 + 4999));
    assert.ok(!(cached instanceof Promise), 'a cache hit answers synchronously');
    assert.equal(cached.result, 'authenticated');
    assert.deepEqual(await verifier.authenticate(at(T0 + 5000)), { result: 'invalid', reason: 'revoked api key' });
    await store.close();
  });

  it('never serves a cached key past its expiry', async () => {
    const { store, created, verifier } = await setup({ cacheMs: 3_600_000 });
    const at = (now: number) => request({ rawHeaders: ['X-API-Key', created.key], now });
    assert.equal((await verifier.authenticate(at(T0 + 59_000))).result, 'authenticated');
    assert.deepEqual(await verifier.authenticate(at(T0 + 60_000)), { result: 'invalid', reason: 'expired api key' });
    await store.close();
  });

  it('answers unavailable when the store fails, without the key in the reason', async () => {
    const { store, created, verifier } = await setup();
    await store.close();
    const outcome = await verifier.authenticate(request({ rawHeaders: ['X-API-Key', created.key] }));
    assert.equal(outcome.result, 'unavailable');
    assert.ok(outcome.result === 'unavailable' && !outcome.reason.includes(created.key));
  });

  it('refuses bad options', async () => {
    const store = createSqliteApiKeyStore(':memory:');
    assert.throws(() => createApiKeyVerifier({ scheme: 's', in: 'body' as 'header', name: 'k', store }), TypeError);
    assert.throws(() => createApiKeyVerifier({ scheme: 's', in: 'header', name: '', store }), TypeError);
    assert.throws(() => createApiKeyVerifier({ scheme: 's', in: 'header', name: 'k', store, cacheMs: -1 }), RangeError);
    await store.close();
  });
});
