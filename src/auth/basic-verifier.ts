/**
 * HTTP Basic authentication (RFC 7617) against users configured in the
 * policy, with scrypt password hashes (password-hash.ts).
 *
 * - `Authorization: Basic <base64(user-id ":" password)>`, the credentials
 *   decoded as UTF-8 (we announce charset="UTF-8", RFC 7617 §2.1) and
 *   normalised to NFC; the user-id cannot contain ':' (§2), neither part
 *   control characters. Malformed base64 or UTF-8 is refused, not repaired.
 * - Two Authorization fields: invalid (the gateway must not check one copy
 *   while the upstream reads the other).
 * - An unknown user name costs one scrypt computation against a dummy hash,
 *   as a known one does: response times do not tell which names exist.
 *
 * scrypt runs on libuv's thread pool (4 threads by default), which DNS
 * lookups and file I/O share. A flood of wrong passwords must not starve
 * them: at most `maxConcurrentHashes` computations run at once and at most
 * `maxQueuedHashes` wait; beyond that the outcome is `unavailable` (503).
 *
 * Successful checks are cached for `cacheMs` (60 s by default), keyed by an
 * HMAC of user and password under a random per-verifier key, so that a
 * client sending the same credentials on every request pays scrypt once a
 * minute. The cost: within that time a memory dump of the process gives a
 * fast-to-test digest of recent passwords. Set `cacheMs: 0` to turn it off.
 * The users list is fixed for the verifier's life: a change of password
 * comes with a policy reload, which builds a new verifier with an empty cache.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { deepFreeze } from './bearer-token.ts';
import { readHeaderOnce } from './credential-location.ts';
import { dummyPasswordHash, parsePasswordHash, verifyPassword } from './password-hash.ts';
import type { ParsedPasswordHash } from './password-hash.ts';
import { createTokenCache } from './token-cache.ts';
import type { AuthOutcome, AuthRequest, Principal, SchemeVerifier } from './types.ts';

export { hashPassword, verifyPassword } from './password-hash.ts';

export interface BasicUser {
  name: string;
  /** `scrypt$N$r$p$salt$hash` (hashPassword, `apiwarden hash-password`) */
  passwordHash: string;
  scopes?: readonly string[];
  roles?: readonly string[];
  plan?: string | null;
}

export interface BasicVerifierOptions {
  /** key of components.securitySchemes */
  scheme: string;
  /** the realm of the challenge; default the scheme name */
  realm?: string;
  users: readonly BasicUser[];
  /** how long a successful check is remembered, ms; default 60,000; 0 disables */
  cacheMs?: number;
  /** remembered successes at most; default 1,000 */
  cacheMax?: number;
  /** scrypt computations at once; default 2 (of libuv's 4 threads) */
  maxConcurrentHashes?: number;
  /** computations waiting for a slot; default 64, beyond which the outcome is unavailable */
  maxQueuedHashes?: number;
}

const MISSING: AuthOutcome = Object.freeze({ result: 'missing' });
/** RFC 7617 §2: token68 of the standard base64 alphabet, with padding */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const CONTROL = /[\x00-\x1f\x7f]/;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

interface User {
  principal: Principal;
  hash: ParsedPasswordHash;
}

function invalid(reason: string): AuthOutcome {
  return { result: 'invalid', reason };
}

/** RFC 9110 §5.6.4 quoted-string */
function quote(text: string): string {
  return `"${text.replace(/[\\"]/g, '\\$&')}"`;
}

export type BasicCredentials = { user: string; password: string } | { outcome: AuthOutcome };

/**
 * The user-id and password of a request, or the outcome when there are none
 * to check: `missing` without an Authorization field or with another scheme
 * (so that another scheme of the operation can take it), `invalid` when it
 * is Basic but malformed or repeated.
 */
