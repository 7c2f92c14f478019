/**
 * Sets of IP networks (trusted proxies, allow and deny lists).
 *
 * Matching is node:net's BlockList: it is built in, compares IPv4 and IPv6
 * networks in C++, and already treats IPv4-mapped IPv6 ('::ffff:10.0.0.1')
 * as the IPv4 address in both directions, which is what a dual-stack
 * listener needs. This module adds what BlockList does not do: strict
 * parsing of 'address/prefix' text with a precise error, refusal of
 * networks written with host bits set, and zone-id handling.
 */
import { BlockList, isIP } from 'node:net';
import { ApiwardenError } from '../errors.ts';
import { formatIpv6, intToIpv4, ipv4ToInt, maskIpv4, maskIpv6, parseIpv6, stripZone } from './ip.ts';

export { isValidIp, normaliseIp, subnetOf } from './ip.ts';

export interface CidrSet {
  /** whether `ip` (IPv4, IPv6, IPv4-mapped IPv6, with or without zone id) is in one of the networks; false for non-addresses */
  has(ip: string): boolean;
  /** the number of entries the set was compiled from */
  readonly size: number;
}

const PREFIX_TEXT = /^(?:0|[1-9][0-9]{0,2})$/;

/**
 * Compiles CIDR text ('10.0.0.0/8', '2001:db8::/32', or a bare address, which
 * is a /32 or /128) into a set. Throws ApiwardenError 'BAD_CIDR' naming the
 * first bad entry.
 */
export function compileCidrSet(cidrs: readonly string[]): CidrSet {
  const list = new BlockList();
  for (const entry of cidrs) {
    const { address, prefix, family } = parseCidr(entry);
    list.addSubnet(address, prefix, family);
  }
  const size = cidrs.length;
  if (size === 0) return { has: () => false, size };
  return {
    size,
    // hot path: runs for the peer of every request and for each proxy hop
    has(ip: string): boolean {
      const family = isIP(ip);
      if (family === 4) return list.check(ip, 'ipv4');
      if (family === 6) return list.check(stripZone(ip), 'ipv6');
      return false;
    },
  };
}

function parseCidr(entry: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } {
  const slash = entry.indexOf('/');
  const address = slash === -1 ? entry : entry.slice(0, slash);
  // A zone id names an interface of this machine; in a shared config it is a mistake.
  const version = address.includes('%') ? 0 : isIP(address);
  if (version === 0) throw badCidr(entry, 'is not an IPv4 or IPv6 address or network');
  const max = version === 4 ? 32 : 128;
  let prefix = max;
  if (slash !== -1) {
    const text = entry.slice(slash + 1);
    if (!PREFIX_TEXT.test(text) || Number(text) > max) {
      throw badCidr(entry, `has a bad prefix length (an integer from 0 to ${max} expected)`);
    }
    prefix = Number(text);
  }
  // '10.0.0.1/8' is most often a typo for a narrower network; refusing it
  // (as Python's ipaddress does in strict mode) keeps a trust list from being
  // wider than its author thought.
  const network = networkOf(address, version, prefix);
  if (network !== null) throw badCidr(entry, `has bits set beyond the /${prefix} prefix; the network is ${network}/${prefix}`);
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/** The masked network when `address` has host bits set, else null. */
function networkOf(address: string, version: number, prefix: number): string | null {
  if (version === 4) {
    const n = ipv4ToInt(address);
    const masked = maskIpv4(n, prefix);
    return masked === n ? null : intToIpv4(masked);
  }
  const groups = parseIpv6(address);
  const masked = maskIpv6(groups, prefix);
  return masked.every((g, i) => g === groups[i]) ? null : formatIpv6(masked);
}

function badCidr(entry: string, problem: string): ApiwardenError {
  return new ApiwardenError('BAD_CIDR', `${JSON.stringify(entry)} ${problem}`);
}
