import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthServerError, createDiscovery, isHttpAllowed, parseDiscoveredUrl, parseEndpointUrl } from './oidc-discovery.ts';
import { closedPortUrl, startStubServer } from './testing/test-helpers.ts';
import type { StubAnswer, StubServer } from './testing/test-helpers.ts';

const WELL_KNOWN = '/.well-known/openid-configuration';

describe('OIDC discovery', () => {
  const servers: StubServer[] = [];
  async function stub(answer: (origin: string) => StubAnswer): Promise<StubServer> {
    let origin = '';
    const server = await startStubServer(() => answer(origin));
    origin = server.origin;
    servers.push(server);
    return server;
  }
  const documentFor = (issuer: string) => ({ json: { issuer, jwks_uri: `${issuer}/jwks`, introspection_endpoint: `${issuer}/introspect` } });

  after(async () => {
    for (const server of servers) await server.close();
  });

  test('the document is fetched once, on first use, by all callers together', async () => {
    const server = await stub(documentFor);
    const discovery = createDiscovery({ url: `${server.origin}${WELL_KNOWN}` });
    assert.equal(server.requests.length, 0, 'nothing fetched before first use');
    const [a, b] = await Promise.all([discovery.metadata(), discovery.metadata()]);
    const c = await discovery.metadata();
    assert.equal(a.issuer, server.origin);
    assert.equal(a.jwks_uri, `${server.origin}/jwks`);
    assert.equal(b, a);
    assert.equal(c, a);
    assert.equal(server.requests.length, 1);
    assert.equal(server.requests[0]?.path, WELL_KNOWN);
  });

  test('an issuer URL is resolved to its well-known document, whose issuer must match it', async () => {
    const server = await stub(documentFor);
    const metadata = await createDiscovery({ url: server.origin }).metadata();
    assert.equal(metadata.issuer, server.origin);
    assert.equal(server.requests[0]?.path, WELL_KNOWN);
  });

  test('the issuer must equal the configured one', async () => {
    const server = await stub(documentFor);
    const discovery = createDiscovery({ url: `${server.origin}${WELL_KNOWN}`, issuer: 'https://idp.example.test' });
    await assert.rejects(discovery.metadata(), (error: unknown) => error instanceof AuthServerError && error.code === 'issuer_mismatch');
  });

  test('a failure is remembered for failureBackoffMs: no new request until then', async () => {
    let healthy = false;
    const server = await stub((origin) => (healthy ? documentFor(origin) : { status: 500, json: { error: 'down' } }));
    const discovery = createDiscovery({ url: `${server.origin}${WELL_KNOWN}`, failureBackoffMs: 60_000 });
    await assert.rejects(discovery.metadata(), AuthServerError);
    healthy = true;
    await assert.rejects(discovery.metadata(), AuthServerError);
    assert.equal(server.requests.length, 1);

    const eager = createDiscovery({ url: `${server.origin}${WELL_KNOWN}`, failureBackoffMs: 0 });
    healthy = false;
    await assert.rejects(eager.metadata(), AuthServerError);
    healthy = true;
    assert.equal((await eager.metadata()).issuer, server.origin);
  });

  test('unreachable, or never answering: an AuthServerError with its code', { timeout: 10_000 }, async () => {
    await assert.rejects(
      createDiscovery({ url: await closedPortUrl(WELL_KNOWN) }).metadata(),
      (error: unknown) => error instanceof AuthServerError && error.code === 'unreachable',
    );
    const silent = await stub(() => 'hang');
    await assert.rejects(
      createDiscovery({ url: `${silent.origin}${WELL_KNOWN}`, timeoutMs: 200 }).metadata(),
      (error: unknown) => error instanceof AuthServerError && error.code === 'timeout',
    );
  });
});

test('plain http only for loopback, or when allowed', () => {
  assert.equal(isHttpAllowed(new URL('https://idp.example.com/'), false), true);
  assert.equal(isHttpAllowed(new URL('http://idp.example.com/'), false), false);
  assert.equal(isHttpAllowed(new URL('http://idp.example.com/'), true), true);
  for (const host of ['127.0.0.1', '127.1.2.3', '[::1]', 'localhost']) assert.equal(isHttpAllowed(new URL(`http://${host}:8080/`), false), true, host);
  assert.equal(isHttpAllowed(new URL('ftp://idp.example.com/'), true), false);
  assert.throws(() => parseEndpointUrl('http://idp.example.com/jwks', false, 'jwksUri'), /jwksUri must be https/);
  assert.throws(() => parseEndpointUrl('not a url', false, 'jwksUri'), /not a URL/);
  assert.throws(() => parseDiscoveredUrl('http://idp.example.com/jwks', false, 'jwks_uri'), (e: unknown) => e instanceof AuthServerError && e.code === 'insecure_url');
  assert.throws(() => parseDiscoveredUrl(undefined, false, 'jwks_uri'), (e: unknown) => e instanceof AuthServerError && e.code === 'bad_response');
});
