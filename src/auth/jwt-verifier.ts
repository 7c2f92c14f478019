/**
 * JWT bearer tokens checked against the issuer's published keys: the
 * verifier for `http`/`bearer` (bearerFormat JWT), `oauth2` and
 * `openIdConnect` security schemes whose tokens are JWTs (RFC 9068).
 *
 * - Signature, issuer, audience, exp/nbf with a clock tolerance, and an
 *   allow-list of asymmetric algorithms: jose's `jwtVerify`.
 * - Keys: jose's `createRemoteJWKSet`, which refetches the JWKS when a token
 *   names a kid it does not hold (key rotation), at most once per
 *   `jwksCooldownMs`. Around it, a key policy of our own (see createKeySource):
 *   refresh in the background when the keys are older than
 *   `jwksCacheMaxAgeMs`, keep using the last good keys for up to
 *   `jwksStaleIfErrorMs` more while the endpoint is down, and do not retry a
 *   failed endpoint for `failureBackoffMs`.
 * - Verified tokens are cached (by SHA-256 of the token) until their exp or
 *   `cacheMaxAgeMs`, whichever is first; exp is checked again on every hit.
 */
import { createRemoteJWKSet, customFetch, errors, jwksCache, jwtVerify } from 'jose';
import type { FetchImplementation, JWKSCacheInput, JWTPayload, JWTVerifyGetKey } from 'jose';
import type { AuthOutcome, AuthRequest, BearerError, Principal, SchemeVerifier } from './types.ts';
import {
  bearerChallenge,
  checkConfirmation,
  deepFreeze,
  extractBearerToken,
  readClaim,
  readPlan,
  readScopes,
  readStringList,
} from './bearer-token.ts';
import { AuthServerError, createDiscovery, describeFault, isTimeout, parseDiscoveredUrl, parseEndpointUrl } from './oidc-discovery.ts';
import { createTokenCache } from './token-cache.ts';

export interface JwtVerifierOptions {
  /** key of components.securitySchemes; also the challenge realm */
  scheme: string;
  /**
   * the expected `iss`, compared exactly. Required with `jwksUri`; with
   * `discoveryUrl` the discovered issuer is used, and must equal this one
   * when both are given.
   */
  issuer?: string;
  /** accepted `aud` values (at least one must be in the token); never empty */
  audiences: readonly string[];
  /** allow-list of JWS algorithms; default RS256, ES256, PS256, EdDSA. `none` and HS* are refused. */
  algorithms?: readonly string[];
  /** the JWKS URL (exactly one of jwksUri and discoveryUrl) */
  jwksUri?: string;
  /** the OpenAPI openIdConnectUrl; jwks_uri and issuer come from it */
  discoveryUrl?: string;
  /** tolerance for exp and nbf, in seconds; default 30 */
  clockSkewSec?: number;
  /** verified-token cache entries; default 10_000 */
  cacheMax?: number;
  /** longest time a verified token stays cached, whatever its exp; default 300_000 */
  cacheMaxAgeMs?: number;
  /** claim with the scopes (space-separated string or array); default 'scope', then 'scp' */
  scopeClaim?: string;
  /** claim with the roles (array or space-separated); none by default */
  rolesClaim?: string;
  /** claim with the rate-limit plan */
  planClaim?: string;
  /** claims that must be present, besides exp, sub, iss and aud */
  requiredClaims?: readonly string[];
  /** when set, the JWT `typ` header must be this, e.g. 'at+jwt' (RFC 9068 §4) */
  typ?: string;
  /** timeout of discovery and JWKS fetches; default 2000 */
  fetchTimeoutMs?: number;
  /** least time between two JWKS fetches caused by an unknown kid; default 30_000 */
  jwksCooldownMs?: number;
  /** keys older than this are refreshed (in the background); default 600_000 */
  jwksCacheMaxAgeMs?: number;
  /**
   * how much longer than jwksCacheMaxAgeMs the last good keys are used while
   * the JWKS endpoint fails; after that, tokens get `unavailable`. Default
   * 3_600_000. This is also how long a key removed from the JWKS can go on
   * being trusted during an outage of the identity provider.
   */
  jwksStaleIfErrorMs?: number;
  /** after a failed discovery or JWKS fetch, no new attempt before this many ms; default 30_000 */
  failureBackoffMs?: number;
  /** allow http:// endpoints on hosts other than loopback; default false */
  allowInsecureHttp?: boolean;
}

/** Asymmetric JWS algorithms that jose verifies (RFC 7518 §3, RFC 8037). */
const ASYMMETRIC_ALGORITHMS: ReadonlySet<string> = new Set([
  'RS256', 'RS384', 'RS512',
  'PS256', 'PS384', 'PS512',
  'ES256', 'ES384', 'ES512',
  'EdDSA', 'Ed25519',
]);

