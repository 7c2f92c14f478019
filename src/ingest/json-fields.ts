/**
 * JSON access-log records → ObservedRequest through a table of candidate
 * field names per ObservedRequest field: rules as data, compiled once. The
 * first candidate present (not null, '' or '-', which nginx writes for an
 * unset variable) wins. A dotted name is tried as a literal key first, then
 * as a path into nested objects ('httpRequest.requestMethod').
 */
import type { ObservedRequest } from '../discovery/types.ts';
import { headerRecord } from './redact.ts';
import { addressOf, firstForwardedFor, hostOf, parseRequestLine, splitTarget, upperMethod } from './target.ts';
import { parseAnyTime } from './time.ts';
import { ParseError } from './types.ts';

/** The unit a bare number of a latency field is in; a string with a suffix ('12ms', '0.3s') says its own. */
export type LatencyUnit = 's' | 'ms' | 'us' | 'ns';

export interface JsonFieldSpec {
  time: readonly string[];
  method: readonly string[];
  /** a whole request line, "GET /x?y HTTP/1.1" (nginx $request) */
  requestLine: readonly string[];
  /** the request target or URL, with or without query, origin- or absolute-form */
  target: readonly string[];
  /** the query alone, used when the target has none (nginx $args) */
  query: readonly string[];
  host: readonly string[];
  status: readonly string[];
  /** the peer's address, with or without port */
  clientIp: readonly string[];
  /** X-Forwarded-For lists: the first address is used when no clientIp field is present */
  forwardedFor: readonly string[];
  userAgent: readonly string[];
  bytesOut: readonly string[];
  latency: readonly (readonly [name: string, unit: LatencyUnit])[];
  requestHeaders: readonly string[];
  responseHeaders: readonly string[];
}

interface Candidate {
  name: string;
  /** the dotted path, or null when the name has no dot */
  parts: readonly string[] | null;
}

export interface CompiledJsonFields {
  readonly time: readonly Candidate[];
  readonly method: readonly Candidate[];
  readonly requestLine: readonly Candidate[];
  readonly target: readonly Candidate[];
  readonly query: readonly Candidate[];
  readonly host: readonly Candidate[];
  readonly status: readonly Candidate[];
  readonly clientIp: readonly Candidate[];
  readonly forwardedFor: readonly Candidate[];
  readonly userAgent: readonly Candidate[];
  readonly bytesOut: readonly Candidate[];
  readonly latency: readonly (readonly [Candidate, LatencyUnit])[];
  readonly requestHeaders: readonly Candidate[];
  readonly responseHeaders: readonly Candidate[];
}

function candidate(name: string): Candidate {
  return { name, parts: name.includes('.') ? name.split('.') : null };
}

export function compileJsonFields(spec: JsonFieldSpec): CompiledJsonFields {
  const list = (names: readonly string[]): readonly Candidate[] => Object.freeze(names.map(candidate));
  return Object.freeze({
    time: list(spec.time),
    method: list(spec.method),
    requestLine: list(spec.requestLine),
    target: list(spec.target),
    query: list(spec.query),
    host: list(spec.host),
    status: list(spec.status),
    clientIp: list(spec.clientIp),
    forwardedFor: list(spec.forwardedFor),
    userAgent: list(spec.userAgent),
    bytesOut: list(spec.bytesOut),
    latency: Object.freeze(spec.latency.map(([name, unit]) => [candidate(name), unit] as const)),
    requestHeaders: list(spec.requestHeaders),
    responseHeaders: list(spec.responseHeaders),
  });
}

function isAbsent(value: unknown): boolean {
  return value === undefined || value === null || value === '' || value === '-';
}

function lookup(record: Record<string, unknown>, c: Candidate): unknown {
  const direct = record[c.name];
  if (!isAbsent(direct) || c.parts === null) return direct;
  let value: unknown = record;
  for (const part of c.parts) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function first(record: Record<string, unknown>, candidates: readonly Candidate[]): unknown {
  for (const c of candidates) {
    const value = lookup(record, c);
    if (!isAbsent(value)) return value;
  }
  return undefined;
}

function firstString(record: Record<string, unknown>, candidates: readonly Candidate[]): string | null {
  for (const c of candidates) {
    const value = lookup(record, c);
    if (typeof value === 'string' && value !== '' && value !== '-') return value;
  }
  return null;
}

function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && /^-?[0-9]+(\.[0-9]+)?$/.test(value)) return Number(value);
  return Number.NaN;
}

