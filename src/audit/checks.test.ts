/**
 * One test per check, over small fixture documents (test/fixtures/audit):
 * OpenAPI 3.0, 3.1 and Swagger 2.0.
 */

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auditDocument } from './audit.ts';
import { loadAuditDocument } from './load.ts';
import { isPlainHttpRemote } from './checks.ts';
import { auditFixture, summary, withId } from './test-helpers.ts';
import { FINDING_IDS } from './types.ts';
import { RULES } from './rules.ts';

describe('auth.missing', () => {
  test('high without sensitive data, critical with it, info when marked public', async () => {
    const findings = await auditFixture('security-3.0.yaml');
    assert.deepEqual(summary(findings, 'auth.missing'), [
      'critical GET /v2/accounts/{phone}/status',
      'high GET /v2/health',
      'info GET /v2/ping',
    ]);
    const [critical] = withId(findings, 'auth.missing');
    assert.match(critical!.message, /no security requirement .*phoneNumber \(contact\)/);
    assert.equal(critical!.location.pointer, '/paths/~1accounts~1{phone}~1status/get');
    assert.deepEqual([critical!.location.line, critical!.location.column], [34, 5]);
  });

  test('a root requirement covers every operation without its own', async () => {
    assert.deepEqual(withId(await auditFixture('lifecycle-3.0.yaml'), 'auth.missing'), []);
    assert.deepEqual(withId(await auditFixture('swagger-2.0.yaml'), 'auth.missing'), []);
  });
});

describe('auth.anonymous', () => {
  test('security: [] and the {} alternative are medium; info when x-apiwarden-public', async () => {
    const findings = await auditFixture('security-3.0.yaml');
    assert.deepEqual(summary(findings, 'auth.anonymous'), [
      'info GET /v2/status',
      'medium GET /v2/profile',
      'medium GET /v2/search',
    ]);
    const profile = withId(findings, 'auth.anonymous').find((f) => f.operation === 'GET /v2/profile');
    assert.equal(profile?.location.pointer, '/paths/~1profile/get/security/0');
    assert.match(profile?.message ?? '', /empty requirement \{\}/);
  });
});

describe('data.sensitive-response', () => {
  test('critical when reachable anonymously, info when authenticated; auth.missing carries the no-security case', async () => {
    const findings = await auditFixture('security-3.0.yaml');
    assert.deepEqual(summary(findings, 'data.sensitive-response'), [
      'critical GET /v2/profile',
      'critical GET /v2/search',
      'info GET /v2/me',
    ]);
    const search = withId(findings, 'data.sensitive-response').find((f) => f.operation === 'GET /v2/search');
    // found by `format: email`, through an array
    assert.match(search?.message ?? '', /\[\]\.contact \(contact\)/);
    assert.equal(search?.location.pointer, '/paths/~1search/get/responses/200/content/application~1json/schema/items/properties/contact');
    const profile = withId(findings, 'data.sensitive-response').find((f) => f.operation === 'GET /v2/profile');
    assert.match(profile?.message ?? '', /mobile \(contact\)/);
  });

  test('Swagger 2.0 response schemas, recursive definitions', async () => {
    const findings = await auditFixture('swagger-2.0.yaml');
    assert.deepEqual(summary(findings, 'data.sensitive-response'), ['info GET /api/employees', 'info GET /api/employees/{id}']);
    assert.match(withId(findings, 'data.sensitive-response')[0]!.message, /ssn \(government-id\)/);
  });

  test('nothing in a clean document', async () => {
    assert.deepEqual(await auditFixture('clean-3.1.yaml'), []);
  });
});

