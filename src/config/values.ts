/**
 * Parsers for the value formats of the policy file. Each takes the raw value
 * and returns the normalised one, or throws a plain `Error` whose message is a
 * short reason ("unknown unit 'sec' ..."); the loader adds file, line and
 * field. They have no other context, so the CLI can reuse them for flags.
 */
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import addFormats from 'ajv-formats';

// ajv-formats ships RFC 3339 date / date-time and RFC 1123 host name checks;
// reuse them rather than keeping our own calendar and host name rules.
// (`.default`: ajv-formats is CommonJS; under Node ESM the default import is
// its module.exports, which carries the plugin again as `.default`.)
const formats = addFormats.default;
function formatTest(name: 'date' | 'date-time' | 'hostname'): (s: string) => boolean {
  const format = formats.get(name, 'full');
  if (format instanceof RegExp) return (s) => format.test(s);
  if (typeof format === 'function') return (s) => format(s) as boolean;
  if (typeof format === 'object' && format !== null && 'validate' in format) {
    const { validate } = format;
    if (validate instanceof RegExp) return (s) => validate.test(s);
    return (s) => (validate as (s: string) => boolean)(s);
  }
  throw new Error(`ajv-formats has no '${name}' format`);
}
const isDate = formatTest('date');
const isDateTime = formatTest('date-time');
const isHostname = formatTest('hostname');

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };
/** Node's timers hold at most 2^31-1 ms; a longer delay fires at once (TimeoutOverflowWarning). */
const MAX_DURATION_MS = 2 ** 31 - 1;
const MAX_SIZE = 1024 ** 3;

/** Splits "10s" / "16kb" into a whole number and a lower-case unit. */
function splitUnit(value: string): { amount: number; unit: string } | null {
  const match = /^(\d+)([a-z]+)$/i.exec(value.trim());
  if (!match) return null;
  return { amount: Number(match[1]), unit: match[2]!.toLowerCase() };
}

/**
 * A duration in whole milliseconds, > 0: an integer (milliseconds) or a
 * string "500ms", "10s", "2m", "1h", "1d". A bare "500" string is refused: the unit
 * must be explicit when quoting.
 */
export function parseDuration(value: string | number): number {
  const hint = 'use milliseconds (500) or a whole number with ms, s, m, h or d (500ms, 10s, 2m, 1h, 1d)';
  let ms: number;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`${value} is not a whole number of milliseconds; ${hint}`);
    ms = value;
  } else if (typeof value === 'string') {
    const parts = splitUnit(value);
    const factor = parts ? DURATION_UNITS[parts.unit] : undefined;
    if (!parts || factor === undefined) throw new Error(`"${value}" is not a duration; ${hint}`);
    ms = parts.amount * factor;
  } else {
    throw new Error(`expected a duration; ${hint}`);
  }
  if (ms <= 0) throw new Error('must be greater than 0');
  if (ms > MAX_DURATION_MS) throw new Error('must be at most 24d (596h: Node timers cannot wait longer than 2^31-1 ms)');
  return ms;
}

/** A size in bytes, > 0 and at most 1gb: an integer, or "512b", "16kb", "1mb", "1gb" (1024-based). */
export function parseSize(value: string | number): number {
  const hint = 'use bytes (16384) or a whole number with b, kb, mb or gb (512b, 16kb, 1mb; 1kb = 1024 bytes)';
  let bytes: number;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`${value} is not a whole number of bytes; ${hint}`);
    bytes = value;
  } else if (typeof value === 'string') {
    const parts = splitUnit(value);
    const factor = parts ? SIZE_UNITS[parts.unit] : undefined;
    if (!parts || factor === undefined) throw new Error(`"${value}" is not a size; ${hint}`);
    bytes = parts.amount * factor;
  } else {
    throw new Error(`expected a size; ${hint}`);
  }
  if (bytes <= 0) throw new Error('must be greater than 0');
  if (bytes > MAX_SIZE) throw new Error('must be at most 1gb');
  return bytes;
}

