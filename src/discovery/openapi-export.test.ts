import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileErrors, validate } from '@readme/openapi-parser';
import { parse as parseYaml } from 'yaml';
import { exportOpenApi, toYaml } from './openapi-export.ts';
import type { InventoryEndpoint } from './types.ts';
import { loadDocument } from '../openapi/load.ts';
import { shapeOf, mergeShapes } from './json-shape.ts';
import { T0, dataClass, learned, makeEndpoint } from '../../test/fixtures/discovery/endpoints.ts';

const inventory: InventoryEndpoint[] = [
  makeEndpoint({
    method: 'GET', template: '/users/{userId}', count: 500,
    statuses: { '2xx': 450, '4xx': 50 },
    auth: { bearer: 480, none: 20 },
    query: { fields: { string: 30 }, page: { integer: 40 }, ratio: { integer: 2, number: 3 }, 'filter[name]': { string: 1 } },
    responseContentTypes: { 'application/json; charset=utf-8': 450 },
    responseShapes: {
      '200': mergeShapes(shapeOf({ id: 8123, email: 'jane@example.com', tags: ['a'] }), shapeOf({ id: 9001, email: null })),
      '404': shapeOf({ title: 'not found' }),
    },
    dataClasses: { email: dataClass({ response: 300, unauthenticatedResponse: 2, paths: ['email'], examples: ['j•••@example.com'] }) },
    learned: learned('/users/{userId}', { userId: { shape: 'integer', examples: ['8123', '9001'], distinct: 480 } }, 500),
  }),
  // the same route on another host, with another parameter name: one path, the busier endpoint's name
  makeEndpoint({
    host: 'eu.api.example.com', method: 'GET', template: '/users/{id}', count: 50,
    learned: learned('/users/{id}', { id: { shape: 'integer', examples: ['77'] } }, 50),
  }),
  makeEndpoint({
    method: 'POST', template: '/users', auth: { apikey: 60, basic: 40 },
    requestContentTypes: { 'application/json; charset=utf-8': 90, 'application/x-www-form-urlencoded': 10, 'not a type': 1 },
    requestShape: shapeOf({ email: 'a@example.com', name: 'A' }),
    statuses: { '2xx': 100 },
    responseShapes: { '201': shapeOf({ id: 1 }) },
  }),
  makeEndpoint({
    method: 'GET', template: '/files/{fileId}.json', auth: { mtls: 10, cookie: 5, hmac: 3 },
    learned: learned('/files/{fileId}.json', { fileId: { shape: 'uuid', examples: ['0b3e4c7a-1c1d-4e0b-9f43-3b1f2f0d6c11'] } }),
  }),
  makeEndpoint({
    method: 'GET', template: '/items/{a}/sub/{a}',
    learned: { ...learned('/items/{a}/sub/{b}', { a: { shape: 'word', examples: ['x'] } }), template: '/items/{a}/sub/{a}' },
  }),
  makeEndpoint({ method: 'GET', template: '/health', auth: { none: 100 }, statuses: { '2xx': 100, '5xx': 2 } }),
  makeEndpoint({ method: 'DELETE', template: '/sessions/{sid}', statuses: {}, auth: { none: 1 }, learned: learned('/sessions/{sid}', { sid: { shape: 'token', examples: ['abc'] } }) }),
  makeEndpoint({ method: 'PATCH', template: '/docs/{docId}', operationId: 'patchDoc' }),
  // not exportable: a method OpenAPI has no field for, a placeholder template
  makeEndpoint({ method: 'UNKNOWN', template: '/x' }),
  makeEndpoint({ method: 'GET', template: '(other)' }),
];

const EXPECTED_OPERATIONS = [
  'DELETE /sessions/{sid}', 'GET /files/{fileId}.json', 'GET /health', 'GET /items/{a}/sub/{a2}',
  'GET /users/{userId}', 'PATCH /docs/{docId}', 'POST /users',
];

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const document = exportOpenApi(inventory, { title: 'Observed API', version: '2024-07-01', servers: ['https://api.example.com'] }) as Json;