export const DEFAULT_JWT_ALGORITHMS: readonly string[] = Object.freeze(['RS256', 'ES256', 'PS256', 'EdDSA']);

const DEFAULTS = {
  clockSkewSec: 30,
  cacheMax: 10_000,
  cacheMaxAgeMs: 300_000,
  fetchTimeoutMs: 2000,
  jwksCooldownMs: 30_000,
  jwksCacheMaxAgeMs: 600_000,
  jwksStaleIfErrorMs: 3_600_000,
  failureBackoffMs: 30_000,
} as const;

/**
 * The algorithm allow-list. Keys come from a JWKS, so only asymmetric
 * algorithms make sense: accepting HS* would let a token be MACed with the
 * issuer's *public* key (the RS256/HS256 confusion), and `none` is no
 * signature at all (RFC 8725 §2.1, §3.1).
 */
function checkAlgorithms(algorithms: readonly string[]): string[] {
  if (algorithms.length === 0) throw new TypeError('jwt verifier: algorithms must not be empty');
  for (const alg of algorithms) {
    if (alg.toLowerCase() === 'none' || /^HS\d+$/i.test(alg)) {
      throw new TypeError(`jwt verifier: algorithm ${alg} is refused with keys from a JWKS (RFC 8725 §3.1)`);
    }
    if (!ASYMMETRIC_ALGORITHMS.has(alg)) throw new TypeError(`jwt verifier: unknown algorithm ${alg}`);
  }
  return [...algorithms];
}

function checkDuration(name: string, value: number, allowZero: boolean): number {
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new RangeError(`jwt verifier: ${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, got ${value}`);
  }
  return value;
}

interface KeySourceOptions {
  fetchTimeoutMs: number;
  jwksCooldownMs: number;
  jwksCacheMaxAgeMs: number;
  jwksStaleIfErrorMs: number;
  failureBackoffMs: number;
}

/**
 * jose's remote key set, with the freshness policy kept here:
 * - jose is told that keys never expire (`cacheMaxAge: Infinity`), so that a
 *   stale key set is never a reason to fail a request; the age is read from
 *   the cache object jose updates after each successful fetch (`uat`);
 * - jwksCacheMaxAgeMs old: a refresh starts in the background and this
 *   request uses the keys at hand;
 * - jwksCacheMaxAgeMs + jwksStaleIfErrorMs old (or never fetched): the
 *   request waits for a refresh, and fails as unavailable if it fails;
 * - every JWKS fetch goes through `guardedFetch`, which refuses to call an
 *   endpoint that failed (network error, timeout, status other than 200) less
 *   than failureBackoffMs ago, so an outage (or a flood of tokens with
 *   made-up kids during one) costs no network round trips.
 * jose's own cooldown still bounds refetches on unknown kids when the
 * endpoint is up.
 */
function createKeySource(resolveJwksUrl: () => Promise<URL>, options: KeySourceOptions): JWTVerifyGetKey {
  const state: JWKSCacheInput = {};
  let remote: ReturnType<typeof createRemoteJWKSet> | undefined;
  let failedAt = Number.NEGATIVE_INFINITY;

  const guardedFetch: FetchImplementation = async (url, init) => {
    if (Date.now() - failedAt < options.failureBackoffMs) {
      throw new AuthServerError('unreachable', 'JWKS endpoint failed recently; not retried yet');
    }
    try {
      const response = await fetch(url, init);
      if (response.status !== 200) {
        failedAt = Date.now();
        // jose only reads the status of such an answer; release the connection
        await response.body?.cancel();
      }
      return response;
    } catch (error) {
      failedAt = Date.now();
      throw error;
    }
  };

  async function getRemote(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    if (remote !== undefined) return remote;
    const url = await resolveJwksUrl();
    remote ??= createRemoteJWKSet(url, {
      timeoutDuration: options.fetchTimeoutMs,
      cooldownDuration: options.jwksCooldownMs,
      cacheMaxAge: Number.POSITIVE_INFINITY,
      [jwksCache]: state,
      [customFetch]: guardedFetch,
    });
    return remote;
  }

  return async (header, token) => {
    try {
      const jwks = await getRemote();
      const age = 'uat' in state ? Date.now() - state.uat : Number.POSITIVE_INFINITY;
      if (age >= options.jwksCacheMaxAgeMs) {
        if (age >= options.jwksCacheMaxAgeMs + options.jwksStaleIfErrorMs) {
          await jwks.reload();
        } else if (!jwks.reloading) {
          // failures are recorded by guardedFetch; the keys at hand stay in use
          jwks.reload().catch(() => undefined);
        }
      }
      return await jwks(header, token);
    } catch (error) {
      throw classifyKeyError(error);
    }
  };
}

