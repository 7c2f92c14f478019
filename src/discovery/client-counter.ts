/**
 * Distinct clients of one endpoint: exact while few, a HyperLogLog after.
 * Most endpoints see a handful of clients and keep a small Set; the few
 * that see thousands pay for one sketch (sparse, then 16 KiB dense).
 *
 * The sketch is the limiter's (src/limiter/hll.ts), fed with a fast
 * non-cryptographic 64-bit hash rather than its keyed SHA-256: here the
 * count is evidence for a person, not a limit an attacker profits from
 * skewing, and the hash runs once per request at ingest rate (SHA-256 was
 * 15 % of `apiwarden discover`'s time on a million-line log).
 */
import { createHll, HLL_PRECISION, type Hll } from '../limiter/hll.ts';
import { fmix32 } from './templater-distinct.ts';

/** clients kept exactly before switching to the sketch */
const EXACT_MAX = 256;

const FNV_PRIME = 0x01000193;


/** the sketch's member encoding (hllHash's: `index << 6 | ρ`) from two 32-bit hashes */
// hot path: hash32(value, 0x811c9dc5) and hash32(value, 0x9747b28c) in one loop
export function sketchHash(value: string): number {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    a = Math.imul(a ^ code, FNV_PRIME);
    b = Math.imul(b ^ code, FNV_PRIME);
  }
  const high = fmix32(a);
  const low = fmix32(b);
  const index = high >>> (32 - HLL_PRECISION);
  const rest = high & ((1 << (32 - HLL_PRECISION)) - 1);
  let rho: number;
  if (rest !== 0) rho = Math.clz32(rest) - HLL_PRECISION + 1;
  else if (low !== 0) rho = 32 - HLL_PRECISION + Math.clz32(low) + 1;
  else rho = 64 - HLL_PRECISION + 1;
  return (index << 6) | rho;
}

/**
 * Hashed clients queued before they are set in the sketch, in one loop
 * (Hll.addAll): the sketches of a busy log's endpoints (16 KiB each) do not
 * stay in the CPU's caches, and a loop lets the register reads overlap where
 * one per request waited for each. Order does not matter to a sketch
 * (registers only keep maxima), so the registers, and the count, are the
 * same; the queue is emptied before anything reads or merges the sketch.
 */
const QUEUE_LENGTH = 64;

export class ClientCounter {
  #exact: Set<string> | null = new Set();
  #sketch: Hll | null = null;
  #queue: Uint32Array | null = null;
  #queued = 0;

  // hot path: once per request
  add(client: string): void {
    if (this.#exact !== null) {
      this.#exact.add(client);
      if (this.#exact.size > EXACT_MAX) this.#toSketch();
      return;
    }
    this.#queue![this.#queued++] = sketchHash(client);
    if (this.#queued === QUEUE_LENGTH) this.#flush();
  }

  merge(other: ClientCounter): void {
    this.#floor = Math.max(this.#floor, other.#floor);
    if (other.#exact !== null) {
      for (const client of other.#exact) this.add(client);
      return;
    }
    if (this.#exact !== null) this.#toSketch();
    this.#flush();
    other.#flush();
    this.#sketch!.merge(other.#sketch!);
  }

  #flush(): void {
    if (this.#queued === 0) return;
    this.#sketch!.addAll(this.#queue!, this.#queued);
    this.#queued = 0;
  }

  /** clients counted before a restart, whose identities were not kept: the count never goes below it */
  #floor = 0;

  setFloor(count: number): void {
    this.#floor = Math.max(this.#floor, count);
  }

  get count(): number {
    this.#flush();
    const counted = this.#exact !== null ? this.#exact.size : this.#sketch!.estimate();
    return Math.max(counted, this.#floor);
  }

  /** a few clients, for evidence (empty once only the sketch is kept) */
  examples(max: number): string[] {
    if (this.#exact === null) return [];
    const out: string[] = [];
    for (const client of this.#exact) {
      if (out.length >= max) break;
      out.push(client);
    }
    return out;
  }

  #toSketch(): void {
    const sketch = createHll({ isDense: true });
    for (const client of this.#exact!) sketch.add(sketchHash(client));
    this.#exact = null;
    this.#sketch = sketch;
    this.#queue = new Uint32Array(QUEUE_LENGTH);
  }
}
