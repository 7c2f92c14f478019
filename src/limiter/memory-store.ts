/**
 * The bounded in-process limiter store: the default for one gateway process,
 * and the local fallback of the resilient Redis store ('local' policy).
 *
 * Semantics are those of the algorithm modules (gcra.ts, sliding.ts,
 * distinct.ts) and of evaluate() below; conformance.ts holds them as tests,
 * run here and against the Redis store. evaluate(request), in order:
 *   1. bans: the longest active ban (until > now; the first on ties) among
 *      request.banKeys → { ban, results: [], admitted: false, newBans: [],
 *      degraded: false }; nothing is spent, no violation counted.
 *   2. every check is decided against the current state, independently
 *      (each CheckResult says what that check alone would do, so an allowed
 *      check of a refused request reports `remaining` as if it had spent).
 *   3. admitted = no check with dryRun = false denied. Admitted: every check
 *      that allowed spends (gcra/sliding: its cost; distinct: its member),
 *      dry-run ones included; a dry-run check that denied spends nothing.
 *      Refused: nothing is spent anywhere (all-or-nothing).
 *   4. escalations (only when refused): see #escalate.
 *   5. results carry source 'store'; degraded is false.
 * record(checks, now) spends every check as step 3 would, with no decision.
 * addBan replaces the ban held for its key; removeBan says whether one was
 * held; listBans(now, limit = 100) gives copies of the active bans,
 * longest-lasting first, ties by key.
 *
 * A window's state is found by check.id, then by check.key: one small Map per
 * window id (a plan has a handful), each from key to slot. Two lookups, but
 * neither builds a string: the key arrives from the gateway with its hash
 * often already computed, where an id + NUL + key string would be built and
 * hashed again on every request. The (attacker-influenced) key can never
 * reach another window's map, whatever it holds.
 *
 * Bounds (memory is an attack surface: every new key value costs a state):
 *   - window states (gcra, sliding, distinct): at most `maxKeys`; inserting
 *     one more evicts the least recently touched. A touch is any evaluate()
 *     or record() that reads or writes the state, including denied requests,
 *     so a key under attack is never the stale one. Evicting a state forgets
 *     it (a fresh quota), which is why the cap is generous.
 *   - distinct states also weigh members and sketches: their total is kept
 *     under `maxDistinctBytes` (default 256 MiB) by evicting the least
 *     recently touched window states of any kind.
 *   - escalation state (violation counters and ban levels): their own map,
 *     at most `maxKeys`, so flooding window keys cannot reset someone's ban
 *     level. Bans: their own map, at most `maxKeys` (operator bans included:
 *     there is no unbounded map). When either is full, one pass drops its
 *     expired entries, then the oldest (least recently touched; for bans,
 *     first inserted) until an eighth is free.
 *   - expired window states are dropped when read, and each insertion first
 *     drops up to two expired states from the stale end, so the store follows
 *     the live set instead of sitting at the cap.
 *
 * Layout, for bytes per key: a Map from storage key to a slot number (a
 * small integer, stored unboxed) and typed-array columns per slot, instead of
 * one object per key whose epoch-ms fields would each be a boxed double.
 * bench/limiter/memory-per-key.ts measures it.
 */
import { randomBytes } from 'node:crypto';
import type { DistinctOptions, DistinctState } from './distinct.ts';
import {
  createDistinctState,
  DEFAULT_EXACT_MAX,
  distinctAdd,
  distinctByteSize,
  distinctDecide,
  distinctExpiresAt,
} from './distinct.ts';
import { gcraDecide, gcraSpend } from './gcra.ts';
import type { SlidingState } from './sliding.ts';
import { slidingDecide, slidingExpiresAt, slidingSpend } from './sliding.ts';
import type {
  Ban,
  BanEscalation,
  CheckResult,
  EvaluateRequest,
  EvaluateResult,
  LimitCheck,
  LimiterStore,
} from './types.ts';

