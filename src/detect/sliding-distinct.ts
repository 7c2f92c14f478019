/**
 * How many distinct members (identifiers, accounts) were seen over a sliding
 * window of S sub-buckets, in bounded memory.
 *
 * The caller numbers sub-buckets (epochs, non-decreasing); the window at
 * epoch j is sub-buckets j-S+1..j. Three forms:
 *
 *   - one member in two fields, no buffer: most clients look up one value
 *     (their own number), and a flood of new addresses allocates nothing here;
 *   - exact while small: up to EXACT_MAX (hash, epoch of latest touch) pairs
 *     in one Uint32Array. A member is in the window iff its latest touch is;
 *     slots whose touch left the window are reused. "Exact" up to 32-bit hash
 *     collisions (≈ n²/2^33: none in practice below thousands);
 *   - then a HyperLogLog per sub-bucket (2^precision one-byte registers each;
 *     precision 8 → 256 registers, standard error 1.04/√256 ≈ 6.5 %). The
 *     window's count is the estimate of the union (register-wise max) of the
 *     live sub-buckets, so it slides by whole sub-buckets.
 *
 * When every sub-bucket has left the window the sketch is dropped and the
 * counter is exact (and small) again: an identity that stopped enumerating
 * gives its memory back.
 *
 * Bytes (buffers only): one member 0; exact ≤ 8 × EXACT_MAX = 512; sketch
 * S × 2^precision + 4 S (S = 5, precision 8: 1,300).
 */

export const EXACT_MAX = 64;

/** scratch registers for union estimates (never more than 2^12 registers) */
const scratch = new Uint8Array(1 << 12);

export class SlidingDistinct {
  readonly #slots: number;
  readonly #precision: number;
  /** the single member (while #exact and #registers are null); epoch -1 = none */
  #hash0 = 0;
  #epoch0 = -1;
  #exact: Uint32Array | null = null;
  #size = 0;
  #registers: Uint8Array | null = null;
  #slotEpochs: Int32Array | null = null;
  #latest = 0;

  constructor(slots: number, precision = 8) {
    if (precision < 4 || precision > 12) throw new RangeError('precision must be 4..12');
    this.#slots = slots;
    this.#precision = precision;
  }

