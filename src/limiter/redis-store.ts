/**
 * The Redis limiter store: the state of every window, the ban list and the
 * escalation counters live in Redis, shared by every gateway instance.
 *
 * One piece of Lua does all the work of a request: ban lookup, every check
 * (gcra, sliding, distinct), the all-or-nothing spend and ban escalation.
 * On Redis 7 it is a function library (LIMITER_LIBRARY, FUNCTION LOAD once,
 * then one FCALL per evaluate()); its chunk runs once at load, so the ~25
 * helpers are not rebuilt on every call, which saves about a fifth of
 * Redis' time per call (bench/limiter/decisions.ts, "Ceiling"). Where
 * FUNCTION is unknown (Redis before 7.0) or refused (an ACL), the same code
 * runs as a script (LIMITER_LUA) defined with ioredis `defineCommand`, which
 * sends EVAL the first time on each connection and EVALSHA after that. Either
 * way one command, so one round trip, per evaluate() on standalone Redis
 * whatever the number of checks. The library is named after a hash of its
 * code, so gateways of different versions sharing a Redis do not replace
 * each other's; one lost by Redis (a restart without persistence, FUNCTION
 * FLUSH) is loaded again on the first call that misses it. The Lua is a
 * TypeScript constant rather than a .lua file so that the `tsc` build in
 * dist/ carries it.
 *
 * Semantics are those of the algorithm modules (gcra.ts, sliding.ts,
 * distinct.ts) and of the memory store's evaluate(); the script mirrors them
 * operation by operation in IEEE doubles (Lua numbers), stores fractional
 * values with string.format('%.17g') and returns every number as such a
 * string, so both stores give the same answers bit for bit (checked by the
 * shared conformance suite and a differential test). The one exception is a
 * distinct window past exactMax: Redis' HyperLogLog and the memory store's
 * hash differently, and each stays within its own error bound. Time always comes from the caller (`now`),
 * never from Redis TIME; key expiries are only garbage collection, set
 * relative to the caller's `now` plus 1 s of slack (clock skew between
 * instances), and the script re-checks every expiry against `now` itself,
 * so Redis dropping a key can only drop state that counts nothing.
 *
 * Keys (prefix default "aw:"; `{}` is the Redis Cluster hash tag; `esc` escapes
 * '%', ':', '{' and '}' as %XX, so ids and keys can neither end a tag nor
 * forge a separator):
 *
 *   <prefix>{<esc key>}:<esc rule>:w      the windows (gcra, sliding) of one rule on one key, ONE string:
 *                                         "<expiresAt>|<alg><name> <state>|…", e.g. "1733000000000|g0 <tat>|s1 <b c p>|s2 <b c p>"
 *                                         (rule: the window id up to its last '#', tier included; name: after it);
 *                                         expires when no field counts any more. A field's state:
 *                                           gcra: tat ("%.17g"); under a lease "tat d token until"
 *                                           sliding: "bucket current previous"; under a lease
 *                                             "bucket current previous reserved token until reservedBucket"
 *   <prefix>{<esc key>}:<esc id>:dn       distinct: newest sub-bucket index touched, expires when it leaves the window
 *   <prefix>{<esc key>}:<esc id>:d:<k>    distinct: sub-bucket k, a SET while <= exactMax members, then a HyperLogLog;
 *                                         expires when k leaves the window (<= 1.25P + S)
 *   <prefix>{<esc key>}:<esc id>:dt       distinct: scratch HyperLogLog for the union, deleted in the same call
 *   <prefix>{:bans}:i                     ZSET ban key → until (the whole key expires with the longest ban)
 *   <prefix>{:bans}:m                     HASH ban key → "<level>:<reason>"
 *   <prefix>{:bans}:v:<esc reason>:<esc ban key>   violations "count expiresAt", expires withinMs after the first
 *   <prefix>{:bans}:l:<esc ban key>       ban level "level expiresAt", expires resetAfterMs after the ban ends
 *
 * The hash tag of a window is the check's KEY (e.g. "ip=203.0.113.7"), not
 * id+key: every window of a rule, and every rule keyed the same way, lands
 * in one slot, so on Redis Cluster they are decided in one call and
 * atomically together. `{:bans}` cannot be produced by `esc`, so no window
 * shares the ban keys. All ban state is one slot, so that listBans and
 * escalation are single calls; on Cluster the node that owns it serves every
 * ban lookup (one ZSCORE per ban key of a request). The script derives a distinct check's keys from the one base
 * key it is given (`<prefix>{<esc key>}:<esc id>`), as BullMQ does: they share
 * its hash tag, hence its slot.
 *
 * One string per rule and key, not one per window: a request then reads its
 * windows with one GET and writes them with one SET (three windows: an MGET
 * and three SETs before). Measured with callgrind on Redis (instructions a
 * call, repeatable where wall time on this VM is not): 245k for three
 * windows with a key each, 175k as one string (with the other changes of
 * that session: bench/README.md, 2026-11-30).
 *
 * Redis Cluster. The keys of one script call must share a slot, so a request
 * is split: checks grouped by hash tag (one call per group), and the ban
 * slot. What is kept:
 *   - a ban still short-circuits: the ban lookup goes first and nothing is
 *     spent when it finds one (2 sequential round trips instead of 1);
 *   - with one group (the usual case: a request's rules share their key) the
 *     group is decided and spent atomically, as on standalone;
 *   - with several groups, all-or-nothing across groups cannot be atomic.
 *     Round 1 decides every group without spending (concurrently with the
 *     ban lookup); only if every enforcing check allowed does round 2 decide
 *     again and spend, each group atomically and only if it still admits. A
 *     refused request therefore spends nothing, except when another instance
 *     takes the last units between the two rounds: then the groups that still
 *     admitted have spent (at most one request's cost, only at the limit
 *     edge, under contention) and the request is refused;
 *   - escalation runs in one call on the ban slot after the decision, so
 *     violation counting and the ban are atomic with each other, not with the
 *     checks.
 */
import { createHash } from 'node:crypto';
import { ReplyError } from 'ioredis';
import type { Cluster, Redis } from 'ioredis';
import type { AllowanceOptions, BackgroundReturn, LeaseAsk } from './allowance-cache.ts';
import { createAllowanceCache, DEFAULT_ALLOWANCE_OPTIONS, LEASE_MARK_LIFETIMES, NO_LEASE } from './allowance-cache.ts';
import { createRefusalCache } from './refusal-cache.ts';
import { createTickWrites } from './tick-writes.ts';
import type { Ban, BanEscalation, CheckResult, EvaluateRequest, EvaluateResult, LimitCheck, LimiterStore } from './types.ts';

export interface RedisLimiterStoreOptions {
  /** an ioredis client (standalone) or Cluster; the caller owns it and closes it */
  redis: Redis | Cluster;
  /** prepended to every key; must not hold '{' or '}' (default "aw:") */
  prefix?: string;
  /** members a distinct sub-bucket holds exactly before it becomes a HyperLogLog (default 256, as the memory store) */
  exactMax?: number;
  /**
   * while the client makes its FIRST connection, calls wait for it at most
   * this long (one shared wait; default 2000 ms): a client without an offline
   * queue (createLimiterRedisClient) would otherwise fail the first command
   * of a command-line tool. After that first connection (or wait), never.
   */
  startupWaitMs?: number;
  /**
   * call the limiter as a Redis function (FUNCTION LOAD once, FCALL per
   * request) when Redis has functions (7.0+) and allows them; false: always
   * the script (EVALSHA). Default true; false is for tests and before/after
   * benchmarks.
   */
  useFunctions?: boolean;
  /**
   * most evaluations sent in one call (standalone Redis): evaluations that
   * arrive in the same turn of the event loop are batched. Default 1: never.
   * bench/limiter/decisions.ts measured batches of up to 64 at 0.83× the
   * decisions/s of single calls with Redis the bottleneck (a batch makes
   * Node and Redis take turns instead of overlapping); they pay where the
   * gateway's own CPU is the limit, and cut round trips to ~0.02 a request.
   */
  maxBatch?: number;
  /**
   * refusals remembered locally until they can end (refusal-cache.ts): the
   * same request is refused again without a call to Redis. Entries; 0 = off.
   * Default 10,000.
   */
  refusalCacheEntries?: number;
  /**
   * local allowances (allowance-cache.ts): a request far under all its
   * limits may be admitted again here, a few times, from units Redis
   * reserved for it in the same call (a lease; unused units are handed
   * back). false = off: every decision in Redis. Default
   * DEFAULT_ALLOWANCE_OPTIONS (1/16 of what is left, 10 s); the gateway's
   * share is rateLimits.redis.localAllowance (1/16 unless set). Never on
   * Redis Cluster.
   */
  allowances?: Partial<AllowanceOptions> | false;
}

export interface RedisLimiterStore extends LimiterStore {
  readonly kind: 'redis';
  /** requests admitted from local allowances, without a call to Redis */
  readonly localAdmissions: number;
}

/** the name of the script command defined on the client */
const COMMAND = 'apiwardenLimiter';

/**
 * leases handed back in one background call: each is a few arguments and a
 * GET and a SET per window in Redis (~3 µs), so a call holds Redis ~0.3 ms
 */
const HAND_BACK_BATCH = 32;

/** operator bans: the ban index lives at least this long (addBan has no caller clock to compute the exact TTL from) */
const MIN_BAN_INDEX_TTL_MS = 60 * 60 * 1000;

