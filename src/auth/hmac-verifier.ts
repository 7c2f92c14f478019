/**
 * HMAC request signatures: the client proves it holds a shared secret by
 * signing the request, which also protects the method, target and body from
 * being changed on the way.
 *
 * ## The scheme (AW-HMAC-SHA256)
 *
 *     Authorization: AW-HMAC-SHA256 keyId=<client id>, ts=<unix seconds>, nonce=<random>, sig=<base64url>
 *
 * - keyId: the client id as configured (RFC 9110 token characters);
 * - ts: the signing time, whole seconds since the epoch (UTC);
 * - nonce: a fresh random value for every request, 16 to 128 characters of
 *   base64url (e.g. 16 random bytes in base64url);
 * - sig: base64url (no padding) of
 *
 *       HMAC-SHA256(secret, method + "\n" + target + "\n" + ts + "\n" + nonce + "\n" + hex(SHA-256(body)))
 *
 *   where method is the request method as sent (upper case for the
 *   standard ones), target is the path and query as sent on the request
 *   line (`/v1/orders?limit=10`; no '?' when there is no query), and the body
 *   digest is lower-case hex (SHA-256 of nothing when there is no body:
 *   e3b0c442…b855).
 *
 * The gateway rebuilds the target from the canonical path and the raw query
 * (src/http/canonical.ts): for the paths clients normally send they are the
 * same. A client that sends needless escapes (`%7E` for `~`, lower-case hex)
 * must sign the canonical form. The parameters are separated by ',' and
 * optional spaces, each exactly once, in any order; values are not quoted.
 *
 * ## Checks
 *
 * 1. ts within ±replayWindowMs (5 minutes by default) of the gateway's clock;
 * 2. the signature, compared in constant time (timingSafeEqual on the two
 *    32-byte MACs); an unknown keyId costs an HMAC under a dummy secret too;
 * 3. the nonce not seen before for this client within the window. Nonces
 *    are remembered in memory by this process only, until ts + window (a
 *    request with an older ts is refused by check 1 anyway). Several gateway
 *    instances behind one load balancer each keep their own nonces: a
 *    captured request can be replayed once against every other instance
 *    within the window, until nonces go to the shared store (Redis).
 *    The memory is bounded (`maxNonces`); when it is full of live nonces,
 *    new requests get `unavailable` rather than evicting a live nonce, which
 *    would reopen a replay.
 *
 * Not covered by the signature: the Host and other headers. Clients that
 * share one secret across several gateways' hosts rely on the nonce check
 * of each instance only.
 *
 * `signRequest` computes the header for clients and tests.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { isToken, trimOws } from '../http/syntax.ts';
import { deepFreeze } from './bearer-token.ts';
import { readHeaderOnce } from './credential-location.ts';
import type { AuthOutcome, AuthRequest, Principal, SchemeVerifier } from './types.ts';

export const HMAC_SCHEME = 'AW-HMAC-SHA256';

export interface HmacClient {
  id: string;
  /** the shared secret, at least 32 bytes (UTF-8) */
  secret: string;
  scopes?: readonly string[];
  roles?: readonly string[];
  plan?: string | null;
}

export interface HmacVerifierOptions {
  /** key of components.securitySchemes */
  scheme: string;
  clients: readonly HmacClient[];
  /** accepted distance between ts and the gateway clock, ms; default 300,000 */
  replayWindowMs?: number;
  /** header that carries the signature, case-insensitive; default 'authorization' */
  header?: string;
  /** nonces remembered at most; default 100,000 */
  maxNonces?: number;
}

export interface SignRequestInput {
  keyId: string;
  secret: string;
  method: string;
  /** path and query as sent: '/v1/orders?limit=10' */
  target: string;
  body?: string | Uint8Array | null;
  /** epoch ms; default Date.now() */
  now?: number;
  /** default 16 random bytes in base64url */
  nonce?: string;
}

const MIN_SECRET_BYTES = 32;
const NONCE = /^[A-Za-z0-9_-]{16,128}$/;
const TS = /^[0-9]{1,12}$/;
/** 32 bytes in base64url without padding */
const SIG = /^[A-Za-z0-9_-]{43}$/;
const EMPTY_BODY_SHA256 = createHash('sha256').digest('hex');
const MISSING: AuthOutcome = Object.freeze({ result: 'missing' });

