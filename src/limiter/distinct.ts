/**
 * Distinct-values window: how many different members (phone numbers, user
 * names, ids) one key touched in the last period. This is what catches
 * enumeration that stays under request-rate limits: 33 million lookups of
 * different phone numbers look like nothing to a per-second limit.
 *
 * Sub-buckets: S = P/4, sub-bucket index j = floor(4 * now / P) (integer
 * arithmetic, so stores agree). The window at j is the union of sub-buckets
 * j-4..j: five sub-buckets, covering between P and 1.25P of history, never
 * less than P (conservative: a member is forgotten no earlier than P after
 * its last touch). Sub-bucket k leaves the window at ceil((k + 5) * P / 4).
 *
 * Members and touches:
 *   - a member already in the window is allowed, and touching it moves it to
 *     the current sub-bucket (it stays fresh: a member is in the window iff its
 *     LATEST touch is in j-4..j);
 *   - a new member is allowed iff |window| < limit, then added to the current
 *     sub-bucket; a denied member is not added;
 *   - remaining = max(0, limit - |window after|);
 *   - retryAfterMs (denied) = ms until the oldest non-empty sub-bucket leaves
 *     the window. Because touches move members, "non-empty" means "holds the
 *     latest touch of some member", so that wait is exactly when the window
 *     first loses a member, i.e. the smallest wait after which a new member
 *     can be admitted (the window was at the limit). Redis: a sorted set of
 *     member → sub-bucket of the latest touch gives the same thing;
 *   - resetMs = ms until the newest non-empty sub-bucket leaves the window (0
 *     when empty); for an admitted member, the current sub-bucket's;
 *   - cost is ignored; a check without a member only looks: it is decided as
 *     a new member and adds nothing.
 *
 * Exact, then approximate: a sub-bucket keeps its members exactly while it
 * holds <= exactMax of them (default 256) and becomes a HyperLogLog
 * (hll.ts) when it would exceed it. While every sub-bucket in the window is
 * exact (so whenever |window| <= exactMax) the answer is exact: exact
 * sub-buckets are disjoint (a touch moves the member) and |window| is the sum
 * of their counts. Once one is a sketch, |window| is the estimate of the
 * union (exact members hashed into it), ±0.81 % standard error. Membership
 * is then only known for members held exactly: when the estimate is at the
 * limit, a member not found there is treated as new and denied. That is
 * conservative on purpose: an HLL "contains" test (would the member raise a
 * register?) says yes for a growing share of never-seen members as the
 * sketch fills, which would let an enumerator through past the limit.
 *
 * Layout: the exact members of all sub-buckets share one Map (member →
 * sub-bucket of its latest touch) with a count per sub-bucket, rather than a
 * Set per sub-bucket: one lookup decides membership, and a key that touched
 * one member costs ~520 bytes instead of ~670, storage key included
 * (bench/limiter/memory-per-key.ts). Entries of
 * sub-buckets that left the window are purged when their ring slot is reused.
 *
 * The state is mutable (maps and sketches are not copied per request);
 * distinctDecide never changes it, distinctAdd does.
 */
import type { WindowDecision } from './gcra.ts';
import { createHll, hllHash } from './hll.ts';
import type { Hll } from './hll.ts';

export const SUB_BUCKETS = 5;
export const DEFAULT_EXACT_MAX = 256;

/**
 * rough bytes per exact member (a Map entry with its share of the table, and
 * a short string), and per state; calibrated with bench/limiter/memory-per-key.ts
 */
const MEMBER_BYTES = 80;
const STATE_BYTES = 320;

export interface DistinctParams {
  limit: number;
  periodMs: number;
}

export interface DistinctOptions {
  /** members a sub-bucket holds exactly before it becomes a HyperLogLog */
  exactMax: number;
  /** secret for the HyperLogLog hash (see hllHash); random per store */
  hashKey: string;
}

export interface DistinctState {
  /** the newest sub-bucket index touched; -1 when never touched */
  readonly newest: number;
}

