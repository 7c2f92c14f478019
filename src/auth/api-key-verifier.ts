/**
 * The verifier of OpenAPI `apiKey` security schemes, against the keys in an
 * ApiKeyStore (`apiwarden keys create`).
 *
 * The key is read from exactly where the scheme declares it (`in` + `name`,
 * OpenAPI 3.1 §4.8.27) and nowhere else; two copies there are refused
 * (credential-location.ts).
 *
 * Valid keys are cached for `cacheMs` (5 s by default), so that the store is
 * not read on every request. The price: a revoked key goes on being accepted
 * by a running gateway for at most `cacheMs` after `keys revoke`. Expiry is
 * checked on every request, cached or not. Refusals are not cached: a key
 * created a moment ago works at once.
 */
import type { ApiKeyRecord, ApiKeyStore } from './api-key-store.ts';
import { isApiKeyFormat } from './api-key-store.ts';
import { deepFreeze } from './bearer-token.ts';
import { readCredential } from './credential-location.ts';
import type { CredentialLocation } from './credential-location.ts';
import { createTokenCache } from './token-cache.ts';
import type { AuthOutcome, AuthRequest, Principal, SchemeVerifier } from './types.ts';

export interface ApiKeyVerifierOptions {
  /** key of components.securitySchemes */
  scheme: string;
  /** where the scheme says the key is */
  in: CredentialLocation;
  /** the header, query parameter or cookie name */
  name: string;
  store: ApiKeyStore;
  /** how long a valid key is trusted without asking the store again, ms; default 5,000; 0 disables */
  cacheMs?: number;
  /** cached keys at most; default 10,000 */
  cacheMax?: number;
}

const MISSING: AuthOutcome = Object.freeze({ result: 'missing' });

function principalOf(scheme: string, record: ApiKeyRecord): Principal {
  return deepFreeze({
    id: `apikey:${record.id}`,
    subject: record.owner,
    method: 'apiKey',
    scheme,
    scopes: [...record.scopes],
    roles: [...record.roles],
    claims: { keyId: record.id, owner: record.owner },
    plan: record.plan,
    expiresAt: record.expiresAt,
  });
}

export function createApiKeyVerifier(options: ApiKeyVerifierOptions): SchemeVerifier {
  const { scheme, store } = options;
  const location = options.in;
  const name = options.name;
  if (!['header', 'query', 'cookie'].includes(location)) throw new TypeError(`apiKey 'in' must be header, query or cookie, got ${String(location)}`);
  if (typeof name !== 'string' || name === '') throw new TypeError("apiKey 'name' must be a non-empty string");
  const cacheMs = options.cacheMs ?? 5_000;
  if (!Number.isFinite(cacheMs) || cacheMs < 0) throw new RangeError(`cacheMs must be >= 0, got ${cacheMs}`);
  const cache = cacheMs > 0 ? createTokenCache<Principal>({ max: options.cacheMax ?? 10_000 }) : null;

  async function fromStore(key: string, now: number): Promise<AuthOutcome> {
    let result;
    try {
      result = await store.check(key, now);
    } catch (error) {
      // The key is not in the message: the store never puts it there.
      return { result: 'unavailable', reason: `api key store: ${(error as Error).message}` };
    }
    if (!result.ok) return { result: 'invalid', reason: `${result.reason} api key` };
    const principal = principalOf(scheme, result.record);
    if (cache) {
      const until = principal.expiresAt === null ? now + cacheMs : Math.min(now + cacheMs, principal.expiresAt);
      cache.set(key, principal, until, now);
    }
    return { result: 'authenticated', principal };
  }

  return {
    scheme,
    method: 'apiKey',
    needsBody: false,
    authenticate(request: AuthRequest) {
      const read = readCredential(request, location, name);
      if (read.found === 'none') return MISSING;
      if (read.found === 'duplicate') return { result: 'invalid', reason: 'duplicate credential', bearerError: 'invalid_request' };
      const key = read.value;
      if (!isApiKeyFormat(key)) return { result: 'invalid', reason: 'malformed api key' };
      // hot path: a cached key answers without a promise. The cache entry
      // never outlives the key's expiry (see fromStore).
      const cached = cache?.get(key, request.now);
      if (cached !== undefined) return { result: 'authenticated', principal: cached };
      return fromStore(key, request.now);
    },
    challenge() {
      return null;
    },
  };
}
