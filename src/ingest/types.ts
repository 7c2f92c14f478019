/**
 * Shared types of the log and HAR readers. Every parser turns one record of
 * its format into an ObservedRequest (src/discovery/types.ts) or a
 * ParseError value: a bad line is an expected outcome of reading real logs,
 * so it is a value that the reader counts, never an exception.
 */
import type { ObservedRequest } from '../discovery/types.ts';

/** The formats the reader knows; 'combined' covers NCSA common, combined and vhost variants. */
export const LOG_FORMATS = ['combined', 'json-lines', 'envoy', 'envoy-json', 'alb', 'har', 'apiwarden-events'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Why one line (or HAR entry) could not be read. */
export class ParseError {
  readonly reason: string;
  constructor(reason: string) {
    this.reason = reason;
  }
}

export type ParseResult = ObservedRequest | ParseError;

/**
 * One line of a line-oriented format, without its line terminator.
 * `isPlain`: the line is known to be ASCII without a backslash (a hint that
 * lets a parser skip re-encoding checks; parsers may ignore it).
 */
export type LineParser = (line: string, isPlain?: boolean) => ParseResult;

export function isParseError(result: ParseResult): result is ParseError {
  return result instanceof ParseError;
}

export interface MalformedSample {
  /** 1-based line number in the (decompressed) input; for HAR, the line where the entry starts */
  line: number;
  reason: string;
  /** the start of the line, at most 120 characters, for a human to recognise it */
  excerpt: string;
}

export interface IngestStats {
  /** the format read (detected or given); null until the head of the input has been read */
  format: LogFormat | null;
  isGzip: boolean;
  /** lines seen (for HAR: entries), blank lines included */
  lines: number;
  /** empty or whitespace-only lines, skipped without a complaint */
  blank: number;
  parsed: number;
  malformed: number;
  /** the first malformed lines (up to the maxMalformedSamples option), in input order */
  malformedSamples: MalformedSample[];
  /** bytes read from the file (compressed bytes for gzip input) */
  bytesRead: number;
  /** bytes after decompression (equal to bytesRead for plain input) */
  bytesDecoded: number;
}

export interface ReadLogOptions {
  /** skip detection and read as this format */
  format?: LogFormat;
  /** called after each chunk read from the file: bytes read so far and the file's size (compressed sizes for gzip) */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /** how many malformed lines to keep with their line number and reason; default 20 */
  maxMalformedSamples?: number;
  /** a longer line is malformed and skipped without being buffered whole; default 1 MiB */
  maxLineBytes?: number;
  /** a larger HAR entry is malformed and skipped without being buffered whole; default 64 MiB */
  maxEntryBytes?: number;
  /** most bytes of a HAR body kept in a BodySample; default 4 KiB */
  maxBodyBytes?: number;
  /** size of the reads from the file (and of decompressed chunks); default 64 KiB */
  chunkBytes?: number;
  signal?: AbortSignal;
}
