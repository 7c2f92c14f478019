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

function hasKeyInQuery(query: string): boolean {
  let start = 0;
  while (start <= query.length) {
    let end = query.indexOf('&', start);
    if (end < 0) end = query.length;
    const eq = query.indexOf('=', start);
    const nameEnd = eq >= 0 && eq < end ? eq : end;
    if (nameEnd > start && nameEnd - start <= 32) {
      const name = query.slice(start, nameEnd).toLowerCase().replace(/[-_]/g, '');
      if (API_KEY_QUERY.has(name) && nameEnd < end - 1) return true;
    }
    start = end + 1;
  }
  return false;
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
