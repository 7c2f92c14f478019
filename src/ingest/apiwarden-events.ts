/**
 * apiwarden's own access log: one GatewayEvent as JSON per line, written by
 * src/events/access-log.ts (rawPath and path with secret query values
 * replaced by REDACTED, rawPath cut at 1,024 characters with '…' appended).
 * Replaying it feeds discovery the same requests the gateway saw inline.
 */
import type { ObservedRequest } from '../discovery/types.ts';
import type { GatewayEvent } from '../events/types.ts';
import { parseJsonText } from './json-fields.ts';
import { isStatus } from './fields.ts';
import { hostOf, splitTarget } from './target.ts';
import { ParseError } from './types.ts';

/** Keys every event line has and generic JSON logs rarely do: detection looks for them. */
export const EVENT_KEYS: readonly (keyof GatewayEvent)[] = ['rawPath', 'decision', 'clientSubnet'];

const TRUNCATION_MARK = '…';

function stringOr<T>(value: unknown, fallback: T): string | T {
  return typeof value === 'string' ? value : fallback;
}

function numberOr<T>(value: unknown, fallback: T): number | T {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

export function parseApiwardenEventLine(line: string): ObservedRequest | ParseError {
  const record = parseJsonText(line);
  if (record instanceof ParseError) return record;
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return new ParseError('line is not a JSON object');
  const event = record as Partial<Record<keyof GatewayEvent, unknown>>;
  const rawPath = event.rawPath;
  if (typeof rawPath !== 'string' || rawPath === '') return new ParseError('no rawPath');
  const canonical = event.path;
  // a cut target is not the one received; the canonical path is whole
  const received = rawPath.endsWith(TRUNCATION_MARK) && typeof canonical === 'string' ? canonical : rawPath;
  const method = event.method;
  if (typeof method !== 'string' || method === '') return new ParseError('no method');
  const target = splitTarget(received);
  const status = numberOr(event.status, null);
  const bytesOut = numberOr(event.bytesOut, null);
  const latencyMs = numberOr(event.latencyMs, null);
  return {
    time: numberOr(event.time, 0),
    method: method.toUpperCase(),
    // the gateway writes it normalised; a hand-edited line may not be
    host: hostOf(stringOr(event.host, '')),
    path: target.path,
    query: target.query,
    status: isStatus(status) ? status : 0,
    clientIp: stringOr(event.clientIp, null),
    userAgent: stringOr(event.userAgent, null),
    // a fractional byte count is not one the gateway wrote
    bytesOut: bytesOut !== null && Number.isSafeInteger(bytesOut) && bytesOut >= 0 ? bytesOut : null,
    latencyMs: latencyMs !== null && latencyMs >= 0 ? latencyMs : null,
    requestHeaders: null,
    responseHeaders: null,
    requestBody: null,
    responseBody: null,
  };
}
