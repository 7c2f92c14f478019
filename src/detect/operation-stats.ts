/**
 * One operation, all clients together: counters per minute in a ring, the
 * learned per-minute baseline (baseline.ts), and the recent contributors to
 * what its rules attribute (misses, failures) so that an alert on the
 * operation can name who drives it.
 *
 * This is what sees a distributed attack where every address is slow: 300
 * addresses at one lookup per two minutes are 150 lookups a minute here.
 */
import { Baseline, type BaselineValueKind } from './baseline.ts';
import { C, COUNTER_COUNT, MEMBER_KINDS } from './features.ts';
import { SlidingDistinct } from './sliding-distinct.ts';
import type { IdentityKind } from './types.ts';
import type { EventMembers } from './windows.ts';

export const MINUTE_MS = 60_000;
/** baseline values: the counters, then one distinct count per member kind */
export const BASELINE_SIZE = COUNTER_COUNT + MEMBER_KINDS.length;
/** contributors remembered per identity kind and operation */
export const CONTRIBUTOR_RING = 1024;

const VOLUME = new Set<number>([C.bytesOut, C.sensitive, C.gapSum, C.gapSquares]);
const BASELINE_KINDS: readonly BaselineValueKind[] = Array.from({ length: BASELINE_SIZE }, (_, i) => (VOLUME.has(i) ? 'volume' : 'count'));
const ZEROS = new Float64Array(BASELINE_SIZE);

export interface OperationOptions {
  /** minutes kept in the ring (the longest operation window, + 1 for the current minute) */
  minutes: number;
  /** which distinct counters operation rules read (MEMBER_KINDS order) */
  members: readonly boolean[];
  halfLifeMinutes: number;
  warmupMinutes: number;
}

/** What a contributor ring holds: anything with an alive flag (PairEntry). */
export interface Contributor {
  readonly isAlive: boolean;
}

export class OperationStats<P extends Contributor = Contributor> {
  readonly name: string;
  readonly baseline: Baseline;
  isEvicted = false;
  /** latest event, ms since t0 */
  lastSeen = 0;
  readonly #options: OperationOptions;
  readonly #counters: Float64Array;
  readonly #minuteOf: Int32Array;
  readonly #distinct: (SlidingDistinct | null)[];
  #current = -1;
  readonly #contributors = new Map<IdentityKind, { ring: P[]; next: number }>();
  readonly #closed = new Float64Array(BASELINE_SIZE);

  constructor(name: string, options: OperationOptions) {
    this.name = name;
    this.#options = options;
    this.#counters = new Float64Array(options.minutes * COUNTER_COUNT);
    this.#minuteOf = new Int32Array(options.minutes).fill(-1);
    this.#distinct = options.members.map((isKept) => (isKept ? new SlidingDistinct(options.minutes, 8) : null));
    this.baseline = new Baseline(BASELINE_KINDS, { halfLifeMinutes: options.halfLifeMinutes, warmupMinutes: options.warmupMinutes });
  }

  // hot path: one row of adds
  add(time: number, increments: Float64Array, members: EventMembers): void {
    const minute = Math.floor(time / MINUTE_MS);
    this.roll(minute);
    if (time > this.lastSeen) this.lastSeen = time;
    const at = (this.#current % this.#options.minutes) * COUNTER_COUNT;
    for (let i = 0; i < COUNTER_COUNT; i++) this.#counters[at + i]! += increments[i]!;
    const epoch = this.#current;
    const identifiers = this.#distinct[0];
    if (identifiers) for (let i = 0; i < members.identifierCount; i++) identifiers.add(members.identifiers[i]!, epoch);
    const accounts = this.#distinct[1];
    if (accounts && members.hasAccount) accounts.add(members.account, epoch);
    this.#distinct[2]?.add(members.subnet, epoch);
  }

  /** closes the minutes before `minute` into the baseline (late events count in the current minute) */
  roll(minute: number): void {
    const current = this.#current;
    if (minute <= current) return;
    const ring = this.#options.minutes;
    if (current >= 0) {
      this.#learn(current);
      const idle = minute - current - 1;
      if (idle > 0) this.baseline.updateIdle(idle, ZEROS);
    }
    // clear the slots the new minutes will use
    for (let m = Math.max(current + 1, minute - ring + 1); m <= minute; m++) {
      const slot = m % ring;
      this.#counters.fill(0, slot * COUNTER_COUNT, (slot + 1) * COUNTER_COUNT);
      this.#minuteOf[slot] = m;
    }
    this.#current = minute;
  }

  /**
   * Sums the last `minutes` minutes (the current, partial one included) at
   * `time` into `out`; returns the minutes they cover (the partial minute
   * counted by its elapsed share), to scale the baseline.
   */
  read(minutes: number, time: number, out: Float64Array): number {
    const now = Math.floor(time / MINUTE_MS);
    out.fill(0, 0, COUNTER_COUNT);
    const ring = this.#options.minutes;
    for (let m = now - minutes + 1; m <= now; m++) {
      if (m < 0) continue;
      const slot = m % ring;
      if (this.#minuteOf[slot] !== m) continue;
      for (let i = 0; i < COUNTER_COUNT; i++) out[i]! += this.#counters[slot * COUNTER_COUNT + i]!;
    }
    const elapsed = (time - now * MINUTE_MS) / MINUTE_MS;
    return minutes - 1 + Math.max(elapsed, 1 / 60);
  }

  /** distinct members over the last `minutes` minutes */
  distinct(member: number, minutes: number, time: number): number {
    return this.#distinct[member]?.count(Math.floor(time / MINUTE_MS), minutes) ?? 0;
  }

  /** remembers a contributor (ring: the oldest is overwritten) */
  pushContributor(kind: IdentityKind, contributor: P): void {
    let entry = this.#contributors.get(kind);
    if (!entry) this.#contributors.set(kind, (entry = { ring: [], next: 0 }));
    if (entry.ring.length < CONTRIBUTOR_RING) entry.ring.push(contributor);
    else {
      entry.ring[entry.next] = contributor;
      entry.next = (entry.next + 1) % CONTRIBUTOR_RING;
    }
  }

  /** the distinct live contributors of one kind */
  contributors(kind: IdentityKind): P[] {
    const ring = this.#contributors.get(kind)?.ring ?? [];
    return [...new Set(ring)].filter((c) => c.isAlive);
  }

  get byteSize(): number {
    let bytes = 400 + this.#counters.byteLength + this.#minuteOf.byteLength + 2 * BASELINE_SIZE * 8;
    for (const d of this.#distinct) bytes += d?.byteSize ?? 0;
    for (const { ring } of this.#contributors.values()) bytes += 8 * ring.length;
    return bytes;
  }

  #learn(minute: number): void {
    const slot = minute % this.#options.minutes;
    if (this.#minuteOf[slot] !== minute) return;
    const closed = this.#closed;
    for (let i = 0; i < COUNTER_COUNT; i++) closed[i] = this.#counters[slot * COUNTER_COUNT + i]!;
    for (let m = 0; m < MEMBER_KINDS.length; m++) closed[COUNTER_COUNT + m] = this.#distinct[m]?.count(minute, 1) ?? 0;
    this.baseline.update(closed);
  }
}
