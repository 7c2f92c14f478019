/**
 * Bearer tokens on the wire (RFC 6750), and what the JWT and introspection
 * verifiers share about them: the WWW-Authenticate challenge, the
 * sender-constraint (`cnf`) check, and reading scopes and roles from claims.
 */
import { createHash } from 'node:crypto';
import type { AuthOutcome, AuthRequest, BearerError } from './types.ts';

/**
 * Either the token, or the outcome to answer with when there is none to
 * verify (`missing`, or `invalid` with bearerError `invalid_request`).
 */
export type BearerExtraction = { token: string; outcome?: undefined } | { token?: undefined; outcome: AuthOutcome };

const MISSING: AuthOutcome = Object.freeze({ result: 'missing' });

/** RFC 6750 §2.1 b64token (the token68 of RFC 9110 §11.2) */
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;

function invalidRequest(reason: string): BearerExtraction {
  return { outcome: { result: 'invalid', reason, bearerError: 'invalid_request' } };
}

function countAuthorizationHeaders(rawHeaders: readonly string[]): number {
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i];
    if (name !== undefined && name.length === 13 && name.toLowerCase() === 'authorization') count++;
  }
  return count;
}

function isFormBody(request: AuthRequest): boolean {
  const type = request.headers['content-type'];
  return typeof type === 'string' && type.split(';', 1)[0]!.trim().toLowerCase() === 'application/x-www-form-urlencoded';
}

/**
 * Whether the request also carries a token where this gateway does not take
 * one: the `access_token` query parameter (RFC 6750 §2.3) or form field
 * (§2.2). Both are refused rather than ignored: a token in a URL ends up in
 * logs, caches and Referer headers (§5.3), and a client that sends one should
 * be told so instead of being served as anonymous.
 */
function hasTokenOutsideHeader(request: AuthRequest): boolean {
  if (request.query !== '' && new URLSearchParams(request.query).has('access_token')) return true;
  if (request.body !== null && request.body.length > 0 && isFormBody(request)) {
    return new URLSearchParams(request.body.toString('utf8')).has('access_token');
  }
  return false;
}

/**
 * Takes the token from `Authorization: Bearer <token>` (RFC 6750 §2.1): the
 * scheme name case-insensitive (RFC 9110 §11.1), one space, token68 syntax.
 * - two Authorization fields: invalid_request (the gateway must not check one
 *   copy while the upstream reads the other);
 * - a token in the query or a form body: invalid_request, with or without a
 *   header (see hasTokenOutsideHeader);
 * - an Authorization field with another scheme (Basic...): missing, so that
 *   another security scheme of the operation can take it.
 */
export function extractBearerToken(request: AuthRequest): BearerExtraction {
  if (countAuthorizationHeaders(request.rawHeaders) > 1) return invalidRequest('more than one Authorization header');
  const value = request.headers.authorization;
  const elsewhere = hasTokenOutsideHeader(request);
  if (value === undefined || value === '') {
    return elsewhere ? invalidRequest('access token outside the Authorization header') : { outcome: MISSING };
  }
  const space = value.indexOf(' ');
  const scheme = space === -1 ? value : value.slice(0, space);
  if (scheme.toLowerCase() !== 'bearer') {
    return elsewhere ? invalidRequest('access token outside the Authorization header') : { outcome: MISSING };
  }
  if (elsewhere) return invalidRequest('access token both in the Authorization header and outside it');
  const token = space === -1 ? '' : value.slice(space + 1);
  if (token === '') return invalidRequest('empty bearer token');
  if (!TOKEN68.test(token)) return invalidRequest('malformed bearer token');
  return { token };
}

/** RFC 9110 §5.6.4 quoted-string */
function quote(text: string): string {
  return `"${text.replace(/[\\"]/g, '\\$&')}"`;
}

/**
 * `Bearer realm="<realm>"`, plus `error="..."` when there is one (RFC 6750
 * §3). No error_description: why a token failed is for the logs, not for the
 * client.
 */
export function bearerChallenge(realm: string, error?: BearerError): string {
  return error === undefined ? `Bearer realm=${quote(realm)}` : `Bearer realm=${quote(realm)}, error="${error}"`;
}

/**
 * Checks a sender-constrained token against the request. Returns null when
 * the token is not constrained or the constraint holds, else the reason.
 * - `cnf.x5t#S256` (RFC 8705 §3.1): the token is bound to a client
 *   certificate; the resource server must compare the thumbprint with the
 *   certificate of the TLS connection. The certificate need not chain to a CA
 *   (§3: self-signed certificates are allowed), so only the thumbprint counts.
 * - any other confirmation method (DPoP `jkt`, RFC 9449 §6; `jwk`, `jku`...):
 *   not supported here, and such a token must not be accepted as a plain
 *   bearer token (RFC 9449 §7.2), so it is refused.
 */
export function checkConfirmation(claims: Readonly<Record<string, unknown>>, request: AuthRequest): string | null {
  const cnf = claims['cnf'];
  if (cnf === undefined) return null;
  if (typeof cnf !== 'object' || cnf === null || Array.isArray(cnf)) return 'malformed cnf claim';
  const members = Object.keys(cnf);
  if (members.length === 0) return 'empty cnf claim';
  for (const member of members) {
    if (member !== 'x5t#S256') return `sender-constrained token (cnf ${member}) presented as a bearer token`;
  }
  const thumbprint = (cnf as Record<string, unknown>)['x5t#S256'];
  const raw = request.peerCertificate?.raw;
  if (raw === undefined || raw.length === 0) return 'certificate-bound token without a client certificate';
  if (createHash('sha256').update(raw).digest('base64url') !== thumbprint) {
    return 'certificate-bound token with another client certificate';
  }
  return null;
}

/**
 * A list of strings from a claim: a space-separated string (RFC 6749 §3.3
 * scope, RFC 9068 §2.2.3) or an array of strings (`scp`, role claims).
 * Anything else gives an empty list rather than a guess.
 */
export function readStringList(value: unknown): string[] {
  if (typeof value === 'string') return value.split(' ').filter((item) => item !== '');
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string' && item !== '');
  return [];
}

/**
 * A claim by name; when there is no claim of that exact name and the name
 * has dots, a path into nested objects (`realm_access.roles`). The exact name
 * comes first because namespaced claims are often URLs, which have dots.
 */
export function readClaim(claims: Readonly<Record<string, unknown>>, name: string): unknown {
  if (Object.hasOwn(claims, name)) return claims[name];
  if (!name.includes('.')) return undefined;
  let node: unknown = claims;
  for (const part of name.split('.')) {
    if (typeof node !== 'object' || node === null || Array.isArray(node) || !Object.hasOwn(node, part)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/** Scopes: the configured claim, and `scp` when the default `scope` is absent. */
export function readScopes(claims: Readonly<Record<string, unknown>>, scopeClaim: string): string[] {
  const value = readClaim(claims, scopeClaim);
  if (value === undefined && scopeClaim === 'scope') return readStringList(claims['scp']);
  return readStringList(value);
}

/** A plan name from a claim, or null when absent or not a non-empty string. */
export function readPlan(claims: Readonly<Record<string, unknown>>, planClaim: string | undefined): string | null {
  if (planClaim === undefined) return null;
  const value = readClaim(claims, planClaim);
  return typeof value === 'string' && value !== '' ? value : null;
}

/** Freezes a claims object and everything in it, so that a cached principal cannot be changed by a caller. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
