/**
 * readLog: a log or HAR file → ObservedRequest values, streamed in bounded
 * memory (one read chunk, the records parsed from it, and at most one
 * overlong line or HAR entry), with counts of what was read and why lines
 * were refused. Plain or gzip input, told apart by the gzip magic bytes
 * (RFC 1952 §2.3.1), not the file name: ALB delivers `.log.gz`, logrotate
 * `.1.gz`, and people rename files.
 *
 *   const log = readLog('/var/log/nginx/access.log.1.gz');
 *   for await (const request of log) inventory.add(request);
 *   console.log(log.stats.parsed, log.stats.malformed, log.stats.malformedSamples);
 */
import { isAscii } from 'node:buffer';
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { ObservedRequest } from '../discovery/types.ts';
import { ApiwardenError } from '../errors.ts';
import { DETECT_BYTES, detectFormat, LINE_PARSERS, TEXT_ENCODING } from './formats.ts';
import type { LineFormat } from './formats.ts';
import { createLineSplitter } from './line-splitter.ts';
import { ParseError } from './types.ts';
import type { IngestStats, LogFormat, ReadLogOptions } from './types.ts';

// node:stream and node:zlib (gzip input), har.ts and har-scanner.ts (HAR
// input) are imported when an input needs them: a Node process pays for
// every module it loads (and for stripping the types of every .ts file),
// and most logs are plain text lines.

/**
 * 64 KiB reads: measured on a 1M-line nginx log, one core, 16 KiB to 1 MiB
 * chunks all ran at 1.1-1.25M lines/s, but peak RSS rose from ~120 MB
 * (64 KiB) to ~250 MB (1 MiB): each chunk's records outlive a young-generation
 * GC while the consumer works through them, get promoted, and the old
 * generation grows with the batch size.
 */
const DEFAULT_CHUNK_BYTES = 64 * 1024;
const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;
const DEFAULT_MAX_ENTRY_BYTES = 64 * 1024 * 1024;
const DEFAULT_MAX_MALFORMED_SAMPLES = 20;
const EXCERPT_CHARS = 120;

export interface LogReader extends AsyncIterable<ObservedRequest> {
  /** live while reading; complete when the iteration has ended */
  readonly stats: IngestStats;
  /**
   * The same records, one array per chunk read: for consumers that want to
   * avoid an `await` per record (the per-record iterator costs ~60 ns).
   */
  batches(): AsyncIterable<readonly ObservedRequest[]>;
}

function newStats(): IngestStats {
  return { format: null, isGzip: false, lines: 0, blank: 0, parsed: 0, malformed: 0, malformedSamples: [], bytesRead: 0, bytesDecoded: 0 };
}

/** Reads `file` once: iterate it (or its batches()) a single time. */
export function readLog(file: string, options: ReadLogOptions = {}): LogReader {
  const stats = newStats();
  let isStarted = false;
  function start(): AsyncGenerator<ObservedRequest[]> {
    if (isStarted) throw new ApiwardenError('INGEST_READ_TWICE', `${file} is already being read by this reader; call readLog again`);
    isStarted = true;
    return produceBatches(file, options, stats);
  }
  return {
    stats,
    batches: () => ({ [Symbol.asyncIterator]: () => start() }),
    [Symbol.asyncIterator]: () => flatten(start()),
  };
}

/**
 * Batches → records, without an async generator: a value already in the
 * batch is returned in a resolved promise. An async generator's `yield` per
 * record measured 2-3x slower (130 ns against 60 ns per record).
 */
function flatten(source: AsyncGenerator<ObservedRequest[]>): AsyncIterator<ObservedRequest> {
  let batch: ObservedRequest[] = [];
  let k = 0;
  async function pull(): Promise<IteratorResult<ObservedRequest>> {
    for (;;) {
      const next = await source.next();
      if (next.done === true) return { done: true, value: undefined };
      batch = next.value;
      k = 0;
      if (batch.length > 0) return { done: false, value: batch[k++]! };
    }
  }
  return {
    // hot path: once per record
    next() {
      return k < batch.length ? Promise.resolve({ done: false, value: batch[k++]! }) : pull();
    },
    // a `break` out of for-await: close the file
    async return() {
      batch = [];
      await source.return(undefined);
      return { done: true, value: undefined };
    },
  };
}

function noteMalformed(stats: IngestStats, maxSamples: number, line: number, reason: string, text: string): void {
  stats.malformed++;
  if (stats.malformedSamples.length < maxSamples) {
    stats.malformedSamples.push({ line, reason, excerpt: text.length > EXCERPT_CHARS ? text.slice(0, EXCERPT_CHARS) : text });
  }
}

