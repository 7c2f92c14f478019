/**
 * How a request authenticated, as far as its headers and query tell.
 * Discovery never verifies a credential: it records which kind was offered,
 * so that an operation answering 2xx to requests that offered none stands
 * out (the exposure finding).
 *
 * Order matters: a request that sends both a session cookie and a bearer
 * token is counted as bearer (the stronger, explicit credential).
 */
import type { AuthSeen } from './types.ts';

/** header names that carry API keys in the wild (lower-case) */
const API_KEY_HEADERS = ['x-api-key', 'api-key', 'apikey', 'x-apikey', 'x-auth-token', 'x-access-token', 'x-goog-api-key', 'ocp-apim-subscription-key'];

/** query parameters that carry API keys or tokens (lower-case; compared after removing '-' and '_') */
const API_KEY_QUERY = new Set(['apikey', 'key', 'accesstoken', 'token', 'authtoken', 'apitoken', 'subscriptionkey']);
const API_KEY_QUERY_NAMES = [...API_KEY_QUERY];

/** cookie names that hold sessions (prefix match after lower-casing) */
const SESSION_COOKIES = ['session', 'sess', 'sid', 'connect.sid', 'jsessionid', 'phpsessid', 'asp.net_sessionid', '_session', 'auth', 'token', 'jwt', 'access_token', '__host-', '__secure-'];

/**
 * The kind of credential a request offered; null when the source recorded
 * no headers (most access logs), which says nothing either way.
 */
export function authSeenOf(
  headers: Readonly<Record<string, string>> | null,
  query: string | null,
  hasClientCertificate = false,
): AuthSeen | null {
  if (hasClientCertificate) return 'mtls';
  if (headers !== null) {
    const authorization = headers.authorization;
    if (authorization !== undefined && authorization !== '') return schemeOf(authorization);
    for (const name of API_KEY_HEADERS) if (headers[name] !== undefined && headers[name] !== '') return 'apikey';
    if (headers.signature !== undefined || headers['x-amz-content-sha256'] !== undefined) return 'hmac';
  }
  if (query !== null && hasKeyInQuery(query)) return 'apikey';
  if (headers === null) return null;
  const cookie = headers.cookie;
  if (cookie !== undefined && hasSessionCookie(cookie)) return 'cookie';
  return 'none';
}

function schemeOf(authorization: string): AuthSeen {
  const space = authorization.indexOf(' ');
  const scheme = (space < 0 ? authorization : authorization.slice(0, space)).toLowerCase();
  if (scheme === 'bearer') return 'bearer';
  if (scheme === 'basic') return 'basic';
  // AWS SigV4, apiwarden's own AW-HMAC-SHA256, HTTP Message Signatures drafts
  if (scheme.includes('hmac') || scheme.startsWith('aws4-') || scheme === 'signature') return 'hmac';
  return 'other';
}

// hot path: once per request with a query string (no string is made for an ASCII parameter name)
function hasKeyInQuery(query: string): boolean {
  let start = 0;
  while (start <= query.length) {
    let end = query.indexOf('&', start);
    if (end < 0) end = query.length;
    const eq = query.indexOf('=', start);
    const nameEnd = eq >= 0 && eq < end ? eq : end;
    if (nameEnd > start && nameEnd - start <= 32 && nameEnd < end - 1 && isKeyName(query, start, nameEnd)) return true;
    start = end + 1;
  }
  return false;
}

/**
 * Is query[start, end), lower-cased and without '-' and '_', one of
 * API_KEY_QUERY? Compared in place for an ASCII name; a name with other
 * characters is lower-cased as a string (toLowerCase maps some of them to
 * ASCII: U+212A KELVIN SIGN → 'k').
 */
function isKeyName(query: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    if (query.charCodeAt(i) >= 0x80) return API_KEY_QUERY.has(query.slice(start, end).toLowerCase().replace(/[-_]/g, ''));
  }
  for (const name of API_KEY_QUERY_NAMES) if (isNameAt(query, start, end, name)) return true;
  return false;
}

/** ASCII query[start, end) equals `name` after lower-casing and dropping '-' and '_' */
function isNameAt(query: string, start: number, end: number, name: string): boolean {
  let k = 0;
  for (let i = start; i < end; i++) {
    const c = query.charCodeAt(i);
    if (c === 0x2d || c === 0x5f) continue;
    // A-Z → a-z
    const lower = c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
    if (k === name.length || lower !== name.charCodeAt(k)) return false;
    k++;
  }
  return k === name.length;
}

function hasSessionCookie(cookie: string): boolean {
  for (const part of cookie.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim().toLowerCase();
    if (SESSION_COOKIES.some((prefix) => name.startsWith(prefix))) return true;
  }
  return false;
}
