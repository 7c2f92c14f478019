/**
 * Recognisers for the text forms of sensitive values that have a grammar:
 * e-mail addresses, JWTs and dates of birth. Each is a single bounded pass
 * over the value, without regular expressions, so that a hostile value
 * cannot make it slow.
 */
import { Buffer } from 'node:buffer';

/** RFC 5321 §4.5.3.1: 64 octets of local part; an address fits a 256-octet path with its brackets. */
export const MAX_EMAIL_LENGTH = 254;
const MAX_LOCAL_LENGTH = 64;
const MAX_LABEL_LENGTH = 63;

/** RFC 5322 §3.2.3 atext, besides letters and digits */
const ATEXT_SYMBOLS = "!#$%&'*+-/=?^_`{|}~";

function isAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

function isAlpha(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/**
 * Image names such as "icon@2x.png" have the form of an address; these
 * endings are file types, not top-level domains.
 */
const FILE_ENDINGS = new Set(['png', 'jpg', 'jpeg', 'gif', 'svg', 'webp', 'ico', 'bmp', 'tif', 'tiff', 'avif']);

/**
 * An e-mail address: the dot-atom subset of RFC 5322 §3.4.1 (no quoted
 * local parts, no comments), an internet domain of two or more labels
 * (RFC 1035 §2.3.1, letters of other scripts allowed as in RFC 6531) whose
 * last label is alphabetic or an A-label ("xn--"). "user@localhost" and
 * "user@[192.0.2.1]" are valid addresses but not personal data anyone can
 * write to, so they do not count.
 */
export function isEmail(value: string): boolean {
  const n = value.length;
  if (n < 6 || n > MAX_EMAIL_LENGTH) return false;
  const at = value.indexOf('@');
  if (at < 1 || at > MAX_LOCAL_LENGTH || value.indexOf('@', at + 1) !== -1) return false;
  // local part: atoms separated by single dots
  let previousDot = true;
  for (let i = 0; i < at; i++) {
    const c = value.charCodeAt(i);
    if (c === 46) {
      if (previousDot) return false;
      previousDot = true;
    } else if (isAlnum(c) || c >= 128 || ATEXT_SYMBOLS.includes(value[i]!)) {
      previousDot = false;
    } else {
      return false;
    }
  }
  if (previousDot) return false;
  // domain: labels of letters, digits and inner hyphens
  let labels = 0;
  let labelStart = at + 1;
  for (let i = at + 1; i <= n; i++) {
    const c = i < n ? value.charCodeAt(i) : 46;
    if (c === 46) {
      const length = i - labelStart;
      if (length === 0 || length > MAX_LABEL_LENGTH) return false;
      if (value.charCodeAt(labelStart) === 45 || value.charCodeAt(i - 1) === 45) return false;
      labels++;
      if (i === n) return labels >= 2 && isTopLevel(value.slice(labelStart, n));
      labelStart = i + 1;
    } else if (!(isAlnum(c) || c === 45 || c >= 128)) {
      return false;
    }
  }
  return false;
}

function isTopLevel(label: string): boolean {
  if (label.length < 2) return false;
  if (label.toLowerCase().startsWith('xn--')) return label.length > 4;
  for (let i = 0; i < label.length; i++) {
    const c = label.charCodeAt(i);
    if (!isAlpha(c) && c < 128) return false;
  }
  return !FILE_ENDINGS.has(label.toLowerCase());
}

function isBase64UrlChar(c: number): boolean {
  return isAlnum(c) || c === 45 || c === 95;
}

/** A JOSE header is small; a longer first part is not one (and is not worth decoding). */
const MAX_JOSE_HEADER_LENGTH = 2048;

/**
 * A JSON Web Token in compact serialisation (RFC 7519 §3): a JWS of three
 * base64url parts (RFC 7515 §7.1; the signature is empty for an unsecured
 * JWT, RFC 7519 §6.1) or a JWE of five (RFC 7516 §7.1), whose first part
 * decodes to a JOSE header: a JSON object with a string "alg". Every JSON
 * object encodes to base64url starting with "eyJ" ('{"'), a cheap filter.
 */
export function isJwt(value: string): boolean {
  if (!value.startsWith('eyJ')) return false;
  const dots: number[] = [];
  for (let i = 3; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 46) {
      if (dots.length === 4) return false;
      dots.push(i);
    } else if (!isBase64UrlChar(c)) {
      return false;
    }
  }
  if (dots.length !== 2 && dots.length !== 4) return false;
  const headerEnd = dots[0]!;
  // the payload (JWS) or the ciphertext (JWE) is never empty
  const bodyStart = dots.length === 2 ? dots[0]! + 1 : dots[2]! + 1;
  const bodyEnd = dots.length === 2 ? dots[1]! : dots[3]!;
  if (headerEnd > MAX_JOSE_HEADER_LENGTH || bodyEnd === bodyStart) return false;
  try {
    const header: unknown = JSON.parse(Buffer.from(value.slice(0, headerEnd), 'base64url').toString('utf8'));
    return typeof header === 'object' && header !== null && typeof (header as { alg?: unknown }).alg === 'string';
  } catch {
    return false;
  }
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
/** the range of years a living person's birth date falls in */
const MIN_BIRTH_YEAR = 1870;
const MAX_BIRTH_YEAR = 2100;

function isCalendarDate(year: number, month: number, day: number): boolean {
  if (year < MIN_BIRTH_YEAR || year > MAX_BIRTH_YEAR || month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!);
}

function digitsAt(value: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = value.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    n = n * 10 + (c - 48);
  }
  return n;
}

/**
 * A calendar date as birth dates are written: ISO 8601 "1990-04-23" (also
 * the date part of a date-time, and "1990/04/23"), day first "23/04/1990",
 * "23.04.1990", "23-04-1990", month first "04/23/1990" (either reading
 * counts), or compact "19900423".
 */
export function isDateOfBirth(value: string): boolean {
  let s = value;
  if (s.length > 10 && (s[10] === 'T' || s[10] === ' ')) s = s.slice(0, 10);
  if (s.length === 8) {
    return isCalendarDate(digitsAt(s, 0, 4), digitsAt(s, 4, 6), digitsAt(s, 6, 8));
  }
  if (s.length !== 10) return false;
  const sep = s[4] === '-' || s[4] === '/' || s[4] === '.' ? s[4] : s[2];
  if (sep !== '-' && sep !== '/' && sep !== '.') return false;
  if (s[4] === sep && s[7] === sep) {
    return isCalendarDate(digitsAt(s, 0, 4), digitsAt(s, 5, 7), digitsAt(s, 8, 10));
  }
  if (s[2] !== sep || s[5] !== sep) return false;
  const a = digitsAt(s, 0, 2);
  const b = digitsAt(s, 3, 5);
  const year = digitsAt(s, 6, 10);
  return isCalendarDate(year, b, a) || isCalendarDate(year, a, b);
}
