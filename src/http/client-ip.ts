/**
 * Which address a request comes from, when proxies may stand in between.
 *
 * Forwarding headers are claims; only a trusted proxy's claims count. The
 * header is read from the right, where the nearest proxies wrote, and the walk
 * stops at the first address that is not a trusted proxy: everything to its
 * left was written by that untrusted party (or the client) and may be forged.
 * Anything the walk cannot read stops it too, and the answer is then the last
 * trusted hop: garbage is never promoted to a client address.
 */
import { isIP, isIPv4, isIPv6 } from 'node:net';
import type { CidrSet } from './cidr.ts';
import { normaliseIp } from './ip.ts';
import { isBlank, isPortText, isToken, skipOws, trimOws } from './syntax.ts';

const COMMA = 0x2c;
const QUOTE = 0x22;
const OBFUSCATED_PORT = /^_[A-Za-z0-9._-]+$/;

/**
 * The client address: the peer, unless the peer is a trusted proxy; then the
 * first untrusted address in X-Forwarded-For read right to left (or, without
 * X-Forwarded-For, in the `for=` parameters of Forwarded, RFC 7239), or the
 * leftmost one when all are trusted. Returns a normalised address.
 */
export function resolveClientIp(peerIp: string, xForwardedFor: string | undefined, forwarded: string | undefined, trusted: CidrSet): string {
  const peer = normaliseIp(peerIp);
  // hot path: a client that is not a trusted proxy has its headers ignored, unread
  if (!trusted.has(peer)) return peer;
  if (xForwardedFor !== undefined && !isBlank(xForwardedFor)) return walkXForwardedFor(xForwardedFor, peer, trusted);
  if (forwarded !== undefined && !isBlank(forwarded)) return walkForwarded(forwarded, peer, trusted);
  return peer;
}

/**
 * X-Forwarded-For is a de-facto list (no RFC): 'client, proxy1, proxy2',
 * each hop appending the address it received the request from. Node joins
 * repeated header lines with ', ', which keeps the order.
 */
function walkXForwardedFor(header: string, peer: string, trusted: CidrSet): string {
  let hop = peer;
  let end = header.length;
  for (;;) {
    const comma = end === 0 ? -1 : header.lastIndexOf(',', end - 1);
    const entry = trimOws(header.slice(comma + 1, end));
    // RFC 9110 §5.6.1: empty list elements do not count
    if (entry !== '') {
      const ip = parseXffEntry(entry);
      if (ip === null) return hop;
      if (!trusted.has(ip)) return ip;
      hop = ip;
    }
    if (comma < 0) return hop;
    end = comma;
  }
}

/**
 * An X-Forwarded-For entry: an address, or as some proxies (IIS ARR, Azure)
 * write it, 'IPv4:port' or '[IPv6]:port'.
 */
function parseXffEntry(entry: string): string | null {
  if (isIP(entry) !== 0) return normaliseIp(entry);
  if (entry.charCodeAt(0) === 0x5b) return parseBracketed(entry, false);
  const colon = entry.indexOf(':');
  if (colon === -1 || !isIPv4(entry.slice(0, colon)) || !isPort(entry, colon + 1, false)) return null;
  return entry.slice(0, colon);
}

/** RFC 7239 §4: Forwarded = 1#forwarded-element; the `for` parameter of each element, right to left. */
function walkForwarded(header: string, peer: string, trusted: CidrSet): string {
  let hop = peer;
  let end = header.length;
  for (;;) {
    // Scan back to the comma that ends the previous element, skipping quoted
    // strings. Scanning from the right keeps the elements that trusted
    // proxies appended readable even when a client sent an unbalanced quote
    // in the part that it controls, to the left.
    let i = end - 1;
    while (i >= 0) {
      const c = header.charCodeAt(i);
      if (c === QUOTE) {
        const open = i === 0 ? -1 : header.lastIndexOf('"', i - 1);
        if (open < 0) return hop;
        i = open - 1;
      } else if (c === COMMA) {
        break;
      } else {
        i--;
      }
    }
    const element = trimOws(header.slice(i + 1, end));
    if (element !== '') {
      const node = forParameterOf(element);
      // RFC 7239 §6.2/§6.3: 'unknown' and obfuscated identifiers name no address
      const ip = node === null ? null : parseForwardedNode(node);
      if (ip === null) return hop;
      if (!trusted.has(ip)) return ip;
      hop = ip;
    }
    if (i < 0) return hop;
    end = i;
  }
}

