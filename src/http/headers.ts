/**
 * Header hygiene: refuse ambiguous request framing, and build the header
 * lists sent upstream and back to the client.
 *
 * Header lists are Node's `rawHeaders` shape: flat [name, value, name,
 * value, ...], names as received, repeated fields kept apart. That is what
 * the checks need (Node's `req.headers` silently drops a second Host or
 * Content-Length) and what undici accepts as `headers`.
 */
import { isIP, isIPv6 } from 'node:net';
import type { ForwardContext } from './types.ts';
import { formatIpv6, normaliseIp, parseIpv6 } from './ip.ts';
import { isBlank, isPortText, isToken, trimOws } from './syntax.ts';

export type { ForwardContext } from './types.ts';

/**
 * RFC 9110 §7.6.1 (Connection, Proxy-Connection, Keep-Alive, TE,
 * Transfer-Encoding, Upgrade), RFC 9110 §11.7 (Proxy-Authenticate,
 * Proxy-Authorization) and RFC 9110 §6.6.2 (Trailer): fields that describe
 * one connection and are never forwarded.
 */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** The forwarding chains this gateway extends: believed from a trusted peer, forged otherwise. */
const FORWARDING_CHAINS: ReadonlySet<string> = new Set(['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'forwarded']);

/**
 * Other headers that proxies set and that frameworks read as facts about the
 * client or the original URL (Spring reads X-Forwarded-Port and -Prefix,
 * many apps read X-Real-IP). From an untrusted peer they are forged, so they
 * are removed; from a trusted peer they pass unchanged.
 */
const PROXY_CLAIMS: ReadonlySet<string> = new Set([
  'x-forwarded-port',
  'x-forwarded-prefix',
  'x-forwarded-server',
  'x-forwarded-scheme',
  'x-forwarded-ssl',
  'x-real-ip',
  'x-client-ip',
  'true-client-ip',
]);

/**
 * Removed from every request, whoever sent it:
 * - host: undici writes the upstream's own;
 * - expect: Node has already answered '100-continue' to the client, and
 *   undici refuses to send the field;
 * - headers that make an upstream serve another path or method than the one
 *   the gateway classified (X-Original-URL / X-Rewrite-URL in IIS, Symfony,
 *   Zend; method overrides in Express method-override, ASP.NET, Symfony):
 *   honouring them would defeat route classification.
 */
const ALWAYS_REMOVED: ReadonlySet<string> = new Set([
  'host',
  'expect',
  'x-original-url',
  'x-rewrite-url',
  'x-http-method-override',
  'x-http-method',
  'x-method-override',
]);

const CR_LF_NUL = /[\r\n\0]/;
const DIGITS = /^[0-9]{1,15}$/;

/**
 * Checks the request head for framing ambiguities (request smuggling, RFC
 * 9112 §11.2) and malformed fields. Node's parser refuses most of these
 * before a request exists; this is a second line that does not depend on
 * parser flags (`insecureHTTPParser`) or on the parser's version. Returns
 * null when fine, else a short reason.
 */
export function checkRequestHeaders(rawHeaders: readonly string[]): string | null {
  const n = rawHeaders.length;
  if (n % 2 !== 0) return 'bad-header-list';
  let contentLengths = 0;
  let hosts = 0;
  let transferEncoding: string | null = null;
  for (let i = 0; i < n; i += 2) {
    const name = rawHeaders[i]!;
    const value = rawHeaders[i + 1]!;
    // RFC 9110 §5.1: field-name = token
    if (!isToken(name)) return 'bad-header-name';
    // RFC 9110 §5.5: CR, LF and NUL in a field value MUST be rejected or replaced
    if (CR_LF_NUL.test(value)) return 'bad-header-value';
    switch (name.length) {
      case 4:
        // RFC 9112 §3.2: more than one Host field MUST be answered with 400;
        // two hosts let the gateway route by one and the upstream by the other.
        if (name.toLowerCase() === 'host' && ++hosts > 1) return 'duplicate-host';
        break;
      case 14:
        if (name.toLowerCase() === 'content-length') {
          // RFC 9112 §6.3 item 5: repeated or list-valued Content-Length is
          // unrecoverable for a proxy; refused even when the values agree,
          // since not every upstream agrees that they agree.
          if (++contentLengths > 1) return 'duplicate-content-length';
          if (!DIGITS.test(value)) return 'bad-content-length';
        }
        break;
      case 17:
        if (name.toLowerCase() === 'transfer-encoding') {
          transferEncoding = transferEncoding === null ? value : transferEncoding + ',' + value;
        }
        break;
    }
  }
  if (transferEncoding !== null) {
    // RFC 9112 §6.1: both fields is a smuggling shape ("ought to be handled
    // as an error"); and only 'chunked' gives a request body a length
    // (RFC 9112 §6.3 item 4): any other coding, or chunked applied twice,
    // leaves the length to each parser's reading.
    if (contentLengths > 0) return 'te-and-cl';
    if (!isOnlyChunked(transferEncoding)) return 'bad-transfer-encoding';
  }
  return null;
}

function isOnlyChunked(value: string): boolean {
  const codings = value.split(',');
  return codings.length === 1 && trimOws(codings[0]!).toLowerCase() === 'chunked';
}

/**
 * The request header list to send upstream (flat, for undici's `headers`):
 * hop-by-hop fields and the fields named in Connection removed (RFC 9110
 * §7.6.1), forged forwarding headers removed, and this hop appended to the
 * forwarding chain in the style the upstream reads. Content-Length is kept
 * (the body is streamed as received). Other values pass unchanged: they
 * have been through `checkRequestHeaders`.
 */
export function buildUpstreamHeaders(rawHeaders: readonly string[], ctx: ForwardContext): string[] {
  const listed = connectionOptions(rawHeaders);
  const trusted = ctx.peerIsTrusted;
  const out: string[] = [];
  let xff: string | null = null;
  let xfProto: string | null = null;
  let xfHost: string | null = null;
  let forwarded: string | null = null;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    const value = rawHeaders[i + 1]!;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || ALWAYS_REMOVED.has(lower) || isListed(listed, lower)) continue;
    // the gateway's own assertions (principal headers): never from the client, in any spelling
    if (lower.charCodeAt(0) === 0x78 /* x */ && lower.replaceAll('_', '-').startsWith('x-apiwarden-')) continue;
    if (FORWARDING_CHAINS.has(lower)) {
      // Collected, then re-emitted extended with this hop (trusted peer) or
      // dropped (untrusted peer: a client writing its own chain is spoofing).
      if (trusted && !isBlank(value)) {
        if (lower === 'x-forwarded-for') xff = join(xff, value);
        else if (lower === 'x-forwarded-proto') xfProto = join(xfProto, value);
        else if (lower === 'x-forwarded-host') xfHost = join(xfHost, value);
        else forwarded = join(forwarded, value);
      }
      continue;
    }
    if (!trusted && PROXY_CLAIMS.has(lower)) continue;
    // CGI-style servers (PHP, WSGI, Rack) read 'X_Forwarded_For' and
    // 'X-Forwarded-For' as the same variable, HTTP_X_FORWARDED_FOR: a name
    // with '_' that reads as one of the fields handled above is a way around
    // this filter.
    if (lower.includes('_') && isHandledName(lower.replaceAll('_', '-'))) continue;
    out.push(name, value);
  }

  // ctx.clientIp is the immediate TCP peer (see ForwardContext), not the resolved client
  const peer = normaliseIp(ctx.clientIp);
  const peerIsIp = isIP(peer) !== 0;
  // The usual proxy semantics: each hop appends the address it received the
  // request from. When that is not an address, 'unknown' stops the readers
  // that walk the chain (RFC 7239 §6.2) instead of letting them skip a hop.
  if (ctx.style !== 'forwarded') {
    out.push('x-forwarded-for', join(xff, peerIsIp ? peer : 'unknown'));
    out.push('x-forwarded-proto', join(xfProto, ctx.proto));
    const host = ctx.host === '' ? xfHost : join(xfHost, ctx.host);
    if (host !== null) out.push('x-forwarded-host', host);
  }
  if (ctx.style !== 'x-forwarded') {
    // RFC 7239 §4-§6: IPv6 in brackets and quotes, other values quoted when not a token
    const node = !peerIsIp ? 'unknown' : isIPv6(peer) ? `"[${peer}]"` : peer;
    let element = `for=${node};proto=${ctx.proto}`;
    if (ctx.host !== '') element += `;host=${tokenOrQuoted(ctx.host)}`;
    out.push('forwarded', join(forwarded, element));
  }
  if (ctx.identity) out.push(...ctx.identity);
  return out;
}

