import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { latencyToMs } from './json-fields.ts';
import { parseJsonLine } from './json-lines.ts';
import { fixtureLines, observed } from './test-helpers.ts';
import { ParseError } from './types.ts';

const lines = fixtureLines('json-lines.log');

describe('parseJsonLine: real writers', () => {
  test('nginx escape=json with $request and $time_local, all values strings', () => {
    assert.deepEqual(
      parseJsonLine(lines[0]!),
      observed({
        time: Date.UTC(2024, 2, 12, 8, 15, 27),
        method: 'GET',
        host: 'api.example.com',
        path: '/api/v1/users/42',
        query: 'expand=orders',
        status: 200,
        clientIp: '203.0.113.7',
        userAgent: 'curl/8.5.0',
        bytesOut: 1532,
        latencyMs: 12,
      }),
    );
  });

  test('nginx with $request_method/$request_uri, $time_iso8601, numbers', () => {
    assert.deepEqual(
      parseJsonLine(lines[1]!),
      observed({
        time: Date.UTC(2024, 2, 12, 8, 15, 28),
        method: 'POST',
        host: 'api.example.com',
        path: '/api/v1/orders',
        status: 201,
        clientIp: '2001:db8::7',
        userAgent: 'okhttp/4.12.0',
        bytesOut: 88,
        latencyMs: 45,
      }),
    );
  });

  test('pino-http: nested req/res, headers kept with credentials redacted', () => {
    assert.deepEqual(
      parseJsonLine(lines[2]!),
      observed({
        time: 1710231330123,
        method: 'GET',
        host: 'shop.example.com',
        path: '/api/v1/products',
        query: 'page=2',
        status: 200,
        clientIp: '::ffff:10.0.0.5',
        userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 8)',
        latencyMs: 7,
        requestHeaders: {
          host: 'shop.example.com',
          'user-agent': 'Mozilla/5.0 (Linux; Android 14; Pixel 8)',
          authorization: 'Bearer <redacted>',
          cookie: '<redacted>',
        },
        responseHeaders: { 'content-type': 'application/json', 'set-cookie': '<redacted>' },
      }),
    );
  });

  test("Google Cloud's httpRequest: absolute URL, latency with a unit", () => {
    assert.deepEqual(
      parseJsonLine(lines[3]!),
      observed({
        time: Date.UTC(2024, 2, 12, 8, 15, 31, 123),
        method: 'GET',
        host: 'shop.example.com',
        path: '/api/v1/cart',
        query: 'x=1',
        status: 200,
        clientIp: '198.51.100.23',
        userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X)',
        bytesOut: 512,
        latencyMs: 34.12,
      }),
    );
  });

  test('Elastic Common Schema: nested objects, duration in ns', () => {
    assert.deepEqual(
      parseJsonLine(lines[4]!),
      observed({
        time: Date.UTC(2024, 2, 12, 8, 15, 32),
        method: 'DELETE',
        host: 'shop.example.com',
        path: '/api/v1/cart/items/9',
        status: 204,
        clientIp: '192.0.2.44',
        userAgent: 'axios/1.6.8',
        bytesOut: 0,
        latencyMs: 2.5,
      }),
    );
  });

  test('$msec time; X-Forwarded-For when remote_addr is "-"', () => {
    const r = parseJsonLine(lines[5]!);
    assert.ok(!(r instanceof ParseError));
    assert.deepEqual([r.time, r.clientIp, r.latencyMs, r.path], [1710231333250, '198.51.100.77', 0, '/healthz']);
  });
});

describe('parseJsonLine: malformed', () => {
  test('no path, not JSON, a garbage request line, not an object', () => {
    const reasons = lines.slice(6).map((line) => {
      const r = parseJsonLine(line);
      return r instanceof ParseError ? r.reason : 'parsed';
    });
    assert.equal(reasons[0], 'no path, URL or request line field');
    assert.match(reasons[1]!, /^not JSON: /);
    assert.equal(reasons[2], 'request line has no target');
    assert.equal(reasons[3], 'line is not a JSON object');
  });

  test('a garbage request line with a target field still reads the target', () => {
    const r = parseJsonLine('{"request":"GET /x","request_uri":"/x?y=1","request_method":"GET","status":200}');
    assert.ok(!(r instanceof ParseError));
    assert.deepEqual([r.method, r.path, r.query], ['GET', '/x', 'y=1']);
  });

  test('no method anywhere: UNKNOWN; unreadable time: 0', () => {
    const r = parseJsonLine('{"path":"/x","time":"the day after"}');
    assert.ok(!(r instanceof ParseError));
    assert.deepEqual([r.method, r.time], ['UNKNOWN', 0]);
  });
});

test('latencyToMs', () => {
  assert.equal(latencyToMs('0.25s', 'ms'), 250);
  assert.equal(latencyToMs('12ms', 's'), 12);
  assert.equal(latencyToMs('1500us', 'ms'), 1.5);
  assert.equal(latencyToMs(3, 's'), 3000);
  assert.equal(latencyToMs('-1', 's'), null);
  assert.equal(latencyToMs('slow', 's'), null);
});