class DistinctWindow implements DistinctState {
  newest = -1;
  /** exact members → sub-bucket index of their latest touch; null while none */
  members: Map<string, number> | null = null;
  /**
   * per ring slot s (sub-bucket index mod 5): [2s] the sub-bucket index it
   * holds (-1: none), [2s + 1] how many exact members have their latest touch there
   */
  readonly slots: number[] = [-1, 0, -1, 0, -1, 0, -1, 0, -1, 0];
  /** per ring slot: the sketch of a sub-bucket past exactMax; null while none */
  sketches: (Hll | null)[] | null = null;
  /** the union of the window at sub-bucket `unionAt`, kept only while some sub-bucket is a sketch */
  union: Hll | null = null;
  unionAt = -1;
}

export function createDistinctState(): DistinctState {
  return new DistinctWindow();
}

function subIndex(now: number, periodMs: number): number {
  return Math.floor((4 * now) / periodMs);
}

/** epoch ms when sub-bucket `index` leaves the window */
function leavesAt(index: number, periodMs: number): number {
  return Math.ceil(((index + SUB_BUCKETS) * periodMs) / 4);
}

/** the current sub-bucket index: a clock behind the state counts as the state's newest */
function currentIndex(window: DistinctWindow, now: number, periodMs: number): number {
  const index = subIndex(now, periodMs);
  return index > window.newest ? index : window.newest;
}

/** the live sketch of ring slot `slot`, if any */
function sketchOf(window: DistinctWindow, slot: number): Hll | null {
  return window.sketches === null ? null : (window.sketches[slot] ?? null);
}

/**
 * Decides whether `member` may be touched at `now` and writes the decision
 * into `out`. Never changes the state (it may build the cached union sketch).
 */
export function distinctDecide<T extends WindowDecision>(
  state: DistinctState | undefined,
  now: number,
  params: DistinctParams,
  member: string | undefined,
  options: DistinctOptions,
  out: T,
): T {
  const limit = params.limit;
  const period = params.periodMs;
  if (state === undefined || state.newest < 0) {
    const allowed = limit >= 1;
    out.allowed = allowed;
    out.remaining = allowed ? limit - 1 : 0;
    out.resetMs = allowed ? leavesAt(subIndex(now, period), period) - now : 0;
    out.retryAfterMs = allowed ? 0 : 1;
    return out;
  }
  const window = state as DistinctWindow;
  const current = currentIndex(window, now, period);
  const first = current - (SUB_BUCKETS - 1);
  const slots = window.slots;
  let isApproximate = false;
  let size = 0;
  let oldest = Infinity;
  let newest = -1;
  for (let slot = 0; slot < SUB_BUCKETS; slot++) {
    const index = slots[2 * slot] as number;
    if (index < first) continue;
    const count = slots[2 * slot + 1] as number;
    const sketch = sketchOf(window, slot);
    const hasSketch = sketch !== null && !sketch.isEmpty;
    if (count === 0 && !hasSketch) continue;
    if (index < oldest) oldest = index;
    if (index > newest) newest = index;
    size += count;
    if (hasSketch) isApproximate = true;
  }
  const touched = member === undefined || window.members === null ? undefined : window.members.get(member);
  const isFound = touched !== undefined && touched >= first;
  if (isApproximate) size = unionAt(window, current, options).estimate();
  const allowed = isFound || size < limit;
  out.allowed = allowed;
  if (allowed) {
    out.remaining = Math.max(0, limit - size - (isFound ? 0 : 1));
    out.resetMs = leavesAt(current, period) - now;
    out.retryAfterMs = 0;
  } else {
    out.remaining = Math.max(0, limit - size);
    out.resetMs = newest < 0 ? 0 : leavesAt(newest, period) - now;
    out.retryAfterMs = oldest === Infinity ? 1 : Math.max(1, leavesAt(oldest, period) - now);
  }
  return out;
}

/**
 * Adds `member` at `now` with no decision (an admitted touch, or record()):
 * its latest touch becomes the current sub-bucket. Nothing happens when
 * member is undefined. Mutates `state`.
 */