/**
 * A calendar date "2025-06-30" (00:00:00 UTC that day) or an RFC 3339
 * date-time with a zone ("2025-06-30T12:00:00Z"). Impossible days such as
 * 2025-02-30 are refused instead of rolling over to March. A `Date` (what a
 * YAML timestamp tag gives) is accepted as is.
 */
export function parseDate(value: string | Date): Date {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new Error('is not a valid date');
    return value;
  }
  const text = String(value).trim();
  if (isDate(text)) return new Date(`${text}T00:00:00Z`);
  if (isDateTime(text)) {
    const date = new Date(text);
    // Leap seconds (23:59:60) pass RFC 3339 but not the JavaScript Date parser.
    if (!Number.isNaN(date.getTime())) return date;
  }
  if (/^\d{4}-\d\d-\d\d[t ]\d\d:\d\d(:\d\d(\.\d+)?)?$/i.test(text)) {
    throw new Error(`"${text}" has no time zone; add Z or an offset, e.g. ${text}Z`);
  }
  throw new Error(`"${text}" is not a valid date; use YYYY-MM-DD (2025-06-30) or a date-time with a zone (2025-06-30T12:00:00Z)`);
}

/**
 * An absolute http(s) URL. `kind: 'upstream'` also refuses a query or a
 * fragment (they would be glued to every forwarded path) and returns the
 * origin plus the path without its trailing slash.
 */
export function parseHttpUrl(value: string, kind: 'upstream' | 'link'): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`must be an http:// or https:// URL (got "${value}")`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`must be an http:// or https:// URL (got "${value}")`);
  }
  if (url.username || url.password) {
    throw new Error('must not contain a user name or password; credentials in URLs end up in logs');
  }
  if (kind === 'link') return url.href;
  // URL drops an empty "?" or "#", so look at the text as well.
  if (url.search || value.includes('?')) throw new Error('must not contain a query string');
  if (url.hash || value.includes('#')) throw new Error('must not contain a fragment (#...)');
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/+$/, '');
  return url.origin + path;
}

/** True for an IPv4 or IPv6 address without zone id (node:net accepts "fe80::1%eth0"). */
export function isIpAddress(value: string): boolean {
  return isIP(value) !== 0 && !value.includes('%');
}

/** Lower-case, compressed form of an IPv6 address; IPv4 unchanged. */
export function canonicalIp(address: string): string {
  return isIP(address) === 6 ? new URL(`http://[${address}]`).hostname.slice(1, -1) : address;
}

