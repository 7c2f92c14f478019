/**
 * Password hashes for HTTP Basic users: scrypt (RFC 7914) from node:crypto,
 * in a self-describing string
 *
 *     scrypt$<N>$<r>$<p>$<salt>$<hash>
 *
 * with N, r, p in decimal, a 16-byte salt and a 32-byte hash in base64url
 * without padding, e.g.
 * `scrypt$32768$8$1$c2FsdHNhbHRzYWx0c2FsdA$…`. The parameters travel with
 * the hash, so stronger ones can be chosen later without breaking old hashes.
 *
 * Default parameters: N = 2^15, r = 8, p = 1 (32 MiB, some 50-100 ms). That
 * is twice the interactive-login cost of the scrypt paper (N = 2^14) and
 * below OWASP's strongest suggestion (N = 2^17): unlike a login form, HTTP
 * Basic checks the password on every request, so the cost is paid per
 * request (the Basic verifier caches successes for a short while). Operators
 * who want more pass their own parameters to hashPassword.
 *
 * Passwords are normalised to Unicode NFC before hashing and verifying
 * (RFC 8265 §4.2 OpaqueString, which RFC 7617 §2.1 points to for
 * charset="UTF-8"), so the same password typed on two systems matches.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { ScryptOptions } from 'node:crypto';

export interface ScryptParams {
  /** CPU/memory cost, a power of 2 */
  N: number;
  /** block size */
  r: number;
  /** parallelisation */
  p: number;
}

export const DEFAULT_SCRYPT_PARAMS: Readonly<ScryptParams> = Object.freeze({ N: 2 ** 15, r: 8, p: 1 });

const SALT_BYTES = 16;
const HASH_BYTES = 32;
/** Bounds on parameters read from a hash, so that a configured hash cannot ask for gigabytes. */
const MAX_MEMORY_BYTES = 256 * 1024 * 1024;
const MAX_P = 16;

export interface ParsedPasswordHash {
  params: ScryptParams;
  salt: Buffer;
  hash: Buffer;
}

/** A malformed hash string. The message never quotes the hash. */
export class PasswordHashFormatError extends Error {
  readonly code = 'PASSWORD_HASH_FORMAT';
  constructor(message: string) {
    super(message);
    this.name = 'PasswordHashFormatError';
  }
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const DECIMAL = /^[1-9][0-9]{0,9}$/;

/** Throws PasswordHashFormatError when the parameters are out of the accepted bounds. */
export function checkScryptParams(params: ScryptParams): void {
  const { N, r, p } = params;
  if (!Number.isSafeInteger(N) || N < 2 || (N & (N - 1)) !== 0) throw new PasswordHashFormatError('scrypt N must be a power of 2');
  if (N < 2 ** 10) throw new PasswordHashFormatError('scrypt N must be at least 1024');
  if (!Number.isSafeInteger(r) || r < 1 || r > 32) throw new PasswordHashFormatError('scrypt r must be between 1 and 32');
  if (!Number.isSafeInteger(p) || p < 1 || p > MAX_P) throw new PasswordHashFormatError(`scrypt p must be between 1 and ${MAX_P}`);
  if (memoryOf(params) > MAX_MEMORY_BYTES) throw new PasswordHashFormatError('scrypt parameters need more than 256 MiB (128 * N * r)');
}

/** What OpenSSL allocates for scrypt: 128·r·(N + p + 2) bytes (V and B). */
function memoryOf({ N, r, p }: ScryptParams): number {
  return 128 * r * (N + p + 2);
}

function decodeBase64url(text: string | undefined, bytes: number, what: string): Buffer {
  if (text === undefined || !BASE64URL.test(text)) throw new PasswordHashFormatError(`the ${what} is not base64url`);
  const value = Buffer.from(text, 'base64url');
  if (value.length !== bytes || value.toString('base64url') !== text) {
    throw new PasswordHashFormatError(`the ${what} must be ${bytes} bytes in base64url without padding`);
  }
  return value;
}

/** Parses `scrypt$N$r$p$salt$hash`; throws PasswordHashFormatError. */
export function parsePasswordHash(encoded: string): ParsedPasswordHash {
  if (typeof encoded !== 'string') throw new PasswordHashFormatError('a password hash must be a string');
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') {
    throw new PasswordHashFormatError('a password hash must look like scrypt$N$r$p$salt$hash (apiwarden hash-password)');
  }
  const [, n, r, p, salt, hash] = parts;
  for (const number of [n, r, p]) {
    if (number === undefined || !DECIMAL.test(number)) throw new PasswordHashFormatError('scrypt N, r and p must be decimal integers');
  }
  const params = { N: Number(n), r: Number(r), p: Number(p) };
  checkScryptParams(params);
  return { params, salt: decodeBase64url(salt, SALT_BYTES, 'salt'), hash: decodeBase64url(hash, HASH_BYTES, 'hash') };
}

function derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: memoryOf(params) + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, HASH_BYTES, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** Hashes a password into `scrypt$N$r$p$salt$hash` with a fresh random salt. */
export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT_PARAMS): Promise<string> {
  if (typeof password !== 'string' || password === '') throw new TypeError('the password must be a non-empty string');
  checkScryptParams(params);
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, params);
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

/**
 * Whether `password` matches the hash. The comparison is constant-time
 * (equal-length digests through timingSafeEqual). Throws
 * PasswordHashFormatError for a malformed hash; a wrong password is `false`.
 */
export async function verifyPassword(password: string, encoded: string | ParsedPasswordHash): Promise<boolean> {
  const parsed = typeof encoded === 'string' ? parsePasswordHash(encoded) : encoded;
  const derived = await derive(typeof password === 'string' ? password : '', parsed.salt, parsed.params);
  return derived.length === parsed.hash.length && timingSafeEqual(derived, parsed.hash);
}

/**
 * A parsed hash that no password matches (random salt and hash), with the
 * given parameters: verifying against it costs what verifying a real
 * password costs, for unknown user names.
 */
export function dummyPasswordHash(params: ScryptParams = DEFAULT_SCRYPT_PARAMS): ParsedPasswordHash {
  checkScryptParams(params);
  return { params: { ...params }, salt: randomBytes(SALT_BYTES), hash: randomBytes(HASH_BYTES) };
}
