import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { ObservedRequest } from '../discovery/types.ts';
import { ApiwardenError } from '../errors.ts';
import { readLog } from './read-log.ts';
import type { LogReader } from './read-log.ts';
import { fixturePath } from './test-helpers.ts';
import type { ReadLogOptions } from './types.ts';

const dir = mkdtempSync(join(tmpdir(), 'apiwarden-ingest-read-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;

function temp(content: Buffer | string, name = `case-${++counter}.log`): string {
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
}

async function readAll(file: string, options?: ReadLogOptions): Promise<{ requests: ObservedRequest[]; reader: LogReader }> {
  const reader = readLog(file, options);
  const requests: ObservedRequest[] = [];
  for await (const request of reader) requests.push(request);
  return { requests, reader };
}

const LINE = (n: number): string => `192.0.2.${n % 250} - - [12/Mar/2024:08:15:27 +0000] "GET /items/${n}?page=${n % 7} HTTP/1.1" 200 ${n} "-" "test/${n}"\n`;

describe('readLog: combined fixture', () => {
  test('counts parsed, blank and malformed lines, with line numbers and reasons', async () => {
    const { requests, reader } = await readAll(fixturePath('combined.log'));
    const { stats } = reader;
    assert.equal(stats.format, 'combined');
    assert.equal(stats.isGzip, false);
    assert.deepEqual([stats.lines, stats.parsed, stats.malformed, stats.blank], [21, 13, 7, 1]);
    assert.equal(requests.length, 13);
    assert.deepEqual(
      stats.malformedSamples.map((s) => [s.line, s.reason]),
      [
        [13, 'request line is "-"'],
        [14, 'request line has no target'],
        [15, 'request line has no HTTP version'],
        [16, 'no byte count after the status'],
        [17, 'time is not [dd/Mon/yyyy:HH:MM:SS ±hhmm]'],
        [18, 'no [time] field'],
        [20, 'user agent is not closed'],
      ],
    );
    assert.equal(stats.malformedSamples[5]!.excerpt, 'this is not a log line');
    const size = readFileSync(fixturePath('combined.log')).length;
    assert.deepEqual([stats.bytesRead, stats.bytesDecoded], [size, size]);
    assert.equal(requests.at(-1)!.path, '/last');
  });

  test('maxMalformedSamples bounds the samples, not the count', async () => {
    const { reader } = await readAll(fixturePath('combined.log'), { maxMalformedSamples: 2 });
    assert.equal(reader.stats.malformed, 7);
    assert.equal(reader.stats.malformedSamples.length, 2);
  });
});

describe('readLog: every format through the reader', () => {
  const expected: [string, string, number, number][] = [
    ['envoy.log', 'envoy', 5, 3],
    ['alb.log', 'alb', 6, 3],
    ['json-lines.log', 'json-lines', 6, 4],
    ['envoy-json.log', 'envoy-json', 2, 1],
    ['sample.har', 'har', 4, 1],
  ];
  for (const [name, format, parsed, malformed] of expected) {
    test(`${name}: ${parsed} parsed, ${malformed} malformed`, async () => {
      const { requests, reader } = await readAll(fixturePath(name));
      assert.equal(reader.stats.format, format);
      assert.deepEqual([reader.stats.parsed, reader.stats.malformed, requests.length], [parsed, malformed, parsed]);
    });
  }

  test('HAR: malformed entries carry the line the entry starts on; bodies are capped', async () => {
    const { requests, reader } = await readAll(fixturePath('sample.har'), { maxBodyBytes: 32 });
    assert.deepEqual(
      reader.stats.malformedSamples.map((s) => s.reason),
      ['entry 5: entry has no request'],
    );
    const line = reader.stats.malformedSamples[0]!.line;
    assert.match(readFileSync(fixturePath('sample.har'), 'utf8').split('\n')[line - 1]!, /^ {6}\{$/);
    assert.equal(requests[0]!.requestHeaders?.authorization, 'Bearer <redacted>');
    assert.equal(requests[1]!.responseBody?.truncated, true);
    assert.ok(Buffer.byteLength(requests[1]!.responseBody!.text) <= 32);
  });

  test('HAR: gzip, read in tiny chunks', async () => {
    const file = temp(gzipSync(readFileSync(fixturePath('sample.har'))), 'capture.har.gz');
    const { requests, reader } = await readAll(file, { chunkBytes: 7 });
    assert.equal(reader.stats.isGzip, true);
    assert.equal(requests.length, 4);
  });

  test('a file with no log.entries read as HAR reports it', async () => {
    const { reader } = await readAll(temp('{"log":{"version":"1.2"}}'));
    assert.equal(reader.stats.format, 'har');
    assert.deepEqual(reader.stats.malformedSamples.map((s) => s.reason), ['not a HAR document: no log.entries array']);
  });
});

describe('readLog: gzip', () => {
  const text = Array.from({ length: 2000 }, (_, i) => LINE(i)).join('');

  test('detected by magic bytes whatever the name, same records as plain', async () => {
    const plain = await readAll(temp(text));
    const gz = await readAll(temp(gzipSync(text), 'not-compressed-by-its-name.log'));
    assert.equal(gz.reader.stats.isGzip, true);
    assert.equal(plain.reader.stats.isGzip, false);
    assert.deepEqual(gz.requests, plain.requests);
    assert.equal(gz.reader.stats.parsed, 2000);
    assert.equal(gz.reader.stats.bytesDecoded, Buffer.byteLength(text));
    assert.ok(gz.reader.stats.bytesRead < gz.reader.stats.bytesDecoded);
  });

  test('multi-member gzip (concatenated .gz files) is read to the end', async () => {
    const half = text.length / 2;
    const file = temp(Buffer.concat([gzipSync(text.slice(0, half)), gzipSync(text.slice(half))]));
    const { reader } = await readAll(file, { chunkBytes: 4096 });
    assert.equal(reader.stats.parsed, 2000);
  });

  test('a corrupt gzip stream is a fault with a code, after the lines before it', async () => {
    const gz = gzipSync(text);
    // flip bytes in the middle of the deflate data
    for (let i = 2000; i < 2100; i++) gz[i] = gz[i]! ^ 0xff;
    const reader = readLog(temp(gz), { chunkBytes: 1024, format: 'combined' });
    let seen = 0;
    await assert.rejects(
      async () => {
        for await (const _ of reader) {
          void _;
          seen++;
        }
      },
      (error: unknown) => error instanceof ApiwardenError && error.code === 'INGEST_READ_FAILED',
    );
    assert.ok(seen > 0 && seen < 2000, `${seen} records before the fault`);
    assert.equal(reader.stats.parsed, seen);
  });
});

describe('readLog: streaming behaviour', () => {
  test('lines split across every chunk boundary, CRLF, no final newline', async () => {
    const crlf = Array.from({ length: 50 }, (_, i) => LINE(i).replace('\n', '\r\n')).join('').replace(/\r\n$/, '');
    const file = temp(crlf);
    const whole = await readAll(file);
    for (const chunkBytes of [1, 3, 17, 100]) {
      const { requests } = await readAll(file, { chunkBytes, format: 'combined' });
      assert.deepEqual(requests, whole.requests, `chunks of ${chunkBytes}`);
    }
    assert.equal(whole.requests.length, 50);
    assert.equal(whole.requests[49]!.userAgent, 'test/49');
  });

  test('the read buffer is reused: lines across chunks, and each chunk judged plain or escaped on its own', async () => {
    // plain chunks, then a line whose target nginx escaped (\xC3\xA9), then plain ones again; lines of
    // 128 bytes, so that chunks of 4096 bytes start with a line of their own (no carried line before it)
    const padded = (line: string): string => line.replace('"test/', `"${'_'.repeat(128 - line.length)}test/`);
    const lines = Array.from({ length: 400 }, (_, i) => padded(i === 250 ? LINE(i).replace('/items/', '/caf\\xC3\\xA9/') : LINE(i)));
    assert.ok(lines.every((line) => line.length === 128));
    const file = temp(lines.join(''));
    for (const chunkBytes of [64 * 1024, 4096, 333, 37]) {
      for (const format of [undefined, 'combined'] as const) {
        const { requests, reader } = await readAll(file, { chunkBytes, ...(format ? { format } : {}) });
        assert.equal(requests.length, 400, `chunks of ${chunkBytes}`);
        assert.equal(reader.stats.bytesRead, readFileSync(file).length);
        requests.forEach((request, i) => {
          assert.equal(request.path, i === 250 ? `/caf%C3%A9/${i}` : `/items/${i}`, `line ${i + 1}, chunks of ${chunkBytes}`);
          assert.ok(request.userAgent!.endsWith(`_test/${i}`));
        });
      }
    }
  });

  test('a pipe is read as a stream', { skip: process.platform === 'win32' }, async () => {
    const fifo = join(dir, `fifo-${++counter}`);
    execFileSync('mkfifo', [fifo]);
    const text = Array.from({ length: 300 }, (_, i) => LINE(i)).join('');
    const writer = writeFile(fifo, text);
    const { requests, reader } = await readAll(fifo, { chunkBytes: 1000 });
    await writer;
    assert.equal(requests.length, 300);
    assert.equal(reader.stats.bytesRead, Buffer.byteLength(text));
  });

  test('onProgress reports bytes read, rising to the file size', async () => {
    const file = temp(Array.from({ length: 500 }, (_, i) => LINE(i)).join(''));
    const calls: [number, number][] = [];
    await readAll(file, { chunkBytes: 4096, onProgress: (read, total) => calls.push([read, total]) });
    const size = readFileSync(file).length;
    assert.ok(calls.length >= Math.floor(size / 4096));
    assert.deepEqual(calls.at(-1), [size, size]);
    for (let i = 1; i < calls.length; i++) assert.ok(calls[i]![0] > calls[i - 1]![0]);
  });

  test('an overlong line is malformed, the reading goes on', async () => {
    const file = temp(`${LINE(1)}${'x'.repeat(5000)}\n${LINE(2)}`);
    const { requests, reader } = await readAll(file, { maxLineBytes: 1000, chunkBytes: 512, format: 'combined' });
    assert.equal(requests.length, 2);
    assert.deepEqual(reader.stats.malformedSamples.map((s) => [s.line, s.reason]), [[2, 'line longer than 1000 bytes']]);
  });

  test('batches(): the same records, one array per chunk', async () => {
    const file = temp(Array.from({ length: 300 }, (_, i) => LINE(i)).join(''));
    const reader = readLog(file, { chunkBytes: 2048 });
    const batches: (readonly ObservedRequest[])[] = [];
    for await (const batch of reader.batches()) batches.push(batch);
    assert.ok(batches.length > 1);
    assert.deepEqual(batches.flat(), (await readAll(file)).requests);
  });

  test('a break closes the file; a reader is read once', async () => {
    const file = temp(Array.from({ length: 3000 }, (_, i) => LINE(i)).join(''));
    const reader = readLog(file, { chunkBytes: 1024 });
    let seen = 0;
    for await (const _ of reader) {
      void _;
      if (++seen === 10) break;
    }
    assert.equal(seen, 10);
    assert.ok(reader.stats.bytesRead < readFileSync(file).length);
    assert.throws(() => reader[Symbol.asyncIterator](), (error: unknown) => error instanceof ApiwardenError && error.code === 'INGEST_READ_TWICE');
  });

  test('an abort signal stops the reading', async () => {
    const controller = new AbortController();
    const file = temp(Array.from({ length: 3000 }, (_, i) => LINE(i)).join(''));
    const reader = readLog(file, { chunkBytes: 1024, signal: controller.signal });
    await assert.rejects(async () => {
      for await (const _ of reader) {
        void _;
        controller.abort();
      }
    }, { name: 'AbortError' });
  });
});

describe('readLog: faults and edge cases', () => {
  test('a missing file', async () => {
    await assert.rejects(readAll(join(dir, 'missing.log')), (error: unknown) => error instanceof ApiwardenError && error.code === 'INGEST_OPEN_FAILED');
  });

  test('an unknown format, unless the format is given', async () => {
    const file = temp('hello\nworld\n');
    await assert.rejects(readAll(file), (error: unknown) => error instanceof ApiwardenError && error.code === 'INGEST_UNKNOWN_FORMAT');
    const { reader } = await readAll(file, { format: 'combined' });
    assert.deepEqual([reader.stats.lines, reader.stats.malformed], [2, 2]);
  });

  test('an empty file and a blank one have nothing in them', async () => {
    for (const content of ['', '\n\n  \n']) {
      const { requests, reader } = await readAll(temp(content));
      assert.deepEqual([requests.length, reader.stats.format], [0, null]);
    }
    const { reader } = await readAll(temp(gzipSync('')));
    assert.equal(reader.stats.isGzip, true);
  });

  test('a format override reads a file detection would call something else', async () => {
    const file = temp('{"request":"GET /a HTTP/1.1","status":"200"}\n');
    const { reader } = await readAll(file, { format: 'apiwarden-events' });
    assert.deepEqual([reader.stats.format, reader.stats.malformed], ['apiwarden-events', 1]);
  });
});
