/**
 * Client fingerprint: a short hash of what a client program sends the same
 * way on every request, whatever address it comes from. It is what ties
 * together the 300 addresses of one enumeration script (the reference
 * incident rotated addresses, not programs).
 *
 * Inputs:
 *   - header NAMES in the order sent (lower-cased: a proxy in front may
 *     change case, never order), without the ones that depend on the request
 *     rather than the program (bodies, caching, cookies, tracing, forwarding);
 *   - the values of User-Agent, Accept, Accept-Language, Accept-Encoding;
 *   - optionally the TLS ClientHello as JA4 (FoxIO's algorithm: protocol,
 *     version, SNI, counts and ALPN, then truncated SHA-256 of the sorted
 *     cipher list and of the sorted extension list with the signature
 *     algorithms; checked against a published vector in the test), or a JA4
 *     string the caller computed itself.
 *
 * A fingerprint identifies a program, not a person: every user of one app
 * release shares it. Rules must therefore never act on a fingerprint from
 * volume alone; attribution (attribution.ts) checks that the fingerprint's
 * own traffic is bad (e.g. mostly misses) before naming it.
 */
import { hash } from 'node:crypto';

/** What the caller knows of the TLS ClientHello (Node does not expose it; a ClientHello parser on the socket must). */
export interface TlsClientHello {
  /** 'tcp' (TLS) or 'quic' */
  protocol?: 'tcp' | 'quic';
  /** the highest version offered: 0x0304, or '1.3' */
  version: number | string;
  /** cipher suites as offered (GREASE values are ignored) */
  ciphers: readonly number[];
  /** extension types as offered (GREASE values are ignored) */
  extensions: readonly number[];
  /** signature algorithms as offered, in order */
  signatureAlgorithms?: readonly number[];
  /** the first ALPN value offered ('h2', 'http/1.1'), or null */
  alpn?: string | null;
  /** was a server name (SNI) sent? */
  hasServerName?: boolean;
}

export interface FingerprintInput {
  /** node's req.rawHeaders: [name, value, name, value, …] in the order received */
  rawHeaders: readonly string[];
  /** the ClientHello, or a JA4 string computed by the caller */
  tls?: TlsClientHello | { ja4: string } | null;
}

/** hex characters kept: 48 bits, enough to tell programs apart, short enough for labels and ban keys */
export const FINGERPRINT_LENGTH = 12;

/**
 * Header names left out: they come and go with the request (a body, a
 * conditional GET, a cookie, a trace) or are added by proxies, so the same
 * program would otherwise get several fingerprints.
 */
const PER_REQUEST_HEADERS = new Set([
  'content-length', 'content-type', 'content-encoding', 'transfer-encoding', 'expect',
  'cookie', 'authorization', 'proxy-authorization', 'referer', 'origin',
  'if-none-match', 'if-modified-since', 'if-match', 'if-unmodified-since', 'if-range', 'range',
  'cache-control', 'pragma', 'priority', 'upgrade-insecure-requests',
  'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'forwarded', 'x-real-ip', 'via',
  'x-request-id', 'x-correlation-id', 'idempotency-key', 'traceparent', 'tracestate', 'baggage',
]);

const VALUE_HEADERS = ['user-agent', 'accept', 'accept-language', 'accept-encoding'] as const;

/** 12 hex characters of SHA-256 over the canonical text (fingerprintText). */
const REQUEST_FINGERPRINT = Symbol('apiwarden.fingerprint');

/** The fingerprint of a request being handled, computed once and kept on the request (ban checks and detection both ask). */
export function requestFingerprint(req: { rawHeaders: readonly string[] }): string {
  const holder = req as unknown as Record<symbol, string | undefined>;
  return (holder[REQUEST_FINGERPRINT] ??= clientFingerprint({ rawHeaders: req.rawHeaders }));
}

export function clientFingerprint(input: FingerprintInput): string {
  return hash('sha256', fingerprintText(input), 'hex').slice(0, FINGERPRINT_LENGTH);
}

/** The canonical text that is hashed: readable, for debugging a fingerprint. */
export function fingerprintText(input: FingerprintInput): string {
  const names: string[] = [];
  const values: Record<string, string> = {};
  const raw = input.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    // sec-fetch-* change between navigation and fetch() of the same browser
    if (PER_REQUEST_HEADERS.has(name) || name.startsWith('sec-fetch-')) continue;
    names.push(name);
    if ((VALUE_HEADERS as readonly string[]).includes(name) && values[name] === undefined) values[name] = raw[i + 1]!.trim();
  }
  const tls = input.tls ? ('ja4' in input.tls ? input.tls.ja4 : ja4Style(input.tls)) : '-';
  const lines = [`h:${names.join(',')}`];
  for (const name of VALUE_HEADERS) lines.push(`${name}:${values[name] ?? '-'}`);
  lines.push(`tls:${tls}`);
  return lines.join('\n');
}

/** RFC 8701 GREASE values: 0x0a0a, 0x1a1a, … 0xfafa. */
function isGrease(value: number): boolean {
  return (value & 0x0f0f) === 0x0a0a && (value >> 8) === (value & 0xff);
}

const TLS_VERSIONS: Record<string, string> = { '772': '13', '771': '12', '770': '11', '769': '10', '1.3': '13', '1.2': '12', '1.1': '11', '1.0': '10' };
const EXT_SERVER_NAME = 0x0000;
const EXT_ALPN = 0x0010;

const hex4 = (n: number): string => n.toString(16).padStart(4, '0');
const truncatedSha = (text: string): string => (text === '' ? '000000000000' : hash('sha256', text, 'hex').slice(0, 12));

/**
 * The JA4 string of a ClientHello ("t13d1516h2_8daaf6152771_d8a2da3f94cd"),
 * following FoxIO's JA4 (BSD-3): protocol, version, d/i for SNI,
 * two-digit cipher and extension counts, first and last character of the
 * first ALPN; then the sorted ciphers, then the sorted extensions without SNI
 * and ALPN followed by the signature algorithms in the order sent. The caller
 * gives the version to use (JA4 takes the highest of supported_versions when
 * that extension is present). "Style" because DTLS ('d') is not handled.
 */
export function ja4Style(hello: TlsClientHello): string {
  const ciphers = hello.ciphers.filter((c) => !isGrease(c));
  const extensions = hello.extensions.filter((e) => !isGrease(e));
  const version = TLS_VERSIONS[String(hello.version)] ?? '00';
  const alpn = hello.alpn ? `${hello.alpn[0]}${hello.alpn[hello.alpn.length - 1]}` : '00';
  const count = (n: number): string => String(Math.min(n, 99)).padStart(2, '0');
  const a = `${hello.protocol === 'quic' ? 'q' : 't'}${version}${hello.hasServerName ? 'd' : 'i'}${count(ciphers.length)}${count(extensions.length)}${alpn}`;
  const b = truncatedSha([...ciphers].sort((x, y) => x - y).map(hex4).join(','));
  const sortedExtensions = extensions.filter((e) => e !== EXT_SERVER_NAME && e !== EXT_ALPN).sort((x, y) => x - y).map(hex4).join(',');
  const signatures = (hello.signatureAlgorithms ?? []).filter((s) => !isGrease(s)).map(hex4).join(',');
  const c = truncatedSha(signatures ? `${sortedExtensions}_${signatures}` : sortedExtensions);
  return `${a}_${b}_${c}`;
}
