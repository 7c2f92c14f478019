/**
 * Sliding windows of counters for one entry (an identity, or an identity on
 * one operation), approximate but bounded.
 *
 * A window of W ms is a ring of B + 1 sub-buckets of W / B ms (B =
 * subBuckets, 4 by default). Its value at time t is the sliding-window
 * counter estimate: the current (partial) sub-bucket, the B - 1 full ones
 * before it, and the oldest weighted by the share of it still inside
 * [t - W, t] (assuming its requests were spread evenly). Distinct counts use
 * whole sub-buckets (the oldest included), so they cover between W and
 * W (1 + 1/B).
 *
 * Only what rules read is kept: the layout (compiled from the rules) lists
 * the windows of an entry kind and, per window, the counters and distinct
 * counters used. All windows of an entry share one Float32Array of counters
 * (exact integers up to 2^24 per sub-bucket; bytes to 7 significant digits)
 * and one Int32Array of sub-bucket numbers, so an entry costs two typed
 * arrays whatever the number of windows.
 */
import { C, COUNTER_COUNT, MEMBER_KINDS, type MemberKind } from './features.ts';
import { SlidingDistinct } from './sliding-distinct.ts';
import { Slab } from './slab.ts';

export interface WindowSpec {
  ms: number;
  /** sub-bucket width, ms */
  widthMs: number;
  /** global counter ids kept, in storage order */
  counters: readonly number[];
  /** global counter id → position in `counters`, or -1 */
  offsets: Int8Array;
  /** distinct counters kept, by MEMBER_KINDS index */
  members: readonly boolean[];
  /** start of this window's counters in the entry's Float32Array */
  base: number;
}

export interface WindowLayout {
  windows: readonly WindowSpec[];
  /** sub-buckets per window ring (B + 1) */
  slots: number;
  /** Float32 counters per entry */
  counterLength: number;
  /** are gaps (gapCv) or sequences (sequentialRatio) read by some window? */
  needsGaps: boolean;
  needsSequence: boolean;
}

export interface WindowNeed {
  ms: number;
  counters: Iterable<number>;
  members: Iterable<MemberKind>;
}

/** The distinct members of one event, hashed once and shared by every entry it touches. */
export interface EventMembers {
  identifiers: Uint32Array;
  identifierCount: number;
  account: number;
  hasAccount: boolean;
  subnet: number;
}

/** Builds a layout; windows with the same length are merged. */
export function compileLayout(needs: readonly WindowNeed[], subBuckets: number): WindowLayout {
  const byMs = new Map<number, { counters: Set<number>; members: Set<MemberKind> }>();
  for (const need of needs) {
    const merged = byMs.get(need.ms) ?? { counters: new Set<number>(), members: new Set<MemberKind>() };
    for (const c of need.counters) merged.counters.add(c);
    for (const m of need.members) merged.members.add(m);
    byMs.set(need.ms, merged);
  }
  const slots = subBuckets + 1;
  const windows: WindowSpec[] = [];
  let base = 0;
  for (const [ms, need] of [...byMs].sort((a, b) => a[0] - b[0])) {
    const counters = [...need.counters].sort((a, b) => a - b);
    const offsets = new Int8Array(COUNTER_COUNT).fill(-1);
    counters.forEach((c, i) => {
      offsets[c] = i;
    });
    windows.push({ ms, widthMs: ms / subBuckets, counters, offsets, members: MEMBER_KINDS.map((m) => need.members.has(m)), base });
    base += slots * counters.length;
  }
  const gapIds = new Set([C.gapCount, C.gapSum, C.gapSquares]);
  return {
    windows,
    slots,
    counterLength: base,
    needsGaps: windows.some((w) => w.counters.some((c) => gapIds.has(c))),
    needsSequence: windows.some((w) => w.counters.includes(C.numericPairs)),
  };
}

/** The slab that holds the blocks of entries with this layout. */
export function createSlab(layout: WindowLayout): Slab {
  return new Slab(layout.counterLength, layout.windows.length * (layout.slots + 1));
}

/**
 * One entry's windows: a block of a slab (slab.ts) plus its distinct
 * counters. Times are ms since the detector's origin (t0), so that
 * sub-bucket numbers fit an Int32Array for 2^31 sub-buckets (17 years of 250 ms).
 */
export class WindowSet {
  readonly #layout: WindowLayout;
  readonly #slab: Slab;
  readonly #block: number;
  readonly #counters: Float32Array;
  readonly #base: number;
  /** per window: `slots` sub-bucket numbers, then the latest one */
  readonly #epochs: Int32Array;
  readonly #epochBase: number;
  /** per window, per member kind; allocated on first use */
  #distinct: (SlidingDistinct | null)[] | null = null;

