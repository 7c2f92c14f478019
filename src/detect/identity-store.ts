/**
 * Tracked identities of one kind, bounded: at most `max` entries, the one
 * touched least recently evicted first, its window blocks given back to the
 * slab. lru-cache keeps the recency list in typed arrays (a touch is a few
 * writes; an eviction takes the list's head). Why not a Map re-inserted on
 * every touch: deletions leave holes at the front that `keys().next()` must
 * skip, which made a stream of new addresses cost ~7 µs each.
 *
 * Each identity holds its per-operation entries (pairs) for at most
 * `maxOperations` operations, the stalest replaced first, so memory is
 * bounded by max × (1 + maxOperations) window blocks per kind.
 */
import { LRUCache } from 'lru-cache';
import type { OperationStats } from './operation-stats.ts';
import type { DetectEvent, IdentityKind } from './types.ts';
import type { Slab } from './slab.ts';
import { createSlab, WindowSet, type WindowLayout } from './windows.ts';

export const EXAMPLES_PER_IDENTITY = 3;

/** per-entry state read by the per-entry counters (gaps, sequences) */
export interface Sequenced {
  /** previous request, ms since t0, or -1 */
  lastTime: number;
  /** previous numeric identifier, or NaN */
  lastNumeric: number;
}

/**
 * An identity on one operation. It is its own window set (one object per
 * pair, not two: a stream of new addresses creates one of these each).
 */
export class PairEntry extends WindowSet implements Sequenced {
  readonly identity: IdentityEntry;
  readonly operation: OperationStats<PairEntry>;
  readonly firstSeen: number;
  lastTime = -1;
  lastNumeric = NaN;
  dirtyMark = -1;
  /** last time this pair was pushed to the operation's contributors */
  lastPushed = -Infinity;

  constructor(identity: IdentityEntry, operation: OperationStats<PairEntry>, layout: WindowLayout, slab: Slab, time: number) {
    super(layout, slab);
    this.identity = identity;
    this.operation = operation;
    this.firstSeen = time;
  }

  get windows(): WindowSet {
    return this;
  }

  get isAlive(): boolean {
    return !this.identity.isEvicted && !this.operation.isEvicted && this.identity.hasPair(this);
  }
}

export class IdentityEntry implements Sequenced {
  readonly kind: IdentityKind;
  readonly value: string;
  readonly windows: WindowSet | null;
  readonly firstSeen: number;
  lastTime = -1;
  lastNumeric = NaN;
  dirtyMark = -1;
  isEvicted = false;
  /**
   * a few recent requests for alert examples: references, not copies (no
   * allocation per request), in fields rather than an array (one object less
   * per identity)
   */
  #example0: DetectEvent | null = null;
  #example1: DetectEvent | null = null;
  #example2: DetectEvent | null = null;
  #nextExample = 0;
  #pairs: PairEntry[] | null = null;

  constructor(kind: IdentityKind, value: string, layout: WindowLayout | null, slab: Slab | null, time: number) {
    this.kind = kind;
    this.value = value;
    this.windows = layout && slab ? new WindowSet(layout, slab) : null;
    this.firstSeen = time;
  }

  /** the entry of this identity on `operation`, created (replacing the stalest) when missing */
  pair(operation: OperationStats<PairEntry>, layout: WindowLayout, slab: Slab, maxOperations: number, time: number): PairEntry {
    const pairs = (this.#pairs ??= []);
    let stalest = 0;
    for (let i = 0; i < pairs.length; i++) {
      const p = pairs[i]!;
      if (p.operation === operation) return p;
      if (p.lastTime < pairs[stalest]!.lastTime) stalest = i;
    }
    const created = new PairEntry(this, operation, layout, slab, time);
    if (pairs.length < maxOperations) pairs.push(created);
    else {
      pairs[stalest]!.windows.release();
      pairs[stalest] = created;
    }
    return created;
  }

  /** gives every block back: the entry is evicted */
  release(): void {
    this.isEvicted = true;
    this.windows?.release();
    for (const p of this.#pairs ?? []) p.windows.release();
    this.#pairs = null;
  }

  hasPair(pair: PairEntry): boolean {
    return this.#pairs !== null && this.#pairs.includes(pair);
  }

  get pairCount(): number {
    return this.#pairs?.length ?? 0;
  }

  get pairs(): readonly PairEntry[] {
    return this.#pairs ?? [];
  }

  /** keeps `event` as an example: interesting ones (misses, failures, 4xx) replace others first */
  // hot path: field writes only
  keepExample(event: DetectEvent, isInteresting: boolean): void {
    if (this.#example0 === null) this.#example0 = event;
    else if (this.#example1 === null) this.#example1 = event;
    else if (this.#example2 === null) this.#example2 = event;
    else if (isInteresting) {
      const at = this.#nextExample;
      this.#nextExample = (at + 1) % EXAMPLES_PER_IDENTITY;
      if (at === 0) this.#example0 = event;
      else if (at === 1) this.#example1 = event;
      else this.#example2 = event;
    }
  }

  /** the kept examples, oldest slot first */
  get examples(): DetectEvent[] {
    return [this.#example0, this.#example1, this.#example2].filter((e): e is DetectEvent => e !== null);
  }

  /**
   * bytes held (estimate: window blocks exactly, objects by V8's usual
   * sizes, and a share of the example events it keeps alive, which the
   * entries of one request's other identities share)
   */
  get byteSize(): number {
    // entry object, LRU slots, value string, a third of ~3 retained events of ~300 bytes
    let bytes = 200 + 2 * this.value.length + 24 + 60 + 300;
    if (this.windows) bytes += 80 + this.windows.byteSize;
    if (this.#pairs) bytes += 32 + 8 * this.#pairs.length;
    for (const p of this.#pairs ?? []) bytes += 160 + p.windows.byteSize;
    return bytes;
  }
}

export class IdentityStore {
  readonly kind: IdentityKind;
  readonly #entries: LRUCache<string, IdentityEntry>;
  readonly #layout: WindowLayout | null;
  readonly #slab: Slab | null;
  /** blocks of this kind's identity × operation entries */
  readonly pairSlab: Slab | null;
  evictions = 0;

  constructor(kind: IdentityKind, max: number, layout: WindowLayout | null, pairLayout: WindowLayout | null) {
    this.kind = kind;
    this.#layout = layout;
    this.#slab = layout ? createSlab(layout) : null;
    this.pairSlab = pairLayout ? createSlab(pairLayout) : null;
    this.#entries = new LRUCache<string, IdentityEntry>({
      max,
      // only evictions reach here: entries are never deleted or replaced
      dispose: (entry) => {
        entry.release();
        this.evictions++;
      },
    });
  }

  // hot path: one lookup that also marks the entry most recently used
  touch(value: string, time: number): IdentityEntry {
    let entry = this.#entries.get(value);
    if (entry === undefined) {
      entry = new IdentityEntry(this.kind, value, this.#layout, this.#slab, time);
      this.#entries.set(value, entry);
    }
    return entry;
  }

  /** without marking it used */
  get(value: string): IdentityEntry | undefined {
    return this.#entries.peek(value);
  }

  get size(): number {
    return this.#entries.size;
  }

  values(): Generator<IdentityEntry> {
    return this.#entries.values();
  }

  /** bytes of the slabs (their high-water mark) */
  get slabBytes(): number {
    return (this.#slab?.byteSize ?? 0) + (this.pairSlab?.byteSize ?? 0);
  }
}
