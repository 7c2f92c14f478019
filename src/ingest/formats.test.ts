import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { detectFormat } from './formats.ts';
import { fixturePath } from './test-helpers.ts';

describe('detectFormat', () => {
  const fixtures: [string, string][] = [
    ['combined.log', 'combined'],
    ['envoy.log', 'envoy'],
    ['alb.log', 'alb'],
    ['json-lines.log', 'json-lines'],
    ['envoy-json.log', 'envoy-json'],
    ['sample.har', 'har'],
  ];
  for (const [name, format] of fixtures) {
    test(`${name} → ${format}`, () => {
      assert.equal(detectFormat(readFileSync(fixturePath(name)), true), format);
    });
  }

  test('the real Apache log', (t) => {
    let head: Buffer;
    try {
      head = readFileSync('/work/shared/data/logs/elastic-apache/apache_logs').subarray(0, 64 * 1024);
    } catch {
      t.skip('the shared data set is absent (/work/shared/data/logs/elastic-apache/apache_logs)');
      return;
    }
    assert.equal(detectFormat(head), 'combined');
  });

  test('HAR: minified, with a byte order mark, with whitespace first', () => {
    assert.equal(detectFormat('{"log":{"version":"1.2","entries":[]}}', true), 'har');
    assert.equal(detectFormat('\ufeff{"log":{"version":"1.2"', false), 'har');
    assert.equal(detectFormat('\n  {\n  "log" : {', false), 'har');
    // Docker's json-file log driver: "log" is a string, so not HAR (and
    // not an access log either: no path field)
    assert.equal(detectFormat('{"log":"GET / HTTP/1.1","stream":"stdout","time":"2024-03-12T08:15:27Z"}\n', true), null);
  });

  test('common log format (no referer, no user agent) is combined', () => {
    assert.equal(detectFormat('127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326\n', true), 'combined');
  });

  test('the majority wins over a few odd lines; the last partial line is not sampled', () => {
    const combined = '1.2.3.4 - - [12/Mar/2024:08:15:27 +0000] "GET /a HTTP/1.1" 200 1 "-" "-"\n';
    const json = '{"path":"/a","status":200}\n';
    assert.equal(detectFormat(json + combined.repeat(3), true), 'combined');
    assert.equal(detectFormat(combined + json.repeat(3), true), 'json-lines');
    assert.equal(detectFormat(`${json}${combined.slice(0, 30)}`, false), 'json-lines');
  });

  test('unknown: null', () => {
    assert.equal(detectFormat('hello\nworld\n', true), null);
    assert.equal(detectFormat('', true), null);
    assert.equal(detectFormat(Buffer.from([0x16, 0x03, 0x01, 0x00, 0xf1, 0x0a]), true), null);
  });
});
