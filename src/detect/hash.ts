/**
 * A seeded 32-bit string hash for the detector's distinct counters.
 *
 * templater-distinct.ts's hash32 (FNV-1a, then murmur3's finaliser), from a
 * seed of its own rather than FNV's fixed basis: the members here are
 * chosen by the client being measured (phone numbers, account names), and with
 * a fixed public hash an enumerator could prefer values that land in
 * registers already high, so that the count barely moves. A random seed per
 * detector makes the registers unpredictable from outside. Why not keyed
 * SHA-256 (src/limiter/hll.ts): this runs for every identifier of every
 * request for several identities; FNV-1a with murmur3's finaliser costs a few
 * nanoseconds, and the count is one feature among several, not a quota.
 */
import { hash32 } from '../discovery/templater-distinct.ts';

// hot path: no allocation
export function hashMember(seed: number, value: string): number {
  return hash32(value, (0x811c9dc5 ^ seed) >>> 0);
}