export function extractBasicCredentials(request: Pick<AuthRequest, 'rawHeaders'>): BasicCredentials {
  const read = readHeaderOnce(request.rawHeaders, 'authorization');
  if (read.found === 'duplicate') {
    return { outcome: { result: 'invalid', reason: 'more than one Authorization header', bearerError: 'invalid_request' } };
  }
  if (read.found === 'none') return { outcome: MISSING };
  const { value } = read;
  const space = value.indexOf(' ');
  const scheme = space === -1 ? value : value.slice(0, space);
  // RFC 9110 §11.1: the scheme name is case-insensitive
  if (scheme.toLowerCase() !== 'basic') return { outcome: MISSING };
  // RFC 9110 §11.3: credentials = auth-scheme [ 1*SP ( token68 / ... ) ]
  const token = space === -1 ? '' : value.slice(space + 1).replace(/^ +/, '');
  if (token === '') return { outcome: invalid('empty basic credentials') };
  if (!BASE64.test(token)) return { outcome: invalid('malformed basic credentials (not base64)') };
  const bytes = Buffer.from(token, 'base64');
  // non-zero padding bits: another spelling of the same bytes
  if (bytes.toString('base64') !== token) return { outcome: invalid('malformed basic credentials (not canonical base64)') };
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    return { outcome: invalid('basic credentials are not UTF-8') };
  }
  const colon = text.indexOf(':');
  if (colon === -1) return { outcome: invalid('basic credentials without ":"') };
  const user = text.slice(0, colon).normalize('NFC');
  const password = text.slice(colon + 1);
  if (user === '') return { outcome: invalid('basic credentials with an empty user-id') };
  if (CONTROL.test(user) || CONTROL.test(password)) return { outcome: invalid('basic credentials with control characters') };
  return { user, password };
}

/** A counting semaphore with a bounded queue; acquire() gives false when the queue is full. */
function createLimiter(concurrency: number, maxQueued: number) {
  let running = 0;
  const waiting: Array<() => void> = [];
  return {
    async acquire(): Promise<boolean> {
      if (running < concurrency) {
        running++;
        return true;
      }
      if (waiting.length >= maxQueued) return false;
      await new Promise<void>((resolve) => waiting.push(resolve));
      return true;
    },
    release(): void {
      const next = waiting.shift();
      // the slot passes straight to the next waiter: running is unchanged
      if (next) next();
      else running--;
    },
  };
}

export function createBasicVerifier(options: BasicVerifierOptions): SchemeVerifier {
  const { scheme } = options;
  const realm = options.realm ?? scheme;
  const users = new Map<string, User>();
  for (const entry of options.users) {
    const name = typeof entry.name === 'string' ? entry.name.normalize('NFC') : '';
    if (name === '' || name.includes(':') || CONTROL.test(name)) {
      throw new TypeError(`basic user "${String(entry.name)}": a user name is non-empty, without ':' or control characters (RFC 7617 §2)`);
    }
    if (users.has(name)) throw new TypeError(`basic user "${name}" is listed twice`);
    let hash: ParsedPasswordHash;
    try {
      hash = parsePasswordHash(entry.passwordHash);
    } catch (error) {
      throw new TypeError(`basic user "${name}": ${(error as Error).message}`, { cause: error });
    }
    users.set(name, {
      hash,
      principal: deepFreeze({
        id: `basic:${name}`,
        subject: name,
        method: 'basic',
        scheme,
        scopes: [...(entry.scopes ?? [])],
        roles: [...(entry.roles ?? [])],
        claims: { user: name },
        plan: entry.plan ?? null,
        expiresAt: null,
      }),
    });
  }
  // Unknown names are checked against a hash with the parameters of the
  // first user, the cost the configured hashes most likely have.
  const dummy = dummyPasswordHash(users.values().next().value?.hash.params);

  const cacheMs = options.cacheMs ?? 60_000;
  const cache = cacheMs > 0 ? createTokenCache<Principal>({ max: options.cacheMax ?? 1_000 }) : null;
  const cacheKey = randomBytes(32);
  const limiter = createLimiter(options.maxConcurrentHashes ?? 2, options.maxQueuedHashes ?? 64);
  const challenge = `Basic realm=${quote(realm)}, charset="UTF-8"`;

  async function check(user: string, password: string, digest: string | null, now: number): Promise<AuthOutcome> {
    const known = users.get(user);
    if (!(await limiter.acquire())) return { result: 'unavailable', reason: 'too many password checks at once' };
    let isMatch: boolean;
    try {
      isMatch = await verifyPassword(password, known?.hash ?? dummy);
    } finally {
      limiter.release();
    }
    if (!known || !isMatch) return invalid(known ? 'wrong password' : 'unknown user');
    if (cache && digest !== null) cache.set(digest, known.principal, now + cacheMs, now);
    return { result: 'authenticated', principal: known.principal };
  }

  return {
    scheme,
    method: 'basic',
    needsBody: false,
    authenticate(request: AuthRequest) {
      const credentials = extractBasicCredentials(request);
      if ('outcome' in credentials) return credentials.outcome;
      const { user, password } = credentials;
      let digest: string | null = null;
      if (cache) {
        // hot path: a client that sent these credentials a moment ago
        digest = createHmac('sha256', cacheKey).update(user).update('\0').update(password).digest('base64url');
        const principal = cache.get(digest, request.now);
        if (principal !== undefined) return { result: 'authenticated', principal };
      }
      return check(user, password, digest, request.now);
    },
    challenge() {
      return challenge;
    },
  };
}
