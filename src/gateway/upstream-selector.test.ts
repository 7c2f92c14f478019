import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { UpstreamConfig } from '../config/types.ts';
import { compileUpstreamSelector, hasPathPrefix } from './upstream-selector.ts';

function target(name: string, hosts: string[], pathPrefix: string) {
  return { name, config: { name, hosts, pathPrefix } as unknown as UpstreamConfig };
}

test('path prefixes match at segment boundaries only', () => {
  assert.equal(hasPathPrefix('/v1', '/v1'), true);
  assert.equal(hasPathPrefix('/v1/users', '/v1'), true);
  assert.equal(hasPathPrefix('/v10/users', '/v1'), false);
  assert.equal(hasPathPrefix('/v', '/v1'), false);
  assert.equal(hasPathPrefix('/anything', '/'), true);
});

test('host specificity first, then the longest prefix', () => {
  const selector = compileUpstreamSelector([
    target('any', [], '/'),
    target('any-admin', [], '/admin'),
    target('exact', ['api.example.com'], '/'),
    target('wild', ['*.example.com'], '/'),
    target('exact-v2', ['api.example.com'], '/v2'),
  ]);
  const pick = (host: string, path: string) => selector.select(host, path)?.name ?? null;
  assert.equal(pick('other.org', '/x'), 'any');
  assert.equal(pick('other.org', '/admin/x'), 'any-admin');
  assert.equal(pick('api.example.com', '/x'), 'exact');
  assert.equal(pick('api.example.com', '/admin'), 'exact', 'an exact host beats a longer prefix on any host');
  assert.equal(pick('api.example.com', '/v2/users'), 'exact-v2');
  assert.equal(pick('api.example.com', '/v22'), 'exact');
  assert.equal(pick('eu.example.com', '/x'), 'wild');
  assert.equal(pick('a.b.example.com', '/x'), 'wild');
  assert.equal(pick('example.com', '/x'), 'any', 'a wildcard does not match the bare domain');
});

test('no upstream when no host matches and none takes any host', () => {
  const selector = compileUpstreamSelector([target('exact', ['api.example.com'], '/'), target('p', ['x.org'], '/p')]);
  assert.equal(selector.select('evil.example.com', '/'), null);
  assert.equal(selector.select('x.org', '/q'), null);
  assert.equal(selector.select('x.org', '/p/q')?.name, 'p');
});
