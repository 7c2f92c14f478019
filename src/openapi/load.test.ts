import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { loadDocument } from './load.ts';
import { ApiwardenError } from '../errors.ts';
import type { LoadedDocument, Operation } from './types.ts';

const fixture = (name: string): string =>
  fileURLToPath(new URL(`../../test/fixtures/openapi/${name}`, import.meta.url));

function op(doc: LoadedDocument, method: string, template: string): Operation {
  const found = doc.operations.find((o) => o.method === method && o.template === template);
  assert.ok(found, `${method} ${template} in ${doc.operations.map((o) => `${o.method} ${o.template}`).join(', ')}`);
  return found;
}

describe('loadDocument: OpenAPI 3.0 (YAML)', async () => {
  const doc = await loadDocument(fixture('petstore-3.0.yaml'));

  it('reads format, title, version, base path and source', () => {
    assert.equal(doc.format, 'openapi-3.0');
    assert.equal(doc.title, 'Petstore');
    assert.equal(doc.version, '1.2.0');
    // "https://petstore.example.com/v1/": host dropped, trailing slash removed
    assert.deepEqual(doc.basePaths, ['/v1']);
    assert.equal(doc.source, fixture('petstore-3.0.yaml'));
    assert.deepEqual(doc.warnings, []);
  });

  it('lists every method of every path, and skips x- keys under paths', () => {
    assert.deepEqual(
      doc.operations.map((o) => `${o.method} ${o.template}`),
      [
        'GET /v1/pets', 'POST /v1/pets', 'GET /v1/pets/mine', 'GET /v1/pets/{petId}', 'DELETE /v1/pets/{petId}',
        'GET /v1/pets/{petId}.json', 'GET /v1/pets/{petId}.{format}', 'GET /v1/pets/{pet-id}/photos/{photo.id}',
        'GET /v1/owners/{ownerId}-{slug}', 'POST /v1/items:batchGet', 'POST /v1/operations/{name}:cancel',
        'GET /v1/operations/{name}', 'GET /v1/health', 'HEAD /v1/health',
      ],
    );
    for (const o of doc.operations) assert.equal(o.source, doc.source);
  });

  it('keeps documentPath without the base path, and falls back to "METHOD template" for operationId', () => {
    const health = op(doc, 'GET', '/v1/health');
    assert.equal(health.documentPath, '/health');
    assert.equal(health.operationId, 'GET /v1/health');
    assert.equal(op(doc, 'HEAD', '/v1/health').operationId, 'headHealth');
  });

  it('takes security from the operation (even []) or else from the root', () => {
    assert.deepEqual(op(doc, 'GET', '/v1/pets').security, [{ apiKey: [] }]);
    assert.deepEqual(op(doc, 'POST', '/v1/pets').security, [{ oauth: ['pets:write'] }]);
    assert.deepEqual(op(doc, 'DELETE', '/v1/pets/{petId}').security, []);
  });

  it('reads deprecated, tags and x- extensions', () => {
    const del = op(doc, 'DELETE', '/v1/pets/{petId}');
    assert.equal(del.deprecated, true);
    assert.deepEqual(del.extensions, { 'x-sunset': '2025-01-01' });
    const list = op(doc, 'GET', '/v1/pets');
    assert.equal(list.deprecated, false);
    assert.deepEqual(list.tags, ['pets']);
    assert.deepEqual(list.extensions, { 'x-apiwarden-sensitive': true });
  });

  it('merges path-level and operation-level parameters, the operation winning on name + in', () => {
    const get = op(doc, 'GET', '/v1/pets/{petId}');
    assert.deepEqual(get.parameters, [
      { name: 'petId', in: 'path', required: true, schema: { type: 'integer' } },
      // header names compare case-insensitively: x-trace overrides X-Trace
      { name: 'x-trace', in: 'header', required: true, schema: { type: 'string', format: 'uuid' } },
      { name: 'fields', in: 'query', required: false, schema: { type: 'string' } },
    ]);
    const del = op(doc, 'DELETE', '/v1/pets/{petId}');
    assert.deepEqual(del.parameters.map((p) => `${p.in}:${p.name}`), ['path:petId', 'header:X-Trace']);
  });

  it('takes a parameter schema from "content", and breaks a recursive schema into a serialisable tree', () => {
    const filter = op(doc, 'GET', '/v1/pets').parameters.find((p) => p.name === 'filter');
    assert.ok(filter?.schema);
    const text = JSON.stringify(filter.schema);
    const schema = JSON.parse(text) as { properties: { and: { items: unknown } } };
    assert.equal(filter.schema.type, 'object');
    assert.deepEqual(schema.properties.and.items, {});
  });
});

