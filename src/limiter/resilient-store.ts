/**
 * The resilient limiter store: the shared (Redis) store behind a circuit
 * breaker, with each check's failure policy deciding when it cannot answer.
 *
 * Breaker (the usual three states):
 *   closed    every call goes to the primary and races a timeout of
 *             `timeoutMs`; an error or a timeout is a failure, and
 *             `openAfterFailures` consecutive failures open the breaker;
 *   open      calls go straight to the failure policies without touching
 *             the primary (nothing piles up behind a hung Redis); every
 *             `retryAfterMs` one call is let through as a probe;
 *   half-open that probe is in flight (other calls still short-circuit); its
 *             success closes the breaker, its failure opens it for another
 *             `retryAfterMs`.
 * Recovery needs no restart: the client reconnects in the background
 * (createLimiterRedisClient) and the next probe finds it.
 *
 * When the primary cannot answer (error, timeout, open breaker), each check
 * follows its `onFailure`:
 *   'open'   allowed, remaining = limit, source 'open';
 *   'closed' refused, source 'closed', retryAfterMs = resetMs = the wait until
 *            the breaker lets the next probe through (>= 1; 1 while the breaker
 *            is not open, as the next request tries Redis again);
 *   'local'  decided by the fallback store (a bounded memory store), source 'local'.
 * Bans are the fallback's only: it holds every ban the primary reported to
 * this instance (copied as they are seen) and the bans its own escalations
 * make for 'local' checks. A 'closed' check never counts as a violation: a
 * client is not banned because Redis is down. `admitted` is computed over the
 * enforcing checks as usual, and a refused request spends nothing locally
 * either. The answer says `degraded: true`.
 *
 * A call that timed out may still complete in Redis later (and spend): the
 * request was decided by its policy; the client's maxRetriesPerRequest 0 and
 * autoResendUnfulfilledCommands false keep that to commands already written.
 *
 * record() never throws (it runs after the response): a failure is counted,
 * and its 'local' checks are spent on the fallback. addBan/removeBan apply to
 * the fallback too and throw when the primary fails (operator paths, which
 * must know); listBans throws too, so that the ban mirror keeps its last list
 * instead of replacing the shared bans with the local ones.
 */
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { Ban, CheckResult, EvaluateRequest, EvaluateResult, LimitCheck, LimiterStore } from './types.ts';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface ResilientStoreOptions {
  /** the shared store (Redis) */
  primary: LimiterStore;
  /** the bounded local store 'local' checks fall back on (a memory store, made by the caller) */
  fallback: LimiterStore;
  /** a primary call slower than this is a failure (default 50 ms) */
  timeoutMs?: number;
  /** consecutive failures that open the breaker (default 3) */
  openAfterFailures?: number;
  /** while open, one probe call every this many ms (default 1000) */
  retryAfterMs?: number;
  /** told of every state change; `error` is the failure that opened the breaker */
  onStateChange?: (state: BreakerState, error?: Error) => void;
  /** the breaker's monotonic clock in ms (default performance.now; tests pass their own) */
  clock?: () => number;
}

export interface ResilientStoreStats {
  /** calls that went to the primary (probes included) */
  calls: number;
  /** primary calls that failed with an error */
  failures: number;
  /** primary calls that did not answer within timeoutMs */
  timeouts: number;
  /** calls answered without touching the primary because the breaker was open */
  shortCircuited: number;
  /** half-open probes let through */
  probes: number;
  /** times the breaker opened */
  opened: number;
  /** evaluate() answers made by the failure policies */
  degraded: number;
  /** record() calls the primary did not take (their 'local' checks went to the fallback) */
  recordFailures: number;
}

export interface ResilientStore extends LimiterStore {
  readonly state: BreakerState;
  readonly stats: Readonly<ResilientStoreStats>;
}

