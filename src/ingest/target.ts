/**
 * Request lines, request targets and addresses as logs write them. The
 * target is split by hand, never through `new URL()`: WHATWG URL parsing
 * re-encodes and resolves dot segments, and the contract wants the path as
 * received.
 */
import { normaliseHost } from '../http/headers.ts';
import { isToken } from '../http/syntax.ts';

export interface SplitTarget {
  /** lower-cased host without port from an absolute-form target, else '' */
  host: string;
  path: string;
  query: string | null;
}

/**
 * RFC 9112 §3.2 request target: origin-form `/p?q`, absolute-form
 * `http://h:80/p?q` (proxies, ALB, HAR), asterisk-form `*`, authority-form
 * `h:443` (CONNECT, kept whole as the path). A fragment, which a browser
 * never sends but HAR URLs may carry, is dropped.
 */
export function splitTarget(target: string): SplitTarget {
  let host = '';
  let rest = target;
  const scheme = target.indexOf('://');
  if (scheme > 0 && target.charCodeAt(0) !== 0x2f && isSchemeName(target, scheme)) {
    const authorityStart = scheme + 3;
    let authorityEnd = authorityStart;
    while (authorityEnd < target.length) {
      const c = target.charCodeAt(authorityEnd);
      if (c === 0x2f || c === 0x3f || c === 0x23) break;
      authorityEnd++;
    }
    let authority = target.slice(authorityStart, authorityEnd);
    const at = authority.lastIndexOf('@');
    if (at !== -1) authority = authority.slice(at + 1);
    host = hostOf(authority);
    rest = target.slice(authorityEnd);
    if (rest === '' || rest.charCodeAt(0) !== 0x2f) rest = `/${rest}`;
  }
  const hash = rest.indexOf('#');
  if (hash !== -1) rest = rest.slice(0, hash);
  const q = rest.indexOf('?');
  if (q === -1) return { host, path: rest, query: null };
  return { host, path: rest.slice(0, q), query: rest.slice(q + 1) };
}

function isSchemeName(text: string, end: number): boolean {
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i) | 0x20;
    const isLetter = c >= 0x61 && c <= 0x7a;
    if (!isLetter && (i === 0 || !((c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e))) return false;
  }
  return true;
}

/** A Host value or URL authority → lower-cased host without port (as the gateway normalises it), or ''. */
export function hostOf(value: string | null | undefined): string {
  if (value === null || value === undefined || value === '' || value === '-') return '';
  return normaliseHost(value) ?? '';
}

/**
 * An address as logs write it (`203.0.113.7`, `203.0.113.7:5123`,
 * `[2001:db8::1]:443`, `2001:db8::1`) → the address alone, or null for '-'
 * and empty. A bare IPv6 address keeps all its colons.
 */
export function addressOf(value: string | null | undefined): string | null {
  if (value === null || value === undefined || value === '' || value === '-') return null;
  if (value.charCodeAt(0) === 0x5b) {
    const close = value.indexOf(']');
    return close === -1 ? value : value.slice(1, close);
  }
  const colon = value.indexOf(':');
  if (colon !== -1 && value.indexOf(':', colon + 1) === -1) return value.slice(0, colon);
  return value;
}

/** The first address of an X-Forwarded-For list, or null. */
export function firstForwardedFor(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const comma = value.indexOf(',');
  return addressOf((comma === -1 ? value : value.slice(0, comma)).trim());
}

export interface RequestLine {
  method: string;
  target: string;
}

/**
 * `METHOD SP target SP HTTP/x` (RFC 9112 §3) → method and target, or the
 * reason it is not one: "-" (nginx for a connection that sent nothing),
 * TLS handshake bytes sent to a plain-HTTP port, or an HTTP/0.9-style line
 * without a version are malformed. The target is what lies between the
 * first and the last space, so a target with raw spaces in it (logged as
 * received by some servers) is kept whole.
 */
export function parseRequestLine(text: string): RequestLine | string {
  if (text === '' || text === '-') return `request line is ${JSON.stringify(text)}`;
  const first = text.indexOf(' ');
  if (first <= 0) return 'request line has no target';
  const method = text.slice(0, first);
  if (!isToken(method)) return 'request method is not a token';
  const last = text.lastIndexOf(' ');
  if (last === first) return 'request line has no HTTP version';
  if (!text.startsWith('HTTP/', last + 1)) return 'request line does not end with an HTTP version';
  const target = text.slice(first + 1, last);
  if (target === '' || target === '-') return 'request target is empty';
  return { method: upperMethod(method), target };
}

/** Method names are case-sensitive (RFC 9110 §9.1) but the contract wants upper case. */
export function upperMethod(method: string): string {
  for (let i = 0; i < method.length; i++) {
    // a-z, and anything past ASCII that toUpperCase may change
    if (method.charCodeAt(i) >= 0x61) return method.toUpperCase();
  }
  return method;
}
