import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { UpstreamConfig } from '../config/types.ts';
import type { Operation } from '../openapi/types.ts';
import { compileOperationPolicy, compileRetiredPolicy } from './zombie-policy.ts';

function op(partial: Partial<Operation>): Operation {
  return { method: 'GET', template: '/v1/users/{id}', documentPath: '/users/{id}', operationId: 'getUserV1', deprecated: false, parameters: [], security: null, tags: [], extensions: {}, source: 'x.yaml', ...partial };
}
const upstream = (sunsets: UpstreamConfig['sunsets'] = []) => ({ sunsets }) as UpstreamConfig;

test('an operation that is neither deprecated nor scheduled is alive', () => {
  assert.equal(compileOperationPolicy(op({}), upstream()), null);
});

test('the policy schedule wins over the document extensions, matched by operationId or METHOD template', () => {
  const sunset = new Date('2027-01-01T00:00:00Z');
  const deprecatedAt = new Date('2026-01-01T00:00:00Z');
  for (const key of ['getUserV1', 'GET /v1/users/{id}', 'GET /users/{id}']) {
    const policy = compileOperationPolicy(op({ extensions: { 'x-sunset': '2030-01-01' } }), upstream([{ operation: key, sunset, deprecatedAt, link: 'https://example.com/m' }]))!;
    assert.equal(policy.sunsetAt, sunset.getTime(), key);
    assert.deepEqual(policy.headers, [
      'deprecation', `@${deprecatedAt.getTime() / 1000}`,
      'sunset', 'Fri, 01 Jan 2027 00:00:00 GMT',
      'link', '<https://example.com/m>; rel="sunset"',
    ]);
  }
});

test('x-sunset and x-deprecated-at extensions are read from the document', () => {
  const policy = compileOperationPolicy(op({ deprecated: true, extensions: { 'x-sunset': '2030-12-31T00:00:00Z', 'x-deprecated-at': '2025-01-15' } }), upstream())!;
  assert.equal(policy.sunsetAt, Date.UTC(2030, 11, 31));
  assert.equal(policy.headers[1], `@${Date.UTC(2025, 0, 15) / 1000}`);
  assert.equal(policy.headers[3], 'Tue, 31 Dec 2030 00:00:00 GMT');
});

test('a deprecated operation without a sunset is served indefinitely, with a Deprecation date in the past', () => {
  const policy = compileOperationPolicy(op({ deprecated: true }), upstream())!;
  assert.equal(policy.sunsetAt, Infinity);
  assert.equal(policy.headers.length, 2);
  assert.ok(Number(policy.headers[1]!.slice(1)) <= Date.now() / 1000);
});

test('a retired prefix without sunset is gone already; with one it is served until then', () => {
  assert.equal(compileRetiredPolicy({ prefix: '/v1', sunset: null, link: null, isPublic: false }).sunsetAt, -Infinity);
  const later = compileRetiredPolicy({ prefix: '/v0', sunset: new Date('2099-06-30T00:00:00Z'), link: null, isPublic: false });
  assert.equal(later.sunsetAt, Date.UTC(2099, 5, 30));
  assert.equal(later.reason, 'retired-prefix');
});
