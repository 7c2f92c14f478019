import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { createLineSplitter } from './line-splitter.ts';

function split(chunks: readonly Buffer[], maxLineBytes = 1024): string[] {
  const out: string[] = [];
  const splitter = createLineSplitter(
    {
      onLine: (buffer, start, end, n) => out.push(`${n}:${buffer.toString('latin1', start, end)}`),
      onOverlong: (n) => out.push(`${n}:<overlong>`),
    },
    maxLineBytes,
  );
  for (const chunk of chunks) splitter.push(chunk);
  splitter.end();
  return out;
}

const b = (text: string): Buffer => Buffer.from(text, 'latin1');

describe('createLineSplitter', () => {
  test('lines across chunks, CRLF, a last line without newline, blank lines', () => {
    assert.deepEqual(split([b('one\r\ntw'), b('o\n\nthr'), b('ee')]), ['1:one', '2:two', '3:', '4:three']);
  });

  test('a UTF-8 byte order mark at the start is dropped', () => {
    assert.deepEqual(split([b('\xef\xbb\xbf{"a":1}\n')]), ['1:{"a":1}']);
  });

  test('an overlong line is reported by number and not buffered', () => {
    const long = 'x'.repeat(50);
    assert.deepEqual(split([b(`ok\n${long}\nok\n`)], 10), ['1:ok', '2:<overlong>', '3:ok']);
    // spread over chunks, and at the end of the input
    assert.deepEqual(split([b('ok\nxxxxxx'), b('xxxxxx'), b('xxxxxx'), b('x\nok\nyyyyyyyyyyyyy')], 10), ['1:ok', '2:<overlong>', '3:ok', '4:<overlong>']);
  });

  test('property: any chunking gives the lines of split("\\n")', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 12 }).map((s) => s.replace(/[\r\n]/g, '')), { maxLength: 20 }), fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1 }), (lines, sizes) => {
        const text = lines.join('\n');
        const bytes = b(text);
        const chunks: Buffer[] = [];
        for (let pos = 0, k = 0; pos < bytes.length; k++) {
          chunks.push(bytes.subarray(pos, pos + sizes[k % sizes.length]!));
          pos += sizes[k % sizes.length]!;
        }
        const expected = text === '' ? [] : text.split('\n').map((line, i) => `${i + 1}:${line}`);
        // a trailing newline ends the last line rather than starting an empty one
        if (text.endsWith('\n')) expected.pop();
        assert.deepEqual(split(chunks), expected);
      }),
      { numRuns: 300 },
    );
  });
});