  constructor(layout: WindowLayout, slab: Slab) {
    this.#layout = layout;
    this.#slab = slab;
    this.#block = slab.allocate();
    this.#counters = slab.floatChunk(this.#block);
    this.#base = slab.floatBase(this.#block);
    this.#epochs = slab.intChunk(this.#block);
    this.#epochBase = slab.intBase(this.#block);
  }

  /** gives the block back (the entry was evicted); the set must not be used after */
  release(): void {
    this.#slab.release(this.#block);
    this.#distinct = null;
  }

  // hot path: a few array writes per window; distinct counters allocated on first use
  add(time: number, increments: Float64Array, members: EventMembers): void {
    const layout = this.#layout;
    const slots = layout.slots;
    const counters = this.#counters;
    const epochs = this.#epochs;
    const windows = layout.windows;
    for (let w = 0; w < windows.length; w++) {
      const spec = windows[w]!;
      const row = this.#epochBase + w * (slots + 1);
      let epoch = Math.floor(time / spec.widthMs);
      const latest = epochs[row + slots]!;
      // late events (out of order by more than a sub-bucket) count in the newest one
      if (epoch < latest) epoch = latest;
      else epochs[row + slots] = epoch;
      const slot = epoch % slots;
      const n = spec.counters.length;
      const start = this.#base + spec.base + slot * n;
      if (epochs[row + slot] !== epoch) {
        epochs[row + slot] = epoch;
        counters.fill(0, start, start + n);
      }
      const ids = spec.counters;
      for (let i = 0; i < n; i++) counters[start + i]! += increments[ids[i]!]!;
      const kept = spec.members;
      if (kept[0] && members.identifierCount > 0) {
        const distinct = this.#counter(w, 0);
        for (let i = 0; i < members.identifierCount; i++) distinct.add(members.identifiers[i]!, epoch);
      }
      if (kept[1] && members.hasAccount) this.#counter(w, 1).add(members.account, epoch);
      if (kept[2]) this.#counter(w, 2).add(members.subnet, epoch);
    }
  }

  /**
   * Sums window `w`'s counters at `time` into `out` (global counter ids; the
   * counters the window does not keep are left as they are).
   */
  read(w: number, time: number, out: Float64Array): void {
    const layout = this.#layout;
    const slots = layout.slots;
    const spec = layout.windows[w]!;
    const row = this.#epochBase + w * (slots + 1);
    const epoch = Math.floor(time / spec.widthMs);
    // share of the current sub-bucket elapsed: the oldest one weighs the rest
    const elapsed = (time - epoch * spec.widthMs) / spec.widthMs;
    const n = spec.counters.length;
    for (let i = 0; i < n; i++) out[spec.counters[i]!] = 0;
    for (let s = 0; s < slots; s++) {
      const e = this.#epochs[row + s]!;
      const age = epoch - e;
      if (e < 0 || age < 0 || age >= slots) continue;
      const weight = age === slots - 1 ? 1 - elapsed : 1;
      if (weight <= 0) continue;
      const start = this.#base + spec.base + s * n;
      for (let i = 0; i < n; i++) out[spec.counters[i]!]! += this.#counters[start + i]! * weight;
    }
  }

  /** distinct members of window `w` at `time` */
  distinct(w: number, time: number, members: MemberKind): number {
    const spec = this.#layout.windows[w]!;
    const counter = this.#distinct?.[w * MEMBER_KINDS.length + MEMBER_KINDS.indexOf(members)];
    return counter ? counter.count(Math.floor(time / spec.widthMs)) : 0;
  }

  #counter(w: number, member: number): SlidingDistinct {
    const list = (this.#distinct ??= new Array<SlidingDistinct | null>(this.#layout.windows.length * MEMBER_KINDS.length).fill(null));
    const at = w * MEMBER_KINDS.length + member;
    let distinct = list[at];
    if (!distinct) distinct = list[at] = new SlidingDistinct(this.#layout.slots);
    return distinct;
  }

  /** bytes held: the block and the distinct counters (object headers not included) */
  get byteSize(): number {
    let bytes = 4 * (this.#slab.floats + this.#slab.ints);
    for (const d of this.#distinct ?? []) bytes += d?.byteSize ?? 0;
    if (this.#distinct) bytes += 16 + 8 * this.#distinct.length;
    return bytes;
  }
}