describe('loadDocument: servers (OpenAPI 3)', async () => {
  const doc = await loadDocument(fixture('servers-3.0.yaml'));

  it('takes the path of every server, substituting variables with their default, without duplicates', () => {
    assert.deepEqual(doc.basePaths, ['/v1', '/v2', '/relative/api']);
    assert.deepEqual(
      doc.operations.filter((o) => o.operationId === 'listThings').map((o) => o.template),
      ['/v1/things', '/v2/things', '/relative/api/things'],
    );
  });

  it('lets path-level servers override the root, and operation-level servers override both', () => {
    assert.deepEqual(doc.operations.filter((o) => o.operationId === 'status').map((o) => o.template), ['/status']);
    assert.deepEqual(doc.operations.filter((o) => o.operationId === 'postStatus').map((o) => o.template), ['/admin/status']);
    // a relative url without a leading slash is relative to the root
    assert.deepEqual(doc.operations.filter((o) => o.operationId === 'legacy').map((o) => o.template), ['/old/legacy']);
  });

  it('gives null security when none is declared anywhere', () => {
    for (const o of doc.operations) assert.equal(o.security, null);
  });
});

describe('loadDocument: OpenAPI 3.1 (JSON)', async () => {
  const doc = await loadDocument(fixture('webhooks-3.1.json'));

  it('detects 3.1, defaults the base path to "" and ignores webhooks', () => {
    assert.equal(doc.format, 'openapi-3.1');
    assert.deepEqual(doc.basePaths, ['']);
    assert.deepEqual(doc.operations.map((o) => o.operationId), ['listEvents', 'getEvent', 'publicInfo']);
  });

  it('resolves a path item $ref to components.pathItems and parameter $refs', () => {
    const list = op(doc, 'GET', '/events');
    assert.deepEqual(list.parameters, [{ name: 'cursor', in: 'query', required: false, schema: { type: 'string' } }]);
    assert.deepEqual(list.security, [{ bearer: [] }]);
    assert.deepEqual(op(doc, 'GET', '/public').security, []);
    assert.deepEqual(op(doc, 'GET', '/events/{eventId}').parameters[0]?.schema, { type: ['string', 'null'], format: 'uuid' });
  });
});

describe('loadDocument: Swagger 2.0', async () => {
  const doc = await loadDocument(fixture('swagger-2.0.yaml'));

  it('uses basePath without its trailing slash, and only Swagger 2 methods', () => {
    assert.equal(doc.format, 'swagger-2.0');
    assert.deepEqual(doc.basePaths, ['/api/v1']);
    // `trace` is not an operation in Swagger 2.0
    assert.deepEqual(
      doc.operations.map((o) => `${o.method} ${o.template}`),
      ['GET /api/v1/orders', 'POST /api/v1/orders', 'GET /api/v1/orders/{orderId}', 'PUT /api/v1/orders/{orderId}'],
    );
  });

  it('builds a schema from the type keywords of non-body parameters', () => {
    assert.deepEqual(op(doc, 'GET', '/api/v1/orders/{orderId}').parameters, [
      { name: 'orderId', in: 'path', required: true, schema: { type: 'integer', format: 'int64', minimum: 1 } },
    ]);
    const update = op(doc, 'PUT', '/api/v1/orders/{orderId}');
    assert.equal(update.deprecated, true);
    assert.deepEqual(update.parameters[1], { name: 'note', in: 'formData', required: false, schema: { type: 'string' } });
    const body = op(doc, 'POST', '/api/v1/orders').parameters[0];
    assert.equal(body?.in, 'body');
    assert.equal(body?.schema?.type, 'object');
  });

  it('applies root security', () => {
    for (const o of doc.operations) assert.deepEqual(o.security, [{ key: [] }]);
  });
});