/**
 * Where the reader takes its chunks from. `next(isReused)`: the next chunk,
 * or null at the end; with `isReused` the caller holds nothing of the
 * previous chunk (the line splitter copies what it keeps), so a source may
 * read into the same buffer again.
 */
interface ChunkSource {
  next(isReused: boolean): Promise<Buffer | null>;
  close(): Promise<void>;
}

/** chunks read synchronously between two turns of the event loop (1 MiB at the default size) */
const CHUNKS_PER_TURN = 16;

function abortError(signal: AbortSignal): Error {
  // what createReadStream's `signal` option throws
  return Object.assign(new Error('The operation was aborted', { cause: signal.reason }), { name: 'AbortError', code: 'ABORT_ERR' });
}

/**
 * A regular file, read with synchronous reads: from the page cache a 64 KiB
 * read takes microseconds, and a read stream's hop through the thread pool,
 * its fresh buffer per chunk (page faults) and its stream machinery cost
 * ~10 % of `apiwarden discover` on one core. The event loop still turns
 * every CHUNKS_PER_TURN chunks (timers, signals, a progress bar), and the
 * abort signal is checked before every read. Pipes and devices go through
 * a read stream (fileChunks) instead.
 */
class FileChunks implements ChunkSource {
  readonly #fd: number;
  readonly #chunkBytes: number;
  readonly #options: ReadLogOptions;
  readonly #stats: IngestStats;
  readonly #totalBytes: number;
  #reusable: Buffer | null = null;
  #reads = 0;
  #isClosed = false;

  constructor(file: string, options: ReadLogOptions, stats: IngestStats, totalBytes: number) {
    this.#fd = openSync(file, 'r');
    this.#chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
    this.#options = options;
    this.#stats = stats;
    this.#totalBytes = totalBytes;
  }

  async next(isReused: boolean): Promise<Buffer | null> {
    if (this.#isClosed) return null;
    const signal = this.#options.signal;
    if (++this.#reads % CHUNKS_PER_TURN === 0) await new Promise(setImmediate);
    if (signal?.aborted === true) throw abortError(signal);
    const buffer = isReused ? (this.#reusable ??= Buffer.allocUnsafeSlow(this.#chunkBytes)) : Buffer.allocUnsafe(this.#chunkBytes);
    const n = readSync(this.#fd, buffer, 0, buffer.length, null);
    if (n === 0) {
      await this.close();
      return null;
    }
    this.#stats.bytesRead += n;
    this.#options.onProgress?.(this.#stats.bytesRead, this.#totalBytes);
    return n === buffer.length ? buffer : buffer.subarray(0, n);
  }

  async close(): Promise<void> {
    if (this.#isClosed) return;
    this.#isClosed = true;
    closeSync(this.#fd);
  }
}

async function* fileChunks(file: string, options: ReadLogOptions, stats: IngestStats, totalBytes: number): AsyncGenerator<Buffer> {
  const stream = createReadStream(file, { highWaterMark: options.chunkBytes ?? DEFAULT_CHUNK_BYTES, signal: options.signal });
  const onProgress = options.onProgress;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      stats.bytesRead += chunk.length;
      onProgress?.(stats.bytesRead, totalBytes);
      yield chunk;
    }
  } finally {
    stream.destroy();
  }
}

function sourceOf(chunks: AsyncGenerator<Buffer>): ChunkSource {
  return {
    async next() {
      const next = await chunks.next();
      return next.done === true ? null : next.value;
    },
    async close() {
      await chunks.return(undefined);
    },
  };
}

/** the source's chunks, each in a buffer of its own (what gunzip needs: it holds on to its input) */
async function* ownChunks(first: Buffer, rest: ChunkSource): AsyncGenerator<Buffer> {
  yield first;
  for (let chunk = await rest.next(false); chunk !== null; chunk = await rest.next(false)) yield chunk;
}

/** RFC 1952 §2.3.1: ID1 ID2 CM = 1f 8b 08 (deflate) */
function isGzip(chunk: Buffer): boolean {
  return chunk.length >= 3 && chunk[0] === 0x1f && chunk[1] === 0x8b && chunk[2] === 0x08;
}

async function* gunzipChunks(file: string, first: Buffer, raw: ChunkSource, options: ReadLogOptions, stats: IngestStats): AsyncGenerator<Buffer> {
  const [{ Readable, pipeline }, { createGunzip }] = await Promise.all([import('node:stream'), import('node:zlib')]);
  const source = Readable.from(ownChunks(first, raw), { objectMode: false });
  // multi-member gzip (`cat a.gz b.gz`, what logrotate's delaycompress can
  // leave) is read to the end: zlib's Gunzip continues past each member
  // zlib's smallest output chunk is 64 bytes
  const gunzip = createGunzip({ chunkSize: Math.max(64, options.chunkBytes ?? DEFAULT_CHUNK_BYTES) });
  // an error on either side destroys both; the for-await below rethrows it
  pipeline(source, gunzip, () => {});
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      stats.bytesDecoded += chunk.length;
      yield chunk;
    }
  } catch (error) {
    if ((error as { name?: string }).name === 'AbortError') throw error;
    throw new ApiwardenError('INGEST_READ_FAILED', `cannot decompress ${file}: ${(error as Error).message}`, { cause: error });
  } finally {
    source.destroy();
    gunzip.destroy();
  }
}

/** The file's bytes, decompressed when the first chunk starts like gzip. */
function decodedChunks(file: string, raw: ChunkSource, options: ReadLogOptions, stats: IngestStats): ChunkSource {
  let isStarted = false;
  let gunzipped: AsyncGenerator<Buffer> | null = null;
  return {
    async next(isReused) {
      if (gunzipped === null) {
        // the first chunk in a buffer of its own: the caller may keep it to detect the format
        const chunk = await raw.next(isReused && isStarted);
        if (chunk === null) return null;
        if (isStarted || !isGzip(chunk)) {
          isStarted = true;
          stats.bytesDecoded += chunk.length;
          return chunk;
        }
        stats.isGzip = true;
        gunzipped = gunzipChunks(file, chunk, raw, options, stats);
      }
      const next = await gunzipped.next();
      return next.done === true ? null : next.value;
    },
    async close() {
      try {
        if (gunzipped !== null) await gunzipped.return(undefined);
      } finally {
        await raw.close();
      }
    },
  };
}

interface Processor {
  /** records parsed from this chunk */
  push(chunk: Buffer): ObservedRequest[];
  end(): ObservedRequest[];
}

function isBlankRange(buffer: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = buffer[i];
    if (c !== 0x20 && c !== 0x09) return false;
  }
  return true;
}

/**
 * Buffer's own latin1 decoder, which toString(encoding, start, end) calls
 * after checking its arguments and looking the encoding up by name: called
 * directly once per line (the checks are ~4 % of the `parse` benchmark). Not
 * in Node's documented API, so used only when present.
 */
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice?: (this: Buffer, start: number, end: number) => string }).latin1Slice;
const hasLatin1Slice = typeof latin1Slice === 'function';

