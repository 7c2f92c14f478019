/**
 * GatewayEvent → DetectEvent. The gateway event says what happened to the
 * request; the extras are what only the gateway's request path knows and
 * does not store on the event: the client fingerprint, the values looked up,
 * the account a login tried, and what the response sampling found.
 */
import type { GatewayEvent } from '../events/types.ts';
import type { DetectEvent } from './types.ts';

export interface DetectExtras {
  /** fingerprint.ts's clientFingerprint of the request, or null */
  fingerprint: string | null;
  /** values looked up (path parameters, chosen body fields), normalised (e.g. E.164 phone numbers) */
  identifiers?: readonly string[];
  /** the account a login operation tried (user name, e-mail), or null */
  account?: string | null;
  /** is this operation a login (so that its 401 counts as a failed attempt)? */
  isLogin?: boolean;
  /** sensitive values found in the sampled response */
  sensitiveCount?: number;
  /** the body said "not found" (see DetectEvent.isMiss) */
  isMiss?: boolean;
  /**
   * the operation, when the gateway knows better than the event: a shadow
   * request templated by discovery ('GET /v1/internal/users/{id}')
   */
  operation?: string | null;
}

const NO_IDENTIFIERS: readonly string[] = [];
const APIKEY_PREFIX = 'apikey:';

/** Access-control outcomes that refuse for lack of (valid) credentials or rights. */
const REFUSED = new Set(['missing', 'invalid', 'insufficient', 'forbidden', 'no-rule']);

export function fromGatewayEvent(event: GatewayEvent, extras: DetectExtras): DetectEvent {
  const principal = event.principal;
  // principal ids carry their method: "apikey:k1a2b3c4" (src/auth/types.ts)
  const apiKey = principal !== null && principal.startsWith(APIKEY_PREFIX) ? principal.slice(APIKEY_PREFIX.length) : null;
  const isAccessRefusal = event.decision === 'denied' && (event.status === 401 || event.status === 403) && (event.auth === null || REFUSED.has(event.auth));
  const isLoginFailure = extras.isLogin === true && event.status === 401;
  const operation = extras.operation !== undefined
    ? extras.operation
    : event.operationId ?? (event.template !== null ? `${event.method} ${event.template}` : null);
  const detect: DetectEvent = {
    time: event.time,
    clientIp: event.clientIp,
    subnet: event.clientSubnet,
    apiKey,
    principal,
    fingerprint: extras.fingerprint,
    method: event.method,
    operation,
    class: event.class,
    status: event.status,
    bytesOut: event.bytesOut,
    identifiers: extras.identifiers ?? NO_IDENTIFIERS,
    isAuthFailure: isAccessRefusal || isLoginFailure,
    account: extras.account ?? null,
    sensitiveCount: extras.sensitiveCount ?? 0,
    // without the query: it may carry credentials (?api_key=) that alerts must not spread
    target: withoutQuery(event.path ?? event.rawPath),
  };
  if (extras.isMiss !== undefined) detect.isMiss = extras.isMiss;
  if (event.decision === 'limited' || event.decision === 'banned') detect.isLimited = true;
  return detect;
}

function withoutQuery(target: string): string {
  const q = target.indexOf('?');
  return q === -1 ? target : target.slice(0, q);
}
