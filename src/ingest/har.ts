/**
 * One HAR 1.2 entry (http://www.softwareishard.com/blog/har-12-spec/#entries)
 * → ObservedRequest, with its headers (credentials redacted, see redact.ts)
 * and the first bytes of its bodies. The entries themselves are cut out of
 * the document by har-scanner.ts.
 */
import type { BodySample, ObservedRequest } from '../discovery/types.ts';
import { bodySample } from './body-sample.ts';
import { isStatus } from './fields.ts';
import { headerRecord } from './redact.ts';
import { splitTarget, upperMethod } from './target.ts';
import { parseIsoTime } from './time.ts';
import { ParseError } from './types.ts';

export const DEFAULT_MAX_BODY_BYTES = 4096;

interface HarHeader {
  name?: unknown;
  value?: unknown;
}

function asObject(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

function headersOf(list: unknown): Record<string, string> | null {
  if (!Array.isArray(list)) return null;
  const pairs: [string, string][] = [];
  for (const item of list as HarHeader[]) {
    if (typeof item?.name === 'string' && typeof item.value === 'string') pairs.push([item.name, item.value]);
  }
  return headerRecord(pairs);
}

function nonNegative(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : null;
}

/** a count of bytes: a whole number, or absent (a fractional size is not one a recorder wrote) */
function byteCount(value: unknown): number | null {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : null;
}

function text(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** request.postData: `text`, or `params` (form fields) when the tool gave those instead. */
function requestBodyOf(postData: Record<string, unknown> | null, maxBytes: number): BodySample | null {
  if (postData === null) return null;
  const contentType = text(postData.mimeType);
  let body = text(postData.text);
  if (body === null && Array.isArray(postData.params)) {
    body = (postData.params as HarHeader[])
      .map((p) => `${encodeURIComponent(String(p?.name ?? ''))}=${encodeURIComponent(String(p?.value ?? ''))}`)
      .join('&');
  }
  if (body === null) return null;
  return bodySample(body, text(postData.encoding), contentType, maxBytes);
}

/** response.content: `text` is optional (tools leave it out for large or binary bodies). */
function responseBodyOf(content: Record<string, unknown> | null, maxBytes: number): BodySample | null {
  const body = content === null ? null : text(content.text);
  if (content === null || body === null) return null;
  return bodySample(body, text(content.encoding), text(content.mimeType), maxBytes);
}

/** An entry already parsed from JSON. */
export function harEntryToRequest(entry: unknown, maxBodyBytes = DEFAULT_MAX_BODY_BYTES): ObservedRequest | ParseError {
  const e = asObject(entry);
  if (e === null) return new ParseError('entry is not an object');
  const request = asObject(e.request);
  if (request === null) return new ParseError('entry has no request');
  const method = text(request.method);
  const url = text(request.url);
  if (method === null || method === '') return new ParseError('request has no method');
  if (url === null || url === '') return new ParseError('request has no url');
  const target = splitTarget(url);
  const response = asObject(e.response);
  const started = text(e.startedDateTime);
  const time = started === null ? Number.NaN : parseIsoTime(started);
  const requestHeaders = headersOf(request.headers);
  const content = asObject(response?.content);
  // bodySize is what went over the wire; content.size the decoded size
  const bytesOut = byteCount(response?.bodySize) ?? byteCount(content?.size);
  const status = nonNegative(response?.status);
  const truncatedStatus = status === null ? null : Math.trunc(status);
  return {
    time: Number.isNaN(time) ? 0 : time,
    method: upperMethod(method),
    host: target.host,
    path: target.path,
    query: target.query,
    // browsers record 0 for a request that got no answer (blocked, failed)
    status: isStatus(truncatedStatus) ? truncatedStatus : 0,
    // HAR is recorded at the client: it names the server's address, not the client's
    clientIp: null,
    userAgent: requestHeaders?.['user-agent'] ?? null,
    bytesOut,
    latencyMs: nonNegative(e.time),
    requestHeaders,
    responseHeaders: headersOf(response?.headers),
    requestBody: requestBodyOf(asObject(request.postData), maxBodyBytes),
    responseBody: responseBodyOf(content, maxBodyBytes),
  };
}

/** The JSON text of one entry, as har-scanner.ts cuts it. */
export function parseHarEntry(json: string, maxBodyBytes = DEFAULT_MAX_BODY_BYTES): ObservedRequest | ParseError {
  let entry: unknown;
  try {
    entry = JSON.parse(json);
  } catch (error) {
    return new ParseError(`entry is not JSON: ${(error as Error).message}`);
  }
  return harEntryToRequest(entry, maxBodyBytes);
}