describe('exportOpenApi', () => {
  const dir = mkdtemp(join(tmpdir(), 'apiwarden-export-'));
  after(async () => rm(await dir, { recursive: true, force: true }));

  it('is a valid OpenAPI 3.1 document for @readme/openapi-parser', async () => {
    const result = await validate(structuredClone(document) as never);
    assert.ok(result.valid, compileErrors(result));
    assert.equal(document.openapi, '3.1.0');
    assert.deepEqual(document.info, { title: 'Observed API', version: '2024-07-01' });
    assert.deepEqual(document.servers, [{ url: 'https://api.example.com' }]);
  });

  it('round-trips: loading the YAML export gives the same methods and templates', async () => {
    const file = join(await dir, 'observed.yaml');
    await writeFile(file, toYaml(document));
    const loaded = await loadDocument(file);
    assert.deepEqual(loaded.operations.map((o) => `${o.method} ${o.template}`).sort(), EXPECTED_OPERATIONS);
    assert.deepEqual(loaded.warnings, []);
  });

  it('writes plain YAML without anchors, that parses back to the same document', () => {
    const yaml = toYaml(document);
    assert.ok(!/[&*]a\d+\b/.test(yaml));
    assert.deepEqual(parseYaml(yaml), document);
  });

  it('merges templates that differ only in parameter names, with the busier endpoint\'s names, and sums the evidence', () => {
    const op = document.paths['/users/{userId}'].get;
    assert.equal(document.paths['/users/{id}'], undefined);
    assert.equal(op['x-apiwarden'].count, 550);
    assert.deepEqual(op['x-apiwarden'].hosts, ['api.example.com', 'eu.api.example.com']);
    assert.equal(op['x-apiwarden'].firstSeen, new Date(T0).toISOString());
    assert.equal(op['x-apiwarden'].confidence, 0.9);
  });

  it('types path parameters from the shapes of their values', () => {
    const user = document.paths['/users/{userId}'].get.parameters[0];
    assert.deepEqual({ ...user, 'x-apiwarden': undefined }, { name: 'userId', in: 'path', required: true, schema: { type: 'integer' }, 'x-apiwarden': undefined });
    assert.deepEqual(user['x-apiwarden'].shapes, { integer: 550 });
    assert.deepEqual(document.paths['/files/{fileId}.json'].get.parameters[0].schema, { type: 'string', format: 'uuid' });
    assert.deepEqual(document.paths['/sessions/{sid}'].delete.parameters[0].schema, { type: 'string' });
    // no learned evidence: a string
    assert.deepEqual(document.paths['/docs/{docId}'].patch.parameters[0].schema, { type: 'string' });
  });

  it('makes repeated parameter names unique', () => {
    const params = document.paths['/items/{a}/sub/{a2}'].get.parameters;
    assert.deepEqual(params.map((p: Json) => p.name), ['a', 'a2']);
  });

  it('declares query parameters with the types their values had, never required', () => {
    const query = document.paths['/users/{userId}'].get.parameters.filter((p: Json) => p.in === 'query');
    assert.deepEqual(query.map((p: Json) => [p.name, p.schema.type, p.required]), [
      ['fields', 'string', false], ['filter[name]', 'string', false], ['page', 'integer', false], ['ratio', 'number', false],
    ]);
  });

  it('gives request and response bodies the JSON Schema of the merged shapes, under the media type seen', () => {
    const post = document.paths['/users'].post;
    assert.deepEqual(Object.keys(post.requestBody.content).sort(), ['application/json', 'application/x-www-form-urlencoded']);
    assert.deepEqual(post.requestBody.content['application/json'].schema.required, ['email', 'name']);
    assert.deepEqual(Object.keys(post.responses), ['201']);
    const get = document.paths['/users/{userId}'].get;
    assert.deepEqual(Object.keys(get.responses), ['200', '404']);
    const schema = get.responses['200'].content['application/json'].schema;
    assert.deepEqual(schema.properties.email.type, ['string', 'null']);
    assert.deepEqual(schema.required, ['email', 'id']);
  });

  it('falls back to status ranges when no code was sampled, and to default when nothing answered', () => {
    assert.deepEqual(Object.keys(document.paths['/health'].get.responses), ['2XX', '5XX']);
    assert.deepEqual(Object.keys(document.paths['/sessions/{sid}'].delete.responses), ['default']);
  });

  it('declares the security schemes seen, most used first, and no empty requirement for anonymous calls', () => {
    assert.deepEqual(document.paths['/users'].post.security, [{ apiKeyAuth: [] }, { basicAuth: [] }]);
    assert.deepEqual(document.paths['/users/{userId}'].get.security, [{ bearerAuth: [] }]);
    assert.deepEqual(document.paths['/files/{fileId}.json'].get.security, [{ mutualTLS: [] }, { cookieAuth: [] }]);
    assert.equal(document.paths['/health'].get.security, undefined);
    assert.equal(document.paths['/health'].get['x-apiwarden'].auth.none, 100);
    assert.deepEqual(document.components.securitySchemes, {
      apiKeyAuth: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      basicAuth: { type: 'http', scheme: 'basic' },
      bearerAuth: { type: 'http', scheme: 'bearer' },
      cookieAuth: { type: 'apiKey', in: 'cookie', name: 'session' },
      mutualTLS: { type: 'mutualTLS' },
    });
  });

  it('keeps data classes as evidence but never a value seen in traffic, not even masked', () => {
    const evidence = document.paths['/users/{userId}'].get['x-apiwarden'];
    assert.deepEqual(evidence.dataClasses, { email: { request: 0, response: 300, unauthenticatedResponse: 2, paths: ['email'] } });
    const yaml = toYaml(document);
    for (const value of ['8123', '9001', 'jane@example.com', 'j•••@example.com', '0b3e4c7a']) assert.ok(!yaml.includes(value), value);
  });

  it('lists what it could not export', () => {
    assert.deepEqual(document['x-apiwarden'].skipped, ['UNKNOWN api.example.com/x', 'GET api.example.com(other)']);
  });

  it('exports only the undocumented endpoints when asked', async () => {
    const shadows = exportOpenApi(inventory, { title: 't', version: '1', onlyUndocumented: true }) as Json;
    assert.equal(shadows.paths['/docs/{docId}'], undefined);
    assert.ok(shadows.paths['/users/{userId}']);
    const result = await validate(structuredClone(shadows) as never);
    assert.ok(result.valid, compileErrors(result));
  });

  it('gives an empty but valid document for an empty inventory', async () => {
    const empty = exportOpenApi([], { title: 't', version: '1' });
    assert.deepEqual((empty as Json).paths, {});
    const result = await validate(structuredClone(empty) as never);
    assert.ok(result.valid, compileErrors(result));
  });

  it('uses an injected toJsonSchema', () => {
    const doc = exportOpenApi([inventory[2]!], { title: 't', version: '1', toJsonSchema: () => ({ type: 'object', description: 'stub' }) }) as Json;
    assert.deepEqual(doc.paths['/users'].post.requestBody.content['application/json'].schema, { type: 'object', description: 'stub' });
  });
});