/** The address as a number, to check that a CIDR has no bits set after its prefix. */
function ipToBigInt(address: string): bigint {
  if (isIP(address) === 4) {
    return address.split('.').reduce((acc, part) => (acc << 8n) | BigInt(part), 0n);
  }
  // Expand "::" and an embedded IPv4 tail ("::ffff:1.2.3.4") to eight 16-bit groups.
  let text = address;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const n = ipToBigInt(v4[1]!);
    text = text.slice(0, -v4[1]!.length) + `${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : Array<string>(8 - headGroups.length - tailGroups.length).fill('0');
  return [...headGroups, ...zeros, ...tailGroups].reduce((acc, g) => (acc << 16n) | BigInt(`0x${g}`), 0n);
}

/**
 * A CIDR ("10.0.0.0/8", "2001:db8::/32") or a bare address (taken as /32 or
 * /128). Returns the canonical CIDR. A CIDR with host bits set
 * ("10.0.0.1/8") is refused: it usually means a typo in the address or the
 * prefix length, and trusting the wrong network is a security hole.
 */
export function parseCidr(value: string): string {
  const [address = '', prefix, extra] = value.trim().split('/');
  if (extra !== undefined || !isIpAddress(address)) {
    throw new Error(`"${value}" is not an IP address or CIDR; write e.g. 10.0.0.0/8, 192.168.1.10 or 2001:db8::/32`);
  }
  const bits = isIP(address) === 4 ? 32 : 128;
  if (prefix === undefined) return `${canonicalIp(address)}/${bits}`;
  if (!/^(0|[1-9]\d*)$/.test(prefix) || Number(prefix) > bits) {
    throw new Error(`prefix length "/${prefix}" must be a whole number from 0 to ${bits} for IPv${bits === 32 ? 4 : 6}`);
  }
  const length = Number(prefix);
  const hostMask = (1n << BigInt(bits - length)) - 1n;
  const n = ipToBigInt(address);
  if ((n & hostMask) !== 0n) {
    const network = n & ~hostMask;
    const shown = bits === 32
      ? [24n, 16n, 8n, 0n].map((s) => ((network >> s) & 255n).toString()).join('.')
      : canonicalIp(Array.from({ length: 8 }, (_, i) => ((network >> BigInt(112 - 16 * i)) & 0xffffn).toString(16)).join(':'));
    throw new Error(`"${value}" has bits set after the /${length} prefix; did you mean ${shown}/${length}?`);
  }
  return `${canonicalIp(address)}/${length}`;
}

/**
 * A Host header pattern: a host name or IPv4 address, or "*.example.com".
 * Returned lower-case, in ASCII (IDNA), without trailing dot.
 */
export function parseHostPattern(value: string): string {
  const text = value.trim();
  if (/:\d+$/.test(text) && !text.includes('::')) throw new Error(`"${value}" must be a host name without a port`);
  const wildcard = text.startsWith('*.');
  const name = domainToASCII((wildcard ? text.slice(2) : text).replace(/\.$/, '')).toLowerCase();
  if (!name || !isHostname(name) || name.includes('*')) {
    throw new Error(`"${value}" is not a host name; write e.g. api.example.com or *.example.com`);
  }
  return wildcard ? `*.${name}` : name;
}

/** One path segment: RFC 3986 pchar (unreserved, sub-delims, ':', '@', percent-encoded octets). */
const SEGMENT = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})+$/;

/**
 * A path prefix matched at segment boundaries: starts with "/", no trailing
 * "/" (except "/" itself), no empty, "." or ".." segments, no query or
 * fragment. "/v1/" is refused rather than trimmed, so what is written is
 * what matches.
 */
export function parsePathPrefix(value: string): string {
  if (!value.startsWith('/')) throw new Error(`"${value}" must start with "/"`);
  if (value === '/') return value;
  if (value.endsWith('/')) throw new Error(`"${value}" must not end with "/" (prefixes match whole segments); write "${value.replace(/\/+$/, '') || '/'}"`);
  for (const segment of value.slice(1).split('/')) {
    if (segment === '') throw new Error(`"${value}" must not contain "//"`);
    if (segment === '.' || segment === '..') throw new Error(`"${value}" must not contain "." or ".." segments`);
    if (!SEGMENT.test(segment)) {
      throw new Error(`"${value}": segment "${segment}" has characters that must be percent-encoded (or a query/fragment)`);
    }
  }
  return value;
}

const METHODS = new Set(['GET', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH', 'TRACE']);

/**
 * An operation as the OpenAPI document names it: an operationId
 * ("getUserV1") or a method and path template ("GET /v1/users/{id}").
 * The method is returned upper-case. Whether the operation exists is checked
 * against the document when the gateway compiles its plan, not here.
 */
export function parseOperationRef(value: string): string {
  const text = value.trim();
  const match = /^([A-Za-z]+)\s+(\/\S*)$/.exec(text);
  if (match && METHODS.has(match[1]!.toUpperCase())) return `${match[1]!.toUpperCase()} ${match[2]}`;
  if (/^\S+$/.test(text) && !text.startsWith('/')) return text;
  throw new Error(`"${value}" must be an operationId (getUserV1) or a method and path template ("GET /v1/users/{id}")`);
}