export interface MemoryLimiterStoreOptions {
  /** window states kept at most (and, separately, escalation entries and bans); default 1,000,000 */
  maxKeys?: number;
  /** members a distinct sub-bucket holds exactly before it becomes a HyperLogLog; default 256 */
  exactMax?: number;
  /** approximate bytes all distinct states may hold together; default 256 MiB */
  maxDistinctBytes?: number;
  /** secret for the HyperLogLog hash; default random per store (tests pin it) */
  hashKey?: string;
}

export interface MemoryLimiterStoreStats {
  /** window states held (gcra, sliding, distinct) */
  windows: number;
  /** violation counters and ban levels held */
  escalations: number;
  /** bans held, including expired ones not yet dropped */
  bans: number;
  /** approximate bytes held by distinct states */
  distinctBytes: number;
}

export interface MemoryLimiterStore extends LimiterStore {
  readonly kind: 'memory';
  /**
   * evaluate() without the promise, for callers that are synchronous anyway
   * (the resilient store's local fallback). Throws once closed.
   */
  evaluateSync(request: EvaluateRequest): EvaluateResult;
  stats(): MemoryLimiterStoreStats;
}

export function createMemoryLimiterStore(options: MemoryLimiterStoreOptions = {}): MemoryLimiterStore {
  const maxKeys = options.maxKeys ?? 1_000_000;
  const exactMax = options.exactMax ?? DEFAULT_EXACT_MAX;
  const maxDistinctBytes = options.maxDistinctBytes ?? 256 * 1024 * 1024;
  if (!Number.isInteger(maxKeys) || maxKeys < 1) throw new RangeError(`maxKeys must be a positive integer, got ${maxKeys}`);
  if (!Number.isInteger(exactMax) || exactMax < 1) throw new RangeError(`exactMax must be a positive integer, got ${exactMax}`);
  if (!(maxDistinctBytes > 0)) throw new RangeError(`maxDistinctBytes must be positive, got ${maxDistinctBytes}`);
  const hashKey = options.hashKey ?? randomBytes(16).toString('base64');
  return new MemoryStore(maxKeys, { exactMax, hashKey }, maxDistinctBytes);
}

/** slot kinds; 0 = free */
const GCRA = 1;
const SLIDING = 2;
const DISTINCT = 3;
const KIND_OF = { gcra: GCRA, sliding: SLIDING, distinct: DISTINCT } as const;
/** the empty results and bans of most answers: one shared array (EvaluateResult's are read-only) */
const NONE: readonly never[] = Object.freeze([]);

const INITIAL_CAPACITY = 1024;
/** expired entries dropped from the stale end per insertion */
const SWEEP_PER_INSERT = 2;
/**
 * How long an expired entry stays before the sweep drops it. A GCRA state
 * expires as soon as its bucket is full again (10 ms after a request at
 * 100/s), and most keys under their limit come back later than that: swept
 * at once, each would cost a Map delete and a Map set per request; kept a
 * little, it is reset in place (#find). The cap (maxKeys) bounds memory
 * either way; this only decides how closely the map follows the live set.
 */
const SWEEP_GRACE_MS = 1000;

/** one violation counter or ban level */
interface EscalationEntry {
  value: number;
  expiresAt: number;
}

/**
 * A check's answer. A class, not an object literal, on purpose: V8 tracks
 * each literal's allocation site and, if the objects of a site were all
 * alive at a few young-generation collections (as happens while the first
 * requests create their states), allocates every later object of that site
 * in the old generation; the answers then fill it with garbage, and
 * decisions ran at half speed in a third of the processes of
 * bench/limiter/decisions.ts (10-12 full collections in 4 s against 1;
 * `--trace-pretenuring-statistics`). Instances of a class have no such site.
 */
