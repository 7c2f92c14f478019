import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LoadedDocument, Operation } from '../openapi/types.ts';
import { authSeenOf } from './auth-seen.ts';
import { ClientCounter } from './client-counter.ts';
import { compileDocumentedRoutes } from './documented-routes.ts';
import { createInventory } from './inventory.ts';
import { LatencyHistogram } from './latency-histogram.ts';
import type { ObservedRequest } from './types.ts';

function request(overrides: Partial<ObservedRequest> = {}): ObservedRequest {
  return {
    time: 1_700_000_000_000, method: 'GET', host: 'api.example.com', path: '/', query: null, status: 200,
    clientIp: '198.51.100.7', userAgent: 'test', bytesOut: 10, latencyMs: 5,
    requestHeaders: null, responseHeaders: null, requestBody: null, responseBody: null,
    ...overrides,
  };
}

function operation(method: string, template: string, operationId: string): Operation {
  return { method, template, documentPath: template, operationId, deprecated: false, parameters: [], security: null, tags: [], extensions: {}, source: 'doc.yaml' };
}

function documentOf(...operations: Operation[]): LoadedDocument {
  return { source: 'doc.yaml', format: 'openapi-3.0', title: 'Doc', version: '1', basePaths: [''], operations };
}

describe('inventory', () => {
  it('counts documented requests under their operation and learns the rest', () => {
    const routes = compileDocumentedRoutes([documentOf(operation('GET', '/v2/accounts/{accountId}', 'getAccount'))]);
    const inventory = createInventory({ routes });
    for (let i = 0; i < 30; i++) inventory.observe(request({ path: `/v2/accounts/${1000 + i}` }));
    for (let i = 0; i < 40; i++) inventory.observe(request({ path: `/internal/users/${crypto.randomUUID()}/export`, time: 1_700_000_000_000 + i }));
    const endpoints = inventory.endpoints();
    const documented = endpoints.find((e) => e.operationId === 'getAccount');
    assert.equal(documented?.count, 30);
    assert.equal(documented?.template, '/v2/accounts/{accountId}');
    const shadow = endpoints.filter((e) => e.operationId === null);
    assert.equal(shadow.length, 1, JSON.stringify(shadow.map((e) => e.template)));
    assert.match(shadow[0]!.template, /^\/internal\/users\/\{[A-Za-z]+\}\/export$/);
    assert.equal(shadow[0]!.count, 40);
    assert.equal(shadow[0]!.firstSeen, 1_700_000_000_000);
    assert.equal(shadow[0]!.lastSeen, 1_700_000_000_039);
    assert.ok(shadow[0]!.learned, 'a learned endpoint carries its evidence');
  });

  it('merges the counters of paths the templater learns late into one endpoint', () => {
    const inventory = createInventory();
    // small integers look like words at first; enough distinct values make the position a parameter
    for (let i = 1; i <= 300; i++) inventory.observe(request({ path: `/orders/${i}` }));
    const endpoints = inventory.endpoints();
    assert.equal(endpoints.length, 1, endpoints.map((e) => e.template).join(', '));
    assert.equal(endpoints[0]!.count, 300);
  });

  it('sees who answered 2xx to requests without credentials and with what data', () => {
    const inventory = createInventory();
    const lookup = (phone: string, headers: Record<string, string>): ObservedRequest => request({
      method: 'POST', path: '/v1/account-status', requestHeaders: headers, responseHeaders: { 'content-type': 'application/json' },
      requestBody: { contentType: 'application/json', text: JSON.stringify({ phone }), truncated: false },
      responseBody: { contentType: 'application/json', text: JSON.stringify({ account: { id: 'a1', phone, email: 'someone@example.com' }, devices: 2 }), truncated: false },
    });
    for (let i = 0; i < 5; i++) inventory.observe(lookup(`+1415555${String(2600 + i)}`, { 'user-agent': 'x' }));
    inventory.observe(lookup('+14155552671', { authorization: 'Bearer <redacted>' }));
    const [endpoint] = inventory.endpoints();
    assert.deepEqual(endpoint!.auth, { none: 5, bearer: 1 });
    assert.equal(endpoint!.dataClasses.phone?.unauthenticatedResponse, 5);
    assert.ok((endpoint!.dataClasses.phone?.response ?? 0) >= 6);
    assert.ok((endpoint!.dataClasses.phone?.request ?? 0) >= 6);
    assert.ok(endpoint!.dataClasses.email);
    // evidence is masked: no full number in it
    assert.ok(!JSON.stringify(endpoint!.dataClasses).includes('4155552671'));
    const shape = endpoint!.responseShapes['200'] as { properties?: Record<string, unknown> };
    assert.ok(shape.properties?.account && shape.properties.devices, 'the response shape is merged');
    assert.deepEqual(endpoint!.requestContentTypes, { 'application/json': 6 });
  });

  it('counts lookups keyed by personal data in the path that anyone may call', () => {
    const inventory = createInventory();
    for (let i = 0; i < 10; i++) {
      inventory.observe(request({
        path: `/v2/phones/%2B1415555${1000 + i}/status`, status: i < 3 ? 200 : 404, requestHeaders: {},
        responseBody: { contentType: 'application/json', text: i < 3 ? '{"exists":true,"accountId":"acc_1","devices":2}' : '{"exists":false}', truncated: false },
      }));
    }
    const [endpoint] = inventory.endpoints();
    assert.equal(endpoint!.dataClasses.phone?.request, 10);
    assert.equal(endpoint!.dataClasses.phone?.unauthenticatedLookup, 3, 'only the 2xx answers count');
    assert.equal(endpoint!.unauthenticatedSuccess, 3);
  });

  it('inspects bodies on the configured share of requests only', () => {
    const inventory = createInventory({ sampleRate: 0.25 });
    for (let i = 0; i < 100; i++) {
      inventory.observe(request({ path: '/a', responseBody: { contentType: 'application/json', text: '{"ok":true}', truncated: false } }));
    }
    assert.equal(inventory.stats().sampled, 25);
    assert.equal(inventory.endpoints()[0]!.sampled, 25);
  });

  it('keeps query parameter names with their value types, and status classes', () => {
    const inventory = createInventory();
    inventory.observe(request({ path: '/search', query: 'q=shoes&page=2', status: 200 }));
    inventory.observe(request({ path: '/search', query: 'q=hats&page=x&debug', status: 500 }));
    const [endpoint] = inventory.endpoints();
    assert.deepEqual(endpoint!.query, { q: { string: 2 }, page: { integer: 1, string: 1 }, debug: { empty: 1 } });
    assert.deepEqual(endpoint!.statuses, { '2xx': 1, '5xx': 1 });
  });

  it('keeps query parameters named like Object.prototype keys as parameters', () => {
    const inventory = createInventory();
    inventory.observe(request({ path: '/search', query: '__proto__=1&constructor=x', status: 200 }));
    const query = inventory.endpoints()[0]!.query;
    assert.deepEqual(Object.keys(query).sort(), ['__proto__', 'constructor']);
    assert.deepEqual(query['__proto__'], { integer: 1 });
    assert.equal(Object.getPrototypeOf(query), Object.prototype);
  });

  it('counts responses that announce their deprecation', () => {
    const inventory = createInventory();
    inventory.observe(request({ path: '/old', responseHeaders: { deprecation: '@1688169599', sunset: 'Sun, 30 Jun 2024 23:59:59 GMT' } }));
    inventory.observe(request({ path: '/old' }));
    assert.equal(inventory.endpoints()[0]!.deprecationHeaders, 1);
  });

  it('stays within maxEndpoints, counting the rest under (other)', () => {
    const inventory = createInventory({ maxEndpoints: 10 });
    const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliett', 'kilo', 'lima', 'mike', 'november', 'oscar'];
    for (const [i, w] of words.entries()) inventory.observe(request({ path: `/${w}/x`, method: i % 2 === 0 ? 'GET' : 'DELETE' }));
    assert.ok(inventory.stats().accumulators <= 11);
    assert.ok(inventory.stats().overflow > 0);
    const total = inventory.endpoints().reduce((n, e) => n + e.count, 0);
    assert.equal(total, words.length, 'no request is lost');
  });
});

