/**
 * NCSA common and combined log lines, as nginx (`log_format combined`, the
 * default) and Apache (`%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-agent}i\"`)
 * write them, and Apache's vhost_combined (`%v:%p` in front):
 *
 *   203.0.113.7 - alice [10/Oct/2000:13:55:36 -0700] "GET /a?b=1 HTTP/1.1" 200 2326 "http://ref/" "curl/8.0"
 *
 * Fields after the user agent (nginx's `main` adds "$http_x_forwarded_for")
 * are ignored; a line that stops after the byte count is a common-log line.
 */
import type { ObservedRequest } from '../discovery/types.ts';
import { isToken } from '../http/syntax.ts';
import { parseClfTime } from './time.ts';
import { hostOf, splitTarget, upperMethod } from './target.ts';
import { ParseError } from './types.ts';

const QUOTE = 0x22;
const SPACE = 0x20;
const BACKSLASH = 0x5c;
const CLF_TIME_LENGTH = 26;

/**
 * The closing quote of a quoted field opened just before `from`. Apache
 * escapes '"' as '\"' (nginx writes \x22), so a quote preceded by an odd
 * number of backslashes is inside the field.
 */
function closingQuote(line: string, from: number): number {
  let q = line.indexOf('"', from);
  while (q !== -1 && line.charCodeAt(q - 1) === BACKSLASH) {
    let backslashes = 1;
    while (q - backslashes - 1 >= from && line.charCodeAt(q - backslashes - 1) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) break;
    q = line.indexOf('"', q + 1);
  }
  return q;
}

/**
 * nginx and Apache write the bytes of the request line that are not
 * printable ASCII, and '"' and '\\', as \xHH (Apache also as \" and \\);
 * a server that does not escape leaves raw bytes, which latin1 decoding turns
 * into one character each. Either way the request carried those bytes, and a
 * request target carries them percent-encoded (RFC 3986 §2.1), which is the
 * form the contract keeps: `/caf\xC3\xA9` → `/caf%C3%A9`.
 */

function hex2(code: number): string {
  return `%${code < 16 ? '0' : ''}${code.toString(16).toUpperCase()}`;
}

// hot path: a loop over char codes measured faster here than a regular expression test
function needsEncoding(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80 || c === BACKSLASH) return true;
  }
  return false;
}

export function encodeLoggedTarget(text: string): string {
  if (!needsEncoding(text)) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH && text.charCodeAt(i + 1) === 0x78 && isHex(text.charCodeAt(i + 2)) && isHex(text.charCodeAt(i + 3))) {
      out += `%${text.slice(i + 2, i + 4).toUpperCase()}`;
      i += 3;
    } else if (c === BACKSLASH && (text.charCodeAt(i + 1) === QUOTE || text.charCodeAt(i + 1) === BACKSLASH)) {
      out += hex2(text.charCodeAt(i + 1));
      i += 1;
    } else if (c >= 0x80) {
      out += hex2(c & 0xff);
    } else {
      out += text[i];
    }
  }
  return out;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** Digits from `start` to the next space or the end → number; '-' → 0 (CLF writes '-' for none); -1 otherwise. */
