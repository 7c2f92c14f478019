import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { compileRouteTable } from './route-table.ts';
import { loadDocument } from './load.ts';
import { documentOf } from './test-helpers.ts';
import type { RouteTable } from './types.ts';

const fixture = (name: string): string =>
  fileURLToPath(new URL(`../../test/fixtures/openapi/${name}`, import.meta.url));

/** `METHOD template {params}` of the match, or null: one string to compare. */
function matched(table: RouteTable, method: string, path: string): string | null {
  const m = table.match(method, path);
  if (m === null) return null;
  return `${m.operation.method} ${m.operation.template} ${JSON.stringify({ ...m.params })}`;
}

describe('compileRouteTable: precedence', () => {
  const table = compileRouteTable([documentOf([
    'GET /users/{id}',
    'GET /users/me',
    'GET /users/{userId}/orders',
    'GET /users/me/settings',
    'GET /users/{id}/orders/{orderId}',
  ])]);

  it('prefers a static segment to a parameter', () => {
    assert.equal(matched(table, 'GET', '/users/me'), 'GET /users/me {}');
    assert.equal(matched(table, 'GET', '/users/42'), 'GET /users/{id} {"id":"42"}');
    assert.equal(matched(table, 'GET', '/users/meme'), 'GET /users/{id} {"id":"meme"}');
  });

  it('backtracks to the parameter when the static branch fails deeper', () => {
    assert.equal(matched(table, 'GET', '/users/me/orders'), 'GET /users/{userId}/orders {"userId":"me"}');
    assert.equal(matched(table, 'GET', '/users/me/settings'), 'GET /users/me/settings {}');
  });

  it('keeps each template\'s own parameter names at a shared position', () => {
    assert.equal(matched(table, 'GET', '/users/7/orders'), 'GET /users/{userId}/orders {"userId":"7"}');
    assert.equal(matched(table, 'GET', '/users/7/orders/9'), 'GET /users/{id}/orders/{orderId} {"id":"7","orderId":"9"}');
  });

  it('is case-sensitive and does not match prefixes or extra segments', () => {
    assert.equal(matched(table, 'GET', '/Users/me'), null);
    assert.equal(matched(table, 'GET', '/users'), null);
    assert.equal(matched(table, 'GET', '/users/7/orders/9/x'), null);
  });
});

describe('compileRouteTable: parameters', () => {
  it('needs at least one character for a parameter', () => {
    const table = compileRouteTable([documentOf(['GET /users/{id}', 'GET /files/{name}.{ext}', 'GET /{root}'])]);
    assert.equal(matched(table, 'GET', '/users/'), null);
    assert.equal(table.hasPath('/users/'), false);
    assert.equal(matched(table, 'GET', '/files/.json'), null);
    assert.equal(matched(table, 'GET', '/files/a.'), null);
    assert.equal(matched(table, 'GET', '/'), null);
    assert.equal(table.hasPath('/'), false);
  });

  it('matches a template that ends with "/" when the path does', () => {
    const table = compileRouteTable([documentOf(['GET /users/{id}', 'GET /users/', 'GET /'])]);
    assert.equal(matched(table, 'GET', '/users/'), 'GET /users/ {}');
    assert.equal(matched(table, 'GET', '/'), 'GET / {}');
  });

  it('finds a template ending with "/" behind a parameter that matched an empty segment', () => {
    // find-my-way takes the static `users` branch, then `{id}` with "";
    // the only right answer is `/{collection}/`.
    const table = compileRouteTable([documentOf(['GET /users/{id}', 'GET /{collection}/'])]);
    assert.equal(matched(table, 'GET', '/users/'), 'GET /{collection}/ {"collection":"users"}');
    assert.equal(table.hasPath('/users/'), true);
    assert.equal(matched(table, 'GET', '/users/1'), 'GET /users/{id} {"id":"1"}');
  });

  it('percent-decodes parameter values', () => {
    const table = compileRouteTable([documentOf(['GET /files/{path}', 'GET /tags/{a}-{b}'])]);
    assert.equal(matched(table, 'GET', '/files/a%2Fb%20c'), 'GET /files/{path} {"path":"a/b c"}');
    assert.equal(matched(table, 'GET', '/files/caf%C3%A9'), 'GET /files/{path} {"path":"café"}');
    assert.equal(matched(table, 'GET', '/files/100%25'), 'GET /files/{path} {"path":"100%"}');
    assert.equal(matched(table, 'GET', '/tags/x%3Ay-z'), 'GET /tags/{a}-{b} {"a":"x:y","b":"z"}');
  });

  it('maps names find-my-way cannot read back (dash, dot, colon) to the document\'s names', () => {
    const table = compileRouteTable([documentOf(['GET /pets/{pet-id}/photos/{photo.id}', 'GET /a/{x:y}.{z}'])]);
    assert.equal(matched(table, 'GET', '/pets/7/photos/p.png'), 'GET /pets/{pet-id}/photos/{photo.id} {"pet-id":"7","photo.id":"p.png"}');
    assert.equal(matched(table, 'GET', '/a/1.2'), 'GET /a/{x:y}.{z} {"x:y":"1","z":"2"}');
  });

  it('refuses a value longer than maxParamLength', () => {
    const table = compileRouteTable([documentOf(['GET /k/{key}', 'GET /f/{n}.{e}'])], { maxParamLength: 10 });
    assert.ok(table.match('GET', '/k/0123456789'));
    assert.equal(table.match('GET', '/k/0123456789a'), null);
    assert.equal(table.match('GET', '/f/0123456789a.x'), null);
    const byDefault = compileRouteTable([documentOf(['GET /k/{key}'])]);
    assert.ok(byDefault.match('GET', `/k/${'a'.repeat(512)}`));
    assert.equal(byDefault.match('GET', `/k/${'a'.repeat(513)}`), null);
  });
});

