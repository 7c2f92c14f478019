/**
 * A small HyperLogLog for the distinct-count windows (distinct.ts).
 *
 * Precision 14 (16,384 registers, standard error 1.04/√m ≈ 0.81 %), the same
 * as Redis' PFADD/PFCOUNT, so the memory and Redis stores are equally
 * accurate. A 64-bit hash gives 14 index bits and 50 bits whose leading zeros
 * (+1) make the register value ρ ∈ 1..51.
 *
 * Estimator: Ertl, "New cardinality estimation algorithms for HyperLogLog
 * sketches" (2017, arXiv:1702.01284), its improved raw estimator: the one
 * Redis uses since 5.0 (hllSigma/hllTau in hyperloglog.c). It replaces the original paper's piecewise
 * corrections (Flajolet et al. 2007: linear counting m·ln(m/V) below 5m/2,
 * large-range correction near 2^32) and HLL++'s empirical bias tables (Heule
 * et al. 2013): the σ term is linear counting folded into the estimator
 * (zero registers), the τ term handles saturated registers, and the result
 * is unbiased over the whole range without switching points.
 *
 * Storage: sparse (a sorted Uint32Array of `index << 6 | ρ`, 4 bytes per
 * non-zero register) while it holds few registers, then dense (one byte per
 * register, 16 KiB). Sparse is only a storage form: both give the same
 * registers and so the same estimate. Every sketch keeps the histogram of its
 * register values up to date, so estimate() is O(51), not O(m): the union of a
 * distinct window is re-estimated on every request.
 *
 * Why not a library: the maintained JavaScript one (bloom-filters'
 * HyperLogLog) keeps dense registers only (a full array even for a few
 * hundred members), recomputes the estimate in O(m) on every count, uses the
 * 2007 estimator with its 32-bit large-range correction, and takes no secret
 * for its hash; a distinct window needs all four. This file is small.
 */
import { hash } from 'node:crypto';

export const HLL_PRECISION = 14;
export const HLL_REGISTERS = 1 << HLL_PRECISION;
/** bits of the hash left after the index: registers hold 1..Q+1 */
const Q = 64 - HLL_PRECISION;
/** α∞ = 1 / (2 ln 2), the limit of α_m (Ertl 2017) */
const ALPHA_INF = 0.5 / Math.LN2;
/** sparse form is kept while it is smaller than a quarter of the dense one */
const SPARSE_MAX = HLL_REGISTERS / 16;
const INDEX_SHIFT = 6;
const RHO_MASK = (1 << INDEX_SHIFT) - 1;

/**
 * The hashed form of a member: `index << 6 | ρ` (index < 2^14, ρ ≤ 51).
 *
 * The hash is SHA-256 keyed with a secret per store (`hashKey`): members are
 * attacker-chosen (phone numbers, e-mails), and with a public hash an
 * enumerator could pick, among the values it wants to try, those that land in
 * registers already high and so barely move the estimate. A keyed hash makes
 * the registers unpredictable. Cost ≈ 1 µs, paid only by windows past the
 * exact threshold.
 */
export function hllHash(hashKey: string, member: string): number {
  const digest = hash('sha256', hashKey + member, 'buffer');
  const high = digest.readUInt32BE(0);
  const low = digest.readUInt32BE(4);
  const index = high >>> (32 - HLL_PRECISION);
  // the 50 bits after the index: 18 from `high`, 32 from `low`
  const rest18 = high & ((1 << (32 - HLL_PRECISION)) - 1);
  let rho: number;
  if (rest18 !== 0) rho = Math.clz32(rest18) - HLL_PRECISION + 1;
  else if (low !== 0) rho = 32 - HLL_PRECISION + Math.clz32(low) + 1;
  else rho = Q + 1;
  return (index << INDEX_SHIFT) | rho;
}