/** why the primary was not used; `code` is stable */
export class LimiterUnavailableError extends Error {
  readonly code: 'LIMITER_TIMEOUT' | 'LIMITER_BREAKER_OPEN';
  constructor(code: LimiterUnavailableError['code'], message: string) {
    super(message);
    this.name = 'LimiterUnavailableError';
    this.code = code;
  }
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: Error };

/** a check that is always refused: added to the fallback's request when a 'closed' check refuses it anyway, so that nothing is spent */
const VETO: LimitCheck = {
  id: '\u0000resilient-veto',
  key: '\u0000',
  algorithm: 'gcra',
  limit: 1,
  periodMs: 1,
  // burst 0: newTat - now = T > T * 0 — never admitted, and a denial creates no state
  burst: 0,
  cost: 1,
  dryRun: false,
  onFailure: 'local',
};

export function createResilientStore(options: ResilientStoreOptions): ResilientStore {
  const { primary, fallback } = options;
  const timeoutMs = options.timeoutMs ?? 50;
  const openAfterFailures = options.openAfterFailures ?? 3;
  const retryAfterMs = options.retryAfterMs ?? 1000;
  const clock = options.clock ?? (() => performance.now());
  if (!(timeoutMs > 0)) throw new RangeError(`timeoutMs must be positive, got ${timeoutMs}`);
  if (!Number.isInteger(openAfterFailures) || openAfterFailures < 1) throw new RangeError(`openAfterFailures must be a positive integer, got ${openAfterFailures}`);
  if (!(retryAfterMs > 0)) throw new RangeError(`retryAfterMs must be positive, got ${retryAfterMs}`);

  const stats: ResilientStoreStats = { calls: 0, failures: 0, timeouts: 0, shortCircuited: 0, probes: 0, opened: 0, degraded: 0, recordFailures: 0 };
  let state: BreakerState = 'closed';
  let consecutiveFailures = 0;
  /** clock() at which an open breaker lets the next probe through */
  let nextProbeAt = 0;

  function setState(next: BreakerState, error?: Error): void {
    if (next === state) return;
    state = next;
    if (next === 'open') stats.opened++;
    try {
      options.onStateChange?.(next, error);
    } catch {
      // a listener's fault must not break the request path
    }
  }

  function open(error: Error): void {
    nextProbeAt = clock() + retryAfterMs;
    setState('open', error);
  }

  /** whether a call may go to the primary: 'call', 'probe' (half-open), or 'skip' */
  function gate(): 'call' | 'probe' | 'skip' {
    if (state === 'closed') return 'call';
    if (state === 'open' && clock() >= nextProbeAt) {
      setState('half-open');
      return 'probe';
    }
    return 'skip';
  }

  // hot path: one timer per primary call
  async function attempt<T>(call: () => Promise<T>): Promise<Outcome<T>> {
    const pass = gate();
    if (pass === 'skip') {
      stats.shortCircuited++;
      return { ok: false, error: new LimiterUnavailableError('LIMITER_BREAKER_OPEN', 'the limiter store breaker is open') };
    }
    stats.calls++;
    if (pass === 'probe') stats.probes++;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let isTimeout = false;
    try {
      const pending = call();
      // a late failure after the timeout is expected: no unhandled rejection
      pending.catch(() => {});
      const value = await Promise.race([
        pending,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            isTimeout = true;
            reject(new LimiterUnavailableError('LIMITER_TIMEOUT', `the limiter store did not answer within ${timeoutMs} ms`));
          }, timeoutMs);
        }),
      ]);
      consecutiveFailures = 0;
      // only the probe's answer closes the breaker; a late answer of an older call does not
      if (pass === 'probe' || state === 'closed') setState('closed');
      return { ok: true, value };
    } catch (caught) {
      const error = caught instanceof Error ? caught : new Error(String(caught));
      if (isTimeout) stats.timeouts++;
      else stats.failures++;
      consecutiveFailures++;
      if (pass === 'probe' || (state === 'closed' && consecutiveFailures >= openAfterFailures)) open(error);
      return { ok: false, error };
    } finally {
      clearTimeout(timer);
    }
  }

  /** what a 'closed' check tells the client to wait: until the breaker's next probe */
  function closedWaitMs(): number {
    if (state !== 'open') return 1;
    return Math.max(1, Math.ceil(nextProbeAt - clock()));
  }

  function keepBans(result: EvaluateResult): void {
    // copies of the shared bans this instance has seen, for when Redis is away
    if (result.ban) fallback.addBan(result.ban).catch(() => {});
    for (const ban of result.newBans) fallback.addBan(ban).catch(() => {});
  }

  async function degrade(request: EvaluateRequest): Promise<EvaluateResult> {
    stats.degraded++;
    const { checks } = request;
    const locals: LimitCheck[] = [];
    let isRefusedByClosed = false;
    for (const check of checks) {
      if (check.onFailure === 'local') locals.push(check);
      else if (check.onFailure === 'closed' && !check.dryRun) isRefusedByClosed = true;
    }
    let local: EvaluateResult | null = null;
    if (locals.length > 0 || request.banKeys.length > 0) {
      try {
        local = await fallback.evaluate({
          banKeys: request.banKeys,
          checks: isRefusedByClosed && locals.length > 0 ? [...locals, VETO] : locals,
          // only the local checks' denials can count as violations there
          escalations: request.escalations,
          now: request.now,
        });
      } catch {
        local = null;
      }
      if (local?.ban) return { ban: local.ban, results: [], admitted: false, newBans: [], degraded: true };
    }
    const wait = closedWaitMs();
    const results: CheckResult[] = [];
    let admitted = true;
    let at = 0;
    for (const check of checks) {
      let result: CheckResult;
      if (check.onFailure === 'open') {
        result = { id: check.id, allowed: true, remaining: check.limit, resetMs: 0, retryAfterMs: 0, source: 'open' };
      } else if (check.onFailure === 'closed' || local === null) {
        // a fallback that failed too (closed) refuses its local checks
        result = { id: check.id, allowed: false, remaining: 0, resetMs: wait, retryAfterMs: wait, source: 'closed' };
        if (check.onFailure === 'local') at++;
      } else {
        const decided = local.results[at++] as CheckResult;
        result = { ...decided, id: check.id, source: 'local' };
      }
      if (!result.allowed && !check.dryRun) admitted = false;
      results.push(result);
    }
    return { ban: null, results, admitted, newBans: local?.newBans ?? [], degraded: true };
  }

  return {
    kind: primary.kind,

    get state() {
      return state;
    },

    get stats() {
      return stats;
    },

    async evaluate(request) {
      const outcome = await attempt(() => primary.evaluate(request));
      if (outcome.ok) {
        if (outcome.value.ban !== null || outcome.value.newBans.length > 0) keepBans(outcome.value);
        return outcome.value;
      }
      return degrade(request);
    },

    async record(checks, now) {
      const outcome = await attempt(() => primary.record(checks, now));
      if (outcome.ok) return;
      stats.recordFailures++;
      const locals = checks.filter((check) => check.onFailure === 'local');
      if (locals.length > 0) await fallback.record(locals, now).catch(() => {});
    },

    async addBan(ban: Ban) {
      await fallback.addBan(ban).catch(() => {});
      const outcome = await attempt(() => primary.addBan(ban));
      if (!outcome.ok) throw outcome.error;
    },

    async removeBan(key) {
      const local = await fallback.removeBan(key).catch(() => false);
      const outcome = await attempt(() => primary.removeBan(key));
      if (!outcome.ok) throw outcome.error;
      return outcome.value || local;
    },

    async listBans(now, limit) {
      const outcome = await attempt(() => primary.listBans(now, limit));
      if (!outcome.ok) throw outcome.error;
      return outcome.value;
    },

    async close() {
      await Promise.allSettled([primary.close(), fallback.close()]);
    },
  };
}