class StoreCheckResult implements CheckResult {
  readonly id: string;
  allowed = false;
  remaining = 0;
  resetMs = 0;
  retryAfterMs = 0;
  source: CheckResult['source'] = 'store';
  constructor(id: string) {
    this.id = id;
  }
}

class MemoryStore implements MemoryLimiterStore {
  readonly kind = 'memory' as const;

  readonly #maxKeys: number;
  readonly #distinctOptions: DistinctOptions;
  readonly #maxDistinctBytes: number;
  #isClosed = false;

  /** check.id → (check.key → slot) */
  readonly #index = new Map<string, Map<string, number>>();
  /** window states held, across #index's maps */
  #size = 0;
  /** states removed so far: a slot found before is still its key's while this has not moved */
  #removals = 0;
  #capacity = 0;
  /** slots never used yet start at #next; freed ones go to #free */
  #next = 0;
  #free: number[] = [];
  /** per slot: GCRA | SLIDING | DISTINCT, 0 when free */
  #kind = new Uint8Array(0);
  /** gcra: tat; sliding: bucket index */
  #a = new Float64Array(0);
  /** sliding: current count; distinct: bytes counted in #distinctBytes */
  #b = new Float64Array(0);
  /** sliding: previous count */
  #c = new Float64Array(0);
  /** epoch ms after which the state is the same as no state */
  #expires = new Float64Array(0);
  /** the key of each slot and the map holding it, to delete it from #index on eviction */
  #slotKeys: (string | undefined)[] = [];
  #slotMaps: (Map<string, number> | undefined)[] = [];
  #distinct: (DistinctState | undefined)[] = [];
  #distinctBytes = 0;
  /**
   * Recency list through the slots (least recently used at #head): a touch is
   * a few array writes and eviction takes #head, with no allocation and no
   * Map re-insertion (which leaves holes that later scans from the front
   * must skip). lru-cache does the same internally, but would keep its own
   * key and value arrays beside these columns, and reaching its stale end
   * without evicting (to drop expired entries) allocates an iterator.
   */
  #prev = new Int32Array(0);
  #nextInList = new Int32Array(0);
  #head = -1;
  #tail = -1;

  /** 'v\0' + reason + '\0' + banKey → violations; 'l\0' + banKey → level */
  readonly #escalation = new Map<string, EscalationEntry>();
  readonly #bans = new Map<string, Ban>();
  /** the latest `now` seen, to tell expired bans when addBan (which has no clock) must make room */
  #latestNow = 0;

  /** reused between calls (evaluate is synchronous): each check's slot as decided, -1 for none */
  #slots = new Int32Array(8);
  readonly #sliding: SlidingState = { bucket: 0, current: 0, previous: 0 };

  constructor(maxKeys: number, distinctOptions: DistinctOptions, maxDistinctBytes: number) {
    this.#maxKeys = maxKeys;
    this.#distinctOptions = distinctOptions;
    this.#maxDistinctBytes = maxDistinctBytes;
    this.#grow(Math.min(maxKeys, INITIAL_CAPACITY));
  }

