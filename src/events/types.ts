/** How a request was classified against the loaded OpenAPI documents. */
export type RequestClass =
  /** method and path match an operation of a loaded document */
  | 'documented'
  /** an upstream was chosen but no document declares this method and path */
  | 'shadow'
  /** a deprecated operation, or a path under a retired prefix */
  | 'zombie'
  /** no upstream serves this host and path */
  | 'unknown'
  /** refused before routing: malformed, ambiguous or oversized */
  | 'rejected';

/** What the gateway did with the request. */
export type Decision =
  | 'forwarded'
  /** shadow or unknown request refused in enforce mode */
  | 'blocked'
  /** zombie past its sunset refused with 410 */
  | 'gone'
  /** malformed or ambiguous request refused with 4xx */
  | 'rejected'
  /** forwarding failed: upstream unreachable, timed out or reset */
  | 'upstream_error'
  /** the client went away before the answer was complete */
  | 'aborted';

/** One structured record per request. Field names are stable: they are stored and exported. */
export interface GatewayEvent {
  /** unique id (UUID v4) */
  id: string;
  /** epoch milliseconds at which the request arrived */
  time: number;
  /** client address after trusted-proxy resolution */
  clientIp: string;
  /** the client's subnet (/24 for IPv4, /64 for IPv6) in CIDR notation */
  clientSubnet: string;
  /** the TCP peer's address */
  peerIp: string;
  method: string;
  /** lower-cased Host without port or trailing dot; '' when absent */
  host: string;
  /** the request target as received (truncated to 2,048 chars) */
  rawPath: string;
  /** the canonical path that was classified and forwarded; null when rejected before canonicalisation */
  path: string | null;
  /** the name of the upstream chosen, or null */
  upstream: string | null;
  /** the OpenAPI path template matched (as written in the document, with base path), or null */
  template: string | null;
  operationId: string | null;
  class: RequestClass;
  /** effective mode for this request */
  mode: 'enforce' | 'monitor';
  decision: Decision;
  /** stable error code when the gateway answered itself, else null */
  code: string | null;
  /** HTTP status sent to the client (0 when none was sent) */
  status: number;
  /** whole request latency in milliseconds (arrival to last byte written) */
  latencyMs: number;
  /** upstream latency to response headers, ms, or null when not forwarded */
  upstreamLatencyMs: number | null;
  bytesIn: number;
  bytesOut: number;
  userAgent: string | null;
}