describe('loadDocument: several files with relative $refs', async () => {
  const doc = await loadDocument(fixture('multi-file/openapi.yaml'));

  it('resolves path items, operations and parameters from other files', () => {
    assert.deepEqual(
      doc.operations.map((o) => `${o.method} ${o.template} ${o.operationId}`),
      [
        'GET /shop/orders listOrders',
        'GET /shop/orders/{orderId} getOrder',
        'DELETE /shop/orders/{orderId} deleteOrder',
        'GET /shop/orders/{orderId}/lines/{lineId} getOrderLine',
      ],
    );
    assert.deepEqual(op(doc, 'GET', '/shop/orders').parameters, [
      { name: 'limit', in: 'query', required: false, schema: { type: 'integer', maximum: 100 } },
    ]);
    assert.deepEqual(op(doc, 'GET', '/shop/orders/{orderId}/lines/{lineId}').parameters.map((p) => p.name), ['orderId', 'lineId']);
    assert.deepEqual(op(doc, 'DELETE', '/shop/orders/{orderId}').security, []);
  });
});

describe('loadDocument: tolerance', () => {
  it('loads an empty "paths:" as no operations', async () => {
    const doc = await loadDocument(fixture('empty-paths-3.1.yaml'));
    assert.equal(doc.format, 'openapi-3.1');
    assert.equal(doc.title, 'Skeleton');
    assert.equal(doc.version, '');
    assert.deepEqual(doc.operations, []);
  });
});

describe('loadDocument: refusals', () => {
  const cases: Array<[file: string, reason: RegExp, hasCause: boolean]> = [
    ['nope.yaml', /cannot read the file \(ENOENT\)/, true],
    ['invalid/not-openapi.yaml', /not an OpenAPI or Swagger document/, false],
    ['invalid/syntax-error.yaml', /cannot parse the document: .*\(3:1\)/, true],
    ['invalid/syntax-error.json', /cannot parse the document/, true],
    ['invalid/empty.yaml', /empty, or the top level is not an object/, true],
    ['invalid/scalar.json', /empty, or the top level is not an object/, true],
    ['invalid/missing-pointer.yaml', /cannot resolve a \$ref: Missing \$ref pointer "#\/components\/parameters\/Nope"/, true],
    ['invalid/missing-file.yaml', /cannot resolve a \$ref: .*does-not-exist\.yaml/, true],
    ['invalid/unsupported-version.yaml', /unsupported OpenAPI version "4\.0\.0"/, false],
    ['invalid/no-paths.json', /no "paths" object/, false],
    ['invalid/bad-security.yaml', /paths\["\/a"\]\.get\.security is not an array/, false],
    ['invalid/bad-parameter.yaml', /paths\["\/a\/\{id\}"\]\.get\.parameters\[0\] \(id\) has an unknown "in": "route"/, false],
  ];
  for (const [name, reason, hasCause] of cases) {
    it(`refuses ${name}`, async () => {
      const file = fixture(name);
      await assert.rejects(loadDocument(file), (err: unknown) => {
        assert.ok(err instanceof ApiwardenError);
        assert.equal(err.code, 'OPENAPI_INVALID');
        assert.ok(err.message.startsWith(`${file}: `), err.message);
        assert.match(err.message, reason);
        assert.equal(err.cause !== undefined, hasCause, 'the parser error is kept as cause');
        return true;
      });
    });
  }

  it('refuses a directory', async () => {
    await assert.rejects(loadDocument(fixture('invalid')), /not a regular file/);
  });
});
