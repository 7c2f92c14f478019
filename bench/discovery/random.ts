/**
 * Seeded randomness for the discovery benchmark: every draw comes from a
 * generator seeded by a string, so one `--seed` reproduces the whole run, and
 * a population (the customers of one document, say) is the same whichever
 * level or peer asks for it.
 *
 * Not Math.random (not seedable) nor a dependency: sfc32 is a few lines,
 * passes PractRand far beyond what a benchmark draws, and runs fast.
 */
import { hash32 } from '../../src/discovery/templater-distinct.ts';

export interface Random {
  /** uniform in [0, 1) */
  next(): number;
  /** uniform integer in [min, max], both included */
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  /** true with probability p */
  chance(p: number): boolean;
}

/** FNV-1a over UTF-16 code units, then a final avalanche (murmur3 fmix32): the templater's own hash32. */
export function hashString(text: string): number {
  return hash32(text);
}

export function createRandom(seed: string): Random {
  let a = hashString(`${seed}/a`);
  let b = hashString(`${seed}/b`);
  let c = hashString(`${seed}/c`);
  let d = hashString(`${seed}/d`) | 1;
  const next32 = (): number => {
    // sfc32 (Chris Doty-Humphrey's Small Fast Chaotic generator)
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  // The first outputs still carry the seed's structure: skip them.
  for (let i = 0; i < 12; i++) next32();
  const next = (): number => next32() / 4294967296;
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]): T => {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[Math.floor(next() * items.length)] as T;
    },
    chance: (p) => next() < p,
  };
}

/**
 * A sampler of ranks 0..n-1 with P(rank k) ∝ 1/(k+1)^s (Zipf): a cumulative
 * table built once, then a binary search per draw.
 */
export function createZipf(n: number, s: number): (random: Random) => number {
  if (n < 1) throw new Error('a Zipf population needs at least one member');
  const cdf = new Float64Array(n);
  let total = 0;
  for (let k = 0; k < n; k++) {
    total += 1 / (k + 1) ** s;
    cdf[k] = total;
  }
  return (random) => {
    const target = random.next() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((cdf[mid] as number) > target) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
}

/** Fisher-Yates, in place. */
export function shuffle<T>(items: T[], random: Random): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random.next() * (i + 1));
    const tmp = items[i] as T;
    items[i] = items[j] as T;
    items[j] = tmp;
  }
  return items;
}

/**
 * Splits `total` into integer shares proportional to `weights` (largest
 * remainder: the floors first, then one more to the largest fractions), so
 * that the counts sum to `total` exactly and do not depend on luck.
 */
export function apportion(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((acc, w) => acc + w, 0);
  const exact = weights.map((w) => (total * w) / sum);
  const counts = exact.map(Math.floor);
  let left = total - counts.reduce((acc, c) => acc + c, 0);
  const byRemainder = exact.map((e, i) => ({ i, r: e - Math.floor(e) })).sort((x, y) => y.r - x.r || x.i - y.i);
  for (const { i } of byRemainder) {
    if (left <= 0) break;
    counts[i] = (counts[i] as number) + 1;
    left--;
  }
  return counts;
}