/**
 * The Lua: helpers, then main(keys, argv), which reads KEYS and ARGV with cursors, section by section:
 *
 *   ARGV: now, mode, then the store's header, one argument: "exactMax hasBanSlot leaseShare leaseMax leaseLifeMs"
 *     (hasBanSlot 1 → KEYS start with the ban index and meta; leases: see allowance-cache.ts, share 0 = none),
 *     then per mode:
 *     'e' evaluate / 'd' decide only / 'r' record / 'u' hand a lease back (its first section only):
 *        counts, one argument: "returnUnits nBanKeys nItems nEscalations"
 *        leaseToken ('' = grant none), returnToken ('' = none)
 *                                                  (a lease is granted to leaseToken; the lease returnToken is handed
 *                                                   back first, its returnUnits unused units credited)
 *        banKey...                                 ('r': none)
 *        then per item (nItems), in the order of the checks:
 *             a group of windows (gcra, sliding: consecutive checks of one rule on one key), one argument:
 *               "w|<name> <alg> <limit> <periodMs> <burst> <cost> <dryRun>|…" (alg 'g'|'s', dryRun '1'|'0';
 *               name: the window's id after its last '#', unique in the group)
 *               KEYS: the group's key
 *             or a distinct check: "d <limit> <periodMs> <burst> <cost> <dryRun> <hasMember>", then its member
 *               KEYS: its base key
 *        then per escalation (nEscalations): banKey, after, withinMs, resetAfterMs, reason, force ('1' = counts as violated),
 *             nRefs, ref... (1-based positions of this call's checks whose id it lists), nDurations, duration...
 *             KEYS: violations key, level key
 *     'b' a batch of evaluations: count, then per request: now, and the 'e' sections above
 *        (reply: one 'e' reply per request, in order)
 *     'U' leases handed back: count, then per lease: now, and the 'u' sections (reply: count)
 *     'a' add ban: banKey, until, level, reason, ttlMs
 *     'x' remove ban: banKey
 *     'l' list bans: limit
 *
 *   Reply ('e', 'd', 'r', 'u'): ban key or '', until, level, reason, admitted ('1'|'0'), units leased,
 *     then per check: allowed (1|0), remaining, resetMs, retryAfterMs, then per new ban: key, until, level, reason.
 *   A check's numbers are integers where they are integral (integer replies, no formatting), else
 *   "%.17g" strings, since Redis truncates Lua numbers to integers; every other number is such a string.
 */