/** The string that is signed (see the module comment). */
export function stringToSign(method: string, target: string, ts: string, nonce: string, body: Uint8Array | string | null | undefined): string {
  const bodyHash = body === null || body === undefined || body.length === 0 ? EMPTY_BODY_SHA256 : createHash('sha256').update(body).digest('hex');
  return `${method}\n${target}\n${ts}\n${nonce}\n${bodyHash}`;
}

function mac(secret: string | Buffer, text: string): Buffer {
  return createHmac('sha256', secret).update(text, 'utf8').digest();
}

/** The Authorization value for a request: `AW-HMAC-SHA256 keyId=…, ts=…, nonce=…, sig=…`. */
export function signRequest(input: SignRequestInput): string {
  const ts = String(Math.floor((input.now ?? Date.now()) / 1000));
  const nonce = input.nonce ?? randomBytes(16).toString('base64url');
  const sig = mac(input.secret, stringToSign(input.method, input.target, ts, nonce, input.body)).toString('base64url');
  return `${HMAC_SCHEME} keyId=${input.keyId}, ts=${ts}, nonce=${nonce}, sig=${sig}`;
}

interface SignatureParams {
  keyId: string;
  ts: string;
  nonce: string;
  sig: string;
}

/** The parameters of an AW-HMAC-SHA256 credential, or the reason it is malformed. */
export function parseSignatureParams(text: string): SignatureParams | string {
  const found = new Map<string, string>();
  for (const part of text.split(',')) {
    const item = trimOws(part);
    const eq = item.indexOf('=');
    if (eq <= 0) return 'malformed signature parameters';
    const name = item.slice(0, eq);
    const value = item.slice(eq + 1);
    if (!['keyId', 'ts', 'nonce', 'sig'].includes(name)) return `unknown signature parameter ${JSON.stringify(name.slice(0, 20))}`;
    if (found.has(name)) return `signature parameter ${name} given twice`;
    found.set(name, value);
  }
  const keyId = found.get('keyId');
  const ts = found.get('ts');
  const nonce = found.get('nonce');
  const sig = found.get('sig');
  if (keyId === undefined || ts === undefined || nonce === undefined || sig === undefined) return 'signature parameters keyId, ts, nonce and sig are all required';
  if (!isToken(keyId)) return 'malformed keyId';
  if (!TS.test(ts)) return 'malformed ts';
  if (!NONCE.test(nonce)) return 'malformed nonce (16 to 128 base64url characters)';
  if (!SIG.test(sig)) return 'malformed sig (32 bytes in base64url)';
  return { keyId, ts, nonce, sig };
}

/**
 * Nonces seen, each until its deadline. Deadlines follow ts, not arrival, so
 * they are only roughly in insertion order: the oldest entries are swept
 * from the front as they expire, and a full sweep runs when the map is full.
 */
function createNonceMemory(max: number) {
  const seen = new Map<string, number>();
  function sweepFront(now: number): void {
    for (const [key, until] of seen) {
      if (until > now) return;
      seen.delete(key);
    }
  }
  function sweepAll(now: number): void {
    for (const [key, until] of seen) if (until <= now) seen.delete(key);
  }
  return {
    /** 'fresh' when recorded now, 'replay' when seen and still live, 'full' when there is no room */
    record(key: string, until: number, now: number): 'fresh' | 'replay' | 'full' {
      sweepFront(now);
      const previous = seen.get(key);
      if (previous !== undefined && previous > now) return 'replay';
      if (seen.size >= max) {
        sweepAll(now);
        if (seen.size >= max) return 'full';
      }
      seen.set(key, until);
      return 'fresh';
    },
    get size() {
      return seen.size;
    },
  };
}

/** A SchemeVerifier that decides synchronously. */
export type HmacVerifier = Omit<SchemeVerifier, 'authenticate'> & { authenticate(request: AuthRequest): AuthOutcome };

