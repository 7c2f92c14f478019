/**
 * Local allowances: requests of a key far under its limits admitted by this
 * instance without asking Redis, from units Redis has already reserved for
 * it (a lease).
 *
 * When Redis admits a request that comes back (see prepare()) and every
 * window of it has plenty left, the same call reserves `units` more of the
 * same request in every window (they are spent there at once, seen by every
 * instance) and marks the windows with this lease's token. The instance
 * then admits the same request (same ban keys, same checks, same keys, same
 * cost) up to `units` times within `ttlMs` without a call. Redis grants
 *
 *   units = min over its windows of floor(min(share × remaining,
 *           remaining − capacity / 2) / cost), at most maxUnits
 *
 * (capacity: the burst of a gcra window, the limit of a sliding one;
 * remaining: what is left after the request), none when that is less than
 * two (a lease of one unit saves at most the one call it costs: small
 * windows such as 10/s are not leased at the default share), and none
 * while another lease marks one of the windows. The units left unused are
 * handed back with this key's next call (no extra round trip) or, for a
 * key that does not come back, in a background call; Redis credits them
 * back to every window the lease still marks (a gcra window only what its
 * refilling has not already given back: see the Lua's gcraSpend).
 *
 * The error, as docs/configuration.md ("Local allowances") tells users:
 *   - never looser: every unit admitted here was spent in Redis before, so
 *     instances together never admit past a limit;
 *   - stricter, for a while: units leased and not yet used count against the
 *     window for every other instance. A client spread over N instances may
 *     be refused by one while another holds unused units of the same window:
 *     at most one lease per window (share of what was left, at most
 *     maxUnits), for at most ttlMs, then handed back. A lease whose holder
 *     never hands it back (the process died, the call failed) stays spent:
 *     its window refills as usual, and other instances may lease it again
 *     after 2 × ttlMs;
 *   - a used unit counts from when it was leased, not when it was used
 *     (earlier by at most ttlMs);
 *   - a ban placed by another instance (in Redis) on a client reaches this
 *     store at its next call to Redis for that client: at most `ttlMs`
 *     later (the gateway's ban mirror, checked first, sees it within a
 *     second). Bans this store learns of end every allowance at once.
 * Never leased: requests with a distinct check (each member differs), with
 * a look-only check (cost 0: counted by outcome), refused or degraded ones,
 * and anything on Redis Cluster (the store does not ask for leases there).
 */
import { randomBytes } from 'node:crypto';
import type { CheckResult, EvaluateRequest, EvaluateResult, LimitCheck } from './types.ts';

export interface AllowanceOptions {
  /** share of what a window has left that one instance may lease (0 = off); default 1/16 */
  share: number;
  /** how long a lease is used; default 10,000 ms */
  ttlMs: number;
  /** the most units one lease holds; default 64 */
  maxUnits: number;
  /**
   * leases held at most (the oldest is handed back first); default 100,000:
   * about 55 MB (~550 bytes each with one check: its signature, its checks,
   * itself). Notes that requests were seen take 14 bytes × 4 × maxEntries
   * (rounded up to a power of two) besides: 7.3 MB by default (NOTE_WAYS).
   */
  maxEntries: number;
}

/**
 * 10 s: the time to live bounds how long leased units may sit unused while
 * other instances see them spent, and how late a ban placed elsewhere reaches
 * this store (the gateway's ban mirror, checked before the limiter, refreshes
 * every second). A lease pays only for clients that come back within it:
 * with 5 s, an instance deciding 17,600 requests/s for 100,000 clients saw
 * each every 5.7 s, leased nothing and called Redis for every request
 * (17,605 decisions/s, RLF 38,642); with 10 s, 92 % of its decisions were
 * local (133,771/s), with 15 s 93 % (bench/README.md, 2026-11-30).
 */
export const DEFAULT_ALLOWANCE_OPTIONS: AllowanceOptions = { share: 1 / 16, ttlMs: 10_000, maxUnits: 64, maxEntries: 100_000 };

/**
 * A request is leased units when it came back within this share of a lease
 * lifetime. A lease pays when it is used: one left unused costs Redis a
 * write to grant and another to hand back (~15 µs of Redis time with three
 * windows), one used saves a whole call (~30 µs), so it pays when the next
 * visit falls within the lifetime more than a third of the time. With
 * visits at random (Poisson), a request whose last interval was one
 * lifetime comes back within the next one 63 % of the time. A smaller share
 * (4/5 was tried) makes a loaded instance bistable: once its keys come back
 * a little slower than that, it stops leasing, calls Redis for every
 * request and slows down further (bench/limiter, three windows under the
 * limit: 54 % of decisions local and 46k decisions/s, or 11 % and 24k/s,
 * from one run to the next).
 */
