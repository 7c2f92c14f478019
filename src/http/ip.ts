/**
 * IP address text: validation, one canonical spelling, subnets.
 *
 * Validation is node:net's (`isIP`), which refuses the ambiguous IPv4
 * spellings that inet_aton accepts ('010.0.0.1' octal, '1.2.3' short form).
 * The IPv6 parse below runs only on text that `isIPv6` accepted; it exists
 * because node:net offers no way to read the 16 bytes or to print the
 * RFC 5952 form of an address without building a socket address object.
 */
import { isIP, isIPv4, isIPv6 } from 'node:net';

/** Whether `s` is an IPv4 or IPv6 address as node:net reads them (an IPv6 zone id is accepted). */
export function isValidIp(s: string): boolean {
  return isIP(s) !== 0;
}

/**
 * One spelling per address, so that the same client is one key everywhere:
 * IPv4-mapped IPv6 ('::ffff:192.0.2.1', what a dual-stack listener reports
 * for IPv4 peers) becomes IPv4, IPv6 is lower-cased and compressed as
 * RFC 5952 §4 says, a zone id ('fe80::1%eth0', RFC 4007 §11) is dropped.
 * Text that is not an address is returned unchanged: check with `isValidIp`.
 */
export function normaliseIp(ip: string): string {
  // hot path: IPv4 text accepted by isIPv4 is already canonical (no leading zeros, no short forms)
  if (isIPv4(ip)) return ip;
  const bare = stripZone(ip);
  if (!isIPv6(bare)) return ip;
  const groups = parseIpv6(bare);
  return isV4Mapped(groups) ? groupsToIpv4(groups) : formatIpv6(groups);
}

/**
 * The network that `ip` belongs to, for keys that group neighbours (a /24 is
 * typically one site or one provider's pool, a /64 one IPv6 end site,
 * RFC 6177): '203.0.113.7' → '203.0.113.0/24', '2001:db8:1:2::9' →
 * '2001:db8:1:2::/64'. IPv4-mapped addresses count as IPv4. Text that is not
 * an address is returned unchanged.
 */
export function subnetOf(ip: string, v4Prefix = 24, v6Prefix = 64): string {
  checkPrefix(v4Prefix, 32);
  checkPrefix(v6Prefix, 128);
  const n = normaliseIp(ip);
  if (isIPv4(n)) return intToIpv4(maskIpv4(ipv4ToInt(n), v4Prefix)) + '/' + v4Prefix;
  if (isIPv6(n)) return formatIpv6(maskIpv6(parseIpv6(n), v6Prefix)) + '/' + v6Prefix;
  return ip;
}

function checkPrefix(prefix: number, max: number): void {
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) {
    throw new RangeError(`prefix must be an integer from 0 to ${max}, got ${prefix}`);
  }
}

export function stripZone(ip: string): string {
  const pct = ip.indexOf('%');
  return pct === -1 ? ip : ip.slice(0, pct);
}

/** IPv4 text (already validated) to an unsigned 32-bit integer. */
export function ipv4ToInt(s: string): number {
  let value = 0;
  let octet = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x2e) {
      value = value * 256 + octet;
      octet = 0;
    } else {
      octet = octet * 10 + (c - 0x30);
    }
  }
  return value * 256 + octet;
}

export function intToIpv4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

export function maskIpv4(n: number, prefix: number): number {
  // a shift by 32 is a shift by 0 in JavaScript, hence the special case
  return prefix === 0 ? 0 : (n & (0xffffffff << (32 - prefix))) >>> 0;
}

/** IPv6 text (validated by isIPv6, zone stripped) to eight 16-bit groups. */
export function parseIpv6(s: string): number[] {
  const gap = s.indexOf('::');
  const head = gap === -1 ? s : s.slice(0, gap);
  const tail = gap === -1 ? '' : s.slice(gap + 2);
  const headGroups = parseGroups(head);
  const tailGroups = parseGroups(tail);
  const zeros = new Array<number>(8 - headGroups.length - tailGroups.length).fill(0);
  return [...headGroups, ...zeros, ...tailGroups];
}

function parseGroups(part: string): number[] {
  const out: number[] = [];
  if (part === '') return out;
  for (const g of part.split(':')) {
    if (g.includes('.')) {
      // RFC 4291 §2.2 form 3: the last 32 bits written as IPv4
      const v4 = ipv4ToInt(g);
      out.push(v4 >>> 16, v4 & 0xffff);
    } else {
      out.push(parseInt(g, 16));
    }
  }
  return out;
}

export function maskIpv6(groups: readonly number[], prefix: number): number[] {
  return groups.map((g, i) => {
    const bits = Math.min(16, Math.max(0, prefix - i * 16));
    return bits === 0 ? 0 : g & ((0xffff << (16 - bits)) & 0xffff);
  });
}

/** RFC 4291 §2.5.5.2: ::ffff:0:0/96 carries an IPv4 address. */
export function isV4Mapped(groups: readonly number[]): boolean {
  return groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 && groups[4] === 0 && groups[5] === 0xffff;
}

function groupsToIpv4(groups: readonly number[]): string {
  const hi = groups[6]!;
  const lo = groups[7]!;
  return `${hi >>> 8}.${hi & 255}.${lo >>> 8}.${lo & 255}`;
}

/**
 * RFC 5952 §4: lower-case hex without leading zeros; the longest run of two
 * or more zero groups (the first one on a tie) becomes '::'. IPv4-mapped
 * addresses keep the dotted form (RFC 5952 §5).
 */
export function formatIpv6(groups: readonly number[]): string {
  if (isV4Mapped(groups)) return `::ffff:${groupsToIpv4(groups)}`;
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart === -1) return hex.join(':');
  return hex.slice(0, bestStart).join(':') + '::' + hex.slice(bestStart + bestLen).join(':');
}