describe('compileRouteTable: templates inside a segment and special characters', () => {
  const table = compileRouteTable([documentOf([
    'GET /files/{name}.{ext}',
    'GET /files/{name}.json',
    'GET /files/{name}',
    'GET /users/{id}-{slug}',
    'GET /{id}.json',
    'POST /v1/{name}:cancel',
    'POST /v1/{name}:undelete',
    'GET /v1/{name}',
    'POST /items:batchGet',
    'GET /items/{id}',
    'GET /glob/a*b',
    'GET /glob/{x}',
    'GET /paren/(x)/{id}',
    'GET /dollar/{id}$',
    'GET /v{major}.{minor}/status',
  ])]);

  it('matches in-segment templates, the longest static suffix first', () => {
    assert.equal(matched(table, 'GET', '/files/report.json'), 'GET /files/{name}.json {"name":"report"}');
    assert.equal(matched(table, 'GET', '/files/report.pdf'), 'GET /files/{name}.{ext} {"name":"report","ext":"pdf"}');
    assert.equal(matched(table, 'GET', '/files/report'), 'GET /files/{name} {"name":"report"}');
    assert.equal(matched(table, 'GET', '/users/7-rex'), 'GET /users/{id}-{slug} {"id":"7","slug":"rex"}');
    assert.equal(matched(table, 'GET', '/42.json'), 'GET /{id}.json {"id":"42"}');
    assert.equal(matched(table, 'GET', '/v2.1/status'), 'GET /v{major}.{minor}/status {"major":"2","minor":"1"}');
  });

  it('treats ":" in static text literally (Google-style custom methods)', () => {
    assert.equal(matched(table, 'POST', '/v1/op-1:cancel'), 'POST /v1/{name}:cancel {"name":"op-1"}');
    assert.equal(matched(table, 'POST', '/v1/op-1:undelete'), 'POST /v1/{name}:undelete {"name":"op-1"}');
    assert.equal(matched(table, 'GET', '/v1/op-1'), 'GET /v1/{name} {"name":"op-1"}');
    assert.equal(matched(table, 'POST', '/v1/:cancel'), null);
    assert.equal(matched(table, 'POST', '/items:batchGet'), 'POST /items:batchGet {}');
    assert.equal(matched(table, 'GET', '/items:batchGet'), null);
  });

  it('treats "*", "(", "$" in static text literally', () => {
    assert.equal(matched(table, 'GET', '/glob/a*b'), 'GET /glob/a*b {}');
    assert.equal(matched(table, 'GET', '/glob/aXb'), 'GET /glob/{x} {"x":"aXb"}');
    assert.equal(matched(table, 'GET', '/paren/(x)/1'), 'GET /paren/(x)/{id} {"id":"1"}');
    assert.equal(matched(table, 'GET', '/dollar/5$'), 'GET /dollar/{id}$ {"id":"5"}');
  });

  it('records a template with a query part and routes its path', () => {
    const withQuery = compileRouteTable([documentOf(['GET /search?kind=user'])]);
    assert.equal(matched(withQuery, 'GET', '/search'), 'GET /search?kind=user {}');
    assert.match(withQuery.warnings?.[0] ?? '', /query part of the template is not routed/);
  });
});

describe('compileRouteTable: methods', () => {
  const table = compileRouteTable([documentOf([
    'GET /health',
    'HEAD /health',
    'GET /users/{id}',
    'PUT /users/{id}',
    'HEAD /docs/{id}',
    'GET /docs/latest',
  ])]);

  it('falls back from HEAD to GET only where no HEAD is declared', () => {
    assert.equal(matched(table, 'HEAD', '/users/1'), 'GET /users/{id} {"id":"1"}');
    assert.equal(matched(table, 'HEAD', '/health'), 'HEAD /health {}');
    // the GET of the more specific template answers HEAD for it
    assert.equal(matched(table, 'HEAD', '/docs/latest'), 'GET /docs/latest {}');
    assert.equal(matched(table, 'HEAD', '/docs/1'), 'HEAD /docs/{id} {"id":"1"}');
  });

  it('answers null for a wrong method, while hasPath is true', () => {
    assert.equal(table.match('DELETE', '/users/1'), null);
    assert.equal(table.hasPath('/users/1'), true);
    assert.equal(table.match('GET', '/nope'), null);
    assert.equal(table.hasPath('/nope'), false);
    assert.equal(table.match('BREW', '/health'), null);
    // methods are upper-case, as the request line gives them (RFC 9110 §9.1)
    assert.equal(table.match('get', '/health'), null);
  });
});