/**
 * Errors from looking a key up: "no such key" is about the token; anything
 * about fetching or reading the JWKS is about the server.
 */
function classifyKeyError(error: unknown): unknown {
  if (error instanceof AuthServerError) return error;
  if (
    error instanceof errors.JWKSNoMatchingKey ||
    error instanceof errors.JWKSMultipleMatchingKeys ||
    error instanceof errors.JOSEAlgNotAllowed ||
    error instanceof errors.JOSENotSupported
  ) {
    return error;
  }
  if (error instanceof errors.JWKSTimeout || isTimeout(error)) {
    return new AuthServerError('timeout', 'JWKS endpoint timed out', { cause: error });
  }
  if (error instanceof errors.JWKSInvalid) return new AuthServerError('bad_response', 'JWKS document is invalid', { cause: error });
  if (error instanceof errors.JOSEError) return new AuthServerError('bad_response', `JWKS: ${error.message}`, { cause: error });
  return new AuthServerError('unreachable', `JWKS: ${describeFault(error)}`, { cause: error });
}

/** A verification failure as an outcome; reasons are for logs only. */
function failureOutcome(error: unknown): AuthOutcome {
  if (error instanceof AuthServerError) return { result: 'unavailable', reason: error.message };
  const invalid = (reason: string): AuthOutcome => ({ result: 'invalid', reason, bearerError: 'invalid_token' });
  if (error instanceof errors.JWTExpired) return invalid('expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === 'missing') return invalid(`missing ${error.claim} claim`);
    switch (error.claim) {
      case 'nbf':
        return invalid('not yet valid');
      case 'iss':
        return invalid('wrong issuer');
      case 'aud':
        return invalid('wrong audience');
      case 'typ':
        return invalid('wrong token type');
      default:
        return invalid(`invalid ${error.claim} claim`);
    }
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return invalid('bad signature');
  if (error instanceof errors.JOSEAlgNotAllowed) return invalid('algorithm not allowed');
  if (error instanceof errors.JWKSNoMatchingKey) return invalid('unknown signing key');
  if (error instanceof errors.JWKSMultipleMatchingKeys) return invalid('ambiguous signing key');
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return invalid('malformed token');
  if (error instanceof errors.JOSENotSupported) return invalid('unsupported token');
  if (error instanceof errors.JOSEError) return invalid(error.code);
  throw error;
}

export function createJwtVerifier(options: JwtVerifierOptions): SchemeVerifier {
  const scheme = options.scheme;
  const allowInsecureHttp = options.allowInsecureHttp ?? false;
  const algorithms = checkAlgorithms(options.algorithms ?? DEFAULT_JWT_ALGORITHMS);
  if (options.audiences.length === 0 || options.audiences.some((aud) => aud === '')) {
    // without an audience check, any token of the issuer, for any API, would do (RFC 8725 §3.9)
    throw new TypeError(`jwt verifier ${scheme}: audiences must list at least one non-empty audience`);
  }
  const audiences = [...options.audiences];
  if (options.issuer === '') throw new TypeError(`jwt verifier ${scheme}: issuer must not be empty`);
  const clockSkewSec = checkDuration('clockSkewSec', options.clockSkewSec ?? DEFAULTS.clockSkewSec, true);
  const cacheMaxAgeMs = checkDuration('cacheMaxAgeMs', options.cacheMaxAgeMs ?? DEFAULTS.cacheMaxAgeMs, true);
  const keyOptions: KeySourceOptions = {
    // jose wants whole milliseconds
    fetchTimeoutMs: Math.ceil(checkDuration('fetchTimeoutMs', options.fetchTimeoutMs ?? DEFAULTS.fetchTimeoutMs, false)),
    jwksCooldownMs: checkDuration('jwksCooldownMs', options.jwksCooldownMs ?? DEFAULTS.jwksCooldownMs, true),
    jwksCacheMaxAgeMs: checkDuration('jwksCacheMaxAgeMs', options.jwksCacheMaxAgeMs ?? DEFAULTS.jwksCacheMaxAgeMs, true),
    jwksStaleIfErrorMs: checkDuration('jwksStaleIfErrorMs', options.jwksStaleIfErrorMs ?? DEFAULTS.jwksStaleIfErrorMs, true),
    failureBackoffMs: checkDuration('failureBackoffMs', options.failureBackoffMs ?? DEFAULTS.failureBackoffMs, true),
  };
  const scopeClaim = options.scopeClaim ?? 'scope';
  const rolesClaim = options.rolesClaim;
  const planClaim = options.planClaim;
  const requiredClaims = [...new Set(['exp', 'sub', ...(options.requiredClaims ?? [])])];

  let resolveJwksUrl: () => Promise<URL>;
  let resolveIssuer: () => Promise<string>;
  const { jwksUri, discoveryUrl } = options;
  if (jwksUri !== undefined && discoveryUrl === undefined) {
    const jwksUrl = parseEndpointUrl(jwksUri, allowInsecureHttp, `jwt verifier ${scheme}: jwksUri`);
    const issuer = options.issuer;
    if (issuer === undefined) throw new TypeError(`jwt verifier ${scheme}: issuer is required with jwksUri`);
    resolveJwksUrl = () => Promise.resolve(jwksUrl);
    resolveIssuer = () => Promise.resolve(issuer);
  } else if (discoveryUrl !== undefined && jwksUri === undefined) {
    const discovery = createDiscovery({
      url: discoveryUrl,
      issuer: options.issuer,
      timeoutMs: keyOptions.fetchTimeoutMs,
      failureBackoffMs: keyOptions.failureBackoffMs,
      allowInsecureHttp,
    });
    resolveJwksUrl = async () => parseDiscoveredUrl((await discovery.metadata()).jwks_uri, allowInsecureHttp, 'jwks_uri');
    resolveIssuer = async () => (await discovery.metadata()).issuer;
  } else {
    throw new TypeError(`jwt verifier ${scheme}: give exactly one of jwksUri and discoveryUrl`);
  }

  const getKey = createKeySource(resolveJwksUrl, keyOptions);
  const cache = createTokenCache<Principal>({ max: options.cacheMax ?? DEFAULTS.cacheMax });

  /** jose's exp rule (RFC 7519 §4.1.4 with tolerance), for cache hits */
  function isExpired(principal: Principal, now: number): boolean {
    return principal.expiresAt === null || principal.expiresAt / 1000 <= Math.floor(now / 1000) - clockSkewSec;
  }

  function accept(principal: Principal, request: AuthRequest): AuthOutcome {
    const unbound = checkConfirmation(principal.claims, request);
    if (unbound !== null) return { result: 'invalid', reason: unbound, bearerError: 'invalid_token' };
    return { result: 'authenticated', principal };
  }

  function toPrincipal(payload: JWTPayload): Principal | string {
    const { iss, sub, exp } = payload;
    if (typeof sub !== 'string' || sub === '') return 'malformed sub claim';
    if (typeof iss !== 'string' || typeof exp !== 'number') return 'malformed token';
    const claims = deepFreeze({ ...payload }) as Readonly<Record<string, unknown>>;
    return Object.freeze({
      id: `jwt:${iss}|${sub}`,
      subject: sub,
      method: 'jwt',
      scheme,
      scopes: Object.freeze(readScopes(claims, scopeClaim)),
      roles: Object.freeze(rolesClaim === undefined ? [] : readStringList(readClaim(claims, rolesClaim))),
      claims,
      plan: readPlan(claims, planClaim),
      expiresAt: exp * 1000,
    });
  }

  async function verify(token: string, request: AuthRequest): Promise<AuthOutcome> {
    let payload: JWTPayload;
    try {
      const issuer = await resolveIssuer();
      ({ payload } = await jwtVerify(token, getKey, {
        issuer,
        audience: audiences,
        algorithms,
        clockTolerance: clockSkewSec,
        requiredClaims,
        currentDate: new Date(request.now),
        typ: options.typ,
      }));
    } catch (error) {
      return failureOutcome(error);
    }
    const principal = toPrincipal(payload);
    if (typeof principal === 'string') return { result: 'invalid', reason: principal, bearerError: 'invalid_token' };
    const until = Math.min((principal.expiresAt ?? 0) + clockSkewSec * 1000, request.now + cacheMaxAgeMs);
    cache.set(token, principal, until, request.now);
    return accept(principal, request);
  }

  return {
    scheme,
    method: 'jwt',
    needsBody: false,
    authenticate(request) {
      const { token, outcome } = extractBearerToken(request);
      if (token === undefined) return outcome;
      // hot path: a token verified before is answered without awaiting anything
      const cached = cache.get(token, request.now);
      if (cached !== undefined) {
        if (isExpired(cached, request.now)) {
          cache.delete(token);
          return { result: 'invalid', reason: 'expired', bearerError: 'invalid_token' };
        }
        return accept(cached, request);
      }
      return verify(token, request);
    },
    challenge(error?: BearerError) {
      return bearerChallenge(scheme, error);
    },
    close() {
      cache.clear();
      return Promise.resolve();
    },
  };
}