describe('authSeenOf', () => {
  it('tells the kind of credential from headers and query', () => {
    assert.equal(authSeenOf({ authorization: 'Bearer x' }, null), 'bearer');
    assert.equal(authSeenOf({ authorization: 'basic x' }, null), 'basic');
    assert.equal(authSeenOf({ authorization: 'AW-HMAC-SHA256 keyId=a' }, null), 'hmac');
    assert.equal(authSeenOf({ authorization: 'AWS4-HMAC-SHA256 Credential=a' }, null), 'hmac');
    assert.equal(authSeenOf({ authorization: 'Negotiate x' }, null), 'other');
    assert.equal(authSeenOf({ 'x-api-key': 'k' }, null), 'apikey');
    assert.equal(authSeenOf({}, 'q=1&api_key=abc'), 'apikey');
    assert.equal(authSeenOf({}, 'q=1&api_key='), 'none', 'an empty key is no credential');
    assert.equal(authSeenOf({ cookie: 'theme=dark; sessionid=abc' }, null), 'cookie');
    assert.equal(authSeenOf({ cookie: 'theme=dark' }, null), 'none');
    assert.equal(authSeenOf({}, null, true), 'mtls');
  });

  it('says nothing when the source has no headers', () => {
    assert.equal(authSeenOf(null, 'q=1'), null);
    assert.equal(authSeenOf(null, 'key=abc'), 'apikey');
  });
});

