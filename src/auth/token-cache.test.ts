import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTokenCache, tokenDigest } from './token-cache.ts';

test('a value is returned until its deadline on the request clock, not after', () => {
  const cache = createTokenCache<string>({ max: 10 });
  cache.set('token-a', 'A', 2000, 1000);
  assert.equal(cache.get('token-a', 1000), 'A');
  assert.equal(cache.get('token-a', 1999), 'A');
  assert.equal(cache.get('token-a', 2000), undefined);
  assert.equal(cache.size, 0, 'an expired entry is dropped when seen');
});

test('nothing is stored with a deadline already past', () => {
  const cache = createTokenCache<string>({ max: 10 });
  cache.set('token-a', 'A', 1000, 1000);
  assert.equal(cache.size, 0);
});

test('bounded: the least recently used entry goes first', () => {
  const cache = createTokenCache<string>({ max: 2 });
  cache.set('a', 'A', 10_000, 0);
  cache.set('b', 'B', 10_000, 0);
  assert.equal(cache.get('a', 1), 'A');
  cache.set('c', 'C', 10_000, 0);
  assert.equal(cache.size, 2);
  assert.equal(cache.get('b', 1), undefined);
  assert.equal(cache.get('a', 1), 'A');
  assert.equal(cache.get('c', 1), 'C');
});

test('keys are SHA-256 digests: the token itself is not kept', () => {
  assert.equal(tokenDigest('abc'), 'ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
  const cache = createTokenCache<string>({ max: 2 });
  cache.set('secret-token', 'v', 10, 0);
  cache.delete('secret-token');
  assert.equal(cache.get('secret-token', 0), undefined);
  assert.throws(() => createTokenCache({ max: 0 }), RangeError);
});
