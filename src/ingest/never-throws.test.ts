/**
 * Property tests: no input makes a parser throw, and what a parser returns
 * is either a ParseError with a reason or an ObservedRequest that keeps the
 * contract's invariants. Inputs are random text, random bytes read as
 * latin1, and real fixture lines with random edits (the malformed lines
 * that matter are near-misses, not noise).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import type { ObservedRequest } from '../discovery/types.ts';
import { EVENT_KEYS } from './apiwarden-events.ts';
import { ENVOY_JSON_FIELDS } from './envoy.ts';
import { LINE_PARSERS } from './formats.ts';
import type { LineFormat } from './formats.ts';
import { harEntryToRequest, parseHarEntry } from './har.ts';
import { readLog } from './read-log.ts';
import { fixtureLines } from './test-helpers.ts';
import { LOG_FORMATS, ParseError } from './types.ts';
import type { ParseResult } from './types.ts';

function assertContract(result: ParseResult, input: string): void {
  if (result instanceof ParseError) {
    assert.equal(typeof result.reason, 'string');
    assert.ok(result.reason.length > 0);
    return;
  }
  const r: ObservedRequest = result;
  const context = JSON.stringify(input.slice(0, 300));
  assert.ok(Number.isFinite(r.time), context);
  assert.ok(typeof r.method === 'string' && r.method.length > 0 && r.method === r.method.toUpperCase(), context);
  assert.ok(typeof r.host === 'string' && r.host === r.host.toLowerCase(), context);
  assert.equal(typeof r.path, 'string', context);
  assert.ok(r.query === null || typeof r.query === 'string', context);
  assert.ok(Number.isInteger(r.status) && r.status >= 0 && r.status <= 999, context);
  assert.ok(r.clientIp === null || typeof r.clientIp === 'string', context);
  assert.ok(r.userAgent === null || typeof r.userAgent === 'string', context);
  assert.ok(r.bytesOut === null || (Number.isInteger(r.bytesOut) && r.bytesOut >= 0), context);
  assert.ok(r.latencyMs === null || (Number.isFinite(r.latencyMs) && r.latencyMs >= 0), context);
  for (const headers of [r.requestHeaders, r.responseHeaders]) {
    if (headers === null) continue;
    for (const [name, value] of Object.entries(headers)) {
      assert.equal(name, name.toLowerCase(), context);
      assert.equal(typeof value, 'string', context);
    }
  }
}

const FIXTURE_OF: Record<LineFormat, string> = {
  combined: 'combined.log',
  envoy: 'envoy.log',
  alb: 'alb.log',
  'json-lines': 'json-lines.log',
  'envoy-json': 'envoy-json.log',
  'apiwarden-events': 'json-lines.log',
};

/** A real line with up to four random edits: deletions, insertions, replacements. */
function mutatedLine(lines: readonly string[]): fc.Arbitrary<string> {
  const edit = fc.tuple(fc.constantFrom('delete', 'insert', 'replace'), fc.nat(), fc.nat({ max: 12 }), fc.string({ unit: 'binary', maxLength: 6 }));
  return fc.tuple(fc.constantFrom(...lines), fc.array(edit, { maxLength: 4 })).map(([line, edits]) => {
    let s = line;
    for (const [kind, at, length, text] of edits) {
      const i = s.length === 0 ? 0 : at % s.length;
      if (kind === 'delete') s = s.slice(0, i) + s.slice(i + length);
      else if (kind === 'insert') s = s.slice(0, i) + text + s.slice(i);
      else s = s.slice(0, i) + text + s.slice(i + text.length);
    }
    return s;
  });
}

const latin1Line = fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes).toString('latin1'));

describe('no line makes a parser throw', () => {
  for (const [format, parse] of Object.entries(LINE_PARSERS) as [LineFormat, (line: string) => ParseResult][]) {
    test(format, () => {
      const lines = fixtureLines(FIXTURE_OF[format], 'latin1');
      fc.assert(
        fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), latin1Line, mutatedLine(lines)), (line) => {
          assertContract(parse(line), line);
        }),
        { numRuns: 1000 },
      );
    });
  }

  test('JSON records built from the field names the tables look for, with any values', () => {
    const names = [...new Set(Object.values(ENVOY_JSON_FIELDS).flat().map((n) => (Array.isArray(n) ? (n[0] as string) : (n as string))))];
    const key = fc.constantFrom(...names, ...EVENT_KEYS, 'time', 'host', 'status');
    const record = fc.dictionary(key, fc.oneof(fc.anything({ maxDepth: 2 }), fc.string(), fc.webUrl(), fc.integer(), fc.double()), { maxKeys: 12 });
    const nested = fc.tuple(record, fc.constantFrom('req', 'res', 'httpRequest', 'http', 'url', 'request')).map(([r, k]) => ({ ...r, [k]: { ...r } }));
    fc.assert(
      fc.property(fc.oneof(record, nested), (value) => {
        const line = JSON.stringify(value);
        for (const format of ['json-lines', 'envoy-json', 'apiwarden-events'] as const) assertContract(LINE_PARSERS[format](line), line);
      }),
      { numRuns: 1000 },
    );
  });

  test('har entries: any JSON value, and entries with random fields', () => {
    const anyValue = fc.anything({ maxDepth: 2 });
    const entry = fc.record(
      {
        request: fc.oneof(anyValue, fc.record({ method: anyValue, url: fc.oneof(anyValue, fc.webUrl()), headers: anyValue, postData: anyValue }, { requiredKeys: [] })),
        response: fc.oneof(anyValue, fc.record({ status: anyValue, headers: anyValue, content: anyValue, bodySize: anyValue }, { requiredKeys: [] })),
        startedDateTime: anyValue,
        time: anyValue,
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), entry), fc.integer({ min: 0, max: 64 }), (value, cap) => {
        assertContract(harEntryToRequest(value, cap), '');
        const text = JSON.stringify(value) ?? 'undefined';
        assertContract(parseHarEntry(text, cap), text);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('no file content makes the reader throw once the format is known', () => {
  const dir = mkdtempSync(join(tmpdir(), 'apiwarden-ingest-fuzz-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let counter = 0;

  test('random bytes, every format, small chunks: lines are counted, never fatal', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 3000 }), fc.constantFrom(...LOG_FORMATS), fc.integer({ min: 1, max: 700 }), async (bytes, format, chunkBytes) => {
        const file = join(dir, `fuzz-${++counter}`);
        writeFileSync(file, bytes);
        const reader = readLog(file, { format, chunkBytes, maxLineBytes: 500, maxEntryBytes: 500 });
        let seen = 0;
        for await (const r of reader) {
          assertContract(r, '');
          seen++;
        }
        const { stats } = reader;
        assert.equal(stats.parsed, seen);
        if (format !== 'har') assert.equal(stats.lines, stats.parsed + stats.malformed + stats.blank);
        assert.equal(stats.bytesRead, bytes.length);
      }),
      { numRuns: 150 },
    );
  });
});
