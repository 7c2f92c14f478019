/**
 * Distinct clients of one endpoint: exact while few, a HyperLogLog after.
 * Most endpoints see a handful of clients and keep a small Set; the few
 * that see thousands pay for one sketch (sparse, then 16 KiB dense).
 */
import { createHll, hllHash, type Hll } from '../limiter/hll.ts';

/** clients kept exactly before switching to the sketch */
const EXACT_MAX = 256;
/** the sketch's hash key: counts are not an attack surface here, but a fixed key keeps merges consistent */
const HASH_KEY = 'apiwarden-discovery-clients\u0000';

export class ClientCounter {
  #exact: Set<string> | null = new Set();
  #sketch: Hll | null = null;

  add(client: string): void {
    if (this.#exact !== null) {
      this.#exact.add(client);
      if (this.#exact.size > EXACT_MAX) this.#toSketch();
      return;
    }
    this.#sketch!.add(hllHash(HASH_KEY, client));
  }

  merge(other: ClientCounter): void {
    this.#floor = Math.max(this.#floor, other.#floor);
    if (other.#exact !== null) {
      for (const client of other.#exact) this.add(client);
      return;
    }
    if (this.#exact !== null) this.#toSketch();
    this.#sketch!.merge(other.#sketch!);
  }

  /** clients counted before a restart, whose identities were not kept: the count never goes below it */
  #floor = 0;

  setFloor(count: number): void {
    this.#floor = Math.max(this.#floor, count);
  }

  get count(): number {
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
    const sketch = createHll();
    for (const client of this.#exact!) sketch.add(hllHash(HASH_KEY, client));
    this.#exact = null;
    this.#sketch = sketch;
  }
}
