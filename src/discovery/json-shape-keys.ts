/**
 * Where a value sits in a JSON body, written the way findings show it, and
 * which object keys are data rather than field names. Shared by the shape
 * inference and the sensitive-data scan, so that both name a place alike:
 *
 *   (body)            the body itself
 *   data[].email      property "email" of any element of array "data"
 *   byId{*}.iban      property "iban" of any value of map "byId"
 *   meta["x.y"]       a key that is not an identifier, quoted as JSON
 *
 * The same notation as src/audit/sensitive.ts uses for schema paths.
 */

export const BODY_PATH = '(body)';

/** Keys written bare in a path; anything else is quoted. */
function isPlainKey(key: string): boolean {
  if (key.length === 0) return false;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    const ok = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 36 || c === 45;
    if (!ok) return false;
  }
  return true;
}

/** `parent` is '' at the top level. */
export function propertyPath(parent: string, key: string): string {
  if (!isPlainKey(key)) return `${parent}[${JSON.stringify(key)}]`;
  return parent === '' ? key : `${parent}.${key}`;
}

export function itemsPath(parent: string): string {
  return `${parent}[]`;
}

export function mapValuesPath(parent: string): string {
  return `${parent}{*}`;
}

/** '' (the top level) shown as BODY_PATH. */
export function displayPath(path: string): string {
  return path === '' ? BODY_PATH : path;
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

const MAX_ID_KEY_LENGTH = 64;

/**
 * true when an object key is an identifier rather than a field name, so
 * that the object is a map: decimal integers ("42"), UUIDs (RFC 9562),
 * hexadecimal ids of 12 or more digits (Mongo ObjectIds, hashes), ULIDs,
 * ISO dates ("2024-01-15": series keyed by day), and prefixed ids with
 * digits ("cus_9s6XKzkNRiz8i3", Stripe style).
 */
export function isIdLikeKey(key: string): boolean {
  const n = key.length;
  if (n === 0 || n > MAX_ID_KEY_LENGTH) return false;
  let digits = 0;
  let hex = 0;
  let alnum = 0;
  let underscore = -1;
  let dashes = 0;
  for (let i = 0; i < n; i++) {
    const c = key.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    if (isHex(c)) hex++;
    if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)) alnum++;
    else if (c === 95 && underscore === -1) underscore = i;
    else if (c === 45) dashes++;
    else return false;
  }
  if (digits === n) return n <= 20;
  if (digits === 0) return false;
  if (n === 36 && dashes === 4 && hex === 32 && key[8] === '-' && key[13] === '-' && key[18] === '-' && key[23] === '-') return true;
  if (hex === n && n >= 12) return true;
  if (n === 26 && alnum === n && key.toUpperCase() === key) return true; // ULID (Crockford base32)
  if (n === 10 && dashes === 2 && key[4] === '-' && key[7] === '-' && digits === 8) return true;
  // prefix_ then a random part: lower-case prefix of 2..8 letters, 8+ alphanumerics with a digit
  if (underscore >= 2 && underscore <= 8 && dashes === 0 && n - underscore - 1 >= 8 && alnum === n - 1) {
    for (let i = 0; i < underscore; i++) {
      const c = key.charCodeAt(i);
      if (c < 97 || c > 122) return false;
    }
    for (let i = underscore + 1; i < n; i++) {
      const c = key.charCodeAt(i);
      if (c >= 48 && c <= 57) return true;
    }
  }
  return false;
}
