import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { createHarScanner } from './har-scanner.ts';
import { fixturePath } from './test-helpers.ts';

interface Cut {
  entries: unknown[];
  lines: number[];
  malformed: string[];
  hasEntries: boolean;
}

/** Feeds `bytes` in chunks of the given sizes (cycled) and collects what the scanner cuts. */
function scan(bytes: Buffer, chunkSizes: readonly number[], maxEntryBytes = 1 << 20): Cut {
  const cut: Cut = { entries: [], lines: [], malformed: [], hasEntries: false };
  const scanner = createHarScanner(
    {
      onEntry(text, line) {
        cut.entries.push(JSON.parse(text.toString('utf8')));
        cut.lines.push(line);
      },
      onMalformed(line, index, reason) {
        cut.malformed.push(`${line}:${index}:${reason}`);
      },
    },
    maxEntryBytes,
  );
  let pos = 0;
  for (let k = 0; pos < bytes.length; k++) {
    const size = Math.max(1, chunkSizes[k % chunkSizes.length]!);
    scanner.push(bytes.subarray(pos, pos + size));
    pos += size;
  }
  cut.hasEntries = scanner.end();
  return cut;
}

const sample = readFileSync(fixturePath('sample.har'));
const sampleEntries = (JSON.parse(sample.toString('utf8')) as { log: { entries: unknown[] } }).log.entries;

describe('createHarScanner', () => {
  test('cuts the entries of the fixture, ignoring look-alikes in strings', () => {
    const cut = scan(sample, [65536]);
    assert.deepEqual(cut.entries, sampleEntries);
    assert.deepEqual(cut.malformed, []);
    assert.equal(cut.hasEntries, true);
    // the line each entry starts on, in the pretty-printed file
    const text = sample.toString('utf8').split('\n');
    for (const line of cut.lines) assert.match(text[line - 1]!, /^ {6}\{$/);
  });

  test('the same entries whatever the chunk size, down to one byte', () => {
    for (const size of [1, 2, 3, 7, 64, 1000]) {
      assert.deepEqual(scan(sample, [size]).entries, sampleEntries, `chunks of ${size}`);
    }
  });

  test('minified', () => {
    const minified = Buffer.from(JSON.stringify(JSON.parse(sample.toString('utf8'))));
    const cut = scan(minified, [13]);
    assert.deepEqual(cut.entries, sampleEntries);
    assert.deepEqual(cut.lines, sampleEntries.map(() => 1));
  });

  test('an entry over the size cap is reported and skipped; the others are cut', () => {
    const doc = Buffer.from(JSON.stringify({ log: { entries: [{ a: 1 }, { big: 'x'.repeat(5000) }, { b: 2 }] } }));
    const cut = scan(doc, [100], 1000);
    assert.deepEqual(cut.entries, [{ a: 1 }, { b: 2 }]);
    assert.deepEqual(cut.malformed, ['1:2:entry 2 is larger than 1000 bytes']);
  });

  test('a document cut off inside an entry', () => {
    const doc = Buffer.from('{"log":{"entries":[{"a":1},{"b":"unfinished');
    const cut = scan(doc, [5]);
    assert.deepEqual(cut.entries, [{ a: 1 }]);
    assert.deepEqual(cut.malformed, ['1:2:the input ends inside entry 2']);
  });

  test('no log.entries: nothing cut, and end() says so', () => {
    for (const doc of ['{"entries":[{"a":1}]}', '{"log":{"pages":[]}}', '[{"log":{"entries":[{"a":1}]}}]', '{"x":{"log":{"entries":[{"a":1}]}}}']) {
      const cut = scan(Buffer.from(doc), [4]);
      assert.deepEqual([cut.entries, cut.hasEntries], [[], false], doc);
    }
  });

  test('property: any HAR-shaped document, cut at any points, gives JSON.parse(doc).log.entries', () => {
    const value = fc.jsonValue({ maxDepth: 3 });
    const entry = fc.dictionary(fc.string({ unit: 'binary', maxLength: 8 }), value, { maxKeys: 4 });
    const documentArb = fc.record({
      before: fc.dictionary(fc.string({ maxLength: 6 }).filter((k) => k !== 'entries'), value, { maxKeys: 3 }),
      entries: fc.array(entry, { maxLength: 6 }),
      after: fc.dictionary(fc.string({ maxLength: 6 }).filter((k) => k !== 'entries'), value, { maxKeys: 3 }),
      indent: fc.constantFrom(undefined, 1, 2, '\t'),
    });
    fc.assert(
      fc.property(documentArb, fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 8 }), (d, sizes) => {
        const doc = { log: { ...d.before, entries: d.entries, ...d.after } };
        const bytes = Buffer.from(JSON.stringify(doc, null, d.indent));
        const expected = (JSON.parse(bytes.toString('utf8')) as { log: { entries: unknown[] } }).log.entries;
        assert.deepEqual(scan(bytes, sizes).entries, expected);
      }),
      { numRuns: 300 },
    );
  });
});
