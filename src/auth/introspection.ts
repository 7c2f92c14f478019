/**
 * Opaque (or any) bearer tokens checked by asking the authorisation server:
 * OAuth 2.0 Token Introspection (RFC 7662), for `oauth2` and
 * `openIdConnect` security schemes whose tokens the gateway cannot read.
 *
 * The request, client_secret_basic authentication (RFC 6749 §2.3.1 form
 * encoding of id and secret), the timeout and the response checks are
 * openid-client's `tokenIntrospection()`; the endpoint comes from
 * configuration or from discovery (`introspection_endpoint`).
 *
 * Answers are cached by SHA-256 of the token:
 * - active: until the token's exp, at most `positiveCacheMaxAgeMs` (60 s by
 *   default; that is also how long a revoked token can go on working);
 * - inactive or refused: `negativeCacheTtlMs` (10 s), so that a client
 *   retrying a bad token does not turn into a flood at the server.
 * When the server is down or slow, cached active tokens still pass until
 * their cache entry expires; any other token gets `unavailable` (the gateway
 * answers 503, not 401: the token may well be good). Concurrent requests
 * with the same token share one introspection call.
 */
import { ClientSecretBasic, Configuration, ResponseBodyError, WWWAuthenticateChallengeError, allowInsecureRequests, tokenIntrospection } from 'openid-client';
import type { ServerMetadata } from 'openid-client';
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
import { createTokenCache, tokenDigest } from './token-cache.ts';

export interface IntrospectionVerifierOptions {
  /** key of components.securitySchemes; also the challenge realm */
  scheme: string;
  /** the introspection endpoint (exactly one of introspectionUrl and discoveryUrl) */
  introspectionUrl?: string;
  /** OpenID Connect discovery URL; `introspection_endpoint` and `issuer` come from it */
  discoveryUrl?: string;
  /** this gateway's client at the authorisation server (client_secret_basic) */
  clientId: string;
  clientSecret: string;
  /**
   * when the response has `iss`, it must be this; with discoveryUrl and no
   * issuer, the discovered issuer
   */
  issuer?: string;
  /** when set and the response has `aud`, one of these must be in it */
  audiences?: readonly string[];
  /** tolerance for exp and nbf, in seconds; default 30 */
  clockSkewSec?: number;
  /** timeout of the introspection (and discovery) request; default 2000 */
  fetchTimeoutMs?: number;
  /** cached answers; default 10_000 */
  cacheMax?: number;
  /** longest time an active answer is reused; default 60_000 */
  positiveCacheMaxAgeMs?: number;
  /** how long an inactive or refused token is remembered; default 10_000 */
  negativeCacheTtlMs?: number;
  /** default 'scope', then 'scp' */
  scopeClaim?: string;
  rolesClaim?: string;
  planClaim?: string;
  /** after a failed discovery, no new attempt before this many ms; default 30_000 */
  failureBackoffMs?: number;
  /** allow http:// endpoints on hosts other than loopback; default false */
  allowInsecureHttp?: boolean;
}

const DEFAULTS = {
  clockSkewSec: 30,
  fetchTimeoutMs: 2000,
  cacheMax: 10_000,
  positiveCacheMaxAgeMs: 60_000,
  negativeCacheTtlMs: 10_000,
  failureBackoffMs: 30_000,
} as const;

/**
 * `token_type` values that mean an access token usable as a bearer token
 * (RFC 7662 §2.2 refers to RFC 6749 §7.1 types). A DPoP-bound token, a
 * refresh token or anything else is not one.
 */
const BEARER_TOKEN_TYPES: ReadonlySet<string> = new Set(['bearer', 'access_token', 'urn:ietf:params:oauth:token-type:access_token']);

type Verdict = { active: true; principal: Principal } | { active: false; reason: string };

function checkNumber(name: string, value: number, allowZero: boolean): number {
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new RangeError(`introspection verifier: ${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, got ${value}`);
  }
  return value;
}

/** A failed introspection call: a refusal of the token, or a fault of the server. */
function classifyCallError(error: unknown): Verdict | AuthServerError {
  if (isTimeout(error)) return new AuthServerError('timeout', 'introspection endpoint timed out', { cause: error });
  if (error instanceof ResponseBodyError) {
    // RFC 6749 §5.2: a 400 other than invalid_client is about the request,
    // i.e. the token (oidc-provider: unsupported_token_type for a JWT)
    if (error.status === 400 && error.error !== 'invalid_client') return { active: false, reason: `introspection refused the token (${error.error})` };
    return new AuthServerError('bad_response', `introspection endpoint answered ${error.status} ${error.error}`, { cause: error });
  }
  if (error instanceof WWWAuthenticateChallengeError) {
    return new AuthServerError('bad_response', `introspection endpoint answered ${error.status} with a challenge`, { cause: error });
  }
  if (error instanceof TypeError) return new AuthServerError('unreachable', `introspection: ${describeFault(error)}`, { cause: error });
  return new AuthServerError('bad_response', `introspection: ${describeFault(error)}`, { cause: error });
}