const COMES_BACK_WITHIN = 1;

/**
 * Asks Redis declined in a row (the request was admitted, no lease granted:
 * a window too small or too full to spare two units, or leased to another
 * instance) make the next asks wait: after k declines, the next
 * 2^k − 1 calls of the request (at most MAX_SKIPPED_ASKS) do not ask. An ask costs
 * Redis the lease arguments and the sum over the windows (measured with
 * three windows, 25.4 µs a call against 23.7 without), for nothing where
 * a window can never spare two units (10/s at the default share).
 */
const MAX_SKIPPED_ASKS = 63;

/**
 * Notes that a request was seen: when, and how its asks fared, in typed
 * arrays: nothing is allocated or kept per request. Kept in the lease Map,
 * as before, a note held its signature, its
 * checks and an object for a lifetime, ~650 bytes a request that V8 promoted
 * to its old generation and dropped again every few seconds; with 100,000
 * keys that come back (bench/limiter, three windows under the limit, where
 * nothing is leased) the default path made 20,436 decisions/s against
 * 36,673 for the exact path. Slots come in buckets of NOTE_WAYS, four
 * times as many as maxEntries (a power of two; 524,288 by default: 7.3 MB):
 * a request's note goes to a free slot of its bucket or replaces the
 * oldest note there (a 32-bit fingerprint tells requests apart), and the
 * request whose note was replaced is not asked a lease on its next visit.
 * One slot per request, as first written, lost the notes of half of
 * 100,000 requests to collisions (one window under the limit: 0.68 round
 * trips a decision against 0.12).
 */
const NOTE_WAYS = 4;
/** declines counted at most: 2^6 - 1 = MAX_SKIPPED_ASKS */
const MAX_DECLINES = 6;

/** how long Redis keeps a lease's mark (others may not lease its windows meanwhile), in lease lifetimes */
export const LEASE_MARK_LIFETIMES = 2;

interface Allowance {
  /** the lease's token */
  token: string;
  checks: readonly LimitCheck[];
  /** when Redis granted it, and until when it may be used */
  time: number;
  until: number;
  /** units still to admit locally */
  left: number;
  /** units admitted locally */
  used: number;
  /** no more local admissions (expired, or a ban was seen); `left` stays, to be handed back */
  isOver: boolean;
  /** the `now` of the latest use: the time it is handed back at by the background call */
  lastNow: number;
  /** background ticks (every ttlMs / 2) seen while untouched: collected at the third, when it can no longer be used */
  idleTicks: number;
  /** Redis' answer when granted, per check: remaining, resetMs */
  counts: number[];
}

/** a lease handed back: its token and the units it did not use */
export interface LeaseReturn {
  token: string;
  units: number;
}

/** what a call to Redis asks about leases: a token to lease to ('' = none), a lease to hand back */
export interface LeaseAsk {
  token: string;
  back: LeaseReturn | null;
}

export const NO_LEASE: LeaseAsk = { token: '', back: null };

/** a lease handed back in a call of its own (its key did not come back) */
export interface BackgroundReturn extends LeaseReturn {
  checks: readonly LimitCheck[];
  now: number;
}

export interface AllowanceCache {
  /** whether leases are asked for at all */
  readonly isOn: boolean;
  /** what makes two requests the same here (ban keys and checks); null when the request may not lease */
  signatureOf(request: EvaluateRequest): string | null;
  /** a local admission of `request` from its lease, or null */
  admit(signature: string | null, request: EvaluateRequest): EvaluateResult | null;
  /**
   * Before a call to Redis for this signature at `now`: the lease held for
   * it, removed, to hand back with the call, and a token to ask for a new
   * one with ('' = do not ask). A lease is asked for only for requests that
   * come back: when this instance called Redis for the same request less
   * than COMES_BACK_WITHIN lease lifetimes before (so that it is likely
   * back again while the lease lasts), or used some of the lease it hands
   * back. A key seen once in a while would otherwise be leased units it
   * never uses, each lease costing Redis a write to grant and another to
   * hand back: measured, 46 µs of Redis time per three-window call against
   * 31 without leases, with keys coming back about once a lease lifetime.
   * Asks Redis keeps declining back off (MAX_SKIPPED_ASKS).
   */
  prepare(signature: string | null, now: number): LeaseAsk;
  /**
   * Redis' answer to a call prepared with `token`: `units` were leased. A
   * call that leased nothing leaves a note that the request was seen.
   */
  grant(signature: string | null, request: EvaluateRequest, result: EvaluateResult, token: string, units: number): void;
  /** a ban was seen: no more local admissions (the unused units stay, to be handed back) */
  endAll(): void;
  /**
   * One background tick (every ttlMs / 2): leases untouched for
   * three ticks, so at least ttlMs (or all of them with `everything`),
   * removed; the leases' unused units are returned to be handed back (those
   * with none are dropped: their mark ends by itself)
   */
  collect(everything: boolean): BackgroundReturn[];
  readonly size: number;
  /** leases held (used up or not) */
  readonly leases: number;
  /** requests admitted locally */
  readonly hits: number;
}

