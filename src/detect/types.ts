/**
 * The detector's contract: what it reads per request (DetectEvent), and what
 * it answers (Decision for the limiter, AlertSignal for src/alerts). Field
 * names are stable: decisions are stored and alert signals are consumed by
 * another module.
 */
import type { RequestClass } from '../events/types.ts';

/** Who behaviour is counted for. */
export type IdentityKind = 'ip' | 'subnet' | 'apikey' | 'principal' | 'fingerprint';

export const IDENTITY_KINDS: readonly IdentityKind[] = ['ip', 'subnet', 'apikey', 'principal', 'fingerprint'];

/** One request as the detector sees it: built by fromGatewayEvent (from-gateway-event.ts). */
export interface DetectEvent {
  /** epoch ms */
  time: number;
  clientIp: string;
  /** the client's subnet in CIDR notation (/24, /64), as the limiter bans it */
  subnet: string;
  /** the API key's id (without the "apikey:" prefix), or null */
  apiKey: string | null;
  /** the authenticated principal's id ("jwt:<iss>|<sub>", "apikey:<id>"…), or null */
  principal: string | null;
  /** client fingerprint (fingerprint.ts), or null when the gateway has none */
  fingerprint: string | null;
  method: string;
  /** operationId, or 'METHOD template', or null for paths that match no operation */
  operation: string | null;
  class: RequestClass;
  /** HTTP status sent (0 when none) */
  status: number;
  bytesOut: number;
  /**
   * the values looked up (path parameters, chosen body fields such as a phone
   * number), already extracted and normalised by the caller; empty when the
   * request looks nothing up
   */
  identifiers: readonly string[];
  /** 401/403 from access control, or a login operation answering 401 */
  isAuthFailure: boolean;
  /** the account a login tried, or null when this is not a login */
  account: string | null;
  /** sensitive values found in the (sampled) response; 0 when not sampled */
  sensitiveCount: number;
  /**
   * optional: the caller decided from the body that this lookup found nothing
   * (e.g. 200 with {"exists": false}); when absent, the miss statuses of the
   * rule set decide (404 by default)
   */
  isMiss?: boolean;
  /** optional: the gateway refused it by a rate limit or a ban (429) */
  isLimited?: boolean;
  /** optional: the request target for alert examples (path, without query) */
  target?: string;
}

export type Severity = 'info' | 'low' | 'medium' | 'high' | 'critical';

export type DecisionAction = 'alert' | 'delay' | 'block' | 'ban';

/** What a decision or a signal is about: an identity, or an operation for per-operation rules. */
export interface Identity {
  kind: IdentityKind | 'operation';
  value: string;
}

/** Why a decision was made: the features that met the rule, over its window. */
export interface DecisionEvidence {
  windowMs: number;
  /** the operation the features were counted on (per-operation rules and attributions), or null */
  operation: string | null;
  features: Record<string, number>;
}

/**
 * What the limiter (or an operator) should do. `alert` decisions need no
 * enforcement; `delay` holds each request of the identity by delayMs;
 * `block` refuses the identity's requests (to `evidence.operation` when set,
 * else all); `ban` refuses everything from banKey. Decisions with dryRun are
 * reported, never enforced.
 */
export interface Decision {
  rule: string;
  action: DecisionAction;
  identity: Identity;
  /** the limiter's ban key ("ip:…", "subnet:…/24", "apikey:<id>", "principal:<id>", "fingerprint:<hash>"); null for operations */
  banKey: string | null;
  /** how long it holds (ban, block, delay) or is remembered (alert), ms */
  durationMs: number;
  /** per-request delay for `delay`, else 0 */
  delayMs: number;
  dryRun: boolean;
  /** one line for logs and the admin API */
  reason: string;
  evidence: DecisionEvidence;
  /** 1 for the first decision on this identity by this rule; raised by repeat offences */
  level: number;
  /** epoch ms when it was made, and when it ends */
  time: number;
  until: number;
}

export interface ExampleRequest {
  time: number;
  method: string;
  target: string;
  status: number;
  clientIp: string;
}

/** What src/alerts consumes: keep these field names. */
export interface AlertSignal {
  rule: string;
  severity: Severity;
  labels: Record<string, string>;
  summary: string;
  evidence: {
    topIdentities: { kind: string; value: string; count: number }[];
    counts: Record<string, number>;
    exampleRequests: ExampleRequest[];
  };
  time: number;
}

export interface EvaluationResult {
  decisions: Decision[];
  signals: AlertSignal[];
}
