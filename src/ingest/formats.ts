/**
 * Which format a log is in, from its first bytes (after decompression), and
 * the parser of each line-oriented format. Detection runs every candidate's
 * own parser over a sample of lines, after a cheap signature that keeps a
 * general format from claiming a specific one's lines (every apiwarden
 * event line is also a valid generic JSON line), and picks the candidate
 * that reads the most lines; ties go to the more specific format.
 */
import { parseAlbLine, ALB_TYPES } from './alb.ts';
import { EVENT_KEYS, parseApiwardenEventLine } from './apiwarden-events.ts';
import { ENVOY_JSON_KEYS, parseEnvoyJsonLine, parseEnvoyLine } from './envoy.ts';
import { parseJsonLine } from './json-lines.ts';
import { parseCombinedLine } from './nginx-combined.ts';
import type { LineParser, LogFormat } from './types.ts';
import { ParseError } from './types.ts';

export type LineFormat = Exclude<LogFormat, 'har'>;

export const LINE_PARSERS: Readonly<Record<LineFormat, LineParser>> = Object.freeze({
  combined: parseCombinedLine,
  'json-lines': parseJsonLine,
  envoy: parseEnvoyLine,
  'envoy-json': parseEnvoyJsonLine,
  alb: parseAlbLine,
  'apiwarden-events': parseApiwardenEventLine,
});

/** How the lines of a format are decoded from bytes (see read-log.ts). */
export const TEXT_ENCODING: Readonly<Record<LineFormat, 'latin1' | 'utf8'>> = Object.freeze({
  // nginx and Apache escape bytes outside printable ASCII as \xHH, and
  // Envoy and ALB log request lines as received: latin1 maps each byte to
  // one character (lossless and the fastest decoding); see nginx-combined.ts
  combined: 'latin1',
  envoy: 'latin1',
  alb: 'latin1',
  // JSON is UTF-8 (RFC 8259 §8.1)
  'json-lines': 'utf8',
  'envoy-json': 'utf8',
  'apiwarden-events': 'utf8',
});

/** Bytes of the input that detection looks at. */
export const DETECT_BYTES = 64 * 1024;
const SAMPLE_LINES = 50;

/** '{' then "log": { — the opening of a HAR document (pretty-printed or not). */
const HAR_OPENING = /^\s*\{\s*"log"\s*:\s*\{/;
const ISO_START = /^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ]/;
const CLF_TIME = /\[[0-9]{2}\/[A-Z][a-z]{2}\/[0-9]{4}:/;

function jsonKeys(line: string): Set<string> | null {
  if (line.charCodeAt(0) !== 0x7b) return null;
  try {
    const value = JSON.parse(line) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? new Set(Object.keys(value)) : null;
  } catch {
    return null;
  }
}

interface Candidate {
  format: LineFormat;
  /** cheap test on one line; the parser must then read it */
  matches(line: string, keys: Set<string> | null): boolean;
}

/** Most specific first: the order breaks ties. */
const CANDIDATES: readonly Candidate[] = [
  { format: 'apiwarden-events', matches: (_, keys) => keys !== null && EVENT_KEYS.every((k) => keys.has(k)) },
  { format: 'envoy-json', matches: (_, keys) => keys !== null && ENVOY_JSON_KEYS.some((k) => keys.has(k)) },
  { format: 'json-lines', matches: (_, keys) => keys !== null },
  {
    format: 'alb',
    matches: (line) => {
      const space = line.indexOf(' ');
      return space > 0 && ALB_TYPES.has(line.slice(0, space)) && ISO_START.test(line.slice(space + 1, space + 12));
    },
  },
  { format: 'envoy', matches: (line) => line.charCodeAt(0) === 0x5b && ISO_START.test(line.slice(1, 12)) },
  { format: 'combined', matches: (line) => CLF_TIME.test(line) },
];

/**
 * The format of an input from its head (the first DETECT_BYTES, or all of a
 * shorter input; `isWhole` says the head is the whole input, so that its
 * last line counts even without a newline). Null when no format reads any
 * of the sampled lines.
 */
export function detectFormat(head: Buffer | string, isWhole = false): LogFormat | null {
  let text = typeof head === 'string' ? head : head.toString('utf8', 0, Math.min(head.length, DETECT_BYTES));
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (HAR_OPENING.test(text)) return 'har';
  const lines = text.split('\n');
  if (!isWhole || (typeof head !== 'string' && head.length > DETECT_BYTES)) lines.pop();
  const sample: string[] = [];
  for (const raw of lines) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() !== '') sample.push(line);
    if (sample.length === SAMPLE_LINES) break;
  }
  let best: LineFormat | null = null;
  let bestCount = 0;
  const keyed = sample.map((line) => [line, jsonKeys(line)] as const);
  for (const candidate of CANDIDATES) {
    const parse = LINE_PARSERS[candidate.format];
    let count = 0;
    for (const [line, keys] of keyed) {
      if (candidate.matches(line, keys) && !(parse(line) instanceof ParseError)) count++;
    }
    if (count > bestCount) {
      best = candidate.format;
      bestCount = count;
    }
  }
  return best;
}