/**
 * The unquoted value of the one `for` parameter of a forwarded-element, or
 * null when the element is malformed, repeats a parameter (RFC 7239 §4: a
 * parameter MUST NOT occur more than once per element) or has no `for`.
 *
 *   forwarded-element = [ forwarded-pair ] *( ";" [ forwarded-pair ] )
 *   forwarded-pair    = token "=" value ; value = token / quoted-string
 *
 * Whitespace around ';' is tolerated: proxies write it. Quoted strings with a
 * backslash are refused: addresses never need quoted-pairs.
 */
function forParameterOf(element: string): string | null {
  const seen: string[] = [];
  let forValue: string | null = null;
  const len = element.length;
  let i = 0;
  while (i < len) {
    i = skipOws(element, i);
    if (i >= len) break;
    if (element.charCodeAt(i) === 0x3b) {
      i++;
      continue;
    }
    const eq = element.indexOf('=', i);
    if (eq === -1) return null;
    const name = element.slice(i, eq).toLowerCase();
    if (!isToken(name) || seen.includes(name)) return null;
    seen.push(name);
    let value: string;
    if (element.charCodeAt(eq + 1) === QUOTE) {
      const close = element.indexOf('"', eq + 2);
      if (close === -1) return null;
      value = element.slice(eq + 2, close);
      if (value.includes('\\')) return null;
      i = close + 1;
    } else {
      let j = eq + 1;
      while (j < len && element.charCodeAt(j) !== 0x3b && element.charCodeAt(j) !== 0x20 && element.charCodeAt(j) !== 0x09) j++;
      value = element.slice(eq + 1, j);
      if (!isToken(value)) return null;
      i = j;
    }
    i = skipOws(element, i);
    if (i < len && element.charCodeAt(i) !== 0x3b) return null;
    if (name === 'for') forValue = value;
  }
  return forValue;
}

/**
 * RFC 7239 §6: node = nodename [ ":" node-port ], nodename = IPv4address /
 * "[" IPv6address "]" / "unknown" / obfnode. Returns the normalised address,
 * or null for 'unknown', obfuscated names and anything malformed.
 */
function parseForwardedNode(node: string): string | null {
  if (node.charCodeAt(0) === 0x5b) return parseBracketed(node, true);
  const colon = node.indexOf(':');
  const name = colon === -1 ? node : node.slice(0, colon);
  if (!isIPv4(name)) return null;
  if (colon !== -1 && !isPort(node, colon + 1, true)) return null;
  return name;
}

/** '[IPv6]' or '[IPv6]:port'; a zone id is not accepted (not in RFC 3986 / RFC 7239 syntax). */
function parseBracketed(s: string, allowObfuscatedPort: boolean): string | null {
  const close = s.indexOf(']');
  if (close === -1) return null;
  const inner = s.slice(1, close);
  if (!isIPv6(inner) || inner.includes('%')) return null;
  if (close + 1 < s.length && (s.charCodeAt(close + 1) !== 0x3a || !isPort(s, close + 2, allowObfuscatedPort))) return null;
  return normaliseIp(inner);
}

/** RFC 3986 port, or RFC 7239 obfport = "_" 1*(ALPHA / DIGIT / "." / "_" / "-"). */
function isPort(s: string, start: number, allowObfuscated: boolean): boolean {
  const text = s.slice(start);
  return isPortText(text) || (allowObfuscated && OBFUSCATED_PORT.test(text));
}
