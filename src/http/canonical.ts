/**
 * Canonicalisation of the HTTP request-target.
 *
 * The gateway classifies the canonical path against the OpenAPI routes and
 * forwards exactly that path (and the query) upstream. The security property
 * is therefore: whatever an upstream does with the forwarded path (decode it
 * once or twice, resolve dot segments, merge slashes, read `\` as `/`, strip
 * `;` parameters), it lands on the path that was classified. Everything that
 * could be read two ways is refused instead of guessed at:
 *
 * - the output never contains a dot segment, an empty segment, `%2F`, `%5C`,
 *   `%25`, a raw `\` or a NUL, so resolving or decoding it again is a no-op
 *   for the structure of the path;
 * - percent-encoded unreserved characters are decoded and all other escapes
 *   have upper-case hex, so equivalent spellings of a path have one form.
 *
 * `docs/canonicalisation.md` explains each rule for users.
 */
import type { CanonicalTarget } from './types.ts';

/** Every reason `canonicaliseTarget` can refuse with; stable strings that callers and logs compare. */
export const TARGET_REFUSALS = [
  'not-origin-form',
  'fragment',
  'whitespace',
  'control-char',
  'nul',
  'non-ascii',
  'invalid-char',
  'backslash',
  'matrix-param',
  'bad-percent-encoding',
  'encoded-slash',
  'double-encoding',
  'encoded-percent',
  'invalid-utf8',
  'dot-segment-above-root',
  'dot-segment-variant',
] as const;

export type TargetRefusal = (typeof TARGET_REFUSALS)[number];

export interface CanonicaliseOptions {
  /** refuse ';' in the path (matrix / path parameters); default true */
  rejectMatrixParams?: boolean;
}

const SLASH = 0x2f;
const DOT = 0x2e;
const PERCENT = 0x25;
const QUESTION = 0x3f;

// Character classes of the raw path, one table built at load time.
const C_PLAIN = 0;
const C_SLASH = 1;
const C_DOT = 2;
const C_PERCENT = 3;
const C_SEMICOLON = 4;
const C_REFUSED = 5;

const PATH_CLASS = new Uint8Array(128).fill(C_REFUSED);
const PATH_REFUSAL: TargetRefusal[] = new Array<TargetRefusal>(128).fill('invalid-char');
/** RFC 3986 §2.3 unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~" */
const IS_UNRESERVED = new Uint8Array(128);
const IS_HEX = new Uint8Array(128);
const HEX_UPPER = '0123456789ABCDEF';

{
  const alnum = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  for (const ch of alnum + '-._~') IS_UNRESERVED[ch.charCodeAt(0)] = 1;
  for (const ch of '0123456789ABCDEFabcdef') IS_HEX[ch.charCodeAt(0)] = 1;
  // RFC 3986 §3.3: pchar = unreserved / pct-encoded / sub-delims / ":" / "@",
  // sub-delims = "!" / "$" / "&" / "'" / "(" / ")" / "*" / "+" / "," / ";" / "="
  for (const ch of alnum + "-_~!$&'()*+,=:@") PATH_CLASS[ch.charCodeAt(0)] = C_PLAIN;
  PATH_CLASS[SLASH] = C_SLASH;
  PATH_CLASS[DOT] = C_DOT;
  PATH_CLASS[PERCENT] = C_PERCENT;
  PATH_CLASS[0x3b] = C_SEMICOLON;
  // Everything else is not allowed in a path by RFC 3986 §3.3. The reasons
  // below name the shapes that attacks use; the rest (" < > ^ ` { | } [ ])
  // are 'invalid-char'.
  for (let c = 0; c < 0x20; c++) PATH_REFUSAL[c] = 'control-char';
  PATH_REFUSAL[0x7f] = 'control-char';
  PATH_REFUSAL[0x00] = 'nul';
  PATH_REFUSAL[0x09] = 'whitespace';
  PATH_REFUSAL[0x20] = 'whitespace';
  PATH_REFUSAL[0x23] = 'fragment';
  PATH_REFUSAL[0x5c] = 'backslash';
}

type Refused = { ok: false; reason: TargetRefusal };

function refuse(reason: TargetRefusal): Refused {
  return { ok: false, reason };
}

/**
 * Splits and canonicalises `req.url` (the request-target as received). Only
 * origin-form is accepted (RFC 9112 §3.2.1); see the module comment for what
 * the result guarantees.
 */
