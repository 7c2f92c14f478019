import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { documentedResponseFor, jsonRank, loadOperationDetails, operationKey, type OperationDetails } from './responses.ts';
import { loadDocument } from './load.ts';
import { ApiwardenError } from '../errors.ts';
import { OPENAPI_INVALID } from './errors.ts';

const fixture = (name: string): string =>
  fileURLToPath(new URL(`../../test/fixtures/discovery/${name}`, import.meta.url));

function get(details: Map<string, OperationDetails>, key: string): OperationDetails {
  const found = details.get(key);
  assert.ok(found, `${key} in ${[...details.keys()].join(', ')}`);
  return found;
}

describe('loadOperationDetails: OpenAPI 3.1', async () => {
  const details = await loadOperationDetails(fixture('current-v2.yaml'));
  const document = await loadDocument(fixture('current-v2.yaml'));

  it('keys every operation as loadDocument templates it (with the base path)', () => {
    assert.deepEqual(
      [...details.keys()].sort(),
      document.operations.map((o) => operationKey(o.method, o.template)).sort(),
    );
    assert.ok(details.has('GET /v2/accounts/{accountId}'));
  });

  it('lists documented statuses: codes, ranges (a lower-case 4xx normalised) and default', () => {
    assert.deepEqual(get(details, 'GET /v2/accounts/{accountId}').responses.map((r) => r.status), ['200', '4XX']);
    assert.deepEqual(get(details, 'GET /v2/folders/{folderId}').responses.map((r) => r.status), ['2XX', 'default']);
    assert.deepEqual(get(details, 'GET /v2/search').responses.map((r) => r.status), ['200', '204']);
  });

  it('gives the dereferenced JSON schema for application/json, with parameters, and for +json', () => {
    const account = get(details, 'GET /v2/accounts/{accountId}');
    const ok = account.responses[0]!;
    assert.deepEqual(ok.mediaTypes, ['application/json; charset=utf-8']);
    assert.deepEqual((ok.jsonSchema as { required: string[] }).required, ['id', 'status']);
    const problem = account.responses[1]!;
    assert.deepEqual(Object.keys((problem.jsonSchema as { properties: object }).properties), ['title', 'status']);
  });

  it('gives null for a response without content, and for a body that is not JSON', () => {
    const search = get(details, 'GET /v2/search');
    assert.equal(search.responses[1]!.jsonSchema, null);
    assert.deepEqual(search.responses[1]!.mediaTypes, []);
    const folders = get(details, 'GET /v2/folders/{folderId}');
    assert.equal(folders.responses[1]!.jsonSchema, null);
    assert.deepEqual(folders.responses[1]!.mediaTypes, ['text/plain']);
  });

  it('cuts recursive schemas so that they serialise', () => {
    const folder = get(details, 'GET /v2/folders/{folderId}').responses[0]!.jsonSchema;
    assert.doesNotThrow(() => JSON.stringify(folder));
    assert.deepEqual((folder as { properties: { children: { items: object } } }).properties.children.items, {});
  });

  it('lists query parameter names, from the path item and the operation', () => {
    assert.deepEqual(get(details, 'GET /v2/search').queryParameters, ['q', 'limit']);
    assert.deepEqual(get(details, 'GET /v2/accounts/{accountId}').queryParameters, ['fields']);
    assert.deepEqual(get(details, 'GET /v2/accounts/status/{phone}').queryParameters, []);
  });

  it('reads deprecation of the operation and of the path, x-sunset and x-deprecated-at', () => {
    const user = get(details, 'GET /v2/users/{userId}');
    assert.equal(user.isDeprecated, true);
    assert.equal(user.isPathDeprecated, false);
    assert.equal(user.sunset, '2024-06-30');
    // written without quotes in the YAML
    assert.equal(user.deprecatedAt, '2024-01-01');
    const legacy = get(details, 'GET /v2/legacy/{id}');
    assert.equal(legacy.isDeprecated, false);
    assert.equal(legacy.isPathDeprecated, true);
    assert.equal(legacy.sunset, '2023-12-31');
    const me = get(details, 'GET /v2/users/me');
    assert.equal(me.isDeprecated || me.isPathDeprecated, false);
    assert.equal(me.sunset, null);
  });
});

describe('loadOperationDetails: Swagger 2.0', async () => {
  const details = await loadOperationDetails(fixture('swagger-2.0.yaml'));

  it('reads responses[code].schema as a JSON body, under the base path', () => {
    const order = get(details, 'GET /api/orders/{orderId}');
    assert.deepEqual(order.responses.map((r) => r.status), ['200', '404']);
    assert.deepEqual(order.responses[0]!.mediaTypes, ['application/json']);
    assert.deepEqual(Object.keys((order.responses[0]!.jsonSchema as { properties: object }).properties), ['id', 'lines']);
    assert.equal(order.responses[1]!.jsonSchema, null);
    assert.deepEqual(order.queryParameters, ['expand']);
  });

  it('reads deprecated and x-sunset', () => {
    const cancel = get(details, 'DELETE /api/orders/{orderId}');
    assert.equal(cancel.isDeprecated, true);
    assert.equal(cancel.sunset, '2025-03-01');
  });
});

describe('loadOperationDetails: failures', () => {
  it('fails like loadDocument, naming the file', async () => {
    await assert.rejects(loadOperationDetails(fixture('missing.yaml')), (err: unknown) =>
      err instanceof ApiwardenError && err.code === OPENAPI_INVALID && err.message.includes('missing.yaml'));
    await assert.rejects(loadOperationDetails(fixture('endpoints.ts')), (err: unknown) =>
      err instanceof ApiwardenError && err.code === OPENAPI_INVALID);
  });
});

describe('documentedResponseFor', () => {
  const details: OperationDetails = {
    method: 'GET', template: '/x', operationId: 'x', queryParameters: [], isDeprecated: false, isPathDeprecated: false,
    sunset: null, deprecatedAt: null,
    responses: [
      { status: '201', mediaTypes: [], jsonSchema: null },
      { status: '2XX', mediaTypes: [], jsonSchema: null },
      { status: '404', mediaTypes: [], jsonSchema: null },
      { status: 'default', mediaTypes: [], jsonSchema: null },
    ],
  };

  it('prefers the exact code, then its range, then default', () => {
    assert.equal(documentedResponseFor(details, '201')?.status, '201');
    assert.equal(documentedResponseFor(details, '200')?.status, '2XX');
    assert.equal(documentedResponseFor(details, '404')?.status, '404');
    assert.equal(documentedResponseFor(details, '500')?.status, 'default');
  });

  it('gives null when nothing applies', () => {
    assert.equal(documentedResponseFor({ ...details, responses: [{ status: '201', mediaTypes: [], jsonSchema: null }] }, '200'), null);
  });
});

describe('jsonRank', () => {
  it('ranks application/json over +json over ranges, and the rest as not JSON', () => {
    assert.equal(jsonRank('application/json'), 3);
    assert.equal(jsonRank('Application/JSON; charset=utf-8'), 3);
    assert.equal(jsonRank('application/problem+json'), 2);
    assert.equal(jsonRank('*/*'), 1);
    assert.equal(jsonRank('text/plain'), 0);
    assert.equal(jsonRank('application/xml'), 0);
  });
});