const LIMITER_LUA_BODY = String.raw`
-- The state of the call being run. A library's chunk runs once, when it is loaded, so the helpers
-- below are made once (a script's chunk runs on every call: as EVAL it makes them every time);
-- they read the call's state from these locals, which main() sets first. Redis runs one script
-- or function at a time, so calls never share them concurrently.
--
-- The library's own references to the math functions: a local (an upvalue) is read directly,
-- where math.floor is two table lookups on every call. Set by the first call: a library's chunk
-- may not read the global math while Redis loads it.
local mfloor, mceil, mmax, mmin
local KEYS, ARGV, now, mode, exactMax, argi, keyi, banIndex, banMeta, nChecks, nGroups
local leaseShare, leaseMax, leaseLife
-- a request's checks and window groups, 1..nChecks and 1..nGroups, and the pieces of a group's
-- value as it is written. The arrays AND the tables in them are kept from call to call, their
-- fields set again by every request (makeCheck, makeGroup): making a table of ten fields costs
-- about as much as a GET, and each one made is one more for the collector.
local checks, groups, pieces, allowedOf = {}, {}, {}, {}

-- Item definitions parsed once: a library's locals outlive its calls, and a gateway sends the
-- same few definitions (one per rule and cost) over and over. One argument per item, looked up by
-- the string Redis made of it anyway (three windows of one rule: one argument, where they were
-- seven each), and fewer arguments for the client to encode. At most MAX_DEFS kept (then
-- emptied); as a script (EVALSHA) the chunk runs on every call, and every call parses its own.
-- A group's definition also carries the pattern that reads its value when the value holds
-- exactly its fields, in its order (the usual case: one string.match for the whole group).
local MAX_DEFS = 1024
local GROUP_PAD_MAX = 60000

-- a function that parses an argument once: what parse() made of each text is kept, by the
-- string Redis made of the argument anyway (at most MAX_DEFS, then forgotten)
local function memoOf(parse)
  local kept, n = {}, 0
  return function(text)
    local v = kept[text]
    if v then return v end
    v = parse(text)
    if n >= MAX_DEFS then kept, n = {}, 0 end
    kept[text] = v
    n = n + 1
    return v
  end
end

local function windowsDef(text)
  local windows = {}
  local pattern = '^(%d+)'
  local pad = 0
  for name, alg, limit, period, burst, cost, dry in string.gmatch(text, '|(%S*) ([gs]) (%S+) (%S+) (%S+) (%S+) ([01])') do
    local field = alg .. name
    local w = { alg = alg, limit = tonumber(limit), period = tonumber(period), burst = tonumber(burst), cost = tonumber(cost), dry = dry == '1', field = field, prefix = '|' .. field .. ' ' }
    windows[#windows + 1] = w
    pattern = pattern .. '|' .. (string.gsub(field, '%W', '%%%0')) .. ' ([^|]*)'
    if alg == 'g' and w.period > pad then pad = w.period end
  end
  local _, bars = string.gsub(text, '|', '')
  if #windows == 0 or bars ~= #windows then error('apiwarden limiter: malformed window group: ' .. text) end
  -- a gcra tat moves on with every spend, so a group's expiry would too (SET … PX, twice the cost of
  -- KEEPTTL): it is set one period further (at most a minute), and the writes within it keep it
  if pad > GROUP_PAD_MAX then pad = GROUP_PAD_MAX end
  return { windows = windows, n = #windows, pattern = pattern .. '$', pad = pad }
end
-- space-separated numbers, for the arguments that take few values: the store's constant header,
-- a request's counts. tonumber() is strtod(), about as costly as a table of ten fields
-- (callgrind: ~2,000 instructions each); a lookup by the interned string is a hash probe
local numbersOf = memoOf(function(text)
  local t = {}
  for x in string.gmatch(text, '%S+') do
    local v = tonumber(x)
    if v == nil then error('apiwarden limiter: malformed numbers: ' .. text) end
    t[#t + 1] = v
  end
  return t
end)

local itemDef = memoOf(function(text)
  if string.sub(text, 1, 2) == 'w|' then return windowsDef(text) end
  local limit, period, burst, cost, dry, hasMember = string.match(text, '^d (%S+) (%S+) (%S+) (%S+) ([01]) ([01])$')
  if not limit then error('apiwarden limiter: malformed check definition: ' .. text) end
  return { alg = 'd', limit = tonumber(limit), period = tonumber(period), burst = tonumber(burst), cost = tonumber(cost), dry = dry == '1', hasMember = hasMember == '1' }
end)

local function nextArg()
  local v = ARGV[argi]
  argi = argi + 1
  return v
end
local function nextNum()
  return tonumber(nextArg())
end
local function nextKey()
  local k = KEYS[keyi]
  keyi = keyi + 1
  return k
end
-- an integer a double holds exactly (|x| < 2^53)
local function isWhole(x)
  return x % 1 == 0 and x > -9007199254740992 and x < 9007199254740992
end
-- a whole number (most times: epoch ms, tats of whole-ms intervals) as '%d', the same digits
-- '%.17g' gives it and cheaper; anything else with all 17 significant digits
local function fmt(x)
  if isWhole(x) then return string.format('%d', x) end
  return string.format('%.17g', x)
end
-- expiries are garbage collection only (every state is re-checked against now): they get
-- GC_SLACK ms more than the logical lifetime, so that the caller's clock may run a little
-- ahead of Redis' (clock skew between instances) without losing state early
local GC_SLACK = 1000
local function ttl(ms)
  ms = mceil(ms)
  if ms < 0 then ms = 0 end
  return ms + GC_SLACK
end
-- PFADD / SADD / ZREM / HDEL with many members, in chunks that unpack() can hold
local function callChunked(cmd, key, list)
  local n = #list
  local i = 1
  while i <= n do
    local j = mmin(n, i + 999)
    redis.call(cmd, key, unpack(list, i, j))
    i = j + 1
  end
end

------------------------------------------------------------------ bans
-- the index (ZSET ban key → until) and meta (HASH ban key → "level:reason") only grow
-- their TTL, so they vanish with the longest ban; expired entries are pruned here, bounded
local function extendTtl(key, ms)
  local wanted = ttl(ms)
  if redis.call('PTTL', key) < wanted then redis.call('PEXPIRE', key, wanted) end
end

local function putBan(key, untilMs, level, reason, ttlMs)
  redis.call('ZADD', banIndex, fmt(untilMs), key)
  redis.call('HSET', banMeta, key, level .. ':' .. reason)
  extendTtl(banIndex, ttlMs)
  extendTtl(banMeta, ttlMs)
end

local function pruneBans()
  local old = redis.call('ZRANGEBYSCORE', banIndex, '-inf', fmt(now), 'LIMIT', 0, 64)
  if #old > 0 then
    callChunked('ZREM', banIndex, old)
    callChunked('HDEL', banMeta, old)
  end
end

-- level, reason of a ban from its meta entry
local function banMetaOf(key)
  local meta = redis.call('HGET', banMeta, key)
  if not meta then return '0', '' end
  local at = string.find(meta, ':', 1, true)
  return string.sub(meta, 1, at - 1), string.sub(meta, at + 1)
end

------------------------------------------------------------------ leases (allowance-cache.ts)
-- A lease: units an instance reserved for local admissions, already spent in the window. Its
-- marker rides in the window's state: token (whose lease), until (when others may lease this
-- window again, if the holder never came back) and what can be credited back: gcra d = the part
-- of the tat the unused units may still account for; sliding r = units reserved, rb = their bucket.
-- c.lt (token) nil = no lease.

------------------------------------------------------------------ gcra (gcra.ts)
-- state: "tat", or "tat d token until" under a lease; tat <= now is a full bucket, the same as no
-- state (tat 0)
local function gcraParse(c, raw)
  local tat = 0
  c.lt, c.lnew = false, false
  if raw then
    tat = tonumber(raw)
    if tat == nil then
      local t, d, token, untilMs = string.match(raw, '^(%S+) (%S+) (%S+) (%S+)$')
      tat = tonumber(t) or 0
      c.ld, c.lt, c.lu = tonumber(d), token or false, tonumber(untilMs)
    end
  end
  if tat <= now then tat = 0 end
  c.tat = tat
end

local function gcraDecide(c)
  local emission = c.period / c.limit
  local eps = mmin(0.01, emission / 10)
  local cost = c.cost
  if cost == 0 then cost = 1 end
  local base = now
  if c.tat > now then base = c.tat end
  local newTat = base + emission * cost
  local span = emission * c.burst
  if newTat - now <= span + eps then
    return true, mmax(0, mfloor((span - (newTat - now) + eps) / emission)), mmax(0, mceil(newTat - now - eps)), 0
  end
  return false,
    mmax(0, mfloor((span - (base - now) + eps) / emission)),
    mmax(0, mceil(base - now - eps)),
    mmax(1, mceil(newTat - now - span - eps))
end

-- the state as its group stores it, and until when it counts
local function gcraField(c)
  local tat = c.tat
  if c.lt then return fmt(tat) .. ' ' .. fmt(c.ld) .. ' ' .. c.lt .. ' ' .. fmt(c.lu), mmax(tat, c.lu) end
  -- fmt(), inline: a tat of whole milliseconds (most periods divide into whole emission intervals)
  if tat % 1 == 0 then return string.format('%d', tat), tat end
  return string.format('%.17g', tat), tat
end

local function gcraSpend(c, cost)
  if cost == 0 then return end
  local base = now
  if c.tat > now then base = c.tat end
  -- a lease's units were spent at its grant: a bucket that has refilled since (base - now is what
  -- is still owed) no longer holds them, so at most that much can be credited back (exact: the
  -- tat without the unused units is the tat with them minus min(their span, d))
  if c.lt and not c.lnew then c.ld = mmin(c.ld, base - now) end
  c.lnew = false
  c.tat = base + (c.period / c.limit) * cost
  c.g.dirty = true
end

------------------------------------------------------------------ sliding (sliding.ts)
-- state: "bucket current previous", or "bucket current previous r token until rb" under a lease;
-- dropped (with its lease: nothing left to credit) once it counts nothing at now
local function slidingParse(c, raw)
  c.lt, c.sb, c.lnew = false, false, false
  if not raw then return end
  local b, cur, prev = string.match(raw, '^(%S+) (%S+) (%S+)$')
  if b == nil then
    local r, token, untilMs, rb
    b, cur, prev, r, token, untilMs, rb = string.match(raw, '^(%S+) (%S+) (%S+) (%S+) (%S+) (%S+) (%S+)$')
    c.lr, c.lt, c.lu, c.lb = tonumber(r), token or false, tonumber(untilMs), tonumber(rb)
  end
  b, cur, prev = tonumber(b), tonumber(cur), tonumber(prev)
  if not (b and cur and prev) then
    c.lt = false
    return
  end
  local expiresAt = 0
  if cur > 0 then expiresAt = (b + 2) * c.period elseif prev > 0 then expiresAt = (b + 1) * c.period end
  if expiresAt <= now then
    c.lt = false
    return
  end
  c.sb, c.sc, c.sp = b, cur, prev
end

local function slidingWait(current, previous, offset, period, limit, cost, reset)
  if cost > limit then return mmax(1, reset) end
  local left = period - offset
  local room = limit - current - cost
  if previous > 0 and room >= 0 then
    local wait = left - mfloor((room * period) / previous)
    if wait < left then return wait end
  end
  local intoNext = 0
  if current ~= 0 then intoNext = mmax(0, period - mfloor(((limit - cost) * period) / current)) end
  return left + intoNext
end

local function slidingDecide(c)
  local period, limit = c.period, c.limit
  local cost = c.cost
  if cost == 0 then cost = 1 end
  local bucket = mfloor(now / period)
  local offset = now - bucket * period
  local behind, current, previous = 0, 0, 0
  if c.sb then
    if bucket == c.sb then
      current, previous = c.sc, c.sp
    elseif bucket == c.sb + 1 then
      previous = c.sc
    elseif bucket < c.sb then
      behind = c.sb * period - now
      bucket = c.sb
      offset = 0
      current, previous = c.sc, c.sp
    end
  end
  -- count * P, exact
  local weighted = previous * (period - offset) + current * period
  local limitP = limit * period
  if weighted + cost * period <= limitP then
    return true, mfloor((limitP - weighted - cost * period) / period), behind + 2 * period - offset, 0
  end
  local reset = 0
  if current > 0 then reset = 2 * period - offset elseif previous > 0 then reset = period - offset end
  local resetMs = 0
  if reset ~= 0 then resetMs = behind + reset end
  return false,
    mmax(0, mfloor((limitP - weighted) / period)),
    resetMs,
    behind + slidingWait(current, previous, offset, period, limit, cost, reset)
end

-- the state as its group stores it, and until when it counts (its current bucket's count: to the
-- end of the next bucket). All three counts are whole numbers (a bucket index, sums of whole
-- costs): %d is exact and cheaper than fmt's %.17g
local function slidingField(c)
  local sb = c.sb
  if not sb then return '0 0 0', 0 end
  local expiresAt = 0
  if c.sc > 0 then expiresAt = (sb + 2) * c.period elseif c.sp > 0 then expiresAt = (sb + 1) * c.period end
  if c.lt then
    if c.lu > expiresAt then expiresAt = c.lu end
    return string.format('%d %d %d %d %s %d %d', sb, c.sc, c.sp, c.lr, c.lt, c.lu, c.lb), expiresAt
  end
  return string.format('%d %d %d', sb, c.sc, c.sp), expiresAt
end

local function slidingSpend(c, cost)
  if cost == 0 then return end
  local period = c.period
  local bucket = mfloor(now / period)
  local current, previous, at = 0, 0, bucket
  if c.sb then
    if bucket == c.sb then
      current, previous = c.sc, c.sp
    elseif bucket == c.sb + 1 then
      previous = c.sc
    elseif bucket < c.sb then
      at = c.sb
      current, previous = c.sc, c.sp
    end
  end
  if c.lnew then
    c.lb = at
    c.lnew = false
  end
  c.sb, c.sc, c.sp = at, current + cost, previous
  c.g.dirty = true
end

------------------------------------------------------------------ window groups
-- The windows of one rule on one key (its 10/s, 600/min and 20000/day, say) live in ONE string:
-- "<expiresAt>|<field>|<field>…", a field being "<alg><name> <state>" (g0 …, s1 …). A request
-- reads it with one GET and writes it with one SET, where a key per window took an MGET and a
-- SET each (three windows: 2 writes fewer; a SET from Lua costs about as much as the Lua of a
-- window's decision). expiresAt is the latest time any field counts until, as the PX of the SET
-- that wrote it: a write that counts no further keeps the key's TTL (KEEPTTL, cheaper than PX).
-- Fields the group does not know (a window of another version of the policy, or held by another
-- group of the same call) are kept as they are, so no writer loses another's state.
local function fieldParse(c, body)
  if c.alg == 'g' then gcraParse(c, body) else slidingParse(c, body) end
end

local function groupParse(g, raw)
  local from, to = g.from, g.to
  g.exp, g.expText, g.extra = false, false, ''
  if raw then
    -- the usual case: exactly the group's fields, in its order (at most four windows)
    if to - from < 4 then
      local e, f1, f2, f3, f4 = string.match(raw, g.pattern)
      if e then
        g.exp, g.expText = tonumber(e), e
        fieldParse(checks[from], f1)
        if to > from then fieldParse(checks[from + 1], f2) end
        if to > from + 1 then fieldParse(checks[from + 2], f3) end
        if to > from + 2 then fieldParse(checks[from + 3], f4) end
        return
      end
    end
    local e = string.match(raw, '^(%d+)')
    if e then
      g.exp, g.expText = tonumber(e), e
      for i = from, to do checks[i].parsed = false end
      local extra = ''
      for field in string.gmatch(raw, '|([^|]*)') do
        local name, body = string.match(field, '^(%S*) (.*)$')
        local found = nil
        if name then
          for i = from, to do
            local c = checks[i]
            if c.field == name and not c.parsed then
              found = c
              break
            end
          end
        end
        if found then
          fieldParse(found, body)
          found.parsed = true
        elseif name then
          extra = extra .. '|' .. field
        end
      end
      g.extra = extra
      for i = from, to do
        if not checks[i].parsed then fieldParse(checks[i], nil) end
      end
      return
    end
  end
  for i = from, to do fieldParse(checks[i], nil) end
end

local function groupLoad(g)
  groupParse(g, redis.call('GET', g.key))
end

-- every field written, in the group's order, the fields it does not know after them; a group
-- where nothing counts any more is deleted, as if it had never been written
local function groupWrite(g)
  g.dirty = false
  local n, latest = 0, 0
  for i = g.from, g.to do
    local c = checks[i]
    local body, expiresAt
    if c.alg == 'g' then body, expiresAt = gcraField(c) else body, expiresAt = slidingField(c) end
    pieces[n + 1] = c.prefix
    pieces[n + 2] = body
    n = n + 2
    if expiresAt > latest then latest = expiresAt end
  end
  local e = g.exp
  if latest <= now and g.extra == '' then
    if e then redis.call('DEL', g.key) end
    g.exp = false
    return
  end
  local head, isKept = g.expText, e and latest <= e
  if not isKept then
    latest = mceil(latest + g.pad)
    head = string.format('%d', latest)
  end
  -- one concatenation, one string made (up to three windows; a call's ".." of many operands is
  -- one operation in Lua)
  local value
  if n == 2 then
    value = head .. pieces[1] .. pieces[2] .. g.extra
  elseif n == 4 then
    value = head .. pieces[1] .. pieces[2] .. pieces[3] .. pieces[4] .. g.extra
  elseif n == 6 then
    value = head .. pieces[1] .. pieces[2] .. pieces[3] .. pieces[4] .. pieces[5] .. pieces[6] .. g.extra
  else
    value = head .. table.concat(pieces, '', 1, n) .. g.extra
  end
  if isKept then
    redis.call('SET', g.key, value, 'KEEPTTL')
  else
    redis.call('SET', g.key, value, 'PX', ttl(latest - now))
    g.exp, g.expText = latest, head
  end
end

------------------------------------------------------------------ distinct (distinct.ts)
-- sub-bucket k = floor(4 * now / P) holds the members whose LATEST touch fell in it (exact
-- sub-buckets are kept disjoint); the window at k is k-4..k; k leaves it at ceil((k + 5) * P / 4)
local function leavesAt(k, period)
  return mceil(((k + 5) * period) / 4)
end

local function distinctLoad(c)
  local raw = redis.call('GET', c.base .. ':dn')
  local newest = raw and tonumber(raw) or -1
  if newest >= 0 and leavesAt(newest, c.period) <= now then newest = -1 end
  c.newest = newest
  local index = mfloor((4 * now) / c.period)
  if newest > index then index = newest end
  c.current = index
end

local function subKey(c, k)
  return c.base .. ':d:' .. string.format('%d', k)
end

local function distinctDecide(c)
  local limit, period = c.limit, c.period
  if c.newest < 0 then
    -- no state: a fresh window
    if limit >= 1 then
      return true, limit - 1, leavesAt(mfloor((4 * now) / period), period) - now, 0
    end
    return false, 0, 0, 1
  end
  local found, approximate = false, false
  local size = 0
  local oldest, newest = nil, -1
  local sets, sketches = {}, {}
  for k = c.current - 4, c.current do
    local key = subKey(c, k)
    local kind = redis.call('TYPE', key).ok
    local live = false
    if kind == 'set' then
      local n = redis.call('SCARD', key)
      if n > 0 then
        live = true
        size = size + n
        sets[#sets + 1] = key
        if c.member and not found and redis.call('SISMEMBER', key, c.member) == 1 then found = true end
      end
    elseif kind == 'string' then
      live = true
      approximate = true
      sketches[#sketches + 1] = key
    end
    if live then
      if oldest == nil then oldest = k end
      newest = k
    end
  end
  if approximate then
    -- the union's estimate: merge the sketches, hash the exact members in
    local scratch = c.base .. ':dt'
    redis.call('DEL', scratch)
    redis.call('PFMERGE', scratch, unpack(sketches))
    for _, key in ipairs(sets) do callChunked('PFADD', scratch, redis.call('SMEMBERS', key)) end
    size = redis.call('PFCOUNT', scratch)
    redis.call('DEL', scratch)
  end
  if found or size < limit then
    local taken = 1
    if found then taken = 0 end
    return true, mmax(0, limit - size - taken), leavesAt(c.current, period) - now, 0
  end
  local resetMs = 0
  if newest >= 0 then resetMs = leavesAt(newest, period) - now end
  local retry = 1
  if oldest ~= nil then retry = mmax(1, leavesAt(oldest, period) - now) end
  return false, mmax(0, limit - size), resetMs, retry
end

-- touch: the member moves to the current sub-bucket; a SET past exactMax becomes a HyperLogLog
local function distinctAdd(c)
  if not c.member then return end
  local current = c.current
  local target = subKey(c, current)
  for k = current - 4, current - 1 do
    local key = subKey(c, k)
    if redis.call('TYPE', key).ok == 'set' then redis.call('SREM', key, c.member) end
  end
  local kind = redis.call('TYPE', target).ok
  if kind == 'string' then
    redis.call('PFADD', target, c.member)
  else
    redis.call('SADD', target, c.member)
    if redis.call('SCARD', target) > exactMax then
      local members = redis.call('SMEMBERS', target)
      redis.call('DEL', target)
      callChunked('PFADD', target, members)
    end
  end
  local expires = ttl(leavesAt(current, c.period) - now)
  redis.call('PEXPIRE', target, expires)
  redis.call('SET', c.base .. ':dn', string.format('%d', current), 'PX', expires)
  c.newest = current
end

------------------------------------------------------------------ 2. decide every check

-- a window's spend, on its state in memory (its group writes it). With a lease (token, units),
-- cost includes the units reserved, and the window is marked.
local function spend(c, cost, token, units)
  if token then
    c.lt, c.lu, c.lnew = token, now + leaseLife, true
    if c.alg == 'g' then c.ld = units * c.cost * (c.period / c.limit) else c.lr = units * c.cost end
  end
  if c.alg == 'g' then gcraSpend(c, cost) else slidingSpend(c, cost) end
end

------------------------------------------------------------------ leases
-- the units a request may lease: as many as every window can spare while staying more than
-- half full (at most leaseShare of what it has left, and at most leaseMax), none while another
-- lease holds one of its windows; only windows that count each request (gcra, sliding, cost > 0).
-- Two units at least, or none: a call that grants costs Redis more than one that does not (the
-- marks are written; measured with three windows, ~40 µs against ~25), so a single unit, which
-- saves one call at most, saves nothing
local function grantable()
  local units = leaseMax
  for i = 1, nChecks do
    local c = checks[i]
    if not allowedOf[i] or c.cost <= 0 or c.alg == 'd' then return 0 end
    if c.lt and now < c.lu then return 0 end
    local capacity = c.limit
    if c.alg == 'g' then capacity = c.burst end
    local spare = mmin(leaseShare * c.rem, c.rem - capacity / 2)
    units = mmin(units, mfloor(spare / c.cost))
    if units < 2 then return 0 end
  end
  return units
end

-- a lease handed back by its holder: units unused units credited to a window it still marks
-- (another token, or none: the lease was lost or taken over, nothing is credited). In place, on
-- the state as loaded: the decision that follows sees it, its group writes it.
local function release(c, token, units)
  if c.alg == 'd' or c.lt ~= token then return end
  c.lt = false
  c.g.dirty = true
  if c.alg == 'g' then
    if c.tat > 0 then
      local tat = c.tat - mmin(units * c.cost * (c.period / c.limit), c.ld)
      if tat <= now then tat = 0 end
      c.tat = tat
    end
  elseif c.sb then
    local credit = mmin(units * c.cost, c.lr)
    if c.sb == c.lb then
      c.sc = mmax(0, c.sc - credit)
    elseif c.sb == c.lb + 1 then
      c.sp = mmax(0, c.sp - credit)
    end
  end
end

------------------------------------------------------------------ 4. escalation
-- one violation per escalation one of whose enforcing checks denied (or forced by the caller,
-- who decided it over several cluster slots); at 'after' the key is banned at the next level.
-- At most one ban per ban key per step; a new ban never shortens a longer active one.
local function loadPair(key)
  local raw = redis.call('GET', key)
  if not raw then return nil end
  local value, expiresAt = string.match(raw, '^(%S+) (%S+)$')
  value, expiresAt = tonumber(value), tonumber(expiresAt)
  if expiresAt <= now then return nil end
  return value, expiresAt
end

------------------------------------------------------------------ one request
local NO_ESCALATIONS = {}

-- the i-th table of a kept array (checks, groups), made the first time a call needs it
local function keptAt(list, i)
  local t = list[i]
  if not t then
    t = {}
    list[i] = t
  end
  return t
end

-- the i-th check's table, every field a check reads before writing it set (state fields are
-- set by the parse of its state). Absent is false, never nil, in these kept tables: in Lua 5.1
-- setting a missing key, even to nil, inserts it, and a table rehashed while some are nil drops
-- them, to insert them again on the next call, and rehash again (measured: more instructions a
-- call than making fresh tables)
local function makeCheck(i, d, g, base, shared)
  local c = keptAt(checks, i)
  c.alg, c.limit, c.period, c.burst, c.cost, c.dry = d.alg, d.limit, d.period, d.burst, d.cost, d.dry
  c.field, c.prefix, c.g, c.base, c.shared, c.member, c.lnew, c.parsed = d.field, d.prefix, g, base, shared, false, false, false
  return c
end

local function makeGroup(j, key, from, d, shared)
  local g = keptAt(groups, j)
  g.key, g.from, g.to, g.pattern, g.pad, g.shared, g.dirty = key, from, from + d.n - 1, d.pattern, d.pad, shared, false
  return g
end

-- a group's state read again before it spends when an earlier group of this call has the same
-- key (record() of several units, a window listed twice): that group's spend may have changed
-- it. Then the lease handed back is credited again (to what is still marked).
local function groupReload(g, returnToken, returnUnits)
  groupLoad(g)
  if returnToken ~= '' then
    for i = g.from, g.to do release(checks[i], returnToken, returnUnits) end
  end
end

-- the sections of one request, read at the cursors; returns its reply

local function request()
  -- hot path: ARGV is read in place (no helper calls)
  local counts = numbersOf(ARGV[argi])
  local leaseToken, returnToken = ARGV[argi + 1], ARGV[argi + 2]
  local returnUnits, nBanKeys, nItems, nEscalations = counts[1], counts[2], counts[3], counts[4]
  local banFrom = argi + 3
  argi = banFrom + nBanKeys

  nChecks, nGroups = 0, 0
  for _ = 1, nItems do
    local d = itemDef(ARGV[argi])
    local key = KEYS[keyi]
    argi = argi + 1
    keyi = keyi + 1
    -- an earlier item with the same key (Lua compares strings by reference: they are interned)
    local shared = false
    if d.windows then
      for j = 1, nGroups do
        if groups[j].key == key then shared = true end
      end
      nGroups = nGroups + 1
      local g = makeGroup(nGroups, key, nChecks + 1, d, shared)
      local windows = d.windows
      for w = 1, d.n do
        nChecks = nChecks + 1
        makeCheck(nChecks, windows[w], g, false, false)
      end
    else
      for j = 1, nChecks do
        if checks[j].base == key then shared = true end
      end
      nChecks = nChecks + 1
      local c = makeCheck(nChecks, d, false, key, shared)
      if d.hasMember then c.member = ARGV[argi] end
      argi = argi + 1
    end
  end

  local escalations = NO_ESCALATIONS
  if nEscalations > 0 then escalations = {} end
  for i = 1, nEscalations do
    local e = {}
    e.banKey = nextArg()
    e.after = nextNum()
    e.within = nextNum()
    e.resetAfter = nextNum()
    e.reason = nextArg()
    e.force = nextArg() == '1'
    e.refs = {}
    for r = 1, nextNum() do e.refs[r] = nextNum() end
    e.durations = {}
    for d = 1, nextNum() do e.durations[d] = nextNum() end
    e.violationsKey = nextKey()
    e.levelKey = nextKey()
    escalations[i] = e
  end

  local out = { '', '', '', '', '1', 0 }

  -- 0. a lease handed back on its own (its key did not come back)
  if mode == 'u' then
    for j = 1, nGroups do
      local g = groups[j]
      groupLoad(g)
      for i = g.from, g.to do release(checks[i], returnToken, returnUnits) end
      if g.dirty then groupWrite(g) end
    end
    return out
  end

  -- 1. bans: the longest active ban among the ban keys (the first one on ties) short-circuits
  if nBanKeys > 0 then
    local bestKey, bestUntil = nil, nil
    for b = banFrom, banFrom + nBanKeys - 1 do
      local key = ARGV[b]
      local score = redis.call('ZSCORE', banIndex, key)
      if score then
        local untilMs = tonumber(score)
        if untilMs > now and (bestUntil == nil or untilMs > bestUntil) then
          bestKey, bestUntil = key, untilMs
        end
      end
    end
    if bestKey then
      local level, reason = banMetaOf(bestKey)
      return { bestKey, fmt(bestUntil), level, reason, '0', 0 }
    end
  end

  local admitted = true
  local n = 6
  if mode ~= 'r' then
    -- the groups' states: one GET, or one MGET for several (a call into Redis costs about a GET's time)
    if nGroups == 1 then
      groupLoad(groups[1])
    elseif nGroups > 1 then
      local names = {}
      for j = 1, nGroups do names[j] = groups[j].key end
      local raws = redis.call('MGET', unpack(names))
      for j = 1, nGroups do groupParse(groups[j], raws[j]) end
    end
    for i = 1, nChecks do
      local c = checks[i]
      local allowed, remaining, resetMs, retryAfterMs
      if c.alg == 'd' then
        distinctLoad(c)
        allowed, remaining, resetMs, retryAfterMs = distinctDecide(c)
      else
        -- the caller's previous lease of this request, handed back with it (a banned request's is not)
        if returnToken ~= '' then release(c, returnToken, returnUnits) end
        if c.alg == 'g' then
          allowed, remaining, resetMs, retryAfterMs = gcraDecide(c)
        else
          allowed, remaining, resetMs, retryAfterMs = slidingDecide(c)
        end
      end
      allowedOf[i] = allowed
      c.rem = remaining
      if not allowed and not c.dry then admitted = false end
      -- a number for the reply: an integer as it is (an integer reply, no formatting), anything
      -- else as a "%.17g" string, since Redis truncates Lua numbers to integers. Inline, not a
      -- function (twelve calls for three windows); these are counts and durations, far inside
      -- the integers a double holds, so only the fraction is tested
      out[n + 1] = allowed and 1 or 0
      out[n + 2] = remaining % 1 == 0 and remaining or fmt(remaining)
      out[n + 3] = resetMs % 1 == 0 and resetMs or fmt(resetMs)
      out[n + 4] = retryAfterMs % 1 == 0 and retryAfterMs or fmt(retryAfterMs)
      n = n + 4
    end
  end

  ------------------------------------------------------------------ 3. spend: all or nothing
  -- item by item in the order of the checks, each group written once after its windows spent
  local isSpending = mode == 'r' or (mode == 'e' and admitted)
  if isSpending or returnToken ~= '' then
    local units, token = 0, nil
    if mode == 'e' and isSpending and leaseToken ~= '' and leaseShare > 0 then
      units = grantable()
      if units > 0 then
        token = leaseToken
        out[6] = units
      end
    end
    local i = 1
    while i <= nChecks do
      local c = checks[i]
      local g = c.g
      if g then
        -- record() decides nothing: it reads the state here; an item after another on its key reads it again
        if mode == 'r' then groupLoad(g) elseif g.shared then groupReload(g, returnToken, returnUnits) end
        if isSpending then
          for k = g.from, g.to do
            local w = checks[k]
            if mode == 'r' then spend(w, w.cost) elseif allowedOf[k] then spend(w, w.cost * (1 + units), token, units) end
          end
        end
        if g.dirty then groupWrite(g) end
        i = g.to + 1
      else
        if isSpending and (mode == 'r' or allowedOf[i]) then
          -- record() decides nothing; after a distinct check of this call on its key, read again
          if mode == 'r' or c.shared then distinctLoad(c) end
          distinctAdd(c)
        end
        i = i + 1
      end
    end
  end
  out[5] = admitted and '1' or '0'

  if mode == 'e' and #escalations > 0 then
    local bannedNow = {}
    local pruned = false
    for _, e in ipairs(escalations) do
      local violated = e.force
      if not violated then
        for _, r in ipairs(e.refs) do
          if allowedOf[r] == false and not checks[r].dry then violated = true end
        end
      end
      if violated and not bannedNow[e.banKey] then
        local count, expiresAt = loadPair(e.violationsKey)
        if count == nil then count, expiresAt = 0, now + e.within end
        count = count + 1
        if count < e.after then
          redis.call('SET', e.violationsKey, fmt(count) .. ' ' .. fmt(expiresAt), 'PX', ttl(expiresAt - now))
        else
          redis.call('DEL', e.violationsKey)
          local level = (loadPair(e.levelKey) or 0) + 1
          local duration = e.durations[mmin(level, #e.durations)] or 0
          local untilMs = now + duration
          local levelExpires = untilMs + e.resetAfter
          redis.call('SET', e.levelKey, fmt(level) .. ' ' .. fmt(levelExpires), 'PX', ttl(levelExpires - now))
          if not pruned then
            pruneBans()
            pruned = true
          end
          -- ZSCORE answers false (not nil) for a missing member
          local score = redis.call('ZSCORE', banIndex, e.banKey)
          local held = score and tonumber(score) or nil
          if held == nil or held <= now or held < untilMs then
            putBan(e.banKey, untilMs, fmt(level), e.reason, untilMs - now)
          end
          bannedNow[e.banKey] = true
          out[n + 1] = e.banKey
          out[n + 2] = fmt(untilMs)
          out[n + 3] = fmt(level)
          out[n + 4] = e.reason
          n = n + 4
        end
      end
    end
  end

  return out
end

------------------------------------------------------------------ one call
local function main(keys, argv)
  if not mfloor then mfloor, mceil, mmax, mmin = math.floor, math.ceil, math.max, math.min end
  KEYS, ARGV = keys, argv
  now = tonumber(ARGV[1])
  mode = ARGV[2]
  local header = numbersOf(ARGV[3])
  exactMax, leaseShare, leaseMax, leaseLife = header[1], header[3], header[4], header[5]
  argi = 4
  keyi = 1
  banIndex, banMeta = nil, nil
  if header[2] == 1 then
    banIndex = KEYS[1]
    banMeta = KEYS[2]
    keyi = 3
  end

  if mode == 'a' then
    local key, untilMs, level, reason, ttlMs = nextArg(), nextNum(), nextArg(), nextArg(), nextNum()
    putBan(key, untilMs, level, reason, ttlMs)
    return 1
  elseif mode == 'x' then
    local key = nextArg()
    local removed = redis.call('ZREM', banIndex, key)
    redis.call('HDEL', banMeta, key)
    return removed
  elseif mode == 'l' then
    -- active bans, longest first; ties at the cut are all fetched (ascending key) so the
    -- caller can order ties by key as the memory store does
    local limit = nextNum()
    pruneBans()
    local rows = redis.call('ZREVRANGEBYSCORE', banIndex, '+inf', '(' .. fmt(now), 'WITHSCORES', 'LIMIT', 0, limit)
    local seen = {}
    local out = {}
    local function push(key, score)
      if seen[key] then return end
      seen[key] = true
      local level, reason = banMetaOf(key)
      out[#out + 1] = key
      out[#out + 1] = fmt(tonumber(score))
      out[#out + 1] = level
      out[#out + 1] = reason
    end
    for i = 1, #rows, 2 do push(rows[i], rows[i + 1]) end
    if #rows == 2 * limit and limit > 0 then
      local last = rows[#rows]
      local ties = redis.call('ZRANGEBYSCORE', banIndex, last, last, 'WITHSCORES', 'LIMIT', 0, limit)
      for i = 1, #ties, 2 do push(ties[i], ties[i + 1]) end
    end
    return out
  end

  -- a batch: requests that reached the client together, each with its own clock, decided in
  -- turn (each atomically, as if sent alone) and answered as one array of replies
  -- 'U': leases handed back in the background, many in one call (replies: how many)
  if mode == 'b' or mode == 'U' then
    local count = tonumber(ARGV[argi])
    argi = argi + 1
    local isBatch = mode == 'b'
    if isBatch then mode = 'e' else mode = 'u' end
    local replies = {}
    for r = 1, count do
      now = tonumber(ARGV[argi])
      argi = argi + 1
      replies[r] = request()
    end
    if isBatch then return replies end
    return count
  end
  return request()
end
`;