  // hot path: no allocation except when the exact buffer grows or turns into a sketch
  add(hash: number, epoch: number): void {
    if (epoch < this.#latest) epoch = this.#latest;
    else this.#latest = epoch;
    if (this.#registers !== null) {
      this.#addToSketch(hash, epoch);
      return;
    }
    const oldest = epoch - this.#slots + 1;
    let exact = this.#exact;
    if (exact === null) {
      if (this.#epoch0 < oldest || this.#hash0 === hash) {
        this.#hash0 = hash;
        this.#epoch0 = epoch;
        return;
      }
      exact = this.#exact = new Uint32Array(8);
      exact[0] = this.#hash0;
      exact[1] = this.#epoch0;
      this.#size = 1;
      this.#epoch0 = -1;
    }
    let free = -1;
    for (let i = 0; i < this.#size; i++) {
      if (exact[2 * i] === hash) {
        exact[2 * i + 1] = epoch;
        return;
      }
      if (free === -1 && exact[2 * i + 1]! < oldest) free = i;
    }
    if (free !== -1) {
      exact[2 * free] = hash;
      exact[2 * free + 1] = epoch;
      return;
    }
    if (2 * this.#size === exact.length) {
      if (this.#size === EXACT_MAX) {
        this.#toSketch(epoch);
        this.#addToSketch(hash, epoch);
        return;
      }
      const grown = new Uint32Array(exact.length * 2);
      grown.set(exact);
      this.#exact = grown;
    }
    this.#exact![2 * this.#size] = hash;
    this.#exact![2 * this.#size + 1] = epoch;
    this.#size++;
  }

  /** distinct members over the `span` sub-buckets ending at `epoch` (span ≤ slots) */
  count(epoch: number, span = this.#slots): number {
    const oldest = epoch - Math.min(span, this.#slots) + 1;
    if (this.#registers === null && this.#exact === null) return this.#epoch0 >= oldest && this.#epoch0 <= epoch ? 1 : 0;
    const exact = this.#exact;
    if (exact !== null) {
      let n = 0;
      for (let i = 0; i < this.#size; i++) {
        const e = exact[2 * i + 1]!;
        if (e >= oldest && e <= epoch) n++;
      }
      return n;
    }
    const m = 1 << this.#precision;
    const registers = this.#registers!;
    const slotEpochs = this.#slotEpochs!;
    scratch.fill(0, 0, m);
    let any = false;
    for (let s = 0; s < this.#slots; s++) {
      const e = slotEpochs[s]!;
      if (e < oldest || e > epoch) continue;
      any = true;
      const base = s * m;
      for (let i = 0; i < m; i++) {
        const r = registers[base + i]!;
        if (r > scratch[i]!) scratch[i] = r;
      }
    }
    return any ? estimate(scratch, m) : 0;
  }

  get isExact(): boolean {
    return this.#registers === null;
  }

  /** bytes held: the object (~64), and each buffer with its typed-array headers (~100) */
  get byteSize(): number {
    let bytes = 64;
    if (this.#exact) bytes += 100 + this.#exact.byteLength;
    if (this.#registers) bytes += 200 + this.#registers.byteLength + this.#slotEpochs!.byteLength;
    return bytes;
  }

  #toSketch(epoch: number): void {
    const m = 1 << this.#precision;
    this.#registers = new Uint8Array(this.#slots * m);
    this.#slotEpochs = new Int32Array(this.#slots).fill(-1);
    const exact = this.#exact!;
    const size = this.#size;
    this.#exact = null;
    this.#size = 0;
    const oldest = epoch - this.#slots + 1;
    const slotEpochs = this.#slotEpochs;
    for (let i = 0; i < size; i++) {
      const e = exact[2 * i + 1]!;
      if (e < oldest) continue;
      // slots start zeroed: a live epoch maps to its own slot, never shared with another live one
      slotEpochs[e % this.#slots] = e;
      this.#setRegister(e % this.#slots, exact[2 * i]!);
    }
  }

  #addToSketch(hash: number, epoch: number): void {
    const m = 1 << this.#precision;
    const slotEpochs = this.#slotEpochs!;
    const slot = epoch % this.#slots;
    if (slotEpochs[slot] !== epoch) {
      // a new sub-bucket: if nothing else is left in the window, go back to exact
      const oldest = epoch - this.#slots + 1;
      let isAnyLive = false;
      for (let s = 0; s < this.#slots; s++) if (s !== slot && slotEpochs[s]! >= oldest) isAnyLive = true;
      if (!isAnyLive && slotEpochs[slot]! < oldest) {
        this.#registers = null;
        this.#slotEpochs = null;
        this.#hash0 = hash;
        this.#epoch0 = epoch;
        return;
      }
      this.#registers!.fill(0, slot * m, slot * m + m);
      slotEpochs[slot] = epoch;
    }
    this.#setRegister(slot, hash);
  }

  #setRegister(slot: number, hash: number): void {
    const p = this.#precision;
    const index = hash >>> (32 - p);
    // leading zeros of the remaining bits, +1; the sentinel bit caps ρ at 33 - p
    const rho = Math.clz32((hash << p) | (1 << (p - 1))) + 1;
    const at = (slot << p) + index;
    if (rho > this.#registers![at]!) this.#registers![at] = rho;
  }
}

/** HyperLogLog estimate with linear counting for small cardinalities (Flajolet et al. 2007). */
function estimate(registers: Uint8Array, m: number): number {
  let sum = 0;
  let zeros = 0;
  for (let i = 0; i < m; i++) {
    const r = registers[i]!;
    sum += 2 ** -r;
    if (r === 0) zeros++;
  }
  const alpha = m === 16 ? 0.673 : m === 32 ? 0.697 : m === 64 ? 0.709 : 0.7213 / (1 + 1.079 / m);
  const raw = (alpha * m * m) / sum;
  if (raw <= 2.5 * m && zeros > 0) return Math.round(m * Math.log(m / zeros));
  return Math.round(raw);
}
