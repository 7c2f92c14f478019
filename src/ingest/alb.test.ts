import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseAlbLine } from './alb.ts';
import { fixtureLines, observed } from './test-helpers.ts';
import { ParseError } from './types.ts';

// the first five lines are the examples of AWS's "Access logs for your
// Application Load Balancer" page: HTTP, HTTPS, HTTP/2, WebSockets, Lambda
const lines = fixtureLines('alb.log', 'latin1');
const ARRIVED = Date.UTC(2018, 6, 2, 22, 22, 48, 364);

describe('parseAlbLine: AWS documentation examples', () => {
  test('HTTP: arrival is request_creation_time, latency the three processing times', () => {
    assert.deepEqual(
      parseAlbLine(lines[0]!),
      observed({
        time: ARRIVED,
        method: 'GET',
        host: 'www.example.com',
        path: '/',
        status: 200,
        clientIp: '192.168.131.39',
        userAgent: 'curl/7.46.0',
        bytesOut: 366,
        latencyMs: 1,
      }),
    );
  });

  test('HTTPS', () => {
    const r = parseAlbLine(lines[1]!);
    assert.ok(!(r instanceof ParseError));
    assert.deepEqual([r.host, r.status, r.bytesOut, r.latencyMs], ['www.example.com', 200, 57, 171]);
  });

  test('HTTP/2 to an IP address', () => {
    const r = parseAlbLine(lines[2]!);
    assert.ok(!(r instanceof ParseError));
    assert.deepEqual([r.host, r.clientIp, r.latencyMs], ['10.0.2.105', '10.0.1.252', 2]);
  });

  test('WebSockets: 101, no user agent', () => {
    const r = parseAlbLine(lines[3]!);
    assert.ok(!(r instanceof ParseError));
    assert.deepEqual([r.status, r.userAgent, r.host], [101, null, '10.0.0.30']);
  });

  test('Lambda target ("-")', () => {
    const r = parseAlbLine(lines[4]!);
    assert.ok(!(r instanceof ParseError));
    assert.deepEqual([r.time, r.status], [Date.UTC(2018, 10, 30, 22, 22, 48, 364), 200]);
  });
});

describe('parseAlbLine: other entries', () => {
  test('-1 processing times, no target status, no request_creation_time, a query', () => {
    assert.deepEqual(
      parseAlbLine(lines[5]!),
      observed({
        time: Date.UTC(2024, 4, 1, 12, 0, 1, 123),
        method: 'POST',
        host: 'api.example.com',
        path: '/v1/orders',
        query: 'dry_run=true',
        status: 503,
        clientIp: '203.0.113.7',
        userAgent: 'okhttp/4.12.0',
        bytesOut: 345,
        latencyMs: null,
      }),
    );
  });

  test('an IPv6 client', () => {
    const line = lines[0]!.replace('192.168.131.39:2817', '2001:db8::1:2817');
    const r = parseAlbLine(line);
    assert.ok(!(r instanceof ParseError));
    assert.equal(r.clientIp, '2001:db8::1');
  });

  test('malformed: a request ALB could not parse, an unclosed quote, a Network LB entry, too few fields', () => {
    const reasons = lines.slice(6).map((line) => {
      const r = parseAlbLine(line);
      return r instanceof ParseError ? r.reason : 'parsed';
    });
    assert.deepEqual(reasons, ['request line does not end with an HTTP version', 'a quoted field is not closed', 'type "tcp" is not an ALB listener type']);
    const short = parseAlbLine('http 2018-07-02T22:23:00.186641Z app/x 1.2.3.4:1 - 0 0 0 200');
    assert.ok(short instanceof ParseError);
    assert.equal(short.reason, '9 fields, an ALB entry has at least 14');
    const badTime = parseAlbLine(lines[0]!.replace('2018-07-02T22:23:00.186641Z', 'yesterday'));
    assert.ok(badTime instanceof ParseError);
    assert.equal(badTime.reason, 'time is not an ISO 8601 time');
  });
});
