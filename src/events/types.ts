import type { AccessOutcome } from '../auth/access.ts';

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
  | 'aborted'
  /** a rate-limit rule refused it (429), or the limiter store was down and the rule fails closed (503) */
  | 'limited'
  /** the client (address, subnet, API key or principal) is banned (429) */
  | 'banned'
  /** access control refused it: no or bad credentials (401), insufficient (403), or no rule allows it */
  | 'denied';

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
  /** the rate-limit decision that mattered most for this request, or null when no rule applied */
  limit: LimitEventInfo | null;
  /** the authenticated principal's id (e.g. "apikey:k1a2b3c4", "jwt:https://idp/|alice"), or null */
  principal: string | null;
  /** how access control decided (see docs/events.md), or null when it did not run */
  auth: AccessOutcome | null;
  /**
   * What an analyser in another process needs and the request alone told
   * (set only when the gateway publishes its events to NATS): the client
   * fingerprint, the values looked up (path parameters), a login's account,
   * and the kind of credential offered.
   */
  extras?: EventExtras;
}

export interface EventExtras {
  fingerprint: string;
  /** the values of the documented operation's path parameters; null when it matched none */
  identifiers: string[] | null;
  /** a login request: the account it tried (null when it named none) */
  login: { account: string | null } | null;
  /** 'none', 'apikey', 'bearer', 'basic', 'cookie', 'mtls', 'hmac', 'other' */
  credential: string | null;
}

/** What the limiter decided, on the event (see docs/events.md). */
export interface LimitEventInfo {
  /** the rule name (the one that refused or delayed, else the one closest to its limit) */
  rule: string;
  /** the composed key, e.g. "path.phone=+15551234567"; for bans the banned key, e.g. "ip:203.0.113.7" */
  key: string;
  /** units left in the tightest window of that rule */
  remaining: number;
  /**
   * pass: under every limit; reject: refused with 429; delay: held by the tarpit then forwarded;
   * dry-run: a dry-run rule would have refused; ban: refused because of a ban (newly made or existing);
   * fail-open / fail-closed / local: the shared store was down and the rule's policy decided
   */
  action: 'pass' | 'reject' | 'delay' | 'dry-run' | 'ban' | 'fail-open' | 'fail-closed' | 'local';
  /** delay held, ms (0 unless action is delay) */
  delayMs: number;
}
