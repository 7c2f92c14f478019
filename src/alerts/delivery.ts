/**
 * Delivery to one sink: a bounded queue, one attempt in flight at a time
 * (so a 'resolved' never overtakes its 'firing'), retries with exponential
 * backoff and jitter, counters, and logs that never carry the sink's secrets.
 *
 * `enqueue` is synchronous and never throws: the manager's signal() and
 * tick() must return at once whatever the receivers do. Everything after it
 * runs on promises whose failures are caught here.
 */
import { createScrubber, createStderrLogger, safeLog } from './logger.ts';
import { SinkError } from './sink-error.ts';
import type { AlertLogger, Notification, Sink } from './types.ts';

export interface DeliveryOptions {
  /** attempts per notification, the first included (default 5) */
  maxAttempts?: number;
  /** the first retry waits about this long; each next one twice as long (default 500 ms) */
  baseDelayMs?: number;
  /** no wait is longer than this, Retry-After included (default 30 s) */
  maxDelayMs?: number;
  /** notifications waiting per sink; past it the oldest waiting one is dropped (default 1000) */
  maxQueue?: number;
  /**
   * A guard above the sink's own timeout: an attempt still pending after this
   * counts as failed, so a sink that hangs cannot stall its queue (default 30 s).
   */
  attemptTimeoutMs?: number;
  logger?: AlertLogger;
  /** for tests: the jitter source (default Math.random) */
  random?: () => number;
}

export interface SinkStats {
  name: string;
  /** delivered */
  sent: number;
  /** given up on: attempts exhausted or refused by the receiver */
  failed: number;
  /** never attempted to the end: pushed out of a full queue, or still queued at close() */
  dropped: number;
  /** attempts after the first */
  retried: number;
  queued: number;
  isInFlight: boolean;
}

export interface Delivery {
  readonly name: string;
  readonly sink: Sink;
  enqueue(notification: Notification): void;
  stats(): SinkStats;
  /** Resolves when nothing is queued or in flight (tests; a graceful shutdown). Never rejects. */
  drain(): Promise<void>;
  /** Stops: cancels a waiting retry, drops what is queued, closes the sink. Never rejects. */
  close(): Promise<void>;
}

export const DELIVERY_DEFAULTS = {
  maxAttempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxQueue: 1000,
  attemptTimeoutMs: 30_000,
} as const;

/**
 * The wait before attempt `attempt + 1`: base·2^(attempt-1), capped, then
 * "equal jitter" (half fixed, half random) so that sinks that failed together
 * do not retry together, yet never retry at once.
 */
export function backoffDelay(attempt: number, o: { baseDelayMs: number; maxDelayMs: number }, random: () => number, retryAfterMs: number | null): number {
  const exp = Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** Math.min(attempt - 1, 30));
  const jittered = exp / 2 + random() * (exp / 2);
  return Math.min(o.maxDelayMs, Math.max(jittered, retryAfterMs ?? 0));
}

function attemptWithTimeout(sink: Sink, n: Notification, ms: number): Promise<void> {
  // Promise.resolve().then: a sink that throws synchronously becomes a rejection like any other.
  const attempt = Promise.resolve().then(() => sink.send(n));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SinkError('ALERT_SINK_UNAVAILABLE', `no answer within ${ms} ms`)), ms);
  });
  attempt.catch(() => {}); // a late failure after the guard fired is not unhandled
  return Promise.race([attempt, guard]).finally(() => clearTimeout(timer));
}

export function createDelivery(sink: Sink, options: DeliveryOptions = {}): Delivery {
  const o = { ...DELIVERY_DEFAULTS, ...definedOnly(options) };
  const logger = options.logger ?? createStderrLogger();
  const random = options.random ?? Math.random;
  const scrub = createScrubber(sink.redact ?? []);
  const name = sink.name;

  const queue: Notification[] = [];
  const counts = { sent: 0, failed: 0, dropped: 0, retried: 0 };
  let isRunning = false;
  let isClosed = false;
  let idleWaiters: Array<() => void> = [];
  let cancelWait: (() => void) | null = null;

  const about = (n: Notification): Record<string, unknown> => ({
    sink: name,
    notification: n.id,
    kind: n.kind,
    ...(n.kind === 'digest' ? {} : { fingerprint: n.alert.fingerprint, rule: n.alert.rule }),
  });
  const reason = (err: unknown): Record<string, unknown> => ({
    code: err instanceof SinkError ? err.code : 'ALERT_SINK_UNAVAILABLE',
    error: scrub(err instanceof Error ? err.message : String(err)),
  });

  const wait = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        cancelWait = null;
        resolve();
      }, ms);
      cancelWait = () => {
        clearTimeout(timer);
        cancelWait = null;
        resolve();
      };
    });

  async function deliver(n: Notification): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await attemptWithTimeout(sink, n, o.attemptTimeoutMs);
        counts.sent++;
        return;
      } catch (err) {
        const isRetryable = !(err instanceof SinkError) || err.isRetryable;
        if (!isRetryable || attempt >= o.maxAttempts) {
          counts.failed++;
          safeLog(logger, 'error', { ...about(n), attempts: attempt, ...reason(err) },
            isRetryable ? 'alert notification not delivered: attempts exhausted' : 'alert notification refused by the receiver; not retried');
          return;
        }
        if (isClosed) {
          counts.dropped++;
          return;
        }
        const delayMs = backoffDelay(attempt, o, random, err instanceof SinkError ? err.retryAfterMs : null);
        safeLog(logger, 'warn', { ...about(n), attempt, retryInMs: Math.round(delayMs), ...reason(err) }, 'alert notification attempt failed; will retry');
        await wait(delayMs);
        if (isClosed) {
          counts.dropped++;
          return;
        }
        counts.retried++;
      }
    }
  }

  async function run(): Promise<void> {
    try {
      for (let n = queue.shift(); n !== undefined && !isClosed; n = queue.shift()) await deliver(n);
    } catch (err) {
      // deliver() catches everything; this is for a bug, which must still not become an unhandled rejection
      safeLog(logger, 'error', { sink: name, ...reason(err) }, 'alert delivery loop failed');
    } finally {
      isRunning = false;
      if (queue.length > 0 && !isClosed) start();
      else {
        const waiters = idleWaiters;
        idleWaiters = [];
        for (const w of waiters) w();
      }
    }
  }

  function start(): void {
    isRunning = true;
    void run();
  }

  return {
    name,
    sink,
    enqueue(n) {
      if (isClosed) {
        counts.dropped++;
        return;
      }
      if (queue.length >= o.maxQueue) {
        const oldest = queue.shift()!;
        counts.dropped++;
        safeLog(logger, 'warn', { ...about(oldest), dropped: counts.dropped, maxQueue: o.maxQueue }, 'alert delivery queue full; dropped the oldest notification');
      }
      queue.push(n);
      if (!isRunning) start();
    },
    stats: () => ({ name, ...counts, queued: queue.length, isInFlight: isRunning }),
    drain: () => (isRunning ? new Promise<void>((resolve) => idleWaiters.push(resolve)) : Promise.resolve()),
    async close() {
      if (isClosed) return;
      isClosed = true;
      counts.dropped += queue.length;
      queue.length = 0;
      cancelWait?.();
      if (isRunning) await new Promise<void>((resolve) => idleWaiters.push(resolve));
      try {
        await sink.close?.();
      } catch (err) {
        safeLog(logger, 'warn', { sink: name, ...reason(err) }, 'closing alert sink failed');
      }
    },
  };
}

/** Options without the keys set to undefined, so they do not hide the defaults when spread. */
function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<T>;
}