  evaluate(request: EvaluateRequest): Promise<EvaluateResult> {
    try {
      return Promise.resolve(this.evaluateSync(request));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  // hot path: one Map lookup per check to decide, one more to spend; the
  // results are the only allocations besides the storage key strings
  evaluateSync(request: EvaluateRequest): EvaluateResult {
    this.#assertOpen();
    const now = request.now;
    if (now > this.#latestNow) this.#latestNow = now;
    const ban = this.#bans.size === 0 ? null : this.#activeBan(request.banKeys, now);
    if (ban !== null) return { ban, results: NONE, admitted: false, newBans: NONE, degraded: false };

    const checks = request.checks;
    if (checks.length > this.#slots.length) this.#slots = new Int32Array(checks.length * 2);
    const slots = this.#slots;
    // hot path: no literal here (see StoreCheckResult)
    const results = new Array<CheckResult>(checks.length);
    let isAdmitted = true;
    for (let i = 0; i < checks.length; i++) {
      const check = checks[i] as LimitCheck;
      const result = new StoreCheckResult(check.id);
      slots[i] = this.#decide(check, now, result);
      results[i] = result;
      if (!result.allowed && !check.dryRun) isAdmitted = false;
    }

    // all-or-nothing: a refused request spends nowhere. The slots found to decide are spent,
    // unless an allocation for an earlier check evicted a state (only in a store about as small
    // as one request's checks): then the later checks are looked up again
    if (isAdmitted) {
      const removals = this.#removals;
      for (let i = 0; i < checks.length; i++) {
        if (!(results[i] as CheckResult).allowed) continue;
        const check = checks[i] as LimitCheck;
        this.#spend(check, this.#removals === removals ? (slots[i] as number) : this.#find(check, now, false), now);
      }
    }
    const newBans = isAdmitted || request.escalations.length === 0 ? NONE : this.#escalate(request, results, now);
    return { ban: null, results, admitted: isAdmitted, newBans, degraded: false };
  }

  record(checks: readonly LimitCheck[], now: number): Promise<void> {
    try {
      this.#assertOpen();
      for (const check of checks) this.#spend(check, this.#find(check, now, true), now);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  addBan(ban: Ban): Promise<void> {
    try {
      this.#assertOpen();
      this.#putBan({ key: ban.key, until: ban.until, level: ban.level, reason: ban.reason });
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * true when a ban on `key` was held (there is no clock here: a ban that
   * expired but was not dropped yet also counts); the key's escalation level
   * is kept, so a lifted offender who offends again is banned at the next level
   */
  removeBan(key: string): Promise<boolean> {
    try {
      this.#assertOpen();
      return Promise.resolve(this.#bans.delete(key));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  listBans(now: number, limit = 100): Promise<Ban[]> {
    try {
      this.#assertOpen();
      const active: Ban[] = [];
      for (const [key, ban] of this.#bans) {
        if (ban.until > now) active.push({ ...ban });
        else this.#bans.delete(key);
      }
      // longest-lasting first; the key breaks ties so the order is stable across stores
      active.sort((x, y) => y.until - x.until || (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
      return Promise.resolve(active.slice(0, Math.max(0, limit)));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  close(): Promise<void> {
    this.#isClosed = true;
    this.#index.clear();
    this.#size = 0;
    this.#escalation.clear();
    this.#bans.clear();
    this.#free = [];
    this.#slotKeys = [];
    this.#slotMaps = [];
    this.#distinct = [];
    this.#distinctBytes = 0;
    this.#grow(0);
    return Promise.resolve();
  }

  stats(): MemoryLimiterStoreStats {
    return {
      windows: this.#size,
      escalations: this.#escalation.size,
      bans: this.#bans.size,
      distinctBytes: this.#distinctBytes,
    };
  }

  #assertOpen(): void {
    if (this.#isClosed) throw new Error('the memory limiter store is closed');
  }

  /** the longest active ban among keys (the first one on ties), as a copy */
  #activeBan(keys: readonly string[], now: number): Ban | null {
    let best: Ban | undefined;
    for (const key of keys) {
      const ban = this.#bans.get(key);
      if (ban === undefined) continue;
      if (ban.until <= now) {
        this.#bans.delete(key);
        continue;
      }
      if (best === undefined || ban.until > best.until) best = ban;
    }
    return best === undefined ? null : { key: best.key, until: best.until, level: best.level, reason: best.reason };
  }

  #putBan(ban: Ban): void {
    const bans = this.#bans;
    if (bans.has(ban.key)) bans.delete(ban.key);
    else if (bans.size >= this.#maxKeys) trimMap(bans, this.#maxKeys, (held) => held.until <= this.#latestNow);
    bans.set(ban.key, ban);
  }

  /** decides `check` into `out`; returns its live slot (touched), or -1 */
  #decide(check: LimitCheck, now: number, out: CheckResult): number {
    const slot = this.#find(check, now, true);
    switch (check.algorithm) {
      case 'gcra':
        gcraDecide(slot < 0 ? 0 : (this.#a[slot] as number), now, check, out);
        break;
      case 'sliding':
        slidingDecide(slot < 0 ? undefined : this.#loadSliding(slot), now, check, out);
        break;
      case 'distinct':
        distinctDecide(slot < 0 ? undefined : this.#distinct[slot], now, check, check.member, this.#distinctOptions, out);
        break;
    }
    return slot;
  }

  /**
   * Spends a check's cost at `now` (gcra, sliding) or adds its member
   * (distinct), into `found`: the check's live slot as #find gave it, or -1
   * (no state yet: one is allocated).
   */
  #spend(check: LimitCheck, found: number, now: number): void {
    if (check.algorithm === 'distinct' ? check.member === undefined : check.cost === 0) return;
    let slot = found;
    switch (check.algorithm) {
      case 'gcra': {
        const tat = gcraSpend(slot < 0 ? 0 : (this.#a[slot] as number), now, check, check.cost);
        if (slot < 0) slot = this.#allocate(check, GCRA, now);
        this.#a[slot] = tat;
        this.#expires[slot] = tat;
        return;
      }
      case 'sliding': {
        const state = slidingSpend(
          slot < 0 ? undefined : this.#loadSliding(slot),
          now,
          check.periodMs,
          check.cost,
          this.#sliding,
        ) as SlidingState;
        if (slot < 0) slot = this.#allocate(check, SLIDING, now);
        this.#a[slot] = state.bucket;
        this.#b[slot] = state.current;
        this.#c[slot] = state.previous;
        this.#expires[slot] = slidingExpiresAt(state, check.periodMs);
        return;
      }
      case 'distinct': {
        if (slot < 0) {
          slot = this.#allocate(check, DISTINCT, now);
          this.#distinct[slot] = createDistinctState();
        }
        const state = this.#distinct[slot] as DistinctState;
        distinctAdd(state, now, check.periodMs, check.member as string, this.#distinctOptions);
        this.#expires[slot] = distinctExpiresAt(state, check.periodMs);
        const bytes = distinctByteSize(state, now, check.periodMs);
        this.#distinctBytes += bytes - (this.#b[slot] as number);
        this.#b[slot] = bytes;
        if (this.#distinctBytes > this.#maxDistinctBytes) this.#shedDistinct(slot);
        return;
      }
    }
  }

  #loadSliding(slot: number): SlidingState {
    const state = this.#sliding;
    state.bucket = this.#a[slot] as number;
    state.current = this.#b[slot] as number;
    state.previous = this.#c[slot] as number;
    return state;
  }

  /**
   * The live slot of the check's window for its key, or -1. A state of
   * another algorithm (the plan changed the window's algorithm under the
   * same id) or an expired one is dropped: both mean "start fresh". With
   * `touch`, the slot becomes the most recently used.
   */
  #find(check: LimitCheck, now: number, touch: boolean): number {
    const slot = this.#index.get(check.id)?.get(check.key);
    if (slot === undefined) return -1;
    const kind = KIND_OF[check.algorithm];
    if (this.#kind[slot] !== kind) {
      this.#remove(slot);
      return -1;
    }
    if ((this.#expires[slot] as number) <= now) {
      if (kind === DISTINCT) {
        this.#remove(slot);
        return -1;
      }
      // hot path: an expired gcra or sliding state is reset in place to what "no state" decides
      // (tat 0; a bucket that equals no bucket), not removed and allocated again: keys that come
      // back after their window (most keys, under the limit) would cost a Map delete and set each
      this.#a[slot] = kind === GCRA ? 0 : Number.NaN;
      this.#b[slot] = 0;
      this.#c[slot] = 0;
    }
    if (touch && slot !== this.#tail) {
      this.#unlink(slot);
      this.#append(slot);
    }
    return slot;
  }

  /** a slot for the check's key (the most recently used), evicting the least recently used when full */
  #allocate(check: LimitCheck, kind: number, now: number): number {
    // drop entries expired a while at the stale end first, so the map follows the live set
    for (let i = 0; i < SWEEP_PER_INSERT && this.#head >= 0; i++) {
      if ((this.#expires[this.#head] as number) + SWEEP_GRACE_MS > now) break;
      this.#remove(this.#head);
    }
    if (this.#size >= this.#maxKeys) this.#remove(this.#head);
    let slot = this.#free.pop();
    if (slot === undefined) {
      if (this.#next === this.#capacity) this.#grow(Math.min(this.#maxKeys, this.#capacity * 2));
      slot = this.#next++;
    }
    let map = this.#index.get(check.id);
    if (map === undefined) {
      map = new Map();
      this.#index.set(check.id, map);
    }
    const key = flatCopy(check.key);
    this.#kind[slot] = kind;
    this.#b[slot] = 0;
    this.#slotKeys[slot] = key;
    this.#slotMaps[slot] = map;
    map.set(key, slot);
    this.#size++;
    this.#append(slot);
    return slot;
  }

  /** evicts the least recently used states until distinct states fit their budget (never `keep`) */
  #shedDistinct(keep: number): void {
    while (this.#distinctBytes > this.#maxDistinctBytes && this.#head >= 0 && this.#head !== keep) {
      this.#remove(this.#head);
    }
  }

  #remove(slot: number): void {
    this.#removals++;
    (this.#slotMaps[slot] as Map<string, number>).delete(this.#slotKeys[slot] as string);
    this.#slotKeys[slot] = undefined;
    this.#slotMaps[slot] = undefined;
    this.#size--;
    this.#unlink(slot);
    if (this.#kind[slot] === DISTINCT) {
      this.#distinctBytes -= this.#b[slot] as number;
      this.#distinct[slot] = undefined;
    }
    this.#kind[slot] = 0;
    this.#free.push(slot);
  }

  #unlink(slot: number): void {
    const before = this.#prev[slot] as number;
    const after = this.#nextInList[slot] as number;
    if (before >= 0) this.#nextInList[before] = after;
    else this.#head = after;
    if (after >= 0) this.#prev[after] = before;
    else this.#tail = before;
  }

  #append(slot: number): void {
    const tail = this.#tail;
    this.#prev[slot] = tail;
    this.#nextInList[slot] = -1;
    if (tail >= 0) this.#nextInList[tail] = slot;
    else this.#head = slot;
    this.#tail = slot;
  }

  #grow(capacity: number): void {
    const used = Math.min(this.#next, capacity);
    this.#kind = resized(new Uint8Array(capacity), this.#kind, used);
    this.#a = resized(new Float64Array(capacity), this.#a, used);
    this.#b = resized(new Float64Array(capacity), this.#b, used);
    this.#c = resized(new Float64Array(capacity), this.#c, used);
    this.#expires = resized(new Float64Array(capacity), this.#expires, used);
    this.#prev = resized(new Int32Array(capacity), this.#prev, used);
    this.#nextInList = resized(new Int32Array(capacity), this.#nextInList, used);
    this.#capacity = capacity;
    if (capacity === 0) {
      this.#next = 0;
      this.#head = -1;
      this.#tail = -1;
    }
  }

  /**
   * Escalation (step 4 of evaluate): for each escalation one of whose checks
   * denied while enforcing, one violation on (reason, banKey); the counter
   * expires withinMs after its first violation. At `after` violations the
   * counter resets and the key's level rises (a level expires resetAfterMs
   * after the END of the ban it produced; the first ban is level 1), and the
   * key is banned for durationsMs[min(level, length) - 1]. At most one ban per
   * ban key per step: a later escalation on a key banned in this step is
   * skipped (no violation counted), so two rules tripping together do not
   * jump two levels. A new ban does not shorten a longer active one already
   * held for the key (it is still reported in newBans).
   */
  #escalate(request: EvaluateRequest, results: readonly CheckResult[], now: number): Ban[] {
    const newBans: Ban[] = [];
    for (const escalation of request.escalations) {
      if (!isViolated(escalation, request.checks, results)) continue;
      if (newBans.some((ban) => ban.key === escalation.banKey)) continue;
      const counterKey = 'v\u0000' + escalation.reason + '\u0000' + escalation.banKey;
      const counter = this.#liveEscalation(counterKey, now) ?? { value: 0, expiresAt: now + escalation.withinMs };
      counter.value++;
      if (counter.value < escalation.after) {
        this.#putEscalation(counterKey, counter, now);
        continue;
      }
      this.#escalation.delete(counterKey);
      const levelKey = 'l\u0000' + escalation.banKey;
      const level = (this.#liveEscalation(levelKey, now)?.value ?? 0) + 1;
      const durations = escalation.durationsMs;
      const duration = durations[Math.min(level, durations.length) - 1] ?? 0;
      const ban: Ban = { key: escalation.banKey, until: now + duration, level, reason: escalation.reason };
      this.#putEscalation(levelKey, { value: level, expiresAt: ban.until + escalation.resetAfterMs }, now);
      const held = this.#bans.get(ban.key);
      if (held === undefined || held.until <= now || held.until < ban.until) this.#putBan({ ...ban });
      newBans.push(ban);
    }
    return newBans;
  }

  #liveEscalation(key: string, now: number): EscalationEntry | undefined {
    const entry = this.#escalation.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now) {
      this.#escalation.delete(key);
      return undefined;
    }
    return entry;
  }

  #putEscalation(key: string, entry: EscalationEntry, now: number): void {
    const map = this.#escalation;
    if (map.has(key)) map.delete(key);
    else if (map.size >= this.#maxKeys) trimMap(map, this.#maxKeys, (held) => held.expiresAt <= now);
    map.set(key, entry);
  }
}

/**
 * The key as one flat string, for keeping. A key composed with `+` or a
 * template is a rope (ConsString) that would keep its parts alive as the
 * Map's key: 161 bytes per gcra key at a million keys against 123 flat
 * (bench/limiter/memory-per-key.ts). V8 hands most copies back unflattened
 * (join with '', repeat(1), slice(0) return the rope itself); a JSON round
 * trip always builds a new flat string, equal to the key for every string,
 * lone surrogates included. Only when a state is created, never on the
 * lookup path.
 */
function flatCopy(key: string): string {
  return JSON.parse(JSON.stringify(key)) as string;
}

/**
 * Makes room in a full map kept in insertion (or touch) order: drops every
 * expired entry, then the oldest ones until an eighth of the cap is free.
 * Done in batches so that a map at its cap costs one pass per cap/8
 * insertions, not a scan from the front per insertion.
 */
function trimMap<V>(map: Map<string, V>, cap: number, isExpired: (value: V) => boolean): void {
  for (const [key, value] of map) if (isExpired(value)) map.delete(key);
  const target = cap - Math.max(1, Math.floor(cap / 8));
  if (map.size <= target) return;
  for (const key of map.keys()) {
    map.delete(key);
    if (map.size <= target) return;
  }
}

function resized<T extends Uint8Array | Int32Array | Float64Array>(into: T, from: T, used: number): T {
  into.set(from.subarray(0, used));
  return into;
}

/** an enforcing check listed by the escalation denied */
function isViolated(escalation: BanEscalation, checks: readonly LimitCheck[], results: readonly CheckResult[]): boolean {
  for (let i = 0; i < checks.length; i++) {
    const check = checks[i] as LimitCheck;
    if (!check.dryRun && !(results[i] as CheckResult).allowed && escalation.checkIds.includes(check.id)) return true;
  }
  return false;
}