export function canonicaliseTarget(raw: string, options?: CanonicaliseOptions): CanonicalTarget {
  const rejectMatrix = options?.rejectMatrixParams !== false;
  // RFC 9112 §3.2: origin-form = absolute-path [ "?" query ], and
  // absolute-path = 1*( "/" segment ). Absolute-form (`http://h/p`, which
  // RFC 9112 §3.2.2 says overrides Host: a second authority to reconcile),
  // authority-form (CONNECT) and asterisk-form (`*`) are refused. ''.charCodeAt(0) is NaN.
  if (raw.charCodeAt(0) !== SLASH) return refuse('not-origin-form');

  // hot path: one pass over the raw path that refuses what is never allowed
  // and notes whether the slow path has work to do: a '%', an empty segment
  // ('//'), a segment made only of dots, or ';' when matrix parameters are
  // allowed. Dots inside names ('users.json') stay on the fast path.
  const len = raw.length;
  let end = len;
  let isSlow = false;
  let segLen = 0;
  let segDots = 0;
  for (let i = 1; i < len; i++) {
    const c = raw.charCodeAt(i);
    if (c === QUESTION) {
      end = i; // RFC 3986 §3.4: the query starts at the first '?'
      break;
    }
    // Node decodes the request line as latin1, so a raw UTF-8 byte shows as a char > 0x7F
    if (c > 0x7f) return refuse('non-ascii');
    switch (PATH_CLASS[c]) {
      case C_PLAIN:
        segLen++;
        break;
      case C_DOT:
        segLen++;
        segDots++;
        break;
      case C_SLASH:
        if (segLen === segDots) isSlow = true; // '' (from '//'), '.', '..', '...'
        segLen = 0;
        segDots = 0;
        break;
      case C_PERCENT:
        isSlow = true;
        segLen++;
        break;
      case C_SEMICOLON:
        // Tomcat and Jetty cut `;...` off every segment before matching
        // (`/a/..;/admin` is `/a/../admin` to them), Spring strips it too.
        if (rejectMatrix) return refuse('matrix-param');
        isSlow = true;
        segLen++;
        break;
      default:
        return refuse(PATH_REFUSAL[c]!);
    }
  }
  if (segLen > 0 && segLen === segDots) isSlow = true;

  let path: string;
  if (isSlow) {
    const result = canonicalisePath(raw, end, rejectMatrix);
    if (typeof result !== 'string') return result;
    path = result;
  } else {
    path = end === len ? raw : raw.slice(0, end);
  }

  if (end === len) return { ok: true, path, query: '' };
  const queryRefusal = checkQuery(raw, end + 1);
  if (queryRefusal !== null) return refuse(queryRefusal);
  return { ok: true, path, query: raw.slice(end + 1) };
}

/**
 * The slow path: decodes escapes segment by segment, then merges empty
 * segments and resolves dot segments. `raw` is known to hold only pchar,
 * '/' and '%' up to `end` (checked by the fast pass).
 */
function canonicalisePath(raw: string, end: number, rejectMatrix: boolean): string | Refused {
  const segments: string[] = [];
  let seg = '';
  let segHasHighByte = false;
  let hasTrailingSlash = false;
  let i = 1;
  while (i <= end) {
    const c = i < end ? raw.charCodeAt(i) : SLASH; // the end closes the last segment
    if (c === SLASH) {
      // RFC 3986 §5.2.4 removes dot segments; it runs here on the decoded
      // segment so that '%2e%2e' and '.%2E' are '..' (§6.2.2.2 decoding
      // comes first). Empty segments are merged away, as nginx's
      // merge_slashes does: '/a//../b' is '/b', never '/a/b'.
      if (seg === '' || seg === '.') {
        hasTrailingSlash = true;
      } else if (seg === '..') {
        if (segments.pop() === undefined) return refuse('dot-segment-above-root');
        hasTrailingSlash = true;
      } else {
        const reason = checkSegment(seg, segHasHighByte, rejectMatrix);
        if (reason !== null) return refuse(reason);
        segments.push(seg);
        hasTrailingSlash = false;
      }
      seg = '';
      segHasHighByte = false;
      i++;
      continue;
    }
    if (c !== PERCENT) {
      const start = i;
      do i++;
      while (i < end && raw.charCodeAt(i) !== SLASH && raw.charCodeAt(i) !== PERCENT);
      seg += raw.slice(start, i);
      continue;
    }
    // RFC 3986 §2.1: pct-encoded = "%" HEXDIG HEXDIG
    const v = hexByte(raw, i + 1, end);
    if (v < 0) return refuse('bad-percent-encoding');
    // An encoded '/' or '\' is one segment to us and two to an upstream that
    // decodes before splitting (or reads '\' as '/', as Windows servers and
    // the WHATWG URL parser do).
    if (v === SLASH) return refuse('encoded-slash');
    if (v === 0x5c) return refuse('backslash');
    // NUL truncates strings in C-based servers and file APIs.
    if (v === 0x00) return refuse('nul');
    if (v < 0x20 || v === 0x7f) return refuse('control-char');
    // '%25' makes a second decoding meaningful ('%252e' is '%2e', then '.');
    // an upstream that decodes twice would see another path. A literal '%'
    // in a path is refused too, so the output never holds '%25'.
    if (v === PERCENT) return refuse(isTwoHexDigitsAt(raw, i + 3, end) ? 'double-encoding' : 'encoded-percent');
    if (v < 0x80 && IS_UNRESERVED[v] === 1) {
      // RFC 3986 §6.2.2.2: decode percent-encoded unreserved characters
      seg += String.fromCharCode(v);
    } else {
      // RFC 3986 §6.2.2.1: upper-case hex in the escapes that stay
      seg += '%' + HEX_UPPER[v >> 4]! + HEX_UPPER[v & 15]!;
      if (v >= 0x80) segHasHighByte = true;
    }
    i += 3;
  }
  if (segments.length === 0) return '/';
  const joined = '/' + segments.join('/');
  return hasTrailingSlash ? joined + '/' : joined;
}

