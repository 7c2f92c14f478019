import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { bodySample } from './body-sample.ts';
import { harEntryToRequest, parseHarEntry } from './har.ts';
import { headerRecord, redactHeaderValue } from './redact.ts';
import { fixturePath } from './test-helpers.ts';
import { ParseError } from './types.ts';

const har = JSON.parse(readFileSync(fixturePath('sample.har'), 'utf8')) as { log: { entries: unknown[] } };
const entries = har.log.entries;

describe('harEntryToRequest', () => {
  test('a GET with a bearer token and a cookie: headers kept, credentials redacted', () => {
    assert.deepEqual(harEntryToRequest(entries[0]), {
      time: Date.UTC(2024, 2, 12, 8, 15, 27, 123),
      method: 'GET',
      host: 'api.example.com',
      path: '/v1/users/42',
      query: 'expand=orders',
      status: 200,
      clientIp: null,
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
      bytesOut: 61,
      latencyMs: 48.213,
      requestHeaders: {
        accept: 'application/json',
        authorization: 'Bearer <redacted>',
        cookie: '<redacted>',
        'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
      },
      responseHeaders: { 'content-type': 'application/json; charset=utf-8', 'set-cookie': '<redacted>', 'x-request-id': '5f1c2a7e' },
      requestBody: null,
      responseBody: { contentType: 'application/json', text: '{"id":42,"name":"Ann \\"The Hammer\\"","path":"C:\\\\Users\\\\ann"}', truncated: false },
    });
  });

  test('a POST: API key and Basic proxy credentials redacted, repeated headers joined, bodies sampled', () => {
    const r = harEntryToRequest(entries[1], 100);
    assert.ok(!(r instanceof ParseError));
    assert.equal(r.method, 'POST');
    assert.equal(r.time, Date.UTC(2024, 2, 12, 8, 15, 28, 500));
    assert.deepEqual(r.requestHeaders, {
      'content-type': 'application/json',
      'x-api-key': '<redacted>',
      'proxy-authorization': 'Basic <redacted>',
      accept: 'application/json, text/plain',
    });
    assert.deepEqual(r.requestBody, { contentType: 'application/json', text: '{"sku":"SKU-1","qty":2,"note":"café"}', truncated: false });
    // bodySize -1: the decoded size is used
    assert.equal(r.bytesOut, 1633);
    const body = r.responseBody!;
    assert.equal(body.truncated, true);
    assert.ok(Buffer.byteLength(body.text) <= 100);
    assert.ok(!body.text.includes('\ufffd'), 'cut on a character boundary');
    const whole = (entries[1] as { response: { content: { text: string } } }).response.content.text;
    assert.ok(whole.startsWith(body.text));
  });

  test('a size that is not a whole number of bytes is not one: the decoded size, or none', () => {
    const entry = (bodySize: unknown, size: unknown): unknown => ({
      startedDateTime: '2024-03-12T08:15:28.500Z', time: 3,
      request: { method: 'GET', url: 'https://api.example.com/v1/items', headers: [] },
      response: { status: 200, headers: [], bodySize, content: { size, mimeType: 'application/json' } },
    });
    const bytes = (bodySize: unknown, size: unknown): unknown => {
      const r = harEntryToRequest(entry(bodySize, size), 64);
      assert.ok(!(r instanceof ParseError));
      return r.bytesOut;
    };
    // found by the never-throws property (bodySize 5e-324)
    assert.equal(bytes(5e-324, 120), 120);
    assert.equal(bytes(12.5, 7.25), null);
    assert.equal(bytes(2 ** 60, undefined), null);
    assert.equal(bytes(48, 120), 48);
  });

  test('a base64 body is decoded; the fragment is dropped', () => {
    const r = harEntryToRequest(entries[2]);
    assert.ok(!(r instanceof ParseError));
    assert.deepEqual([r.host, r.path, r.query], ['cdn.example.com', '/img/logo.png', null]);
    assert.equal(r.responseBody?.contentType, 'image/png');
    assert.equal(r.responseBody?.truncated, false);
    // binary as UTF-8: the 0x89 of the PNG signature is not valid UTF-8
    assert.equal(r.responseBody?.text.slice(0, 4), '\ufffdPNG');
    assert.deepEqual(r.requestHeaders, {});
  });

  test('a failed request: status 0, form params as the body, a schemeless Authorization', () => {
    const r = harEntryToRequest(entries[3]);
    assert.ok(!(r instanceof ParseError));
    assert.deepEqual([r.status, r.bytesOut, r.latencyMs, r.host, r.query], [0, 0, null, '[2001:db8::5]', 'next=%2Fhome']);
    assert.equal(r.requestHeaders?.authorization, '<redacted>');
    assert.equal(r.requestBody?.text, 'user=ann&pass%20word=s3cr%26t');
    assert.equal(r.responseBody, null);
  });

  test('an entry without a request is malformed', () => {
    const r = harEntryToRequest(entries[4]);
    assert.ok(r instanceof ParseError);
    assert.equal(r.reason, 'entry has no request');
    for (const [entry, reason] of [
      [null, 'entry is not an object'],
      [{ request: { url: '/x' } }, 'request has no method'],
      [{ request: { method: 'GET' } }, 'request has no url'],
    ] as const) {
      const result = harEntryToRequest(entry);
      assert.ok(result instanceof ParseError);
      assert.equal(result.reason, reason);
    }
    const notJson = parseHarEntry('{"request":');
    assert.ok(notJson instanceof ParseError);
    assert.match(notJson.reason, /^entry is not JSON/);
  });
});