export interface Hll {
  /** set one hashed member (from hllHash); true when a register grew */
  add(hashed: number): boolean;
  /** add(values[i]) for i < length; for a caller that queues members and sets them in bulk */
  addAll(values: Uint32Array, length: number): void;
  /** would adding this hashed member change nothing? (no register would grow) */
  covers(hashed: number): boolean;
  /** raise every register to at least the other sketch's */
  merge(other: Hll): void;
  /** the cardinality estimate, rounded */
  estimate(): number;
  /** no register set */
  readonly isEmpty: boolean;
  /** bytes held by the registers and histogram (approximate, for memory budgets) */
  readonly byteSize: number;
  /** calls fn(index, value) for every non-zero register */
  forEachRegister(fn: (index: number, value: number) => void): void;
}

export interface HllOptions {
  /**
   * Start dense (16 KiB at once) instead of sparse. Same registers and so
   * the same estimates; for a caller that already knows the sketch will
   * hold many members (discovery's client counter switches to a sketch
   * only past 256 clients), where the sparse form's sorted inserts cost
   * more than the memory they save.
   */
  isDense?: boolean;
}

export function createHll(options?: HllOptions): Hll {
  return new HyperLogLog(options?.isDense === true);
}

class HyperLogLog implements Hll {
  /** sorted `index << 6 | ρ` entries while sparse; null once dense */
  #sparse: Uint32Array | null = new Uint32Array(8);
  #sparseLength = 0;
  #dense: Uint8Array | null = null;
  /** #histogram[k] = number of registers holding k */
  #histogram = new Int32Array(Q + 2);

  constructor(isDense = false) {
    this.#histogram[0] = HLL_REGISTERS;
    if (isDense) {
      this.#dense = new Uint8Array(HLL_REGISTERS);
      this.#sparse = null;
    }
  }

  get isEmpty(): boolean {
    return this.#histogram[0] === HLL_REGISTERS;
  }

  get byteSize(): number {
    return 64 + this.#histogram.byteLength + (this.#dense ? this.#dense.byteLength : (this.#sparse?.byteLength ?? 0));
  }

  // hot path: once per request of a distinct window past its exact threshold
  add(hashed: number): boolean {
    const dense = this.#dense;
    if (dense !== null) {
      // often the register already holds as much: nothing to write
      const index = hashed >>> INDEX_SHIFT;
      const value = hashed & RHO_MASK;
      const old = dense[index]!;
      if (value <= old) return false;
      dense[index] = value;
      const histogram = this.#histogram;
      histogram[old]!--;
      histogram[value]!++;
      return true;
    }
    return this.#set(hashed >>> INDEX_SHIFT, hashed & RHO_MASK);
  }

  /**
   * One loop over a dense sketch's registers: the reads of registers that
   * are not in the CPU's caches (16 KiB per sketch, scattered over many
   * sketches) overlap, where one add() per request waits for each in turn.
   */
  addAll(values: Uint32Array, length: number): void {
    const dense = this.#dense;
    if (dense === null) {
      for (let i = 0; i < length; i++) this.add(values[i]!);
      return;
    }
    const histogram = this.#histogram;
    for (let i = 0; i < length; i++) {
      const hashed = values[i]!;
      const index = hashed >>> INDEX_SHIFT;
      const value = hashed & RHO_MASK;
      const old = dense[index]!;
      if (value > old) {
        dense[index] = value;
        histogram[old]!--;
        histogram[value]!++;
      }
    }
  }

  covers(hashed: number): boolean {
    return this.#get(hashed >>> INDEX_SHIFT) >= (hashed & RHO_MASK);
  }

  merge(other: Hll): void {
    other.forEachRegister((index, value) => {
      this.#set(index, value);
    });
  }

  forEachRegister(fn: (index: number, value: number) => void): void {
    const dense = this.#dense;
    if (dense) {
      for (let i = 0; i < HLL_REGISTERS; i++) {
        const value = dense[i] ?? 0;
        if (value !== 0) fn(i, value);
      }
      return;
    }
    const sparse = this.#sparse as Uint32Array;
    for (let i = 0; i < this.#sparseLength; i++) {
      const entry = sparse[i] ?? 0;
      fn(entry >>> INDEX_SHIFT, entry & RHO_MASK);
    }
  }

