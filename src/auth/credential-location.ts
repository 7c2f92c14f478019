/**
 * Reading one credential from the place a security scheme declares
 * (OpenAPI 3.x Security Scheme Object, `in` + `name`): a header, a query
 * parameter or a cookie, and nowhere else.
 *
 * The credential must be there at most once. When a request carries two
 * copies, the gateway could check one while the upstream (or its framework)
 * reads the other: every reader here counts all copies and answers
 * `duplicate` instead of choosing one.
 */
import { trimOws } from '../http/syntax.ts';
import type { AuthRequest } from './types.ts';

export type CredentialLocation = 'header' | 'query' | 'cookie';

/**
 * - none: not present (or present with an empty value)
 * - one: present exactly once
 * - duplicate: present more than once (whatever the values)
 */
export type CredentialRead =
  | { found: 'none' }
  | { found: 'one'; value: string }
  | { found: 'duplicate' };

const NONE: CredentialRead = Object.freeze({ found: 'none' });
const DUPLICATE: CredentialRead = Object.freeze({ found: 'duplicate' });

function one(value: string): CredentialRead {
  return value === '' ? NONE : { found: 'one', value };
}

/**
 * A header by name, case-insensitive (RFC 9110 §5.1), counted in
 * `rawHeaders`: Node joins repeated unknown headers with ", " in
 * `headers`, which would hide the second copy.
 */
export function readHeaderOnce(rawHeaders: readonly string[], name: string): CredentialRead {
  const wanted = name.toLowerCase();
  let value: string | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const header = rawHeaders[i];
    if (header === undefined || header.length !== wanted.length || header.toLowerCase() !== wanted) continue;
    if (value !== undefined) return DUPLICATE;
    value = rawHeaders[i + 1] ?? '';
  }
  return value === undefined ? NONE : one(value);
}

/**
 * A query parameter by exact (case-sensitive) name, after form decoding
 * (WHATWG URLSearchParams: `+` is a space, percent escapes decoded), so that
 * `k=a&%6B=b` counts as two copies of `k`. `;` is also taken as a
 * separator: some server frameworks still split on it (HTML 4.01 §B.2.2), and
 * `k=a;k=b` must not be one value here and two there. A literal `;` in a
 * value is sent as `%3B` and is unaffected.
 */
export function readQueryParameterOnce(query: string, name: string): CredentialRead {
  if (query === '') return NONE;
  const values = new URLSearchParams(query.replaceAll(';', '&')).getAll(name);
  if (values.length > 1) return DUPLICATE;
  const value = values[0];
  return value === undefined ? NONE : one(value);
}

/**
 * A cookie by exact (case-sensitive) name, from every `Cookie` field
 * (RFC 6265 §5.4 sends one; HTTP/2 may split it into several, RFC 9113
 * §8.2.3). A value in double quotes is taken without them (RFC 6265 §4.1.1
 * cookie-value); no percent decoding, which RFC 6265 does not define.
 */
export function readCookieOnce(rawHeaders: readonly string[], name: string): CredentialRead {
  let value: string | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const header = rawHeaders[i];
    if (header === undefined || header.length !== 6 || header.toLowerCase() !== 'cookie') continue;
    for (const pair of (rawHeaders[i + 1] ?? '').split(';')) {
      const eq = pair.indexOf('=');
      if (eq === -1) continue;
      if (trimOws(pair.slice(0, eq)) !== name) continue;
      if (value !== undefined) return DUPLICATE;
      value = unquote(trimOws(pair.slice(eq + 1)));
    }
  }
  return value === undefined ? NONE : one(value);
}

function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
}

/** The credential at `location`/`name` of the request. */
export function readCredential(
  request: Pick<AuthRequest, 'rawHeaders' | 'query'>,
  location: CredentialLocation,
  name: string,
): CredentialRead {
  switch (location) {
    case 'header':
      return readHeaderOnce(request.rawHeaders, name);
    case 'query':
      return readQueryParameterOnce(request.query, name);
    case 'cookie':
      return readCookieOnce(request.rawHeaders, name);
  }
}