function createLineProcessor(format: LineFormat, options: ReadLogOptions, stats: IngestStats): Processor {
  const parse = LINE_PARSERS[format];
  const encoding = TEXT_ENCODING[format];
  const isLatin1Slice = encoding === 'latin1' && hasLatin1Slice;
  const maxSamples = options.maxMalformedSamples ?? DEFAULT_MAX_MALFORMED_SAMPLES;
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  let batch: ObservedRequest[] = [];
  // one check per chunk (SIMD in isAscii) and a memchr from one backslash to
  // the next (indexOf) instead of a scan of every line's path in the parser;
  // reset on every push, since the reader reuses its buffer for the next chunk
  let lastBuffer: Buffer | null = null;
  let isAsciiBuffer = false;
  /** the next backslash in lastBuffer at or after the current line, -1 for none */
  let nextBackslash = -1;
  const splitter = createLineSplitter(
    {
      // hot path: once per line
      onLine(buffer, start, end, lineNumber) {
        stats.lines++;
        if (end === start || ((buffer[start] === 0x20 || buffer[start] === 0x09) && isBlankRange(buffer, start, end))) {
          stats.blank++;
          return;
        }
        if (buffer !== lastBuffer) {
          lastBuffer = buffer;
          isAsciiBuffer = isAscii(buffer);
          nextBackslash = isAsciiBuffer ? buffer.indexOf(0x5c, start) : -1;
        } else if (nextBackslash !== -1 && nextBackslash < start) {
          nextBackslash = buffer.indexOf(0x5c, start);
        }
        // lines are handed on in order: a line is plain when the chunk is ASCII and its next backslash lies past the line
        const isPlain = isAsciiBuffer && (nextBackslash === -1 || nextBackslash >= end);
        // start < end here, as latin1Slice needs
        const text = isLatin1Slice ? (buffer as unknown as { latin1Slice(start: number, end: number): string }).latin1Slice(start, end) : buffer.toString(encoding, start, end);
        const result = parse(text, isPlain);
        if (result instanceof ParseError) {
          noteMalformed(stats, maxSamples, lineNumber, result.reason, text);
        } else {
          stats.parsed++;
          batch.push(result);
        }
      },
      onOverlong(lineNumber) {
        stats.lines++;
        noteMalformed(stats, maxSamples, lineNumber, `line longer than ${maxLineBytes} bytes`, '');
      },
    },
    maxLineBytes,
  );
  const take = (): ObservedRequest[] => {
    const taken = batch;
    batch = [];
    return taken;
  };
  return {
    push(chunk) {
      lastBuffer = null;
      splitter.push(chunk);
      return take();
    },
    end() {
      lastBuffer = null;
      splitter.end();
      return take();
    },
  };
}