  estimate(): number {
    return estimateFromHistogram(this.#histogram);
  }

  #get(index: number): number {
    if (this.#dense) return this.#dense[index] ?? 0;
    const at = this.#find(index);
    return at >= 0 ? (this.#sparse as Uint32Array)[at]! & RHO_MASK : 0;
  }

  /** raises register `index` to `value`; true when it grew */
  #set(index: number, value: number): boolean {
    const dense = this.#dense;
    let old: number;
    if (dense) {
      old = dense[index] ?? 0;
      if (value <= old) return false;
      dense[index] = value;
    } else {
      const at = this.#find(index);
      let sparse = this.#sparse as Uint32Array;
      if (at >= 0) {
        old = sparse[at]! & RHO_MASK;
        if (value <= old) return false;
        sparse[at] = (index << INDEX_SHIFT) | value;
      } else {
        old = 0;
        if (this.#sparseLength >= SPARSE_MAX) {
          this.#toDense();
          return this.#set(index, value);
        }
        const insertAt = -at - 1;
        if (this.#sparseLength === sparse.length) {
          const grown = new Uint32Array(Math.min(SPARSE_MAX, sparse.length * 2));
          grown.set(sparse);
          this.#sparse = sparse = grown;
        }
        sparse.copyWithin(insertAt + 1, insertAt, this.#sparseLength);
        sparse[insertAt] = (index << INDEX_SHIFT) | value;
        this.#sparseLength++;
      }
    }
    this.#histogram[old]!--;
    this.#histogram[value]!++;
    return true;
  }

  /** binary search by index: position, or -(insertion point) - 1 */
  #find(index: number): number {
    const sparse = this.#sparse as Uint32Array;
    let lo = 0;
    let hi = this.#sparseLength - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const at = sparse[mid]! >>> INDEX_SHIFT;
      if (at < index) lo = mid + 1;
      else if (at > index) hi = mid - 1;
      else return mid;
    }
    return -lo - 1;
  }

  #toDense(): void {
    const dense = new Uint8Array(HLL_REGISTERS);
    const sparse = this.#sparse as Uint32Array;
    for (let i = 0; i < this.#sparseLength; i++) {
      const entry = sparse[i]!;
      dense[entry >>> INDEX_SHIFT] = entry & RHO_MASK;
    }
    this.#dense = dense;
    this.#sparse = null;
    this.#sparseLength = 0;
  }
}

/**
 * Ertl's improved raw estimator (2017) from the register
 * histogram C[0..Q+1]:
 *   E = α∞ m² / (m σ(C0/m) + Σ_{k=1..Q} C_k 2^-k + m τ(1 − C_{Q+1}/m) 2^-Q)
 * computed with Horner's scheme as in the paper (and Redis' hllCount).
 */
export function estimateFromHistogram(histogram: Int32Array): number {
  const m = HLL_REGISTERS;
  let z = m * tau((m - (histogram[Q + 1] ?? 0)) / m);
  for (let k = Q; k >= 1; k--) {
    z += histogram[k] ?? 0;
    z *= 0.5;
  }
  z += m * sigma((histogram[0] ?? 0) / m);
  return Math.round((ALPHA_INF * m * m) / z);
}

/** σ(x) = x + Σ_{k≥1} x^(2^k) 2^(k−1); σ(1) = ∞ (empty sketch → estimate 0) */
function sigma(x: number): number {
  if (x === 1) return Infinity;
  let y = 1;
  let z = x;
  let previous: number;
  do {
    x *= x;
    previous = z;
    z += x * y;
    y += y;
  } while (z !== previous);
  return z;
}

/** τ(x) = (1/3)(1 − x − Σ_{k≥1} (1 − x^(2^−k))² 2^−k) */
function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let y = 1;
  let z = 1 - x;
  let previous: number;
  do {
    x = Math.sqrt(x);
    previous = z;
    y *= 0.5;
    z -= (1 - x) ** 2 * y;
  } while (z !== previous);
  return z / 3;
}