const UNIT_TO_MS: Readonly<Record<LatencyUnit, number>> = { s: 1000, ms: 1, us: 0.001, ns: 0.000001 };
const WITH_UNIT = /^([0-9]+(?:\.[0-9]+)?)\s*(s|ms|us|µs|ns)$/;

/** A latency value → ms, or null: a number in the field's unit, or a string such as '0.25s' (Google Cloud) or '12ms'. */
export function latencyToMs(value: unknown, unit: LatencyUnit): number | null {
  let ms = toNumber(value) * UNIT_TO_MS[unit];
  if (Number.isNaN(ms) && typeof value === 'string') {
    const m = WITH_UNIT.exec(value);
    if (m !== null) ms = Number(m[1]) * UNIT_TO_MS[m[2] === 'µs' ? 'us' : (m[2] as LatencyUnit)];
  }
  return Number.isFinite(ms) && ms >= 0 ? ms : null;
}

/** Headers as JSON loggers write them: { name: value | [values] } or [{ name, value }]. */
function headersOf(value: unknown): Record<string, string> | null {
  if (typeof value !== 'object' || value === null) return null;
  const pairs: [string, string][] = [];
  if (Array.isArray(value)) {
    for (const item of value as unknown[]) {
      const h = item as { name?: unknown; value?: unknown } | null;
      if (typeof h?.name === 'string' && (typeof h.value === 'string' || typeof h.value === 'number')) pairs.push([h.name, String(h.value)]);
    }
  } else {
    for (const [name, v] of Object.entries(value as Record<string, unknown>)) {
      if (typeof v === 'string' || typeof v === 'number') pairs.push([name, String(v)]);
      else if (Array.isArray(v)) for (const item of v) if (typeof item === 'string') pairs.push([name, item]);
    }
  }
  return headerRecord(pairs);
}

/** One parsed JSON record → ObservedRequest through a compiled field table. */
export function requestFromJson(record: unknown, fields: CompiledJsonFields): ObservedRequest | ParseError {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return new ParseError('line is not a JSON object');
  const r = record as Record<string, unknown>;
  // A request line ($request) is the request as received and wins over a
  // target field, which may be normalised ($uri is decoded and resolved).
  // A garbage request line (nginx writes TLS handshake bytes there, and
  // leaves $request_uri empty) makes the record malformed unless a target
  // field says what was asked.
  let method: string | null = null;
  let target: string | null = null;
  let lineError: string | null = null;
  const requestLine = firstString(r, fields.requestLine);
  if (requestLine !== null) {
    const parsed = parseRequestLine(requestLine);
    if (typeof parsed === 'string') {
      lineError = parsed;
    } else {
      method = parsed.method;
      target = parsed.target;
    }
  }
  method ??= firstString(r, fields.method);
  target ??= firstString(r, fields.target);
  if (target === null) return new ParseError(lineError ?? 'no path, URL or request line field');
  const split = splitTarget(target);
  let query = split.query;
  if (query === null) {
    const q = first(r, fields.query);
    if (typeof q === 'string') query = q;
  }
  const hostValue = firstString(r, fields.host);
  const host = hostValue !== null ? hostOf(hostValue) : split.host;
  const status = toNumber(first(r, fields.status));
  const time = parseAnyTime(first(r, fields.time));
  const peer = first(r, fields.clientIp);
  const clientIp = typeof peer === 'string' ? addressOf(peer) : firstForwardedFor(firstString(r, fields.forwardedFor));
  const bytes = toNumber(first(r, fields.bytesOut));
  let latencyMs: number | null = null;
  for (const [c, unit] of fields.latency) {
    const value = lookup(r, c);
    if (isAbsent(value)) continue;
    latencyMs = latencyToMs(value, unit);
    if (latencyMs !== null) break;
  }
  return {
    time: Number.isNaN(time) ? 0 : time,
    method: method === null ? 'UNKNOWN' : upperMethod(method),
    host,
    path: split.path,
    query,
    status: Number.isInteger(status) && status >= 0 && status <= 999 ? status : 0,
    clientIp,
    userAgent: firstString(r, fields.userAgent),
    bytesOut: Number.isInteger(bytes) && bytes >= 0 ? bytes : null,
    latencyMs,
    requestHeaders: headersOf(first(r, fields.requestHeaders)),
    responseHeaders: headersOf(first(r, fields.responseHeaders)),
    requestBody: null,
    responseBody: null,
  };
}

/** JSON.parse of one line, as a value: the reason when it is not JSON. */
export function parseJsonText(line: string): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch (error) {
    return new ParseError(`not JSON: ${(error as Error).message}`);
  }
}