/** where the limiter's Redis is: a URL, or Cluster seed nodes ("host:port" or URLs) */
export type LimiterRedisTarget = string | { url: string } | { cluster: readonly string[] };

export interface LimiterRedisClientOptions {
  /** the resilient store's timeout; command and socket timeouts derive from it (default 50) */
  timeoutMs?: number;
  /** the longest pause between reconnection attempts (default 2000 ms) */
  maxReconnectDelayMs?: number;
  /** ms to wait for the TCP connection (default 2000) */
  connectTimeoutMs?: number;
}

/**
 * An ioredis client (or Cluster) made for the limiter's request path, where a
 * late answer is worth nothing and nothing may queue up while Redis is away:
 *
 *   - enableOfflineQueue false: while not connected a command fails at once
 *     instead of waiting in memory for a reconnection;
 *   - maxRetriesPerRequest 0 and autoResendUnfulfilledCommands false: commands
 *     in flight when the connection drops fail at once and are never sent again
 *     after a reconnection (a request already decided by its failure policy
 *     must not spend later);
 *   - commandTimeout 2 × timeoutMs (at least 100 ms): a command unanswered by
 *     then is rejected by the client too (the resilient store gave up at timeoutMs);
 *   - socketTimeout 20 × timeoutMs (at least 1 s): a connection with commands
 *     pending and no byte back for that long is destroyed and made again, which
 *     is how a hung (not closed) server is noticed: after that, commands fail
 *     at once until it answers again;
 *   - connectTimeout 2 s; lazyConnect false (connect at start-up);
 *   - retryStrategy: reconnect forever in the background with capped
 *     exponential backoff (50 ms doubling, up to maxReconnectDelayMs), so the
 *     breaker's probe finds Redis as soon as it is back, without a restart;
 *   - an 'error' listener, because ioredis reports every failed reconnection
 *     there; the breaker's state changes are what gets logged.
 * The store waits for the first connection (see createRedisLimiterStore) so
 * that a command-line tool need not.
 */
