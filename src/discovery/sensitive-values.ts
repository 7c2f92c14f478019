/**
 * Classifies one observed value (a JSON string or number, a query or form
 * value, a path segment) into a data class, using its form and, where the
 * form alone is ambiguous, the name of the field it was found in.
 *
 * A value's form decides on its own for the classes with a check digit or a
 * grammar (card: Luhn, iban: MOD 97-10, SSN, NINO and DNI rules, e-mail,
 * JWT, prefixed API keys, IP addresses) and for phone numbers written as
 * phone numbers. The name decides for what has no form of its own: a date is
 * a birth date under "dob", a bare digit string is a phone under "msisdn",
 * a random string is a secret under "api_key", anything is one under
 * "password".
 *
 * Cost: the checks are ordered from cheap to expensive and each starts with
 * an O(1) filter (length, first character); one pass over the value builds
 * a character profile that rules most classes out at once. Every check is a
 * linear scan with no backtracking; values longer than MAX_VALUE_LENGTH are
 * only looked at for a PEM header.
 */
import { isIP } from 'node:net';
import type { DataClass } from './data-classes.ts';
import { IBAN_MAX_LENGTH, IBAN_MIN_LENGTH, isAllDigits, isCardNumber, isIban, isNino, isSpanishId, isSsn } from './sensitive-checksums.ts';
import { isDateOfBirth, isEmail, isJwt, MAX_EMAIL_LENGTH } from './sensitive-formats.ts';
import { nameHint, type NameHint } from './sensitive-names.ts';
import { isPhone } from './sensitive-phone.ts';
import { isHighEntropyToken, matchSecretPrefix, pemPrivateKeyLabel } from './sensitive-secrets.ts';

/** Values longer than this are not examined beyond a PEM header (JWTs and keys are shorter). */
export const MAX_VALUE_LENGTH = 8192;
/** The longest value of every class but jwt and secret (an e-mail address). */
const MAX_SHORT_LENGTH = MAX_EMAIL_LENGTH;
const MIN_VALUE_LENGTH = 3;

// character profile bits
const DIGIT = 1;
const UPPER = 2;
const LOWER = 4;
const AT = 8;
const DOT = 16;
const COLON = 32;
const SPACE = 64;
const DASH = 128;
const PLUS = 256;
const PAREN = 512;
const SLASH = 1024;
const OTHER = 2048;

/** the characters of numbers as people write them: digits and phone / card / date punctuation */
const NUMERIC_FORM = DIGIT | DOT | SPACE | DASH | PLUS | PAREN | SLASH;
/** the characters of letter-and-digit identifiers (IBAN, NINO, DNI) in print form */
const ALNUM_ID_FORM = DIGIT | UPPER | SPACE | DASH;

interface Profile { mask: number; digits: number }

/** hot path: one pass, a bit per kind of character, and the count of digits */
function profileOf(value: string): Profile {
  let mask = 0;
  let digits = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 48 && c <= 57) { mask |= DIGIT; digits++; }
    else if (c >= 97 && c <= 122) mask |= LOWER;
    else if (c >= 65 && c <= 90) mask |= UPPER;
    else if (c === 46) mask |= DOT;
    else if (c === 45) mask |= DASH;
    else if (c === 32) mask |= SPACE;
    else if (c === 64) mask |= AT;
    else if (c === 58) mask |= COLON;
    else if (c === 43) mask |= PLUS;
    else if (c === 40 || c === 41) mask |= PAREN;
    else if (c === 47) mask |= SLASH;
    else mask |= OTHER;
  }
  return { mask, digits };
}

function removeSeparators(value: string): string {
  return value.replace(/[ -]/g, '');
}

/** "123-45-6789" or "123 45 6789": the printed form of an SSN */
function isSsnForm(value: string): boolean {
  if (value.length !== 11) return false;
  const sep = value[3];
  return (sep === '-' || sep === ' ') && value[6] === sep && isAllDigits(value.slice(0, 3) + value.slice(4, 6) + value.slice(7));
}

/** Digits, with optional spaces or dashes: the card forms. */
function classifyDigits(value: string, profile: Profile, hint: NameHint | null): DataClass | null {
  const { mask, digits } = profile;
  if ((mask & ~(DIGIT | DOT)) === 0 && (mask & DOT) !== 0 && digits <= 12 && isIP(value) === 4) return 'ip';
  if (isSsnForm(value)) return isSsn(value.slice(0, 3) + value.slice(4, 6) + value.slice(7)) ? 'national-id' : null;
  if (digits >= 13 && digits <= 19 && (mask & ~(DIGIT | SPACE | DASH)) === 0) {
    const compact = removeSeparators(value);
    // an unseparated number in a field named "...id" is an identifier, whatever its digits
    if ((compact.length !== value.length || hint !== 'id') && isCardNumber(compact)) return 'card';
  }
  if (hint === 'national-id' && mask === DIGIT && isSsn(value)) return 'national-id';
  if (isPhone(value, hint === 'phone')) return 'phone';
  return null;
}

