/**
 * The contract between the gateway's access-control stage and the
 * authentication methods. One verifier per OpenAPI security scheme; the
 * requirement evaluator (requirements.ts) combines their outcomes with the
 * document's OR-of-ANDs semantics. Outcomes are values; exceptions are
 * faults of the verifier itself.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { PeerCertificate } from 'node:tls';

/** Who made the request, once a scheme has verified it. */
export interface Principal {
  /**
   * stable, non-secret id, unique across methods: "apikey:<key id>",
   * "jwt:<iss>|<sub>", "introspection:<sub>", "basic:<user>",
   * "mtls:<subject CN or SAN>", "hmac:<client id>"
   */
  id: string;
  /** the subject as the method names it (sub claim, user name, key owner, certificate CN) */
  subject: string;
  /** the authentication method that produced it */
  method: AuthMethod;
  /** name of the security scheme (key of components.securitySchemes) */
  scheme: string;
  /** granted scopes (OAuth scope claim, key scopes); compared exactly, case-sensitive */
  scopes: readonly string[];
  /** roles (policy-assigned, or from a configured claim) */
  roles: readonly string[];
  /** verified claims (JWT payload, introspection response, key metadata); never secrets */
  claims: Readonly<Record<string, unknown>>;
  /** rate-limit plan / tier, when the key or token carries one */
  plan: string | null;
  /** epoch ms after which the credential is no longer valid, or null */
  expiresAt: number | null;
}

export type AuthMethod = 'apiKey' | 'jwt' | 'introspection' | 'basic' | 'mtls' | 'hmac';

/**
 * The outcome of one scheme for one request.
 * - missing: the request carries no credential for this scheme
 * - invalid: a credential is there and is wrong (expired, bad signature,
 *   unknown key, revoked, replayed...). `reason` is for logs and events
 *   only, never for the response body.
 * - unavailable: the scheme could not decide (JWKS or introspection endpoint
 *   down and nothing cached); the gateway answers 503, not 401
 */
export type AuthOutcome =
  | { result: 'authenticated'; principal: Principal }
  | { result: 'missing' }
  | { result: 'invalid'; reason: string; bearerError?: BearerError }
  | { result: 'unavailable'; reason: string };

/** RFC 6750 §3.1 error codes */
export type BearerError = 'invalid_request' | 'invalid_token' | 'insufficient_scope';

/**
 * What a verifier may read of the request. Headers come both parsed and raw:
 * a verifier must refuse (result 'invalid', bearerError 'invalid_request')
 * a credential header that appears more than once in `rawHeaders`, so that
 * the gateway never checks one copy while the upstream reads another.
 */
export interface AuthRequest {
  method: string;
  /** canonical path, as classified */
  path: string;
  /** the raw query string without '?', '' when none */
  query: string;
  headers: IncomingHttpHeaders;
  /** Node's rawHeaders: [name, value, name, value, ...] */
  rawHeaders: readonly string[];
  /** the client certificate when the listener is TLS and the client sent one */
  peerCertificate: PeerCertificate | null;
  /** whether the TLS layer verified that certificate against the configured CAs */
  peerCertificateAuthorized: boolean;
  /** the request body when the route needs it (HMAC digest), else null */
  body: Buffer | null;
  /** epoch ms */
  now: number;
}

/** Verifies one security scheme. */
export interface SchemeVerifier {
  /** key of components.securitySchemes */
  readonly scheme: string;
  readonly method: AuthMethod;
  /** true when `authenticate` needs AuthRequest.body */
  readonly needsBody: boolean;
  authenticate(request: AuthRequest): AuthOutcome | Promise<AuthOutcome>;
  /**
   * the WWW-Authenticate challenge for this scheme (RFC 9110 §11.6.1), e.g.
   * 'Bearer realm="api"', or null when the scheme has none (apiKey, mTLS)
   */
  challenge(error?: BearerError): string | null;
  close?(): Promise<void>;
}