export function createIntrospectionVerifier(options: IntrospectionVerifierOptions): SchemeVerifier {
  const scheme = options.scheme;
  const allowInsecureHttp = options.allowInsecureHttp ?? false;
  if (options.clientId === '') throw new TypeError(`introspection verifier ${scheme}: clientId must not be empty`);
  if (options.clientSecret === '') throw new TypeError(`introspection verifier ${scheme}: clientSecret must not be empty`);
  const clockSkewSec = checkNumber('clockSkewSec', options.clockSkewSec ?? DEFAULTS.clockSkewSec, true);
  const fetchTimeoutMs = checkNumber('fetchTimeoutMs', options.fetchTimeoutMs ?? DEFAULTS.fetchTimeoutMs, false);
  const positiveCacheMaxAgeMs = checkNumber('positiveCacheMaxAgeMs', options.positiveCacheMaxAgeMs ?? DEFAULTS.positiveCacheMaxAgeMs, true);
  const negativeCacheTtlMs = checkNumber('negativeCacheTtlMs', options.negativeCacheTtlMs ?? DEFAULTS.negativeCacheTtlMs, true);
  const failureBackoffMs = checkNumber('failureBackoffMs', options.failureBackoffMs ?? DEFAULTS.failureBackoffMs, true);
  const audiences = options.audiences === undefined ? undefined : new Set(options.audiences);
  if (audiences !== undefined && audiences.size === 0) {
    throw new TypeError(`introspection verifier ${scheme}: audiences, when given, must not be empty`);
  }
  const scopeClaim = options.scopeClaim ?? 'scope';
  const { rolesClaim, planClaim } = options;

  let resolveServer: () => Promise<{ metadata: ServerMetadata; endpoint: URL }>;
  const { introspectionUrl, discoveryUrl } = options;
  if (introspectionUrl !== undefined && discoveryUrl === undefined) {
    const endpoint = parseEndpointUrl(introspectionUrl, allowInsecureHttp, `introspection verifier ${scheme}: introspectionUrl`);
    // openid-client needs an issuer in the metadata; it only compares it for JWT-signed responses
    const metadata: ServerMetadata = { issuer: options.issuer ?? endpoint.origin, introspection_endpoint: endpoint.href };
    resolveServer = () => Promise.resolve({ metadata, endpoint });
  } else if (discoveryUrl !== undefined && introspectionUrl === undefined) {
    const discovery = createDiscovery({ url: discoveryUrl, issuer: options.issuer, timeoutMs: fetchTimeoutMs, failureBackoffMs, allowInsecureHttp });
    resolveServer = async () => {
      const metadata = await discovery.metadata();
      return { metadata, endpoint: parseDiscoveredUrl(metadata.introspection_endpoint, allowInsecureHttp, 'introspection_endpoint') };
    };
  } else {
    throw new TypeError(`introspection verifier ${scheme}: give exactly one of introspectionUrl and discoveryUrl`);
  }

  let configuration: Promise<{ config: Configuration; issuer: string | undefined }> | undefined;
  function getConfiguration(): Promise<{ config: Configuration; issuer: string | undefined }> {
    configuration ??= resolveServer().then(
      ({ metadata, endpoint }) => {
        const config = new Configuration(metadata, options.clientId, undefined, ClientSecretBasic(options.clientSecret));
        // openid-client counts in seconds
        config.timeout = fetchTimeoutMs / 1000;
        if (endpoint.protocol === 'http:') allowInsecureRequests(config);
        const issuer = options.issuer ?? (discoveryUrl !== undefined ? metadata.issuer : undefined);
        return { config, issuer };
      },
      (error: unknown) => {
        // discovery keeps its own backoff; forget the failure so the next request asks it again
        configuration = undefined;
        throw error;
      },
    );
    return configuration;
  }

  const cache = createTokenCache<Verdict>({ max: options.cacheMax ?? DEFAULTS.cacheMax });
  const inflight = new Map<string, Promise<Verdict>>();

  function nowSec(now: number): number {
    return Math.floor(now / 1000);
  }

  /** RFC 7662 §4: the resource server checks what the response says about the token. */
  function judge(response: Readonly<Record<string, unknown>>, issuer: string | undefined, now: number): Verdict {
    if (response['active'] !== true) return { active: false, reason: 'inactive token' };
    const { exp, nbf, iss, aud, sub, client_id: clientId, token_type: tokenType } = response;
    if (exp !== undefined && (typeof exp !== 'number' || exp <= nowSec(now) - clockSkewSec)) return { active: false, reason: 'expired' };
    if (nbf !== undefined && (typeof nbf !== 'number' || nbf > nowSec(now) + clockSkewSec)) return { active: false, reason: 'not yet valid' };
    if (iss !== undefined && issuer !== undefined && iss !== issuer) return { active: false, reason: 'wrong issuer' };
    if (aud !== undefined && audiences !== undefined && !readStringList(typeof aud === 'string' ? [aud] : aud).some((a) => audiences.has(a))) {
      return { active: false, reason: 'wrong audience' };
    }
    if (tokenType !== undefined && (typeof tokenType !== 'string' || !BEARER_TOKEN_TYPES.has(tokenType.toLowerCase()))) {
      return { active: false, reason: 'not a bearer access token' };
    }
    // client-credentials tokens often have no sub: the client is the subject
    const subject = typeof sub === 'string' && sub !== '' ? sub : typeof clientId === 'string' && clientId !== '' ? clientId : undefined;
    if (subject === undefined) return { active: false, reason: 'no subject' };
    const claims = deepFreeze({ ...response });
    const principal: Principal = Object.freeze({
      id: `introspection:${subject}`,
      subject,
      method: 'introspection',
      scheme,
      scopes: Object.freeze(readScopes(claims, scopeClaim)),
      roles: Object.freeze(rolesClaim === undefined ? [] : readStringList(readClaim(claims, rolesClaim))),
      claims,
      plan: readPlan(claims, planClaim),
      expiresAt: typeof exp === 'number' ? exp * 1000 : null,
    });
    return { active: true, principal };
  }

  async function introspect(token: string, now: number): Promise<Verdict> {
    let verdict: Verdict;
    try {
      const { config, issuer } = await getConfiguration();
      let response: Readonly<Record<string, unknown>>;
      try {
        response = await tokenIntrospection(config, token, { token_type_hint: 'access_token' });
      } catch (error) {
        const classified = classifyCallError(error);
        if (classified instanceof AuthServerError) throw classified;
        verdict = classified;
        cache.set(token, verdict, now + negativeCacheTtlMs, now);
        return verdict;
      }
      verdict = judge(response, issuer, now);
    } catch (error) {
      if (error instanceof AuthServerError) throw error;
      throw new AuthServerError('bad_response', `introspection: ${describeFault(error)}`, { cause: error });
    }
    if (verdict.active) {
      const expiresAt = verdict.principal.expiresAt ?? Number.POSITIVE_INFINITY;
      cache.set(token, verdict, Math.min(expiresAt, now + positiveCacheMaxAgeMs), now);
    } else {
      cache.set(token, verdict, now + negativeCacheTtlMs, now);
    }
    return verdict;
  }

  function outcomeOf(verdict: Verdict, request: AuthRequest): AuthOutcome {
    if (!verdict.active) return { result: 'invalid', reason: verdict.reason, bearerError: 'invalid_token' };
    const { principal } = verdict;
    // re-checked on every use: a cached or shared answer may be older than this request
    if (principal.expiresAt !== null && principal.expiresAt / 1000 <= nowSec(request.now) - clockSkewSec) {
      return { result: 'invalid', reason: 'expired', bearerError: 'invalid_token' };
    }
    const unbound = checkConfirmation(principal.claims, request);
    if (unbound !== null) return { result: 'invalid', reason: unbound, bearerError: 'invalid_token' };
    return { result: 'authenticated', principal };
  }

  async function verify(token: string, request: AuthRequest): Promise<AuthOutcome> {
    const key = tokenDigest(token);
    let pending = inflight.get(key);
    if (pending === undefined) {
      pending = introspect(token, request.now).finally(() => inflight.delete(key));
      inflight.set(key, pending);
    }
    try {
      return outcomeOf(await pending, request);
    } catch (error) {
      if (error instanceof AuthServerError) return { result: 'unavailable', reason: error.message };
      throw error;
    }
  }

  return {
    scheme,
    method: 'introspection',
    needsBody: false,
    authenticate(request) {
      const { token, outcome } = extractBearerToken(request);
      if (token === undefined) return outcome;
      // hot path: a known token is answered without awaiting anything
      const cached = cache.get(token, request.now);
      if (cached !== undefined) return outcomeOf(cached, request);
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
