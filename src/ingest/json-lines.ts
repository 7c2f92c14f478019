/**
 * Generic JSON-lines access logs: one object per line, with whatever names
 * the writer chose. The table covers nginx `log_format … escape=json` with
 * variable names as keys ($remote_addr, $request, $time_local, $status, …),
 * Apache/Caddy/Traefik-style names, pino-http (`req`/`res`), Google Cloud's
 * `httpRequest` and Elastic Common Schema dotted names. A record without any
 * path, URL or request line is malformed.
 */
import type { ObservedRequest } from '../discovery/types.ts';
import { compileJsonFields, parseJsonText, requestFromJson } from './json-fields.ts';
import type { JsonFieldSpec } from './json-fields.ts';
import { ParseError } from './types.ts';

/** Candidate names per field, most specific first (see json-fields.ts for how a name is looked up). */
export const GENERIC_JSON_FIELDS: JsonFieldSpec = {
  time: ['time', 'timestamp', '@timestamp', 'time_iso8601', 'time_local', 'start_time', 'startTime', 'ts', 'msec', 'date', 'datetime'],
  method: ['request_method', 'method', 'http_method', 'httpMethod', 'verb', 'req.method', 'request.method', 'httpRequest.requestMethod', 'http.request.method'],
  requestLine: ['request', 'request_line', 'requestLine'],
  // $request_uri before $uri: the first is raw, the second decoded and normalised
  target: ['request_uri', 'requestUri', 'url', 'request_url', 'requestUrl', 'path', 'request_path', 'req.url', 'request.url', 'request.uri', 'httpRequest.requestUrl', 'url.original', 'url.path', 'uri'],
  query: ['args', 'query_string', 'querystring', 'query', 'url.query'],
  // not 'hostname': pino and bunyan write the machine's name there
  host: ['http_host', 'host', 'authority', ':authority', 'server_name', 'vhost', 'req.headers.host', 'request.host', 'url.domain'],
  status: ['status', 'status_code', 'statusCode', 'response_code', 'responseCode', 'response_status', 'http_status', 'res.statusCode', 'response.status', 'httpRequest.status', 'http.response.status_code'],
  clientIp: ['remote_addr', 'client_ip', 'clientIp', 'client_addr', 'remote_ip', 'remoteIp', 'remote_address', 'ip', 'client', 'req.remoteAddress', 'request.remote_ip', 'httpRequest.remoteIp', 'source.ip', 'client.ip', 'downstream_remote_address'],
  forwardedFor: ['http_x_forwarded_for', 'x_forwarded_for', 'xff', 'forwarded_for', 'x-forwarded-for'],
  userAgent: ['http_user_agent', 'user_agent', 'userAgent', 'user-agent', 'ua', 'agent', 'req.headers.user-agent', 'httpRequest.userAgent', 'user_agent.original'],
  bytesOut: ['body_bytes_sent', 'bytes_sent', 'bytesOut', 'bytes_out', 'response_size', 'responseSize', 'size', 'res.contentLength', 'httpRequest.responseSize', 'http.response.body.bytes'],
  latency: [
    ['request_time', 's'], // nginx: seconds with ms resolution
    ['duration_ms', 'ms'],
    ['latency_ms', 'ms'],
    ['latencyMs', 'ms'],
    ['response_time_ms', 'ms'],
    ['responseTime', 'ms'], // pino-http
    ['elapsed_ms', 'ms'],
    ['duration', 'ms'], // Envoy, Traefik's Duration is ns but named differently
    ['latency', 'ms'], // Google Cloud writes '0.25s', which says its unit
    ['httpRequest.latency', 's'],
    ['event.duration', 'ns'], // ECS
  ],
  requestHeaders: ['req.headers', 'request.headers', 'request_headers', 'requestHeaders'],
  responseHeaders: ['res.headers', 'response.headers', 'response_headers', 'responseHeaders'],
};

const FIELDS = compileJsonFields(GENERIC_JSON_FIELDS);

export function parseJsonLine(line: string): ObservedRequest | ParseError {
  const record = parseJsonText(line);
  if (record instanceof ParseError) return record;
  return requestFromJson(record, FIELDS);
}