describe('compileRouteTable: options', () => {
  it('keeps "/a" and "/a/" apart by default, and together with ignoreTrailingSlash', () => {
    const strict = compileRouteTable([documentOf(['GET /a', 'GET /b/{id}'])]);
    assert.equal(strict.match('GET', '/a/'), null);
    assert.equal(strict.match('GET', '/b/1/'), null);
    const lenient = compileRouteTable([documentOf(['GET /a', 'GET /b/{id}', 'GET /c/', 'GET /{x}'])], { ignoreTrailingSlash: true });
    assert.equal(matched(lenient, 'GET', '/a/'), 'GET /a {}');
    assert.equal(matched(lenient, 'GET', '/b/1/'), 'GET /b/{id} {"id":"1"}');
    assert.equal(matched(lenient, 'GET', '/c'), 'GET /c/ {}');
    assert.equal(lenient.match('GET', '/'), null);
  });

  it('counts "/a" and "/a/" as the same route with ignoreTrailingSlash', () => {
    const table = compileRouteTable([documentOf(['GET /a', 'GET /a/'])], { ignoreTrailingSlash: true });
    assert.equal(table.operations.length, 1);
    assert.equal(table.warnings?.length, 1);
  });
});

describe('compileRouteTable: several documents', () => {
  it('merges documents; on a duplicate method + template the first wins, with a warning', async () => {
    const a = await loadDocument(fixture('merge/a.yaml'));
    const b = await loadDocument(fixture('merge/b.yaml'));
    const table = compileRouteTable([a, b]);
    assert.equal(table.match('GET', '/users/7')?.operation.operationId, 'getUserFromA');
    assert.deepEqual({ ...table.match('GET', '/users/7')?.params }, { id: '7' });
    // b's other operations on the same path are kept
    assert.equal(table.match('DELETE', '/users/7')?.operation.operationId, 'deleteUserFromB');
    assert.deepEqual({ ...table.match('DELETE', '/users/7')?.params }, { userId: '7' });
    assert.equal(table.match('GET', '/users/7/orders')?.operation.operationId, 'listUserOrders');
    assert.equal(table.match('GET', '/users/me')?.operation.operationId, 'getMe');
    assert.deepEqual(table.operations.map((o) => o.operationId), ['getUserFromA', 'getMe', 'deleteUserFromB', 'listUserOrders']);
    assert.equal(table.warnings?.length, 1);
    assert.match(table.warnings?.[0] ?? '', /GET \/users\/\{userId\} \(getUserFromB, .*b\.yaml\) duplicates GET \/users\/\{id\} \(getUserFromA, .*a\.yaml\); the first is kept/);
    // the reverse order makes b win
    assert.equal(compileRouteTable([b, a]).match('GET', '/users/7')?.operation.operationId, 'getUserFromB');
  });

  it('routes the fixtures end to end', async () => {
    const docs = await Promise.all(['petstore-3.0.yaml', 'swagger-2.0.yaml', 'multi-file/openapi.yaml', 'servers-3.0.yaml', 'webhooks-3.1.json']
      .map((f) => loadDocument(fixture(f))));
    const table = compileRouteTable(docs);
    assert.deepEqual(table.warnings, []);
    assert.equal(table.operations.length, docs.reduce((n, d) => n + d.operations.length, 0));
    assert.equal(table.match('GET', '/v1/pets/mine')?.operation.operationId, 'listMyPets');
    assert.equal(table.match('GET', '/v1/pets/3')?.operation.operationId, 'getPet');
    assert.equal(table.match('DELETE', '/v1/pets/3')?.operation.deprecated, true);
    assert.equal(table.match('GET', '/v1/pets/3.xml')?.operation.operationId, 'getPetFormatted');
    assert.equal(table.match('GET', '/api/v1/orders/12')?.operation.operationId, 'getOrder');
    assert.equal(table.match('GET', '/shop/orders/3fa85f64-5717-4562-b3fc-2c963f66afa6/lines/2')?.operation.operationId, 'getOrderLine');
    assert.equal(table.match('GET', '/v2/things')?.operation.operationId, 'listThings');
    assert.equal(table.match('GET', '/status')?.operation.operationId, 'status');
    assert.equal(table.match('GET', '/events')?.operation.operationId, 'listEvents');
  });

  it('builds an empty table from no documents', () => {
    const table = compileRouteTable([]);
    assert.equal(table.match('GET', '/'), null);
    assert.equal(table.hasPath('/'), false);
    assert.deepEqual(table.operations, []);
  });

  it('is immutable', () => {
    const table = compileRouteTable([documentOf(['GET /a'])]);
    assert.ok(Object.isFrozen(table.operations));
    assert.ok(Object.isFrozen(table.warnings));
  });
});
