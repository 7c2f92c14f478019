/**
 * The real Apache combined log of the shared data set (10,000 lines, May
 * 2015). Expected counts come from reading the file: every line is a
 * well-formed combined line except line 8899, whose user agent is cut off
 * without its closing quote (`"Mozilla/5.0 (compatible; Googlebot/2.1;
 * +http://www.google.com/bot.html` then the end of the line).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { readLog } from './read-log.ts';

const FILE = '/work/shared/data/logs/elastic-apache/apache_logs';

test('the real Apache log: 9,999 parsed, line 8899 malformed', { skip: existsSync(FILE) ? false : `the shared data set is absent (${FILE})` }, async () => {
  const reader = readLog(FILE);
  const methods: Record<string, number> = {};
  const statuses: Record<number, number> = {};
  let withQuery = 0;
  let first: unknown = null;
  let minTime = Number.POSITIVE_INFINITY;
  let maxTime = 0;
  for await (const r of reader) {
    first ??= r;
    methods[r.method] = (methods[r.method] ?? 0) + 1;
    statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    if (r.query !== null) withQuery++;
    minTime = Math.min(minTime, r.time);
    maxTime = Math.max(maxTime, r.time);
    assert.equal(r.host, '');
    assert.ok(r.clientIp !== null);
    assert.ok(r.path.startsWith('/'), r.path);
  }
  const { stats } = reader;
  assert.equal(stats.format, 'combined');
  assert.deepEqual([stats.lines, stats.parsed, stats.malformed, stats.blank], [10_000, 9_999, 1, 0]);
  assert.deepEqual(stats.malformedSamples.map((s) => [s.line, s.reason]), [[8899, 'user agent is not closed']]);
  // counted with awk on the request line's method and the status field
  // (the malformed line is a GET answered 200)
  assert.deepEqual(methods, { GET: 9951, HEAD: 42, OPTIONS: 1, POST: 5 });
  assert.deepEqual(statuses, { 200: 9125, 206: 45, 301: 164, 304: 445, 403: 2, 404: 213, 416: 2, 500: 3 });
  assert.equal(withQuery, 1259);
  assert.equal(minTime, Date.UTC(2015, 4, 17, 10, 5, 0));
  assert.equal(maxTime, Date.UTC(2015, 4, 20, 21, 5, 59));
  assert.deepEqual(first, {
    time: Date.UTC(2015, 4, 17, 10, 5, 3),
    method: 'GET',
    host: '',
    path: '/presentations/logstash-monitorama-2013/images/kibana-search.png',
    query: null,
    status: 200,
    clientIp: '83.149.9.216',
    userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/32.0.1700.77 Safari/537.36',
    bytesOut: 203023,
    latencyMs: null,
    requestHeaders: null,
    responseHeaders: null,
    requestBody: null,
    responseBody: null,
  });
});