export function createHmacVerifier(options: HmacVerifierOptions): HmacVerifier {
  const { scheme } = options;
  const windowMs = options.replayWindowMs ?? 300_000;
  if (!Number.isFinite(windowMs) || windowMs <= 0) throw new RangeError(`replayWindowMs must be > 0, got ${windowMs}`);
  const header = (options.header ?? 'authorization').toLowerCase();
  if (!isToken(header)) throw new TypeError(`"${header}" is not a header name`);
  const clients = new Map<string, { secret: Buffer; principal: Principal }>();
  for (const client of options.clients) {
    if (typeof client.id !== 'string' || !isToken(client.id)) {
      throw new TypeError(`hmac client id "${String(client.id)}" must be a token (letters, digits and !#$%&'*+-.^_\`|~)`);
    }
    if (clients.has(client.id)) throw new TypeError(`hmac client "${client.id}" is listed twice`);
    const secret = Buffer.from(typeof client.secret === 'string' ? client.secret : '', 'utf8');
    // the message names the client, never the secret
    if (secret.length < MIN_SECRET_BYTES) throw new TypeError(`hmac client "${client.id}": the secret must be at least ${MIN_SECRET_BYTES} bytes`);
    clients.set(client.id, {
      secret,
      principal: deepFreeze({
        id: `hmac:${client.id}`,
        subject: client.id,
        method: 'hmac',
        scheme,
        scopes: [...(client.scopes ?? [])],
        roles: [...(client.roles ?? [])],
        claims: { keyId: client.id },
        plan: client.plan ?? null,
        expiresAt: null,
      }),
    });
  }
  const dummySecret = randomBytes(MIN_SECRET_BYTES);
  const nonces = createNonceMemory(options.maxNonces ?? 100_000);

  return {
    scheme,
    method: 'hmac',
    needsBody: true,
    authenticate(request: AuthRequest): AuthOutcome {
      const read = readHeaderOnce(request.rawHeaders, header);
      if (read.found === 'duplicate') return { result: 'invalid', reason: `more than one ${header} header`, bearerError: 'invalid_request' };
      if (read.found === 'none') return MISSING;
      const { value } = read;
      const space = value.indexOf(' ');
      // another scheme in the field (Bearer, Basic): not ours, another scheme may take it
      if (space === -1 || value.slice(0, space).toUpperCase() !== HMAC_SCHEME) return MISSING;
      const params = parseSignatureParams(value.slice(space + 1));
      if (typeof params === 'string') return { result: 'invalid', reason: params };

      const tsMs = Number(params.ts) * 1000;
      if (Math.abs(request.now - tsMs) > windowMs) return { result: 'invalid', reason: 'signature timestamp outside the replay window' };

      let body = request.body;
      if (body === null) {
        // The gateway reads the body for schemes with needsBody. A body it
        // did not hand over must not be taken for an empty one: the
        // signature would then not cover what goes upstream.
        const length = request.headers['content-length'];
        if (request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')) {
          return { result: 'unavailable', reason: 'request body not available to the HMAC verifier' };
        }
        body = Buffer.alloc(0);
      }
      const target = request.query === '' ? request.path : `${request.path}?${request.query}`;
      const client = clients.get(params.keyId);
      const expected = mac(client?.secret ?? dummySecret, stringToSign(request.method, target, params.ts, params.nonce, body));
      const given = Buffer.from(params.sig, 'base64url');
      // both 32 bytes (SIG pattern): constant-time comparison of equal lengths
      const isMatch = given.length === expected.length && timingSafeEqual(given, expected);
      if (!client) return { result: 'invalid', reason: 'unknown hmac client' };
      if (!isMatch) return { result: 'invalid', reason: 'bad signature' };

      // Only a verified request takes a place in the nonce memory: others
      // could otherwise fill it, or burn the nonces of a real client.
      switch (nonces.record(`${params.keyId}\n${params.nonce}`, tsMs + windowMs, request.now)) {
        case 'replay':
          return { result: 'invalid', reason: 'replayed nonce' };
        case 'full':
          return { result: 'unavailable', reason: 'hmac nonce memory full' };
        case 'fresh':
          return { result: 'authenticated', principal: client.principal };
      }
    },
    challenge() {
      return HMAC_SCHEME;
    },
  };
}
