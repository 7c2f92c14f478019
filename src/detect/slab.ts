/**
 * Fixed-size blocks of window counters, carved from large typed arrays and
 * reused when an entry is evicted: a million new addresses allocate no typed
 * array each (V8 makes every one a backing store the GC must track), and
 * the memory held is the high-water mark of live entries, never more.
 *
 * A block is `floats` Float32 counters and `ints` Int32 sub-bucket numbers;
 * blocks live in chunks of CHUNK_BLOCKS, allocated as the high-water mark
 * grows.
 */

const CHUNK_BLOCKS = 1024;

export class Slab {
  readonly floats: number;
  readonly ints: number;
  readonly #floatChunks: Float32Array[] = [];
  readonly #intChunks: Int32Array[] = [];
  readonly #free: number[] = [];
  #next = 0;

  constructor(floats: number, ints: number) {
    this.floats = floats;
    this.ints = ints;
  }

  /** a block with zeroed counters and sub-bucket numbers set to -1 (empty) */
  allocate(): number {
    let id = this.#free.pop();
    if (id === undefined) {
      id = this.#next++;
      if ((id & (CHUNK_BLOCKS - 1)) === 0) {
        this.#floatChunks.push(new Float32Array(CHUNK_BLOCKS * this.floats));
        this.#intChunks.push(new Int32Array(CHUNK_BLOCKS * this.ints));
      }
    }
    const ints = this.intChunk(id);
    const base = this.intBase(id);
    ints.fill(-1, base, base + this.ints);
    // counters need no clearing: a sub-bucket is zeroed when it is first used
    return id;
  }

  release(id: number): void {
    this.#free.push(id);
  }

  floatChunk(id: number): Float32Array {
    return this.#floatChunks[Math.floor(id / CHUNK_BLOCKS)]!;
  }

  floatBase(id: number): number {
    return (id % CHUNK_BLOCKS) * this.floats;
  }

  intChunk(id: number): Int32Array {
    return this.#intChunks[Math.floor(id / CHUNK_BLOCKS)]!;
  }

  intBase(id: number): number {
    return (id % CHUNK_BLOCKS) * this.ints;
  }

  /** blocks handed out and not released */
  get live(): number {
    return this.#next - this.#free.length;
  }

  /** bytes of the chunks (the high-water mark) */
  get byteSize(): number {
    return this.#floatChunks.length * CHUNK_BLOCKS * (this.floats + this.ints) * 4 + 8 * this.#free.length;
  }
}
