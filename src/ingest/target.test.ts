import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { addressOf, firstForwardedFor, hostOf, parseRequestLine, splitTarget } from './target.ts';

describe('splitTarget', () => {
  const cases: [string, { host: string; path: string; query: string | null }][] = [
    ['/users/42', { host: '', path: '/users/42', query: null }],
    ['/search?q=a%20b&page=2', { host: '', path: '/search', query: 'q=a%20b&page=2' }],
    ['/empty?', { host: '', path: '/empty', query: '' }],
    ['/a/../b/%2e%2e/c', { host: '', path: '/a/../b/%2e%2e/c', query: null }],
    ['http://Api.Example.COM:8080/v1/x?y=1', { host: 'api.example.com', path: '/v1/x', query: 'y=1' }],
    ['https://user:pw@example.com/p#frag', { host: 'example.com', path: '/p', query: null }],
    ['https://example.com', { host: 'example.com', path: '/', query: null }],
    ['https://example.com?x=1', { host: 'example.com', path: '/', query: 'x=1' }],
    ['http://[2001:DB8::1]:8080/v6', { host: '[2001:db8::1]', path: '/v6', query: null }],
    ['*', { host: '', path: '*', query: null }],
    ['example.com:443', { host: '', path: 'example.com:443', query: null }],
    ['/redirect?to=http://evil.example/', { host: '', path: '/redirect', query: 'to=http://evil.example/' }],
  ];
  for (const [target, expected] of cases) {
    test(target, () => assert.deepEqual(splitTarget(target), expected));
  }
});

describe('parseRequestLine', () => {
  test('valid lines', () => {
    assert.deepEqual(parseRequestLine('GET /x?y HTTP/1.1'), { method: 'GET', target: '/x?y' });
    assert.deepEqual(parseRequestLine('patch /x HTTP/2.0'), { method: 'PATCH', target: '/x' });
    assert.deepEqual(parseRequestLine('GET /a b HTTP/1.1'), { method: 'GET', target: '/a b' });
  });
  test('garbage is a reason', () => {
    assert.equal(parseRequestLine('-'), 'request line is "-"');
    assert.equal(parseRequestLine(''), 'request line is ""');
    assert.equal(parseRequestLine('\x16\x03\x01\x00'), 'request line has no target');
    assert.equal(parseRequestLine('GET /'), 'request line has no HTTP version');
    assert.equal(parseRequestLine('GET / FTP/1.0'), 'request line does not end with an HTTP version');
    assert.equal(parseRequestLine('G(T / HTTP/1.1'), 'request method is not a token');
    assert.equal(parseRequestLine('GET  HTTP/1.1'), 'request target is empty');
  });
});

describe('addresses and hosts', () => {
  test('addressOf', () => {
    assert.equal(addressOf('203.0.113.7'), '203.0.113.7');
    assert.equal(addressOf('203.0.113.7:5123'), '203.0.113.7');
    assert.equal(addressOf('[2001:db8::1]:443'), '2001:db8::1');
    assert.equal(addressOf('2001:db8::1'), '2001:db8::1');
    assert.equal(addressOf('-'), null);
    assert.equal(addressOf(''), null);
  });
  test('firstForwardedFor', () => {
    assert.equal(firstForwardedFor('198.51.100.4, 10.0.0.2'), '198.51.100.4');
    assert.equal(firstForwardedFor(' 198.51.100.4 '), '198.51.100.4');
    assert.equal(firstForwardedFor(null), null);
  });
  test('hostOf normalises as the gateway does', () => {
    assert.equal(hostOf('API.Example.com:8443'), 'api.example.com');
    assert.equal(hostOf('example.com.'), 'example.com');
    assert.equal(hostOf('-'), '');
    assert.equal(hostOf('bad host'), '');
  });
});