describe('ClientCounter', () => {
  it('is exact while small and close past the sketch threshold, and merges', () => {
    const a = new ClientCounter();
    const b = new ClientCounter();
    for (let i = 0; i < 100; i++) a.add(`10.0.0.${i}`);
    assert.equal(a.count, 100);
    for (let i = 0; i < 5000; i++) b.add(`10.1.${i >> 8}.${i & 255}`);
    assert.ok(Math.abs(b.count - 5000) < 5000 * 0.05, String(b.count));
    a.merge(b);
    assert.ok(Math.abs(a.count - 5100) < 5100 * 0.05, String(a.count));
  });
});

describe('LatencyHistogram', () => {
  it('gives a p95 within a bucket of the truth, merged or not', () => {
    const h = new LatencyHistogram();
    const g = new LatencyHistogram();
    for (let i = 1; i <= 1000; i++) (i % 2 === 0 ? h : g).add(i / 10);
    h.merge(g);
    const p95 = h.quantile(0.95)!;
    assert.ok(p95 >= 95 && p95 <= 95 * 1.19, String(p95));
    assert.equal(h.count, 1000);
    assert.equal(h.maxMs, 100);
    assert.equal(new LatencyHistogram().quantile(0.95), null);
  });
});

describe('inventory restore', () => {
  it('continues from stored records: counts add up, learned templates merge when learned again', () => {
    const first = createInventory();
    for (let i = 0; i < 20; i++) first.observe(request({ path: `/users/${crypto.randomUUID()}`, latencyMs: 10 + i }));
    first.observe(request({ path: '/health' }));
    const stored = JSON.parse(JSON.stringify(first.endpoints())) as ReturnType<typeof first.endpoints>;

    const second = createInventory();
    second.restore(stored);
    assert.deepEqual(second.endpoints().map((e) => [e.template, e.count]).sort(), stored.map((e) => [e.template, e.count]).sort());
    for (let i = 0; i < 5; i++) second.observe(request({ path: `/users/${crypto.randomUUID()}` }));
    const users = second.endpoints().filter((e) => e.template.startsWith('/users/'));
    assert.equal(users.length, 1, users.map((e) => e.template).join(', '));
    assert.equal(users[0]!.count, 25);
    assert.equal(users[0]!.latency.count, 25);
    assert.ok(users[0]!.clients >= 1);
    assert.ok(users[0]!.learned, 'the evidence is kept');
  });
});