/**
 * The response header list to send to the client: hop-by-hop fields and
 * fields named in Connection removed (RFC 9110 §7.6.1); Node writes its own
 * framing and connection fields for the client's connection.
 */
/**
 * The same filter over undici's response header object (names already
 * lower-case, repeated fields as arrays), in one pass to a flat list for
 * `res.writeHead`. hot path: once per forwarded response.
 */
export function filterResponseHeaderObject(headers: Readonly<Record<string, string | string[] | undefined>>): string[] {
  const connection = headers.connection;
  const listed = connection === undefined ? null : connectionOptions(['connection', Array.isArray(connection) ? connection.join(',') : connection]);
  const out: string[] = [];
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || HOP_BY_HOP.has(name) || isListed(listed, name)) continue;
    if (Array.isArray(value)) for (const v of value) out.push(name, v);
    else out.push(name, value);
  }
  return out;
}

export function filterResponseHeaders(rawHeaders: readonly string[]): string[] {
  const listed = connectionOptions(rawHeaders);
  const out: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || isListed(listed, lower)) continue;
    out.push(name, rawHeaders[i + 1]!);
  }
  return out;
}

/**
 * The Host header reduced to the name that routing compares: lower-case,
 * without port and without one trailing dot ('Example.COM.:8080' →
 * 'example.com'); an IPv6 literal keeps its brackets, in RFC 5952 form.
 * '' when there is no Host (HTTP/1.0, or an empty Host as RFC 9112 §3.2
 * allows). Null when malformed.
 *
 * RFC 3986 §3.2.2 allows sub-delims and percent-encoding in a reg-name; no
 * DNS name uses them, and they are refused here because upstreams split
 * X-Forwarded-Host on ',' and some decode '%'. IPvFuture and zone ids
 * (RFC 6874) are refused for the same reason.
 */