export function createAllowanceCache(options: AllowanceOptions): AllowanceCache {
  const { share, ttlMs, maxUnits, maxEntries } = options;
  // insertion order = age; a full cache hands its oldest lease back with the next background call
  const entries = new Map<string, Allowance>();
  const evicted: BackgroundReturn[] = [];
  // tokens: unique across instances (a random prefix) and calls (a counter); no spaces (Redis state is space-separated)
  const tokenPrefix = randomBytes(6).toString('hex');
  let tokenCount = 0;
  let hits = 0;
  const isOn = share > 0 && ttlMs > 0 && maxUnits > 0 && maxEntries > 0;
  // the notes (NOTE_WAYS): when the request was last seen (NaN: never), its fingerprint, its asks
  // declined in a row and the calls still not to ask; made only when leases are on
  const slots = isOn ? 2 ** Math.min(22, Math.max(10, Math.ceil(Math.log2(NOTE_WAYS * maxEntries)))) : NOTE_WAYS;
  const noteTime = new Float64Array(slots).fill(Number.NaN);
  const noteTag = new Int32Array(slots);
  const noteDeclines = new Uint8Array(slots);
  const noteSkips = new Uint8Array(slots);
  /** the fingerprint of the signature bucketOf() was last given */
  let tag = 0;

  /** the first slot of a signature's bucket (two 32-bit FNV-1a-style hashes in one pass: bucket, and fingerprint in `tag`) */
  function bucketOf(signature: string): number {
    let h1 = 0x811c9dc5;
    let h2 = 0x01000193;
    for (let i = 0; i < signature.length; i++) {
      const c = signature.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    }
    tag = h2 ^ (h2 >>> 15);
    return ((h1 ^ (h1 >>> 16)) & (slots - 1)) & ~(NOTE_WAYS - 1);
  }

  /** the slot of the note in the bucket starting at `first` whose fingerprint is `tag`, or -1 */
  function findNote(first: number): number {
    for (let i = first; i < first + NOTE_WAYS; i++) if (noteTag[i] === tag && !Number.isNaN(noteTime[i])) return i;
    return -1;
  }

  /** a slot for a new note in the bucket starting at `first`: a free one, else the oldest note's */
  function newNote(first: number): number {
    let slot = first;
    for (let i = first; i < first + NOTE_WAYS; i++) {
      if (Number.isNaN(noteTime[i])) return i;
      if (noteTime[i]! < noteTime[slot]!) slot = i;
    }
    return slot;
  }

  function handBack(a: Allowance): void {
    if (a.left > 0) evicted.push({ token: a.token, checks: a.checks, units: a.left, now: a.lastNow });
  }

  function newToken(): string {
    tokenCount = (tokenCount + 1) % Number.MAX_SAFE_INTEGER;
    return `${tokenPrefix}.${tokenCount.toString(36)}`;
  }

  function evictOldest(): void {
    const [oldestKey, oldest] = entries.entries().next().value as [string, Allowance];
    entries.delete(oldestKey);
    handBack(oldest);
  }

  return {
    isOn,
    get size() {
      return entries.size;
    },
    get hits() {
      return hits;
    },
    get leases() {
      return entries.size;
    },

    signatureOf(request) {
      return isOn ? signatureOf(request, share) : null;
    },

    // hot path: one Map lookup per request
    admit(signature, request) {
      if (signature === null || entries.size === 0) return null;
      const a = entries.get(signature);
      if (a === undefined || a.left < 1 || a.isOver) return null;
      const now = request.now;
      if (now >= a.until || now < a.time) {
        a.isOver = true;
        return null;
      }
      a.left--;
      a.used++;
      a.lastNow = now;
      a.idleTicks = 0;
      hits++;
      const elapsed = now - a.time;
      const results: CheckResult[] = [];
      for (let i = 0; i < a.checks.length; i++) {
        const c = a.checks[i]!;
        // a gcra window is full again one emission interval per unit later for each unit used; a
        // sliding window's reset does not depend on its count. Remaining ignores what a gcra
        // window refilled since the grant: it is told low, never high.
        const later = c.algorithm === 'gcra' ? a.used * c.cost * (c.periodMs / c.limit) : 0;
        results.push({
          id: c.id, allowed: true, remaining: Math.max(0, a.counts[2 * i]! - a.used * c.cost),
          resetMs: Math.max(0, Math.ceil(a.counts[2 * i + 1]! + later - elapsed - 1e-9)), retryAfterMs: 0, source: 'store',
        });
      }
      return { ban: null, results, admitted: true, newBans: [], degraded: false };
    },

    prepare(signature, now) {
      if (signature === null) return NO_LEASE;
      const a = entries.size === 0 ? undefined : entries.get(signature);
      if (a !== undefined) {
        entries.delete(signature);
        return { token: a.used > 0 ? newToken() : '', back: { token: a.token, units: a.left } };
      }
      // a note (grant() keeps it up to date): nothing to hand back
      const slot = findNote(bucketOf(signature));
      if (slot < 0) return NO_LEASE;
      const seen = noteTime[slot]!;
      if (!(now - seen < COMES_BACK_WITHIN * ttlMs && now >= seen)) return NO_LEASE;
      if (noteSkips[slot]! > 0) {
        noteSkips[slot]!--;
        return NO_LEASE;
      }
      return { token: newToken(), back: null };
    },

    grant(signature, request, result, token, units) {
      if (signature === null) return;
      const isAnswered = result.admitted && result.ban === null && !result.degraded && result.results.length === request.checks.length;
      const isLease = units >= 1 && token !== '' && isAnswered;
      const held = entries.get(signature);
      if (!isLease) {
        // a lease granted to a call beside this one stays as it is; else the note is brought up to date
        if (held !== undefined) return;
        const now = request.now;
        const bucket = bucketOf(signature);
        let slot = findNote(bucket);
        if (slot < 0) {
          slot = newNote(bucket);
          noteTag[slot] = tag;
          noteTime[slot] = now;
          noteDeclines[slot] = 0;
          noteSkips[slot] = 0;
        } else if (now > noteTime[slot]!) {
          noteTime[slot] = now;
        }
        if (token !== '' && isAnswered) {
          const declines = Math.min(noteDeclines[slot]! + 1, MAX_DECLINES);
          noteDeclines[slot] = declines;
          noteSkips[slot] = Math.min(2 ** declines - 1, MAX_SKIPPED_ASKS);
        }
        return;
      }
      // leasable after all: the asks start afresh
      const leased = findNote(bucketOf(signature));
      if (leased >= 0) {
        noteDeclines[leased] = 0;
        noteSkips[leased] = 0;
      }
      if (held !== undefined) {
        // granted again before the old one was taken (two calls in flight): hand the old one back
        handBack(held);
        entries.delete(signature);
      } else if (entries.size >= maxEntries) {
        evictOldest();
      }
      const now = request.now;
      // sized up front: push() would leave spare capacity in each of up to maxEntries arrays
      const counts = new Array<number>(2 * result.results.length);
      for (let i = 0; i < result.results.length; i++) {
        counts[2 * i] = result.results[i]!.remaining;
        counts[2 * i + 1] = result.results[i]!.resetMs;
      }
      entries.set(signature, {
        token, checks: request.checks, time: now, until: now + ttlMs, left: Math.min(units, maxUnits), used: 0,
        isOver: false, lastNow: now, idleTicks: 0, counts,
      });
    },

    endAll() {
      for (const a of entries.values()) a.isOver = true;
    },

    collect(everything) {
      const due = evicted.splice(0);
      for (const [signature, a] of entries) {
        if (!everything && ++a.idleTicks < 3) continue;
        entries.delete(signature);
        if (a.left > 0) due.push({ token: a.token, checks: a.checks, units: a.left, now: a.lastNow });
      }
      return due;
    },
  };
}

