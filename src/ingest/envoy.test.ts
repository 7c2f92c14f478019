import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseEnvoyJsonLine, parseEnvoyLine } from './envoy.ts';
import { fixtureLines, observed } from './test-helpers.ts';
import { ParseError } from './types.ts';

describe('parseEnvoyLine: the default format', () => {
  const lines = fixtureLines('envoy.log', 'latin1');

  test("the Envoy documentation's example", () => {
    assert.deepEqual(
      parseEnvoyLine(lines[0]!),
      observed({
        time: Date.UTC(2016, 3, 15, 20, 17, 0, 310),
        method: 'POST',
        host: 'locations',
        path: '/api/v1/locations',
        status: 204,
        clientIp: '10.0.35.28',
        userAgent: 'nsq2http',
        bytesOut: 0,
        latencyMs: 226,
      }),
    );
  });

  test('a query, an X-Forwarded-For chain, an authority', () => {
    const r = parseEnvoyLine(lines[1]!);
    assert.ok(!(r instanceof ParseError));
    assert.deepEqual([r.host, r.path, r.query, r.clientIp, r.bytesOut, r.latencyMs], ['api.example.com', '/api/v1/users/42', 'expand=orders', '203.0.113.7', 1532, 12]);
  });

  test('response flags, no upstream service time, an authority with port', () => {
    const r = parseEnvoyLine(lines[2]!);
    assert.ok(!(r instanceof ParseError));
    assert.deepEqual([r.status, r.host, r.clientIp, r.latencyMs], [503, 'api.example.com', null, 30001]);
  });

  test('status 0: the client went away (DC)', () => {
    const r = parseEnvoyLine(lines[3]!);
    assert.ok(!(r instanceof ParseError));
    assert.deepEqual([r.status, r.method, r.clientIp], [0, 'POST', '198.51.100.4']);
  });

  test("Istio's longer format: the downstream peer is the client", () => {
    assert.deepEqual(
      parseEnvoyLine(lines[4]!),
      observed({
        time: Date.UTC(2020, 10, 25, 21, 26, 18, 409),
        method: 'GET',
        host: 'httpbin',
        path: '/status/418',
        status: 418,
        clientIp: '10.44.1.23',
        userAgent: 'curl/7.73.0-DEV',
        bytesOut: 135,
        latencyMs: 4,
      }),
    );
  });

  test('malformed: a TCP proxy entry, no HTTP version, a bad time, other shapes', () => {
    const reasons = lines.slice(5).map((line) => {
      const r = parseEnvoyLine(line);
      return r instanceof ParseError ? r.reason : 'parsed';
    });
    assert.deepEqual(reasons, ['not an HTTP request (TCP proxy entry)', 'request line has no HTTP version', 'start time is not an ISO 8601 time']);
    const more: [string, string][] = [
      ['GET / HTTP/1.1', 'does not start with [START_TIME]'],
      ['[2024-03-12T08:15:27.123Z "GET / HTTP/1.1" 200', 'start time is not closed'],
      ['[2024-03-12T08:15:27.123Z] GET / HTTP/1.1 200', 'no quoted request line after the time'],
      ['[2024-03-12T08:15:27.123Z] "GET / HTTP/1.1" 200 - 0 0 1 - "-" "curl', 'a quoted field is not closed'],
      ['[2024-03-12T08:15:27.123Z] "GET / HTTP/1.1" OK - 0 0 1', 'response code is not a number'],
      ['[2024-03-12T08:15:27.123Z] "GET / HTTP/1.1" 200 - x y z', 'no BYTES_RECEIVED BYTES_SENT DURATION after the response flags'],
    ];
    for (const [line, reason] of more) {
      const r = parseEnvoyLine(line);
      assert.ok(r instanceof ParseError, line);
      assert.equal(r.reason, reason);
    }
  });
});

describe('parseEnvoyJsonLine', () => {
  const lines = fixtureLines('envoy-json.log');

  test("Istio's JSON encoding", () => {
    assert.deepEqual(
      parseEnvoyJsonLine(lines[0]!),
      observed({
        time: Date.UTC(2024, 2, 12, 8, 15, 27, 123),
        method: 'GET',
        host: 'api.example.com',
        path: '/api/v1/users/42',
        query: 'expand=orders',
        status: 200,
        clientIp: '10.44.1.23',
        userAgent: 'curl/8.5.0',
        bytesOut: 1532,
        latencyMs: 12,
      }),
    );
  });

  test('null fields; X-Forwarded-For when there is no peer address', () => {
    const r = parseEnvoyJsonLine(lines[1]!);
    assert.ok(!(r instanceof ParseError));
    assert.deepEqual([r.method, r.status, r.clientIp, r.latencyMs], ['POST', 503, '198.51.100.4', 30001]);
  });

  test('a TCP entry has no path: malformed', () => {
    const r = parseEnvoyJsonLine(lines[2]!);
    assert.ok(r instanceof ParseError);
    assert.equal(r.reason, 'no path, URL or request line field');
  });
});