describe('auth.api-key-in-query and auth.api-key-in-cookie', () => {
  test('OpenAPI 3.1: query is high, cookie is low, with the operations using the scheme', async () => {
    const findings = await auditFixture('schemes-3.1.yaml');
    assert.deepEqual(summary(findings, 'auth.api-key-in-query'), ['high GET /exports']);
    assert.deepEqual(summary(findings, 'auth.api-key-in-cookie'), ['low GET /dashboard']);
    const query = withId(findings, 'auth.api-key-in-query')[0]!;
    assert.equal(query.location.pointer, '/components/securitySchemes/keyInQuery/in');
    assert.match(query.message, /query parameter "api_key"/);
  });

  test('Swagger 2.0 securityDefinitions', async () => {
    const findings = await auditFixture('swagger-2.0.yaml');
    assert.deepEqual(summary(findings, 'auth.api-key-in-query'), ['high GET /api/v1/employees']);
    assert.equal(withId(findings, 'auth.api-key-in-query')[0]!.location.pointer, '/securityDefinitions/key/in');
  });
});

describe('auth.credential-in-url', () => {
  test('a credential-like query parameter; not the query apiKey scheme\'s own parameter', async () => {
    const findings = await auditFixture('schemes-3.1.yaml');
    assert.deepEqual(summary(findings, 'auth.credential-in-url'), ['medium GET /downloads/{file}']);
    assert.match(withId(findings, 'auth.credential-in-url')[0]!.message, /query parameter "access_token"/);
  });
});

describe('auth.undefined-scheme and auth.undefined-scope', () => {
  test('one finding per unknown scheme and per unknown scope, with the requirement pointer', async () => {
    const findings = await auditFixture('schemes-3.1.yaml');
    const scheme = withId(findings, 'auth.undefined-scheme');
    assert.deepEqual(summary(findings, 'auth.undefined-scheme'), ['high GET /orders']);
    assert.equal(scheme[0]!.location.pointer, '/paths/~1orders/get/security/0/orderKey');
    const scope = withId(findings, 'auth.undefined-scope');
    assert.deepEqual(summary(findings, 'auth.undefined-scope'), ['medium POST /reports']);
    assert.match(scope[0]!.message, /"reports:admin"/);
    // scopes declared by either flow count: reports:read (implicit), reports:write (authorizationCode)
    assert.equal(scope.length, 1);
  });
});

describe('auth.basic-over-http and transport.http-server', () => {
  test('OpenAPI 3.1: server variables take their default; localhost is fine; path-level servers count', async () => {
    const findings = await auditFixture('schemes-3.1.yaml');
    const servers = withId(findings, 'transport.http-server');
    assert.deepEqual(servers.map((f) => f.message), [
      'server http://legacy.example.com uses plain http (6 operations)',
      'server http://uploads.example.com uses plain http (1 operation)',
    ]);
    assert.equal(servers[0]!.location.pointer, '/servers/2/url');
    assert.deepEqual(summary(findings, 'auth.basic-over-http'), ['high POST /legacy/upload']);
  });

  test('Swagger 2.0: schemes with http, an operation overriding schemes', async () => {
    const findings = await auditFixture('swagger-2.0.yaml');
    assert.deepEqual(summary(findings, 'transport.http-server'), ['high GET /api/employees/{id}, GET /api/employees']);
    assert.equal(withId(findings, 'transport.http-server')[0]!.location.pointer, '/schemes/0');
    assert.deepEqual(summary(findings, 'auth.basic-over-http'), ['high GET /api/employees/{id}']);
  });

  test('Swagger 2.0 without a host: the host serving the document, still plain http', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'apiwarden-audit-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'api.json');
    writeFileSync(file, JSON.stringify({
      swagger: '2.0', info: { title: 't', version: '1' }, schemes: ['http'],
      paths: { '/a': { get: { security: [{ k: [] }], responses: { 200: { description: 'ok' } } } } },
      securityDefinitions: { k: { type: 'apiKey', in: 'header', name: 'X-Key' } },
    }));
    const findings = auditDocument(await loadAuditDocument(file));
    assert.deepEqual(withId(findings, 'transport.http-server').map((f) => f.message),
      ['schemes lists plain http for the host serving the document (no host declared) (1 operation)']);
  });

  test('isPlainHttpRemote', () => {
    assert.equal(isPlainHttpRemote('http://api.example.com/v1'), true);
    assert.equal(isPlainHttpRemote('HTTP://API.EXAMPLE.COM'), true);
    assert.equal(isPlainHttpRemote('http://10.0.0.7:8080'), true);
    for (const url of ['https://api.example.com', 'http://localhost:8080', 'http://127.0.0.1', 'http://127.1.2.3:9',
      'http://[::1]:80/', 'http://app.localhost', '/api/v2', 'wss://x.example.com']) {
      assert.equal(isPlainHttpRemote(url), false, url);
    }
  });
});

