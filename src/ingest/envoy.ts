/**
 * Envoy access logs. The default text format (Envoy docs, "Access logging →
 * Default format string"):
 *
 *   [%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%"
 *   %RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION%
 *   %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%"
 *   "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%"
 *
 * and Istio's longer variant of it, which puts %RESPONSE_CODE_DETAILS%,
 * %CONNECTION_TERMINATION_DETAILS% and "%UPSTREAM_TRANSPORT_FAILURE_REASON%"
 * after the flags and the upstream cluster and local/remote addresses at the
 * end. JSON access logs (`json_format`) have user-chosen keys; the table
 * below takes the command-operator names that Envoy's and Istio's examples
 * use (start_time, method, path, response_code, authority, …).
 */
import type { ObservedRequest } from '../discovery/types.ts';
import { decimalField, intField, isStatus, splitFields, textField } from './fields.ts';
import { compileJsonFields, parseJsonText, requestFromJson } from './json-fields.ts';
import type { JsonFieldSpec } from './json-fields.ts';
import { GENERIC_JSON_FIELDS } from './json-lines.ts';
import { addressOf, firstForwardedFor, hostOf, parseRequestLine, splitTarget } from './target.ts';
import { parseIsoTime } from './time.ts';
import { ParseError } from './types.ts';

function isInt(value: string | undefined): boolean {
  return value !== undefined && /^[0-9]+$/.test(value);
}

export function parseEnvoyLine(line: string): ObservedRequest | ParseError {
  if (line.charCodeAt(0) !== 0x5b) return new ParseError('does not start with [START_TIME]');
  const close = line.indexOf(']');
  if (close === -1) return new ParseError('start time is not closed');
  const time = parseIsoTime(line.slice(1, close));
  if (Number.isNaN(time)) return new ParseError('start time is not an ISO 8601 time');
  if (line.charCodeAt(close + 1) !== 0x20 || line.charCodeAt(close + 2) !== 0x22) return new ParseError('no quoted request line after the time');
  const f = splitFields(line, close + 2);
  if (f === null) return new ParseError('a quoted field is not closed');
  const requestText = f[0] ?? '';
  if (requestText === '- - -') return new ParseError('not an HTTP request (TCP proxy entry)');
  const request = parseRequestLine(requestText);
  if (typeof request === 'string') return new ParseError(request);

  const status = intField(f[1]);
  if (!isStatus(status)) return new ParseError('response code is not a number');
  // the three byte/duration counters come right after the flags (default
  // format) or after three more fields (Istio)
  let k = 3;
  while (k <= 6 && !(isInt(f[k]) && isInt(f[k + 1]) && isInt(f[k + 2]))) k++;
  if (k > 6) return new ParseError('no BYTES_RECEIVED BYTES_SENT DURATION after the response flags');
  const downstreamRemote = f.length > k + 12 ? addressOf(textField(f[k + 12])) : null;
  const target = splitTarget(request.target);
  const authority = textField(f[k + 7]);
  return {
    time,
    method: request.method,
    host: authority !== null ? hostOf(authority) : target.host,
    path: target.path,
    query: target.query,
    status,
    // the peer when the line has it (Istio), else the first X-Forwarded-For hop
    clientIp: downstreamRemote ?? firstForwardedFor(textField(f[k + 4])),
    userAgent: textField(f[k + 5]),
    bytesOut: intField(f[k + 1]),
    latencyMs: decimalField(f[k + 2]),
    requestHeaders: null,
    responseHeaders: null,
    requestBody: null,
    responseBody: null,
  };
}

export const ENVOY_JSON_FIELDS: JsonFieldSpec = {
  ...GENERIC_JSON_FIELDS,
  time: ['start_time', ...GENERIC_JSON_FIELDS.time],
  method: ['method', ':method', ...GENERIC_JSON_FIELDS.method],
  requestLine: [],
  // %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%: the path with its query
  target: ['path', 'x_envoy_original_path', 'original_path', ...GENERIC_JSON_FIELDS.target],
  host: ['authority', ':authority', 'host', 'requested_server_name', ...GENERIC_JSON_FIELDS.host],
  status: ['response_code', ...GENERIC_JSON_FIELDS.status],
  clientIp: ['downstream_remote_address', 'downstream_direct_remote_address', ...GENERIC_JSON_FIELDS.clientIp],
  forwardedFor: ['x_forwarded_for', 'x-forwarded-for', ...GENERIC_JSON_FIELDS.forwardedFor],
  userAgent: ['user_agent', 'user-agent', ...GENERIC_JSON_FIELDS.userAgent],
  bytesOut: ['bytes_sent', ...GENERIC_JSON_FIELDS.bytesOut],
  // %DURATION% is in ms
  latency: [['duration', 'ms'], ...GENERIC_JSON_FIELDS.latency],
};

const ENVOY_FIELDS = compileJsonFields(ENVOY_JSON_FIELDS);

/** Keys only Envoy (and Istio) JSON access logs have: detection looks for one of them. */
export const ENVOY_JSON_KEYS: readonly string[] = [
  'response_flags',
  'upstream_host',
  'upstream_cluster',
  'upstream_service_time',
  'downstream_remote_address',
  'downstream_local_address',
  'response_code_details',
  'upstream_transport_failure_reason',
];

export function parseEnvoyJsonLine(line: string): ObservedRequest | ParseError {
  const record = parseJsonText(line);
  if (record instanceof ParseError) return record;
  return requestFromJson(record, ENVOY_FIELDS);
}