function numberField(line: string, start: number, end: number): number {
  if (end - start === 1 && line.charCodeAt(start) === 0x2d) return 0;
  if (end === start || end - start > 15) return -1;
  let value = 0;
  for (let i = start; i < end; i++) {
    const d = line.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

/**
 * line[start, end) when it is a common method (GET, POST, PUT, DELETE,
 * PATCH, HEAD, OPTIONS), as one shared string: no
 * copy per line, and the maps keyed by method downstream (the templater's,
 * the inventory's) find it without hashing a new string.
 */
function knownMethod(line: string, start: number, end: number): string | null {
  const length = end - start;
  const c = line.charCodeAt(start);
  // by the first letter: one comparison of characters at most
  const method =
    c === 0x47 ? 'GET'
    : c === 0x50 ? (length === 4 ? 'POST' : length === 3 ? 'PUT' : 'PATCH')
    : c === 0x44 ? 'DELETE'
    : c === 0x48 ? 'HEAD'
    : c === 0x4f ? 'OPTIONS'
    : null;
  return method !== null && method.length === length && isAt(line, start, method) ? method : null;
}

/** line.startsWith(word, start), as a loop the compiler inlines (a builtin call per field measured slower) */
function isAt(line: string, start: number, word: string): boolean {
  for (let i = 0; i < word.length; i++) if (line.charCodeAt(start + i) !== word.charCodeAt(i)) return false;
  return true;
}

/** line.indexOf(' ['), with a one-character search (memchr) for '[' */
function timeOpen(line: string): number {
  let bracket = line.indexOf('[', 1);
  while (bracket !== -1 && line.charCodeAt(bracket - 1) !== SPACE) bracket = line.indexOf('[', bracket + 1);
  return bracket === -1 ? -1 : bracket - 1;
}

/** `%v:%p %h %l %u [`: a fourth field before the time, and the second (%h) is not '-' */
function isVhostCombined(line: string, s1: number, s2: number, open: number): boolean {
  const s3 = line.indexOf(' ', s2 + 1);
  return s3 < open && !(s2 - s1 === 2 && line.charCodeAt(s1 + 1) === 0x2d) && line.indexOf(' ', s3 + 1) === open;
}

/**
 * One combined or common log line → ObservedRequest, or why not.
 * Single pass with indexOf; no regular expression and no split.
 * `isPlain` is the caller's promise that the line is ASCII without a
 * backslash (read-log.ts checks a whole chunk at once with buffer.isAscii):
 * the target then needs no re-encoding, which saves a scan of each path.
 */
// hot path: the ingest benchmark's line parser (≥ 500k lines/s on one core)
export function parseCombinedLine(line: string, isPlain = false): ObservedRequest | ParseError {
  const open = timeOpen(line);
  if (open === -1) return new ParseError('no [time] field');
  // %h %l %u before the time, or %v:%p %h %l %u (vhost_combined)
  const s1 = line.indexOf(' ');
  // `%h - ` (no identd name, as nearly always): the second field is '-', so
  // this is no vhost_combined line either (see below)
  const isNoIdent = s1 !== open && line.charCodeAt(s1 + 1) === 0x2d && line.charCodeAt(s1 + 2) === SPACE;
  const s2 = isNoIdent ? s1 + 2 : s1 === open ? -1 : line.indexOf(' ', s1 + 1);
  if (s2 === -1 || s2 >= open) return new ParseError('fewer than three fields before the time');
  let host = '';
  let clientStart = 0;
  let clientEnd = s1;
  // four fields and the second is not '-' (an identd name is almost always
  // '-'): the first is the virtual host
  if (!isNoIdent && isVhostCombined(line, s1, s2, open)) {
    host = hostOf(line.slice(0, s1));
    clientStart = s1 + 1;
    clientEnd = s2;
  }
  const clientIp = clientEnd - clientStart === 1 && line.charCodeAt(clientStart) === 0x2d ? null : line.slice(clientStart, clientEnd);

  const timeStart = open + 2;
  const timeEnd = timeStart + CLF_TIME_LENGTH;
  const time = line.charCodeAt(timeEnd) === 0x5d ? parseClfTime(line, timeStart) : Number.NaN;
  if (Number.isNaN(time)) return new ParseError('time is not [dd/Mon/yyyy:HH:MM:SS ±hhmm]');
  if (line.charCodeAt(timeEnd + 1) !== SPACE || line.charCodeAt(timeEnd + 2) !== QUOTE) return new ParseError('no quoted request line after the time');

  // the request line: METHOD SP target SP HTTP/x.y
  const rq = timeEnd + 3;
  const rqEnd = closingQuote(line, rq);
  if (rqEnd === -1) return new ParseError('request line is not closed');
  if (rqEnd === rq) return new ParseError('request line is empty');
  const sp1 = line.indexOf(' ', rq);
  if (sp1 === -1 || sp1 >= rqEnd) {
    return new ParseError(rqEnd - rq === 1 && line.charCodeAt(rq) === 0x2d ? 'request line is "-"' : 'request line has no target');
  }
  const known = knownMethod(line, rq, sp1);
  const method = known ?? line.slice(rq, sp1);
  if (known === null && !isToken(method)) return new ParseError('request method is not a token');
  const sp2 = line.lastIndexOf(' ', rqEnd - 1);
  if (sp2 === sp1) return new ParseError('request line has no HTTP version');
  if (!isAt(line, sp2 + 1, 'HTTP/')) return new ParseError('request line does not end with an HTTP version');
  const targetStart = sp1 + 1;
  if (targetStart === sp2) return new ParseError('request target is empty');
  let path: string;
  let query: string | null = null;
  if (line.charCodeAt(targetStart) === 0x2f) {
    const q = line.indexOf('?', targetStart);
    if (q === -1 || q >= sp2) {
      path = line.slice(targetStart, sp2);
    } else {
      path = line.slice(targetStart, q);
      query = line.slice(q + 1, sp2);
    }
  } else {
    const target = splitTarget(line.slice(targetStart, sp2));
    path = target.path;
    query = target.query;
    if (host === '') host = target.host;
  }

  if (!isPlain) {
    path = encodeLoggedTarget(path);
    if (query !== null) query = encodeLoggedTarget(query);
  }

  // status and body bytes
  if (line.charCodeAt(rqEnd + 1) !== SPACE) return new ParseError('no status after the request line');
  const statusStart = rqEnd + 2;
  let statusEnd = line.indexOf(' ', statusStart);
  if (statusEnd === -1) statusEnd = line.length;
  const status = numberField(line, statusStart, statusEnd);
  if (status < 0 || status > 999) return new ParseError('status is not a number');
  if (statusEnd === line.length) return new ParseError('no byte count after the status');
  let bytesEnd = line.indexOf(' ', statusEnd + 1);
  if (bytesEnd === -1) bytesEnd = line.length;
  const bytesOut = numberField(line, statusEnd + 1, bytesEnd);
  if (bytesOut < 0) return new ParseError('byte count is not a number');

  // combined: "referer" "user agent"; common: nothing more
  let userAgent: string | null = null;
  if (bytesEnd < line.length) {
    if (line.charCodeAt(bytesEnd + 1) !== QUOTE) return new ParseError('referer is not quoted');
    const refererEnd = closingQuote(line, bytesEnd + 2);
    if (refererEnd === -1) return new ParseError('referer is not closed');
    if (refererEnd + 1 < line.length) {
      if (line.charCodeAt(refererEnd + 1) !== SPACE || line.charCodeAt(refererEnd + 2) !== QUOTE) return new ParseError('user agent is not quoted');
      const agentStart = refererEnd + 3;
      const agentEnd = closingQuote(line, agentStart);
      if (agentEnd === -1) return new ParseError('user agent is not closed');
      if (agentEnd !== agentStart && !(agentEnd - agentStart === 1 && line.charCodeAt(agentStart) === 0x2d)) {
        userAgent = line.slice(agentStart, agentEnd);
      }
    }
  }

  return {
    time,
    method: known ?? upperMethod(method),
    host,
    path,
    query,
    status,
    clientIp,
    userAgent,
    bytesOut,
    latencyMs: null,
    requestHeaders: null,
    responseHeaders: null,
    requestBody: null,
    responseBody: null,
  };
}
