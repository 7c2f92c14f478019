/**
 * The limiter's runtime objects, made once per process from the policy's
 * `rateLimits` section and kept across reloads: the store (memory, or Redis
 * behind the circuit breaker with a bounded local fallback), the ban mirror,
 * the tarpit and the stage. Changing `rateLimits.store`, `redis`, `maxKeys`
 * or `tarpit` needs a restart; rules reload with the plan.
 */
import type { RateLimitsConfig } from '../config/types.ts';
import { createBanMirror, type BanMirror } from './ban-mirror.ts';
import { createSlowdowns, type Slowdowns } from './slowdowns.ts';
import { createMemoryLimiterStore } from './memory-store.ts';
import { createLimiterStage, type LimiterStage, type StoreTiming } from './stage.ts';
import { createTarpit, type Tarpit } from './tarpit.ts';
import type { LimiterStore } from './types.ts';

export interface LimiterRuntime {
  readonly store: LimiterStore;
  readonly bans: BanMirror;
  readonly tarpit: Tarpit;
  /** identities detection slows down (held in the tarpit) rather than refuses */
  readonly slowdowns: Slowdowns;
  readonly stage: LimiterStage;
  /** set `observe` to be told each store call's duration (the admin listener's metrics) */
  readonly storeTiming: StoreTiming;
  close(): Promise<void>;
}

export type LimiterLog = (level: 'info' | 'warn' | 'error', message: string, detail?: Record<string, unknown>) => void;

export async function createLimiterRuntime(config: RateLimitsConfig, log: LimiterLog): Promise<LimiterRuntime> {
  let store: LimiterStore;
  let closeClient: () => Promise<void> = async () => {};
  if (config.store === 'redis') {
    // loaded only when used: a memory-only gateway never loads ioredis
    const { createLimiterRedisClient, createResilientStore } = await import('./resilient-store.ts');
    const { createRedisLimiterStore } = await import('./redis-store.ts');
    const redis = createLimiterRedisClient(config.redis.cluster.length > 0 ? { cluster: config.redis.cluster } : { url: config.redis.url }, config.redis.timeoutMs);
    closeClient = async () => {
      redis.disconnect();
    };
    store = createResilientStore({
      primary: createRedisLimiterStore({ redis, prefix: config.redis.prefix, allowances: config.redis.localAllowance > 0 ? { share: config.redis.localAllowance, ttlMs: config.redis.leaseLifetimeMs } : false }),
      // the bounded local store that 'local' rules fall back on while Redis is away
      fallback: createMemoryLimiterStore({ maxKeys: Math.min(config.maxKeys, 100_000) }),
      timeoutMs: config.redis.timeoutMs,
      onStateChange: (state: string, error?: Error) => {
        const detail = { state, error: error ? String(error.message) : undefined };
        if (state === 'open') log('error', 'limiter store unreachable: rules follow their onFailure policy', detail);
        else log('info', `limiter store breaker ${state}`, detail);
      },
    });
  } else {
    store = createMemoryLimiterStore({ maxKeys: config.maxKeys });
  }
  const bans = createBanMirror(store, { onError: (error) => log('warn', 'ban list refresh failed; keeping the last one', { error: String(error) }) });
  await bans.refresh();
  const tarpit = createTarpit(config.tarpit);
  const storeTiming: StoreTiming = { observe: null };
  const stage = createLimiterStage(store, bans, (message, detail) => log('warn', message, detail), storeTiming);
  return {
    store,
    bans,
    tarpit,
    slowdowns: createSlowdowns(),
    stage,
    storeTiming,
    async close() {
      bans.stop();
      tarpit.releaseAll();
      await store.close();
      await closeClient();
    },
  };
}