export function distinctAdd(
  state: DistinctState,
  now: number,
  periodMs: number,
  member: string | undefined,
  options: DistinctOptions,
): void {
  if (member === undefined) return;
  const window = state as DistinctWindow;
  const current = currentIndex(window, now, periodMs);
  const first = current - (SUB_BUCKETS - 1);
  const slots = window.slots;
  const slot = current % SUB_BUCKETS;
  if (slots[2 * slot] !== current) {
    // the slot held sub-bucket current - 5 or older: it has left the window
    if ((slots[2 * slot + 1] as number) > 0 && window.members !== null) purge(window.members, first);
    slots[2 * slot] = current;
    slots[2 * slot + 1] = 0;
    if (window.sketches !== null) window.sketches[slot] = null;
  }
  const members = (window.members ??= new Map());
  const touched = members.get(member);
  // keep exact sub-buckets disjoint: only the latest touch counts
  if (touched !== undefined && touched !== current && touched >= first) slots[2 * (touched % SUB_BUCKETS) + 1]!--;
  let hashed = -1;
  const sketch = sketchOf(window, slot);
  if (sketch !== null) {
    if (touched !== undefined) members.delete(member);
    hashed = hllHash(options.hashKey, member);
    sketch.add(hashed);
  } else if (touched !== current) {
    members.set(member, current);
    const count = ++slots[2 * slot + 1]!;
    if (count > options.exactMax) toSketch(window, members, slot, current, options);
  }
  window.newest = current;
  if (window.union !== null && window.unionAt === current) {
    window.union.add(hashed >= 0 ? hashed : hllHash(options.hashKey, member));
  }
}

/** moves the exact members of sub-bucket `index` (ring slot `slot`) into a new sketch */
function toSketch(window: DistinctWindow, members: Map<string, number>, slot: number, index: number, options: DistinctOptions): void {
  const sketch = createHll();
  for (const [value, touched] of members) {
    if (touched !== index) continue;
    sketch.add(hllHash(options.hashKey, value));
    members.delete(value);
  }
  window.slots[2 * slot + 1] = 0;
  (window.sketches ??= [null, null, null, null, null])[slot] = sketch;
}

/** drops the members whose latest touch has left the window */
function purge(members: Map<string, number>, first: number): void {
  for (const [value, touched] of members) if (touched < first) members.delete(value);
}

/**
 * The union sketch of the window at `current`, rebuilt when the window moved.
 * Only called while some live sub-bucket is a sketch.
 */
function unionAt(window: DistinctWindow, current: number, options: DistinctOptions): Hll {
  if (window.union !== null && window.unionAt === current) return window.union;
  const first = current - (SUB_BUCKETS - 1);
  const union = createHll();
  for (let slot = 0; slot < SUB_BUCKETS; slot++) {
    const sketch = sketchOf(window, slot);
    if (sketch !== null && (window.slots[2 * slot] as number) >= first) union.merge(sketch);
  }
  if (window.members !== null) {
    for (const [value, touched] of window.members) if (touched >= first) union.add(hllHash(options.hashKey, value));
  }
  window.union = union;
  window.unionAt = current;
  return union;
}

/** epoch ms after which the state holds nothing in any window (the store may drop it) */
export function distinctExpiresAt(state: DistinctState, periodMs: number): number {
  return state.newest < 0 ? 0 : leavesAt(state.newest, periodMs);
}

/**
 * Approximate bytes held, for the store's memory budget. Also drops the
 * cached union once no live sub-bucket is a sketch any more.
 */
export function distinctByteSize(state: DistinctState, now: number, periodMs: number): number {
  const window = state as DistinctWindow;
  const first = currentIndex(window, now, periodMs) - (SUB_BUCKETS - 1);
  let bytes = STATE_BYTES + (window.members === null ? 0 : window.members.size * MEMBER_BYTES);
  let hasSketch = false;
  for (let slot = 0; slot < SUB_BUCKETS; slot++) {
    const sketch = sketchOf(window, slot);
    if (sketch === null) continue;
    bytes += sketch.byteSize;
    if ((window.slots[2 * slot] as number) >= first) hasSketch = true;
  }
  if (window.union !== null) {
    if (hasSketch) bytes += window.union.byteSize;
    else window.union = null;
  }
  return bytes;
}