async function createHarProcessor(options: ReadLogOptions, stats: IngestStats): Promise<Processor> {
  const [{ parseHarEntry, DEFAULT_MAX_BODY_BYTES }, { createHarScanner }] = await Promise.all([import('./har.ts'), import('./har-scanner.ts')]);
  const maxSamples = options.maxMalformedSamples ?? DEFAULT_MAX_MALFORMED_SAMPLES;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  let batch: ObservedRequest[] = [];
  const scanner = createHarScanner(
    {
      onEntry(text, line, index) {
        stats.lines++;
        const json = text.toString('utf8');
        const result = parseHarEntry(json, maxBodyBytes);
        if (result instanceof ParseError) {
          noteMalformed(stats, maxSamples, line, `entry ${index}: ${result.reason}`, json);
        } else {
          stats.parsed++;
          batch.push(result);
        }
      },
      onMalformed(line, _index, reason) {
        stats.lines++;
        noteMalformed(stats, maxSamples, line, reason, '');
      },
    },
    options.maxEntryBytes ?? DEFAULT_MAX_ENTRY_BYTES,
  );
  const take = (): ObservedRequest[] => {
    const taken = batch;
    batch = [];
    return taken;
  };
  return {
    push(chunk) {
      scanner.push(chunk);
      return take();
    },
    end() {
      if (!scanner.end()) noteMalformed(stats, maxSamples, 1, 'not a HAR document: no log.entries array', '');
      return take();
    },
  };
}

function isWhitespaceOnly(buffer: Buffer): boolean {
  for (const c of buffer) {
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return false;
  }
  return true;
}

async function* produceBatches(file: string, options: ReadLogOptions, stats: IngestStats): AsyncGenerator<ObservedRequest[]> {
  let totalBytes: number;
  let isRegularFile: boolean;
  try {
    const info = await stat(file);
    totalBytes = info.size;
    isRegularFile = info.isFile();
  } catch (error) {
    throw new ApiwardenError('INGEST_OPEN_FAILED', `cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  let chunks: ChunkSource | null = null;
  try {
    const raw = isRegularFile ? new FileChunks(file, options, stats, totalBytes) : sourceOf(fileChunks(file, options, stats, totalBytes));
    chunks = decodedChunks(file, raw, options, stats);
    // the head: enough bytes to tell the format, kept to be parsed afterwards
    const head: Buffer[] = [];
    let format: LogFormat | null = options.format ?? null;
    if (format === null) {
      let headBytes = 0;
      let isWhole = false;
      while (headBytes < DETECT_BYTES) {
        const next = await chunks.next(false);
        if (next === null) {
          isWhole = true;
          break;
        }
        head.push(next);
        headBytes += next.length;
      }
      const headBuffer = Buffer.concat(head);
      format = detectFormat(headBuffer, isWhole);
      if (format === null) {
        // an empty log is not an error: there is just nothing in it
        if (isWhole && isWhitespaceOnly(headBuffer)) return;
        throw new ApiwardenError(
          'INGEST_UNKNOWN_FORMAT',
          `cannot tell the format of ${file}: none of combined, json-lines, envoy, envoy-json, alb, har, apiwarden-events reads its first lines; give the format explicitly`,
        );
      }
    }
    stats.format = format;
    const processor = format === 'har' ? await createHarProcessor(options, stats) : createLineProcessor(format, options, stats);
    for (const chunk of head) {
      const batch = processor.push(chunk);
      if (batch.length > 0) yield batch;
    }
    head.length = 0;
    // the line splitter keeps nothing of a chunk; the HAR scanner keeps views of an entry's chunks
    const isReused = format !== 'har';
    for (let chunk = await chunks.next(isReused); chunk !== null; chunk = await chunks.next(isReused)) {
      const batch = processor.push(chunk);
      if (batch.length > 0) yield batch;
    }
    const last = processor.end();
    if (last.length > 0) yield last;
  } catch (error) {
    if (error instanceof ApiwardenError || (error as { name?: string }).name === 'AbortError') throw error;
    throw new ApiwardenError('INGEST_READ_FAILED', `cannot read ${file}: ${(error as Error).message}`, { cause: error });
  } finally {
    await chunks?.close();
  }
}