/**
 * The version of the code: a library is named after it, so that gateways of
 * different versions sharing one Redis each call their own.
 */
const LIMITER_VERSION = createHash('sha1').update(LIMITER_LUA_BODY).digest('hex').slice(0, 12);

/** The function's name (and its library's): `apiwarden_limiter_<version>`. */
export const LIMITER_FUNCTION = `apiwarden_limiter_${LIMITER_VERSION}`;

/**
 * As a Redis 7 function library (FUNCTION LOAD, then FCALL): its chunk runs
 * once, at load, so the helpers are made once; the preferred form.
 */
export const LIMITER_LIBRARY = `#!lua name=${LIMITER_FUNCTION}\n${LIMITER_LUA_BODY}\nredis.register_function('${LIMITER_FUNCTION}', main)\n`;

/**
 * As a script (EVALSHA, EVAL on NOSCRIPT): for Redis before 7.0, or where
 * FUNCTION is not allowed (ACLs). Its chunk, helpers included, runs on every
 * call; the globals KEYS and ARGV are captured before the body shadows them.
 */
export const LIMITER_LUA = `local evalKeys, evalArgv = KEYS, ARGV\n${LIMITER_LUA_BODY}\nreturn main(evalKeys, evalArgv)\n`;

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** percent-escapes the characters that would end a hash tag or forge a key separator */
function esc(value: string): string {
  return value.replace(/[%:{}]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
}

const ALG = { gcra: 'g', sliding: 's', distinct: 'd' } as const;

/** a window's place in the store: the key part of its group, and its field's name in the group */
interface WindowPlace {
  group: string;
  name: string;
}

/** window ids seen (a policy's few: at most MAX_PLACES, then forgotten) */
const places = new Map<string, WindowPlace>();
const MAX_PLACES = 10_000;

/**
 * A window's group is its id up to the last '#' (the rule, or rule@plan for
 * a tier), its name what follows ("phone-lookups#0" → group
 * "phone-lookups", name "0"): the windows of one rule on one key share one
 * Redis string. The name is escaped so that it holds no separator of the
 * group's value (space, '|') and no '%' but as an escape.
 */
function placeOf(id: string): WindowPlace {
  let place = places.get(id);
  if (place !== undefined) return place;
  const at = id.lastIndexOf('#');
  const name = at < 0 ? '' : id.slice(at + 1);
  place = {
    group: esc(at < 0 ? id : id.slice(0, at)),
    name: name.replace(/[%|\s]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`),
  };
  if (places.size >= MAX_PLACES) places.clear();
  places.set(id, place);
  return place;
}

/** the start of every key of a check: the prefix and the check's key as the Redis Cluster hash tag */
function tagOf(prefix: string, check: LimitCheck): string {
  return `${prefix}{${esc(check.key)}}`;
}

/**
 * The items of a request's checks, as the script reads them (see the Lua's
 * header); returns how many. Consecutive windows of one rule on one key as one group (one
 * key, one argument), each distinct check on its own. A window whose field
 * the group holds already (the same window listed twice) starts a group of
 * its own on the same key.
 */
function pushChecks(keys: string[], args: string[], checks: readonly LimitCheck[], prefix: string): number {
  let items = 0;
  for (let i = 0; i < checks.length; items++) {
    const c = checks[i]!;
    if (c.algorithm === 'distinct') {
      const hasMember = c.member !== undefined;
      args.push(`d ${c.limit} ${c.periodMs} ${c.burst} ${c.cost} ${c.dryRun ? '1' : '0'} ${hasMember ? '1' : '0'}`, c.member ?? '');
      keys.push(`${tagOf(prefix, c)}:${esc(c.id)}`);
      i++;
      continue;
    }
    const { group, name } = placeOf(c.id);
    let def = `w|${name} ${ALG[c.algorithm]} ${c.limit} ${c.periodMs} ${c.burst} ${c.cost} ${c.dryRun ? '1' : '0'}`;
    let j = i + 1;
    for (; j < checks.length; j++) {
      const next = checks[j]!;
      if (next.algorithm === 'distinct' || next.key !== c.key) break;
      const place = placeOf(next.id);
      if (place.group !== group || isFieldIn(checks, i, j, place.name, next.algorithm)) break;
      def += `|${place.name} ${ALG[next.algorithm]} ${next.limit} ${next.periodMs} ${next.burst} ${next.cost} ${next.dryRun ? '1' : '0'}`;
    }
    args.push(def);
    keys.push(`${tagOf(prefix, c)}:${group}:w`);
    i = j;
  }
  return items;
}

/** whether checks[from..to) hold the field (algorithm and name) already */
function isFieldIn(checks: readonly LimitCheck[], from: number, to: number, name: string, algorithm: LimitCheck['algorithm']): boolean {
  for (let k = from; k < to; k++) {
    const c = checks[k]!;
    if (c.algorithm === algorithm && placeOf(c.id).name === name) return true;
  }
  return false;
}

/**
 * One evaluation as the script's KEYS and ARGV, on the exact path (no
 * lease, no ban key, no escalation): what redis-benchmark sends in
 * bench/limiter/decisions.ts to measure the script alone.
 */
export function evaluationCall(prefix: string, now: number, checks: readonly LimitCheck[], exactMax = 256): { keys: string[]; args: string[] } {
  const keys: string[] = [];
  const args = [String(now), 'e', `${exactMax} 0 0 0 0`, '', '', ''];
  args[3] = `0 0 ${pushChecks(keys, args, checks, prefix)} 0`;
  return { keys, args };
}

type ScriptCommand = (numKeys: number, ...keysAndArgs: string[]) => Promise<unknown>;

/** one script call: KEYS and ARGV */
interface ScriptCall {
  keys: string[];
  args: string[];
}

/** an escalation as sent: positions of its checks in the call, or forced */
interface SentEscalation {
  escalation: BanEscalation;
  refs: number[];
  force: boolean;
}

interface PendingEvaluation {
  request: EvaluateRequest;
  lease: LeaseAsk;
  resolve: (decided: Decided) => void;
  reject: (error: unknown) => void;
}

interface Reply {
  ban: Ban | null;
  admitted: boolean;
  /** units Redis leased to the call's token */
  leased: number;
  results: CheckResult[];
  newBans: Ban[];
}

/** a standalone decision, with the units leased */
interface Decided {
  result: EvaluateResult;
  leased: number;
}

export function createRedisLimiterStore(options: RedisLimiterStoreOptions): RedisLimiterStore {
  const redis = options.redis;
  const prefix = options.prefix ?? 'aw:';
  const exactMax = options.exactMax ?? 256;
  const maxBatch = options.maxBatch ?? 1;
  const refusals = createRefusalCache(options.refusalCacheEntries ?? 10_000);
  // no leases on Cluster: a request's windows may span slots, and a lease is granted in one call
  const allowanceOptions: AllowanceOptions = options.allowances === false || options.redis.isCluster
    ? { ...DEFAULT_ALLOWANCE_OPTIONS, share: 0 }
    : { ...DEFAULT_ALLOWANCE_OPTIONS, ...options.allowances };
  const allowances = createAllowanceCache(allowanceOptions);
  // every call's header but the clock and mode, the same for all of this store's calls (with the ban slot, or without)
  const leaseHeader = allowances.isOn
    ? `${allowanceOptions.share} ${allowanceOptions.maxUnits} ${LEASE_MARK_LIFETIMES * allowanceOptions.ttlMs}`
    : '0 0 0';
  const headers = [`${exactMax} 0 ${leaseHeader}`, `${exactMax} 1 ${leaseHeader}`] as const;
  if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new RangeError(`maxBatch must be a positive integer, got ${maxBatch}`);
  if (/[{}]/.test(prefix)) throw new RangeError(`the Redis key prefix must not contain '{' or '}' (it would change the hash tag): ${JSON.stringify(prefix)}`);
  if (!Number.isInteger(exactMax) || exactMax < 1) throw new RangeError(`exactMax must be a positive integer, got ${exactMax}`);

  const commands = redis as unknown as Record<string, ScriptCommand | undefined>;
  if (typeof commands[COMMAND] !== 'function') redis.defineCommand(COMMAND, { lua: LIMITER_LUA });
  const script = (commands[COMMAND] as ScriptCommand).bind(redis);
  const isCluster = redis.isCluster;
  const tickWrites = createTickWrites(redis);

  const banIndex = `${prefix}{:bans}:i`;
  const banMeta = `${prefix}{:bans}:m`;
  let isClosed = false;

  const startupWaitMs = options.startupWaitMs ?? 2000;
  let isStarted = redis.status === 'ready';
  let startup: Promise<void> | null = null;

  /** null once started (the hot path pays one boolean test); else the shared wait for 'ready' */
  function whenStarted(): Promise<void> | null {
    if (isStarted) return null;
    const status = redis.status;
    // 'wait' (lazyConnect): the first command connects; 'end'/'close': nothing to wait for
    if (status !== 'connecting' && status !== 'connect' && status !== 'reconnecting') {
      isStarted = status === 'ready' || isStarted;
      return null;
    }
    startup ??= new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        redis.off('ready', done);
        isStarted = true;
        resolve();
      };
      const timer = setTimeout(done, startupWaitMs);
      redis.once('ready', done);
    });
    return startup;
  }

  async function assertReady(): Promise<void> {
    if (isClosed) throw new Error('the Redis limiter store is closed');
    const wait = whenStarted();
    if (wait !== null) await wait;
  }

  function newCall(now: number, mode: string, hasBanSlot: boolean): ScriptCall {
    const call: ScriptCall = { keys: [], args: [String(now), mode, headers[hasBanSlot ? 1 : 0]] };
    if (hasBanSlot) call.keys.push(banIndex, banMeta);
    return call;
  }

  function pushRequest(call: ScriptCall, banKeys: readonly string[], checks: readonly LimitCheck[], escalations: readonly SentEscalation[], lease: LeaseAsk = NO_LEASE): void {
    const { keys, args } = call;
    const back = lease.back;
    const countsAt = args.length;
    args.push('', lease.token, back === null ? '' : back.token, ...banKeys);
    const items = pushChecks(keys, args, checks, prefix);
    args[countsAt] = `${back === null ? 0 : back.units} ${banKeys.length} ${items} ${escalations.length}`;
    for (const { escalation: e, refs, force } of escalations) {
      args.push(e.banKey, String(e.after), String(e.withinMs), String(e.resetAfterMs), e.reason, force ? '1' : '0');
      args.push(String(refs.length), ...refs.map(String), String(e.durationsMs.length), ...e.durationsMs.map(String));
      keys.push(`${prefix}{:bans}:v:${esc(e.reason)}:${esc(e.banKey)}`, `${prefix}{:bans}:l:${esc(e.banKey)}`);
    }
  }

  // How calls reach Redis: FCALL of the library once it is loaded (Redis 7+), else the script
  // (EVALSHA); null until the first call has tried to load the library.
  let engine: 'function' | 'script' | null = options.useFunctions === false ? 'script' : null;
  let engineDecision: Promise<void> | null = null;

  /** FUNCTION LOAD on every master (a Cluster's masters each need it; replicas get it by replication) */
  async function loadLibrary(): Promise<void> {
    const nodes = isCluster ? (redis as Cluster).nodes('master') : [redis as Redis];
    await Promise.all(nodes.map(async (node) => {
      try {
        await node.function('LOAD', LIMITER_LIBRARY);
      } catch (error) {
        // the same version is there already (another gateway loaded it): what we want
        if (!/already exists/i.test(messageOf(error))) throw error;
      }
    }));
  }

  function decideEngine(): Promise<void> {
    engineDecision ??= loadLibrary().then(
      () => {
        engine = 'function';
      },
      (error: unknown) => {
        // Redis refused the command (before 7.0: unknown command; an ACL without FUNCTION): the
        // script form does the same work, more slowly
        if (error instanceof ReplyError) {
          engine = 'script';
          return;
        }
        // a connection fault: decide again on a later call
        engineDecision = null;
        throw error;
      },
    );
    return engineDecision;
  }

  function callFunction(call: ScriptCall): Promise<unknown> {
    return redis.fcall(LIMITER_FUNCTION, call.keys.length, ...call.keys, ...call.args);
  }

  // hot path: one FCALL; the library is loaded again only when Redis lost it (a restart without
  // persistence, FUNCTION FLUSH, a new Cluster master), and the call retried once
  function run(call: ScriptCall): Promise<unknown> {
    tickWrites.hold();
    if (engine === 'function') {
      return callFunction(call).catch(async (error: unknown) => {
        if (!/function not found/i.test(messageOf(error))) throw error;
        await loadLibrary();
        return callFunction(call);
      });
    }
    if (engine === 'script') return script(call.keys.length, ...call.keys, ...call.args);
    return decideEngine().then(() => run(call));
  }

  async function runRequest(call: ScriptCall, checks: readonly LimitCheck[]): Promise<Reply> {
    return parseReply(await run(call), checks);
  }

  function parseReply(reply: unknown, checks: readonly LimitCheck[]): Reply {
    if (!Array.isArray(reply) || reply.length < 6) throw new Error('unexpected reply from the limiter script');
    // check results come as integers where they are integral, else as "%.17g" strings (Number reads both)
    const row = reply as Array<string | number>;
    const ban = row[0] ? { key: String(row[0]), until: Number(row[1]), level: Number(row[2]), reason: String(row[3]) } : null;
    const results: CheckResult[] = [];
    let at = 6;
    if (ban === null) {
      for (const check of checks) {
        results.push({
          id: check.id,
          allowed: row[at] === 1,
          remaining: Number(row[at + 1]),
          resetMs: Number(row[at + 2]),
          retryAfterMs: Number(row[at + 3]),
          source: 'store',
        });
        at += 4;
      }
    }
    return { ban, admitted: row[4] === '1', leased: Number(row[5]), results, newBans: readBans(row, at) };
  }

  function readBans(row: ReadonlyArray<string | number>, from: number): Ban[] {
    const bans: Ban[] = [];
    for (let i = from; i + 3 < row.length; i += 4) {
      bans.push({ key: String(row[i]), until: Number(row[i + 1]), level: Number(row[i + 2]), reason: String(row[i + 3]) });
    }
    return bans;
  }

  /** positions (1-based) in `checks` of the checks an escalation lists */
  function refsOf(escalation: BanEscalation, checks: readonly LimitCheck[]): number[] {
    const refs: number[] = [];
    for (let i = 0; i < checks.length; i++) if (escalation.checkIds.includes(checks[i]!.id)) refs.push(i + 1);
    return refs;
  }

  // standalone: bans, every check and escalation in one call
  function resultOf(reply: Reply): EvaluateResult {
    if (reply.ban) return { ban: reply.ban, results: [], admitted: false, newBans: [], degraded: false };
    return { ban: null, results: reply.results, admitted: reply.admitted, newBans: reply.newBans, degraded: false };
  }

  function sentEscalations(request: EvaluateRequest): SentEscalation[] {
    return request.escalations.map((escalation) => ({ escalation, refs: refsOf(escalation, request.checks), force: false }));
  }

  // Standalone, with maxBatch > 1: evaluations that reach the store together (in one turn of the
  // event loop: the requests a burst of replies or of client data let through) go in ONE call, a batch whose
  // requests the script decides in turn, each atomically as if sent alone. One round trip for
  // many requests: Redis parses one command and Node writes and reads one, instead of one each.
  // A lone evaluation goes as before. The cost of waiting is one process.nextTick.
  let pending: PendingEvaluation[] = [];
  let isFlushScheduled = false;

  function evaluateStandalone(request: EvaluateRequest, lease: LeaseAsk): Promise<Decided> {
    return new Promise<Decided>((resolve, reject) => {
      pending.push({ request, lease, resolve, reject });
      // hot path (maxBatch 1): at once, no tick of delay
      if (pending.length >= maxBatch) flush();
      else if (!isFlushScheduled) {
        isFlushScheduled = true;
        process.nextTick(flush);
      }
    });
  }

  function flush(): void {
    isFlushScheduled = false;
    const batch = pending;
    pending = [];
    if (batch.length === 0) return;
    if (batch.length === 1) {
      const { request, lease, resolve, reject } = batch[0]!;
      const call = newCall(request.now, 'e', request.banKeys.length > 0 || request.escalations.length > 0);
      pushRequest(call, request.banKeys, request.checks, sentEscalations(request), lease);
      runRequest(call, request.checks).then((reply) => resolve({ result: resultOf(reply), leased: reply.leased }), reject);
      return;
    }
    const hasBanSlot = batch.some((p) => p.request.banKeys.length > 0 || p.request.escalations.length > 0);
    const call = newCall(batch[0]!.request.now, 'b', hasBanSlot);
    call.args.push(String(batch.length));
    for (const { request, lease } of batch) {
      call.args.push(String(request.now));
      pushRequest(call, request.banKeys, request.checks, sentEscalations(request), lease);
    }
    run(call).then(
      (replies) => {
        if (!Array.isArray(replies) || replies.length !== batch.length) {
          const error = new Error('unexpected reply from the limiter script (batch)');
          for (const p of batch) p.reject(error);
          return;
        }
        for (let i = 0; i < batch.length; i++) {
          const p = batch[i]!;
          try {
            const reply = parseReply(replies[i], p.request.checks);
            p.resolve({ result: resultOf(reply), leased: reply.leased });
          } catch (error) {
            p.reject(error);
          }
        }
      },
      (error: unknown) => {
        for (const p of batch) p.reject(error);
      },
    );
  }

  /** checks grouped by hash tag: each group is one slot, one call */
  function groupsOf(checks: readonly LimitCheck[]): number[][] {
    const groups = new Map<string, number[]>();
    for (let i = 0; i < checks.length; i++) {
      const tag = checks[i]!.key;
      const group = groups.get(tag);
      if (group) group.push(i);
      else groups.set(tag, [i]);
    }
    return [...groups.values()];
  }

  async function runGroup(request: EvaluateRequest, group: readonly number[], mode: 'e' | 'd'): Promise<Reply> {
    const checks = group.map((i) => request.checks[i]!);
    const call = newCall(request.now, mode, false);
    pushRequest(call, [], checks, []);
    return runRequest(call, checks);
  }

  async function lookupBan(banKeys: readonly string[], now: number): Promise<Ban | null> {
    if (banKeys.length === 0) return null;
    const call = newCall(now, 'd', true);
    pushRequest(call, banKeys, [], []);
    return (await runRequest(call, [])).ban;
  }

  // Cluster: see the module comment for the rounds and what stays atomic
  async function evaluateCluster(request: EvaluateRequest): Promise<EvaluateResult> {
    const { banKeys, checks, escalations, now } = request;
    const groups = groupsOf(checks);
    const results: CheckResult[] = new Array<CheckResult>(checks.length);
    const merge = (replies: readonly Reply[]): void => {
      replies.forEach((reply, g) => group(g).forEach((i, j) => (results[i] = reply.results[j]!)));
    };
    const group = (g: number): number[] => groups[g]!;
    const isAdmitted = (): boolean => checks.every((c, i) => c.dryRun || results[i]!.allowed);

    if (groups.length <= 1) {
      const ban = await lookupBan(banKeys, now);
      if (ban) return { ban, results: [], admitted: false, newBans: [], degraded: false };
      if (groups.length === 1) merge([await runGroup(request, group(0), 'e')]);
    } else {
      const [ban, ...decided] = await Promise.all([lookupBan(banKeys, now), ...groups.map((g) => runGroup(request, g, 'd'))]);
      if (ban) return { ban, results: [], admitted: false, newBans: [], degraded: false };
      merge(decided as Reply[]);
      // spend only when every group admits; each group decides again atomically with its spend
      if (isAdmitted()) merge(await Promise.all(groups.map((g) => runGroup(request, g, 'e'))));
    }
    const admitted = isAdmitted();
    let newBans: Ban[] = [];
    if (!admitted && escalations.length > 0) {
      const fired = escalations.filter((e) => checks.some((c, i) => !c.dryRun && !results[i]!.allowed && e.checkIds.includes(c.id)));
      if (fired.length > 0) {
        const call = newCall(now, 'e', true);
        pushRequest(call, [], [], fired.map((escalation) => ({ escalation, refs: [], force: true })));
        newBans = (await runRequest(call, [])).newBans;
      }
    }
    return { ban: null, results, admitted, newBans, degraded: false };
  }

  async function recordChecks(checks: readonly LimitCheck[], now: number): Promise<void> {
    if (checks.length === 0) return;
    const parts = isCluster ? groupsOf(checks).map((g) => g.map((i) => checks[i]!)) : [checks];
    await Promise.all(parts.map(async (part) => {
      const call = newCall(now, 'r', false);
      pushRequest(call, [], part, []);
      await run(call);
    }));
  }

  /**
   * Leases of keys that did not come back are handed back in the background,
   * HAND_BACK_BATCH to a call (mode 'U'), so that Redis credits their unused
   * units: a lease granted to a key that is not seen again within its
   * lifetime costs a share of one call, not a round trip of its own. The
   * calls go one after the other, so that the requests' own calls are never
   * queued in Redis behind more than one of them (a few hundred µs). A failed
   * call is logged by nobody and its units stay spent (windows stricter than
   * they need be until they refill).
   */
  function handBackLeases(everything: boolean): Promise<void> {
    // one at a time: a tick finding one still running skips; close() waits for it, then hands back the rest
    if (handingBack !== null) return everything ? handingBack.then(() => handBackLeases(true)) : handingBack;
    handingBack = sendHandBacks(allowances.collect(everything)).finally(() => {
      handingBack = null;
    });
    return handingBack;
  }
  let handingBack: Promise<void> | null = null;

  async function sendHandBacks(due: readonly BackgroundReturn[]): Promise<void> {
    for (let from = 0; from < due.length && !isClosed; from += HAND_BACK_BATCH) {
      const part = due.slice(from, from + HAND_BACK_BATCH);
      const call = newCall(part[0]!.now, 'U', false);
      call.args.push(String(part.length));
      for (const lease of part) {
        call.args.push(String(lease.now));
        pushRequest(call, [], lease.checks, [], { token: '', back: lease });
      }
      await run(call).catch(() => undefined);
    }
  }

  /** one request decided by Redis (signature: its lease signature, allowance-cache.ts) */
  async function decide(request: EvaluateRequest, signature: string | null): Promise<EvaluateResult> {
    if (isCluster) {
      const result = await evaluateCluster(request);
      refusals.remember(request, result);
      return result;
    }
    // the previous lease of this request goes back in the same call (a failed call loses it: its units stay spent)
    const lease = allowances.prepare(signature, request.now);
    const { result, leased } = await evaluateStandalone(request, lease);
    refusals.remember(request, result);
    if (result.ban !== null || result.newBans.length > 0) allowances.endAll();
    allowances.grant(signature, request, result, lease.token, leased);
    // refused while this instance holds units leased for the same request (a call in flight
    // beside this one was granted them, and Redis counts them spent): they are this request's.
    // Not when the refusal may have counted a violation towards a ban (escalations).
    if (!result.admitted && result.ban === null && request.escalations.length === 0) {
      const local = allowances.admit(signature, request);
      if (local !== null) return local;
    }
    return result;
  }

  // every half lifetime: a lease is handed back within about a lifetime of its last use
  const allowanceTimer = setInterval(() => void handBackLeases(false), Math.max(10, allowanceOptions.ttlMs / 2));
  allowanceTimer.unref();

  return {
    kind: 'redis',

    async evaluate(request) {
      if (isClosed || !isStarted) await assertReady();
      if (request.checks.length === 0 && request.banKeys.length === 0) {
        return { ban: null, results: [], admitted: true, newBans: [], degraded: false };
      }
      for (;;) {
        const cached = refusals.find(request);
        if (cached === null) break;
        if (!(cached instanceof Promise)) {
          // units leased for this very request (to a call beside the one that was refused) come
          // first: they are spent in Redis already. Rare: the signature is built only when a lease is held
          if (allowances.leases > 0) {
            const local = allowances.admit(allowances.signatureOf(request), request);
            if (local !== null) return local;
          }
          return cached;
        }
        // the same refused request is asking Redis: its answer will do for this one too
        await cached;
      }
      // settled whatever answers: find() may have made this request the one that renews a refusal
      try {
        const signature = allowances.signatureOf(request);
        const local = allowances.admit(signature, request);
        if (local !== null) return local;
        return await decide(request, signature);
      } finally {
        refusals.settle(request);
      }
    },

    async record(checks, now) {
      if (isClosed || !isStarted) await assertReady();
      await recordChecks(checks, now);
    },

    get localAdmissions() {
      return allowances.hits;
    },

    async addBan(ban) {
      if (isClosed || !isStarted) await assertReady();
      allowances.endAll();
      const call = newCall(0, 'a', true);
      // operator bans come without a caller clock: the index lives at least until the ban ends by the wall clock
      const ttlMs = Math.max(ban.until - Date.now(), MIN_BAN_INDEX_TTL_MS);
      call.args.push(ban.key, String(ban.until), String(ban.level), ban.reason, String(ttlMs));
      await run(call);
    },

    async removeBan(key) {
      if (isClosed || !isStarted) await assertReady();
      const call = newCall(0, 'x', true);
      call.args.push(key);
      return Number(await run(call)) > 0;
    },

    async listBans(now, limit = 100) {
      if (isClosed || !isStarted) await assertReady();
      const max = Math.max(0, Math.floor(limit));
      if (max === 0) return [];
      const call = newCall(now, 'l', true);
      call.args.push(String(max));
      const bans = readBans((await run(call)) as string[], 0);
      // longest-lasting first, the key breaking ties (as the memory store)
      bans.sort((x, y) => y.until - x.until || (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
      return bans.slice(0, max);
    },

    async close() {
      // the client belongs to the caller, who closes it; leases are handed back first
      if (isClosed) return;
      clearInterval(allowanceTimer);
      await handBackLeases(true);
      isClosed = true;
    },
  };
}
