/**
 * A seeded 32-bit string hash for the detector's distinct counters.
 *
 * Why not src/discovery/templater-distinct.ts's hash32: the members here are
 * chosen by the client being measured (phone numbers, account names), and with
 * a fixed public hash an enumerator could prefer values that land in
 * registers already high, so that the count barely moves. A random seed per
 * detector makes the registers unpredictable from outside. Why not keyed
 * SHA-256 (src/limiter/hll.ts): this runs for every identifier of every
 * request for several identities; FNV-1a with murmur3's finaliser costs a few
 * nanoseconds, and the count is one feature among several, not a quota.
 */

// hot path: no allocation
export function hashMember(seed: number, value: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < value.length; i++) {
    h ^= value.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