/** Checks a decoded segment that is not '', '.' or '..'. */
function checkSegment(seg: string, hasHighByte: boolean, rejectMatrix: boolean): TargetRefusal | null {
  // Escaped bytes >= 0x80 must be UTF-8 (RFC 3986 §2.5, RFC 3629): overlong
  // forms such as '%C0%AE' are a classic way to smuggle a '.' or '/' past
  // a filter into a lenient decoder. decodeURIComponent is strict (it
  // refuses overlongs, surrogates and truncated sequences) and, every escape
  // being well-formed here, throws for nothing else.
  if (hasHighByte && !isUtf8Escapes(seg)) return 'invalid-utf8';
  // Windows (IIS, ASP.NET on Windows) drops trailing dots and spaces from
  // path segments, so '...' or '..%20' can become '..' after our resolution.
  if (isDotsAndSpaces(seg, seg.length)) return 'dot-segment-variant';
  if (!rejectMatrix) {
    // Matrix parameters allowed: still refuse the shapes that only exist to
    // turn into an empty or dot segment once a server strips ';...'
    // ('/..;/admin', '/.;x/', '/;x/admin').
    const semi = seg.indexOf(';');
    if (semi !== -1 && (semi === 0 || isDotsAndSpaces(seg, semi))) return 'matrix-param';
  }
  return null;
}

/** Whether seg[0, end) is made only of '.' and '%20' (and so may mean '.' or '..' to a Windows server). */
function isDotsAndSpaces(seg: string, end: number): boolean {
  let i = 0;
  while (i < end) {
    if (seg.charCodeAt(i) === DOT) i++;
    else if (seg.startsWith('%20', i) && i + 3 <= end) i += 3;
    else return false;
  }
  return true;
}

function isUtf8Escapes(seg: string): boolean {
  try {
    decodeURIComponent(seg);
    return true;
  } catch {
    return false;
  }
}

/** The byte of the two hex digits at raw[i], raw[i + 1] (both before `end`), or -1. */
function hexByte(raw: string, i: number, end: number): number {
  if (i + 1 >= end) return -1;
  const hi = raw.charCodeAt(i);
  const lo = raw.charCodeAt(i + 1);
  if (hi > 0x7f || lo > 0x7f || IS_HEX[hi] !== 1 || IS_HEX[lo] !== 1) return -1;
  return (hexValue(hi) << 4) | hexValue(lo);
}

function hexValue(c: number): number {
  return c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57;
}

/**
 * Whether the two characters at raw[j] are hex digits once decoded: after
 * '%25' that makes a double encoding, whether spelled '%252e' or '%25%32%65'.
 */
function isTwoHexDigitsAt(raw: string, j: number, end: number): boolean {
  for (let n = 0; n < 2; n++) {
    if (j >= end) return false;
    let c = raw.charCodeAt(j);
    if (c === PERCENT) {
      c = hexByte(raw, j + 1, end);
      j += 3;
    } else {
      j += 1;
    }
    if (c < 0 || c > 0x7f || IS_HEX[c] !== 1) return false;
  }
  return true;
}

/**
 * The query (RFC 3986 §3.4) is forwarded byte for byte, so it is only
 * validated: no whitespace, control or non-ASCII characters (RFC 9112 §3.2
 * forbids them in the request-target), no fragment (RFC 9112 §3.2: a
 * fragment is never sent), and well-formed escapes. Characters such as
 * '[', ']', '|' and '\' are accepted: clients send them raw in queries, and
 * they do not change routing.
 */
function checkQuery(raw: string, start: number): TargetRefusal | null {
  const len = raw.length;
  for (let i = start; i < len; i++) {
    const c = raw.charCodeAt(i);
    if (c > 0x7e) return c === 0x7f ? 'control-char' : 'non-ascii';
    if (c <= 0x20) return c === 0x00 ? 'nul' : c === 0x20 || c === 0x09 ? 'whitespace' : 'control-char';
    if (c === 0x23) return 'fragment';
    if (c === PERCENT) {
      if (hexByte(raw, i + 1, len) < 0) return 'bad-percent-encoding';
      i += 2;
    }
  }
  return null;
}
