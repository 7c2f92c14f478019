/**
 * Credentials never leave a source (see ObservedRequest.requestHeaders):
 * the value of a credential header is replaced by '<redacted>', keeping the
 * authentication scheme of Authorization-like fields so that discovery can
 * still tell which scheme a client used ('Bearer <redacted>').
 */

export const REDACTED = '<redacted>';

/** RFC 9110 §11.6.2 / §11.7.2: `credentials = auth-scheme [ 1*SP ( token68 / #auth-param ) ]` */
const SCHEME_HEADERS: ReadonlySet<string> = new Set(['authorization', 'proxy-authorization']);

/**
 * Other fields that carry secrets: cookies (RFC 6265) and the API-key and
 * token headers that APIs and cloud gateways use. Names are matched as
 * lower case. Over-redacting a harmless field costs nothing; leaking a key
 * from a HAR file shared for analysis is the incident.
 */
const SECRET_NAME = /cookie|token|secret|passw|api-?key|apikey|session|signature|credential|auth|csrf|xsrf|(^|[-_])key$|-key-|subscription-key/;

/** Challenges name a scheme and a realm, never a secret. */
const NOT_SECRET: ReadonlySet<string> = new Set(['www-authenticate', 'proxy-authenticate', 'authentication-info']);

export function isCredentialHeader(lowerName: string): boolean {
  if (SCHEME_HEADERS.has(lowerName)) return true;
  return !NOT_SECRET.has(lowerName) && SECRET_NAME.test(lowerName);
}

/** The value to keep for a header (name in lower case). */
export function redactHeaderValue(lowerName: string, value: string): string {
  if (SCHEME_HEADERS.has(lowerName)) {
    const trimmed = value.trimStart();
    const space = trimmed.search(/[ \t]/);
    const scheme = space === -1 ? '' : trimmed.slice(0, space);
    // a bare token (no scheme word) keeps nothing
    return /^[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*$/.test(scheme) ? `${scheme} ${REDACTED}` : REDACTED;
  }
  return isCredentialHeader(lowerName) ? REDACTED : value;
}

/**
 * Header pairs (names as sent) → a record with lower-cased names and
 * credential values redacted. Repeated fields are joined with ', ' (RFC 9110
 * §5.3). HTTP/2 pseudo-headers (':authority', ':path') are not fields and
 * are left out.
 */
export function headerRecord(pairs: Iterable<readonly [string, string]>): Record<string, string> {
  const record: Record<string, string> = {};
  for (const [name, value] of pairs) {
    if (name === '' || name.charCodeAt(0) === 0x3a) continue;
    const lower = name.toLowerCase();
    // a valid token, but no real field is called that, and assigning it
    // would touch the record's prototype
    if (lower === '__proto__') continue;
    const kept = redactHeaderValue(lower, value);
    const previous = record[lower];
    record[lower] = previous === undefined ? kept : previous === REDACTED && kept === REDACTED ? REDACTED : `${previous}, ${kept}`;
  }
  return record;
}