/**
 * What makes two requests the same here: ban keys and checks; null when the
 * request may not lease. Nor may one with a window that could never spare
 * two units: Redis grants at most `share` of what a window has left, and
 * two units at least (`grantable` in the Lua), so a window whose whole
 * capacity times the share is under two units' cost (10/s at the default
 * 1/16) would decline every ask. Such a request takes the exact path at
 * once: no note, no hashing, no ask (three windows, one of them 10/s: the
 * notes and asks had cost the client ~10 µs of CPU a decision, for nothing).
 */
function signatureOf(request: EvaluateRequest, share: number): string | null {
  const checks = request.checks;
  if (checks.length === 0) return null;
  const parts: string[] = [];
  for (let i = 0; i < checks.length; i++) {
    const c = checks[i]!;
    if (c.algorithm === 'distinct' || c.cost <= 0) return null;
    if (share * (c.algorithm === 'gcra' ? c.burst : c.limit) < 2 * c.cost) return null;
    parts.push(c.id, c.key, c.algorithm, String(c.limit), String(c.periodMs), String(c.burst), String(c.cost), c.dryRun ? '1' : '0');
  }
  // the client's ban keys: a lease of one client never admits another (who may be banned)
  parts.push('', ...request.banKeys);
  return parts.join('\u0000');
}