describe('redaction', () => {
  test('schemes kept for Authorization-like fields, whole values elsewhere', () => {
    assert.equal(redactHeaderValue('authorization', 'Bearer abc.def.ghi'), 'Bearer <redacted>');
    assert.equal(redactHeaderValue('authorization', 'AWS4-HMAC-SHA256 Credential=AKIA/20240312/us-east-1/s3/aws4_request, Signature=ff'), 'AWS4-HMAC-SHA256 <redacted>');
    assert.equal(redactHeaderValue('authorization', 'Digest username="ann", realm="x"'), 'Digest <redacted>');
    assert.equal(redactHeaderValue('authorization', 'opaque-token-without-scheme'), '<redacted>');
    assert.equal(redactHeaderValue('authorization', ''), '<redacted>');
    for (const name of ['cookie', 'set-cookie', 'x-api-key', 'api-key', 'x-auth-token', 'x-csrf-token', 'ocp-apim-subscription-key', 'x-amz-security-token', 'x-goog-api-key', 'private-token']) {
      assert.equal(redactHeaderValue(name, 'secret'), '<redacted>', name);
    }
    for (const name of ['content-type', 'www-authenticate', 'accept', 'x-request-id', 'keep-alive', 'user-agent']) {
      assert.equal(redactHeaderValue(name, 'Bearer realm="x"'), 'Bearer realm="x"', name);
    }
  });

  test('headerRecord lower-cases names, drops pseudo-headers and __proto__', () => {
    const record = headerRecord([
      [':authority', 'x'],
      ['Cookie', 'a=1'],
      ['cookie', 'b=2'],
      ['__proto__', 'x'],
      ['X-Trace', '1'],
    ]);
    assert.deepEqual(record, { cookie: '<redacted>', 'x-trace': '1' });
    assert.equal(Object.getPrototypeOf(record), Object.prototype);
  });
});

describe('bodySample', () => {
  test('cuts UTF-8 on a character boundary', () => {
    assert.deepEqual(bodySample('héllo', null, 'text/plain', 2), { contentType: 'text/plain', text: 'h', truncated: true });
    assert.deepEqual(bodySample('héllo', null, null, 3), { contentType: null, text: 'hé', truncated: true });
    assert.deepEqual(bodySample('héllo', null, null, 6), { contentType: null, text: 'héllo', truncated: false });
    assert.deepEqual(bodySample('😀😀', null, null, 5), { contentType: null, text: '😀', truncated: true });
    assert.deepEqual(bodySample('', null, null, 5), { contentType: null, text: '', truncated: false });
  });
  test('base64: only the kept part is decoded', () => {
    const text = Buffer.from('a'.repeat(10_000)).toString('base64');
    assert.deepEqual(bodySample(text, 'base64', null, 8), { contentType: null, text: 'aaaaaaaa', truncated: true });
    assert.deepEqual(bodySample(Buffer.from('hi').toString('base64'), 'BASE64', null, 8), { contentType: null, text: 'hi', truncated: false });
  });
});