export function createLimiterRedisClient(target: LimiterRedisTarget, timeoutOrOptions: number | LimiterRedisClientOptions = {}): Redis | Cluster {
  const settings = typeof timeoutOrOptions === 'number' ? { timeoutMs: timeoutOrOptions } : timeoutOrOptions;
  const timeoutMs = settings.timeoutMs ?? 50;
  const maxDelay = settings.maxReconnectDelayMs ?? 2000;
  const retryStrategy = (times: number): number => Math.min(maxDelay, 50 * 2 ** Math.min(times, 16));
  const connection = {
    connectTimeout: settings.connectTimeoutMs ?? 2000,
    commandTimeout: Math.max(100, 2 * timeoutMs),
    socketTimeout: Math.max(1000, 20 * timeoutMs),
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    autoResubscribe: false,
    connectionName: 'apiwarden-limiter',
  } satisfies RedisOptions;
  let client: Redis | Cluster;
  if (typeof target === 'object' && 'cluster' in target) {
    const urls = target.cluster.map((node) => new URL(node.includes('://') ? node : `redis://${node}`));
    // "[::1]" → "::1"
    const nodes = urls.map((url) => ({ host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port || 6379) }));
    // credentials and TLS of the seed URLs apply to every node (a cluster shares them)
    const first = urls[0];
    const clusterOptions: ClusterOptions = {
      enableOfflineQueue: false,
      lazyConnect: false,
      clusterRetryStrategy: retryStrategy,
      redisOptions: {
        ...connection,
        ...(first?.username ? { username: decodeURIComponent(first.username) } : {}),
        ...(first?.password ? { password: decodeURIComponent(first.password) } : {}),
        ...(first?.protocol === 'rediss:' ? { tls: {} } : {}),
      },
    };
    client = new Cluster(nodes, clusterOptions);
  } else {
    const url = typeof target === 'string' ? target : target.url;
    client = new Redis(url, { ...connection, enableOfflineQueue: false, lazyConnect: false, retryStrategy });
  }
  client.on('error', () => {});
  return client;
}