describe('auth.oauth2-implicit', () => {
  test('OpenAPI 3.x flows and Swagger 2.0 flow', async () => {
    const oas = withId(await auditFixture('schemes-3.1.yaml'), 'auth.oauth2-implicit');
    assert.deepEqual(oas.map((f) => [f.severity, f.location.pointer]), [['medium', '/components/securitySchemes/oauth/flows/implicit']]);
    assert.equal(oas[0]!.operations?.length, 3);
    const swagger = withId(await auditFixture('swagger-2.0.yaml'), 'auth.oauth2-implicit');
    assert.deepEqual(swagger.map((f) => [f.severity, f.location.pointer]), [['medium', '/securityDefinitions/oauth/flow']]);
  });
});

describe('lifecycle.no-sunset', () => {
  test('x-sunset or a Sunset response header (any case) is enough', async () => {
    const findings = await auditFixture('lifecycle-3.0.yaml');
    assert.deepEqual(summary(findings, 'lifecycle.no-sunset'), ['low GET /v1/items']);
    assert.equal(withId(findings, 'lifecycle.no-sunset')[0]!.location.pointer, '/paths/~1v1~1items/get/deprecated');
    assert.deepEqual(summary(await auditFixture('swagger-2.0.yaml'), 'lifecycle.no-sunset'), ['low GET /api/employees']);
  });

  test('a sunset announced by the policy counts', async () => {
    const findings = await auditFixture('lifecycle-3.0.yaml', { hasPolicySunset: (_doc, op) => op.operation.operationId === 'listItemsV1' });
    assert.deepEqual(withId(findings, 'lifecycle.no-sunset'), []);
  });
});

describe('responses.no-401-403 and responses.no-429', () => {
  test('one finding per document; 4XX covers both; default does not', async () => {
    const findings = await auditFixture('lifecycle-3.0.yaml');
    assert.deepEqual(summary(findings, 'responses.no-401-403'), ['low GET /v2/items']);
    assert.match(withId(findings, 'responses.no-401-403')[0]!.message, /^1 of 5 secured operations/);
    assert.deepEqual(summary(findings, 'responses.no-429'), ['low GET /v1/tags, GET /v2/items, POST /v2/items']);
    assert.equal(withId(findings, 'responses.no-429')[0]!.location.pointer, '/paths/~1v1~1tags/get/responses');
  });

  test('anonymous operations are not asked for 401/403', async () => {
    const findings = await auditFixture('security-3.0.yaml');
    assert.deepEqual(summary(findings, 'responses.no-401-403'), ['low GET /v2/profile']);
  });
});

describe('the rule table', () => {
  test('every finding id has a rule whose severities include its default', () => {
    for (const id of FINDING_IDS) {
      const rule = RULES[id];
      assert.ok(rule.title.length > 0 && rule.help.length > 40, id);
      assert.ok(rule.severities.includes(rule.severity), id);
    }
  });

  test('findings only use the severities their rule lists', async () => {
    for (const name of ['security-3.0.yaml', 'schemes-3.1.yaml', 'swagger-2.0.yaml', 'lifecycle-3.0.yaml', 'split/openapi.yaml']) {
      for (const f of await auditFixture(name)) assert.ok(RULES[f.id].severities.includes(f.severity), `${name}: ${f.id} ${f.severity}`);
    }
  });
});