/** Capital letters and digits, in print form: IBAN, NINO, DNI / NIE. */
function classifyAlnumId(value: string): DataClass | null {
  const compact = removeSeparators(value);
  if (compact.length >= IBAN_MIN_LENGTH && compact.length <= IBAN_MAX_LENGTH) return isIban(compact) ? 'iban' : null;
  if (compact.length === 9 && (isNino(compact) || isSpanishId(compact))) return 'national-id';
  return null;
}

const PLACEHOLDERS = new Set(['redacted', 'filtered', 'hidden', 'masked', 'removed', 'omitted', 'null', 'undefined', 'none']);

/** Any value in a password field is one, except the placeholders that loggers and APIs put there. */
function isPasswordValue(value: string): boolean {
  const first = value[0];
  let same = true;
  for (let i = 1; i < value.length && same; i++) same = value[i] === first;
  if (same) return false; // "********"
  return !PLACEHOLDERS.has(value.replace(/[<>[\]()*]/g, '').toLowerCase());
}

/** "Bearer abc…": an Authorization value (RFC 9110 §11.4) holds a scheme, a space and the credentials. */
function credentialsOf(value: string): string {
  const space = value.indexOf(' ');
  if (space < 3 || space > 20) return value;
  for (let i = 0; i < space; i++) {
    const c = value.charCodeAt(i) | 0x20;
    if (c < 97 || c > 122) return value;
  }
  return value.slice(space + 1);
}

/** What only the field name can tell. */
function classifyByName(value: string, hint: NameHint | null, mask: number): DataClass | null {
  switch (hint) {
    case 'birth-date':
      return isDateOfBirth(value) ? 'birth-date' : null;
    case 'national-id':
      // Nine digits were judged as an SSN already (classifyDigits). Otherwise a
      // passport or licence number: letters and digits; "XXX-XX-1234" is a
      // masked value, not one.
      if (isSsnForm(value) || (value.length === 9 && isAllDigits(value)) || /xx|XX/.test(value)) return null;
      return (mask & ~(ALNUM_ID_FORM | LOWER)) === 0 && value.length <= 20 && countDigits(value) >= 5 ? 'national-id' : null;
    case 'password':
      return isPasswordValue(value) ? 'secret' : null;
    case 'secret': {
      const credentials = credentialsOf(value);
      if (credentials !== value && isJwt(credentials)) return 'jwt';
      return isHighEntropyToken(credentials) ? 'secret' : null;
    }
    default:
      return null;
  }
}

function countDigits(value: string): number {
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 48 && c <= 57) n++;
  }
  return n;
}

/**
 * The data class of a string value, or null. `fieldName` is the name it was
 * found under (JSON property, query or form parameter, the path segment
 * before it); without it only self-evident forms count.
 */
export function classifyValue(value: string, fieldName?: string): DataClass | null {
  // hot path: called for every string of every sampled body
  const n = value.length;
  if (n < MIN_VALUE_LENGTH) return null;
  if (n > MAX_VALUE_LENGTH) return pemPrivateKeyLabel(value) !== null ? 'secret' : null;
  // self-evident forms with an O(1) filter on their first characters
  if (matchSecretPrefix(value) !== null || pemPrivateKeyLabel(value) !== null) return 'secret';
  if (isJwt(value)) return 'jwt';
  const hint = fieldName === undefined ? null : nameHint(fieldName);
  if (n > MAX_SHORT_LENGTH) {
    return hint === 'password' || hint === 'secret' ? classifyByName(value, hint, OTHER) : null;
  }
  const profile = profileOf(value);
  const { mask } = profile;
  if (mask & AT) {
    if (isEmail(value)) return 'email';
  } else if ((mask & ~NUMERIC_FORM) === 0) {
    if (profile.digits > 0) {
      const cls = classifyDigits(value, profile, hint);
      if (cls) return cls;
    }
  } else if ((mask & ~ALNUM_ID_FORM) === 0 && (mask & (DIGIT | UPPER)) === (DIGIT | UPPER)) {
    const cls = classifyAlnumId(value);
    if (cls) return cls;
  }
  // IPv6 (RFC 4291 §2.2), with an optional zone (RFC 6874); node:net knows the grammar
  if ((mask & COLON) && (mask & (SPACE | AT | SLASH)) === 0 && n <= 64 && isIP(value) === 6) return 'ip';
  return classifyByName(value, hint, mask);
}

/**
 * The data class of a JSON number. Numbers have no formatting, so only the
 * field name can make one a phone, card or SSN (an integer "msisdn", a
 * "card_number" sent as a number).
 */
export function classifyNumber(value: number, fieldName?: string): DataClass | null {
  if (fieldName === undefined || !Number.isSafeInteger(value) || value <= 0) return null;
  const hint = nameHint(fieldName);
  if (hint !== 'phone' && hint !== 'card' && hint !== 'national-id') return null;
  const digits = String(value);
  if (hint === 'phone') return digits.length >= 7 && digits.length <= 15 ? 'phone' : null;
  if (hint === 'card') return isCardNumber(digits) ? 'card' : null;
  // an SSN stored as a number loses its leading zeros
  return digits.length <= 9 && isSsn(digits.padStart(9, '0')) ? 'national-id' : null;
}