export function normaliseHost(host: string | undefined): string | null {
  if (host === undefined || host === '') return '';
  let name: string;
  let rest: string;
  if (host.charCodeAt(0) === 0x5b) {
    const close = host.indexOf(']');
    if (close === -1) return null;
    const inner = host.slice(1, close);
    if (inner.includes('%') || !isIPv6(inner)) return null;
    name = `[${formatIpv6(parseIpv6(inner))}]`;
    rest = host.slice(close + 1);
  } else {
    const colon = host.indexOf(':');
    const text = colon === -1 ? host : host.slice(0, colon);
    rest = colon === -1 ? '' : host.slice(colon);
    // checked before lower-casing: String#toLowerCase maps some non-ASCII
    // letters to ASCII ones (the Kelvin sign to 'k')
    if (!isRegName(text)) return null;
    const lower = text.toLowerCase();
    name = lower.endsWith('.') ? lower.slice(0, -1) : lower;
    // RFC 1035 §2.3.4: at most 255 octets; no empty labels ('a..b', '.a')
    if (name === '' || name.length > 253 || name.startsWith('.') || name.endsWith('.') || name.includes('..')) return null;
  }
  // RFC 3986 §3.2.3: port = *DIGIT; an empty port is refused, as it is in URLs that users write
  if (rest !== '' && (rest.charCodeAt(0) !== 0x3a || !isPortText(rest.slice(1)))) return null;
  return name;
}

/** RFC 3986 §2.3 unreserved characters only (see normaliseHost). */
function isRegName(s: string): boolean {
  if (s === '') return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const isAlnum = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
    if (!isAlnum && c !== 0x2d && c !== 0x2e && c !== 0x5f && c !== 0x7e) return false;
  }
  return true;
}

/** Lower-cased field names listed in Connection fields (RFC 9110 §7.6.1), or null when there are none. */
function connectionOptions(rawHeaders: readonly string[]): Set<string> | null {
  let listed: Set<string> | null = null;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name.length !== 10 || name.toLowerCase() !== 'connection') continue;
    for (const option of rawHeaders[i + 1]!.split(',')) {
      const o = trimOws(option).toLowerCase();
      if (o !== '') (listed ??= new Set()).add(o);
    }
  }
  return listed;
}

/**
 * Content-Length is never removed on a Connection option's say-so: it frames
 * the body that is forwarded, and a client listing it would only be trying to
 * make the two sides frame the message differently.
 */
function isListed(listed: Set<string> | null, lower: string): boolean {
  return listed !== null && listed.has(lower) && lower !== 'content-length';
}

function isHandledName(lower: string): boolean {
  return (
    lower === 'content-length' || HOP_BY_HOP.has(lower) || ALWAYS_REMOVED.has(lower) || FORWARDING_CHAINS.has(lower) || PROXY_CLAIMS.has(lower)
  );
}

/** RFC 9110 §5.6.4: a token as is, anything else as a quoted-string with '\' and '"' escaped. */
function tokenOrQuoted(s: string): string {
  return isToken(s) ? s : `"${s.replace(/[\\"]/g, '\\$&')}"`;
}

function join(list: string | null, value: string): string {
  return list === null ? value : `${list}, ${value}`;
}
