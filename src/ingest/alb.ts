/**
 * AWS Application Load Balancer access logs ("Access log entries" in the
 * ELB user guide): space-separated, some fields quoted, new fields appended
 * over the years (so only the leading ones are required):
 *
 *   type time elb client:port target:port request_processing_time
 *   target_processing_time response_processing_time elb_status_code
 *   target_status_code received_bytes sent_bytes "request" "user_agent"
 *   ssl_cipher ssl_protocol target_group_arn "trace_id" "domain_name"
 *   "chosen_cert_arn" matched_rule_priority request_creation_time …
 *
 * `request` is "METHOD scheme://host:port/path?query HTTP/x"; `time` is when
 * the response was sent, `request_creation_time` when the request arrived.
 */
import type { ObservedRequest } from '../discovery/types.ts';
import { decimalField, intField, isStatus, splitFields, textField } from './fields.ts';
import { addressOf, hostOf, parseRequestLine, splitTarget } from './target.ts';
import { parseIsoTime } from './time.ts';
import { ParseError } from './types.ts';

/** The `type` field: HTTP, TLS, HTTP/2, gRPC and WebSocket listeners. */
export const ALB_TYPES: ReadonlySet<string> = new Set(['http', 'https', 'h2', 'grpcs', 'ws', 'wss']);

const REQUIRED_FIELDS = 14; // up to "user_agent"

/** Seconds, or null for -1 (ALB writes -1 when it could not dispatch or the target closed early). */
function seconds(value: string | undefined): number | null {
  const n = decimalField(value);
  return n === null || n < 0 ? null : n;
}

/** `client:port` → the address; an IPv6 client is written with its port after the last colon. */
function clientOf(value: string | undefined): string | null {
  const text = textField(value);
  if (text === null || text.charCodeAt(0) === 0x5b) return addressOf(text);
  const colon = text.lastIndexOf(':');
  return colon === -1 ? text : text.slice(0, colon);
}

export function parseAlbLine(line: string): ObservedRequest | ParseError {
  const f = splitFields(line, 0);
  if (f === null) return new ParseError('a quoted field is not closed');
  if (f.length < REQUIRED_FIELDS) return new ParseError(`${f.length} fields, an ALB entry has at least ${REQUIRED_FIELDS}`);
  if (!ALB_TYPES.has(f[0]!)) return new ParseError(`type ${JSON.stringify(f[0]!.slice(0, 20))} is not an ALB listener type`);
  const responseTime = parseIsoTime(f[1]!);
  if (Number.isNaN(responseTime)) return new ParseError('time is not an ISO 8601 time');
  const request = parseRequestLine(f[12]!);
  if (typeof request === 'string') return new ParseError(request);
  const target = splitTarget(request.target);
  // '-' when the load balancer sent no response
  const status = f[8] === '-' ? 0 : intField(f[8]);
  if (!isStatus(status)) return new ParseError('elb_status_code is not a status');

  const parts = [seconds(f[5]), seconds(f[6]), seconds(f[7])];
  const latencyMs = parts.includes(null) ? null : Math.round((parts[0]! + parts[1]! + parts[2]!) * 1e6) / 1000;
  // arrival: request_creation_time when the entry has it, else response time minus latency
  let time = f.length > 21 ? parseIsoTime(f[21]!) : Number.NaN;
  if (Number.isNaN(time)) time = responseTime - Math.round(latencyMs ?? 0);
  const domain = f.length > 18 ? textField(f[18]) : null;
  return {
    time,
    method: request.method,
    // the request URL has the Host the client asked for; the TLS SNI name otherwise
    host: target.host !== '' ? target.host : hostOf(domain),
    path: target.path,
    query: target.query,
    status,
    clientIp: clientOf(f[3]),
    userAgent: textField(f[13]),
    bytesOut: intField(f[11]),
    latencyMs,
    requestHeaders: null,
    responseHeaders: null,
    requestBody: null,
    responseBody: null,
  };
}
