import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createAccessLog } from '../events/access-log.ts';
import { makeTestEvent } from '../store/conformance.ts';
import { parseApiwardenEventLine } from './apiwarden-events.ts';
import { detectFormat } from './formats.ts';
import { readLog } from './read-log.ts';
import { observed } from './test-helpers.ts';
import { ParseError } from './types.ts';

const dir = mkdtempSync(join(tmpdir(), 'apiwarden-ingest-events-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('apiwarden event lines', () => {
  test('a round trip through the real access log writer', async () => {
    const file = join(dir, 'access.log');
    const log = createAccessLog(file);
    const T = Date.UTC(2026, 2, 1, 12, 0, 0);
    log.listener(makeTestEvent({ time: T, rawPath: '/users/42?page=2&access_token=abc', path: '/users/42?page=2&access_token=abc' }));
    log.listener(makeTestEvent({ time: T + 1, method: 'POST', host: '', rawPath: '/orders', path: null, status: 400, decision: 'rejected', class: 'rejected', userAgent: null }));
    log.listener(makeTestEvent({ time: T + 2, rawPath: `/long/${'a'.repeat(1100)}`, path: `/long/${'a'.repeat(1100)}` }));
    await log.close();

    assert.equal(detectFormat(readFileSync(file), true), 'apiwarden-events');
    const reader = readLog(file);
    const requests = [];
    for await (const request of reader) requests.push(request);
    assert.equal(reader.stats.format, 'apiwarden-events');
    assert.deepEqual([reader.stats.parsed, reader.stats.malformed], [3, 0]);
    assert.deepEqual(
      requests[0],
      observed({
        time: T,
        method: 'GET',
        host: 'api.example.com',
        path: '/users/42',
        // the access log redacted it before it was written
        query: 'page=2&access_token=REDACTED',
        status: 200,
        clientIp: '203.0.113.7',
        userAgent: 'conformance/1.0',
        bytesOut: 120,
        latencyMs: 3,
      }),
    );
    assert.deepEqual([requests[1]!.method, requests[1]!.host, requests[1]!.status, requests[1]!.userAgent], ['POST', '', 400, null]);
    // rawPath was cut at 1,024 characters: the whole canonical path is used
    assert.equal(requests[2]!.path, `/long/${'a'.repeat(1100)}`);
  });

  test('a byte count that is not a whole number is dropped, the rest of the event kept', () => {
    const r = parseApiwardenEventLine('{"rawPath":"/x","method":"GET","status":200,"bytesOut":12.5,"latencyMs":1.5}');
    assert.ok(!(r instanceof ParseError));
    assert.deepEqual([r.bytesOut, r.latencyMs, r.status], [null, 1.5, 200]);
  });

  test('malformed event lines', () => {
    const reasons = ['{"method":"GET"}', '{"rawPath":"/x"}', 'nope', 'null'].map((line) => {
      const r = parseApiwardenEventLine(line);
      return r instanceof ParseError ? r.reason : 'parsed';
    });
    assert.deepEqual(reasons.slice(0, 2), ['no rawPath', 'no method']);
    assert.match(reasons[2]!, /^not JSON/);
    assert.equal(reasons[3], 'line is not a JSON object');
  });
});
