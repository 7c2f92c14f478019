/**
 * The resilient store: first against a fake primary (errors, hangs, a clock
 * the test moves), then against a redis-server of its own on a free loopback
 * port, which is frozen (SIGSTOP), thawed, killed and started again while
 * the same client and store keep serving requests.
 *
 * The only timing assertion is the breaker's bound: no evaluate() waits past
 * timeoutMs (+ a generous margin for a loaded machine).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { after, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { createMemoryLimiterStore } from './memory-store.ts';
import { createRedisLimiterStore } from './redis-store.ts';
import { createLimiterRedisClient, createResilientStore, type BreakerState } from './resilient-store.ts';
import type { Ban, BanEscalation, EvaluateRequest, FailurePolicy, LimitCheck, LimiterStore } from './types.ts';

const T0 = Date.UTC(2030, 0, 1);
const TIMEOUT_MS = 50;
/** the breaker bound: timeoutMs plus a margin for a slow, loaded test machine */
const BOUND_MS = TIMEOUT_MS + 400;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function check(id: string, onFailure: FailurePolicy, overrides: Partial<LimitCheck> = {}): LimitCheck {
  return { id, key: `k=${id}`, algorithm: 'gcra', limit: 2, periodMs: 60_000, burst: 2, cost: 1, dryRun: false, onFailure, ...overrides };
}

function request(checks: LimitCheck[], now = T0, more: Partial<EvaluateRequest> = {}): EvaluateRequest {
  return { banKeys: [], checks, escalations: [], now, ...more };
}

/** a primary that answers (a memory store), fails at once, or never answers */
function fakePrimary() {
  let mode: 'ok' | 'error' | 'hang' = 'ok';
  const inner = createMemoryLimiterStore();
  const counts = { calls: 0 };
  function gate<T>(call: () => Promise<T>): Promise<T> {
    counts.calls++;
    if (mode === 'error') return Promise.reject(new Error('connect ECONNREFUSED (fake)'));
    if (mode === 'hang') return new Promise<T>(() => {});
    return call();
  }
  const store: LimiterStore = {
    kind: 'redis',
    evaluate: (r) => gate(() => inner.evaluate(r)),
    record: (c, now) => gate(() => inner.record(c, now)),
    addBan: (ban) => gate(() => inner.addBan(ban)),
    removeBan: (key) => gate(() => inner.removeBan(key)),
    listBans: (now, limit) => gate(() => inner.listBans(now, limit)),
    close: () => inner.close(),
  };
  return {
    store,
    inner,
    counts,
    set mode(next: 'ok' | 'error' | 'hang') {
      mode = next;
    },
  };
}

function resilientOver(primary: LimiterStore, more: { openAfterFailures?: number; retryAfterMs?: number } = {}) {
  let time = 0;
  const states: BreakerState[] = [];
  const fallback = createMemoryLimiterStore({ maxKeys: 1000 });
  const store = createResilientStore({
    primary, fallback, timeoutMs: TIMEOUT_MS, retryAfterMs: 1000, ...more,
    clock: () => time,
    onStateChange: (state) => states.push(state),
  });
  return {
    store, fallback, states,
    advance(ms: number) {
      time += ms;
    },
  };
}

describe('resilient store (fake primary)', () => {
  it('passes the primary\'s answers through and copies the bans it reports into the fallback', async () => {
    const primary = fakePrimary();
    const { store, fallback } = resilientOver(primary.store);
    const ban: Ban = { key: 'ip:1', until: T0 + 60_000, level: 0, reason: 'operator' };
    await primary.inner.addBan(ban);
    const result = await store.evaluate(request([check('a', 'closed')], T0, { banKeys: ['ip:1'] }));
    assert.deepEqual(result, { ban, results: [], admitted: false, newBans: [], degraded: false });
    assert.deepEqual(await fallback.listBans(T0), [ban]);
    const passed = await store.evaluate(request([check('a', 'closed')]));
    assert.deepEqual(passed.results.map((r) => [r.allowed, r.source]), [[true, 'store']]);
    assert.equal(store.kind, 'redis');
    assert.equal(store.state, 'closed');
  });

  it('opens after consecutive failures, short-circuits, probes every retryAfterMs, closes on a good probe', async () => {
    const primary = fakePrimary();
    const { store, states, advance } = resilientOver(primary.store);
    primary.mode = 'error';
    const closed = check('c', 'closed');
    for (let i = 0; i < 2; i++) assert.equal((await store.evaluate(request([closed]))).degraded, true);
    assert.equal(store.state, 'closed', 'two failures: still closed');
    await store.evaluate(request([closed]));
    assert.equal(store.state, 'open');
    assert.equal(primary.counts.calls, 3);
    // open: the primary is not touched; a 'closed' check waits for the next probe
    advance(250);
    const refused = await store.evaluate(request([closed]));
    assert.equal(primary.counts.calls, 3);
    assert.deepEqual(refused.results[0], { id: 'c', allowed: false, remaining: 0, resetMs: 750, retryAfterMs: 750, source: 'closed' });
    advance(749);
    await store.evaluate(request([closed]));
    assert.equal(primary.counts.calls, 3, 'still 1 ms before the probe');
    // the probe fails: open again for another retryAfterMs
    advance(1);
    await store.evaluate(request([closed]));
    assert.equal(primary.counts.calls, 4);
    assert.equal(store.state, 'open');
    advance(999);
    await store.evaluate(request([closed]));
    assert.equal(primary.counts.calls, 4);
    // Redis is back: the next probe closes the breaker, and the store decides again
    primary.mode = 'ok';
    advance(1);
    const probed = await store.evaluate(request([closed]));
    assert.equal(probed.results[0]?.source, 'store');
    assert.equal(store.state, 'closed');
    assert.equal((await store.evaluate(request([closed]))).results[0]?.source, 'store');
    assert.deepEqual(states, ['open', 'half-open', 'open', 'half-open', 'closed']);
    assert.deepEqual({ ...store.stats }, { calls: 6, failures: 4, timeouts: 0, shortCircuited: 3, probes: 2, opened: 2, degraded: 7, recordFailures: 0 });
  });

  it('a hung primary: every evaluate answers within timeoutMs (breaker bound), then short-circuits', async () => {
    const primary = fakePrimary();
    const { store } = resilientOver(primary.store);
    primary.mode = 'hang';
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      const result = await store.evaluate(request([check('o', 'open')]));
      const took = performance.now() - started;
      assert.ok(took < BOUND_MS, `evaluate ${i} took ${took.toFixed(1)} ms`);
      assert.deepEqual(result.results.map((r) => r.source), ['open']);
    }
    assert.equal(store.state, 'open');
    assert.equal(store.stats.timeouts, 3);
    assert.equal(store.stats.shortCircuited, 2);
  });

  it('each check follows its policy: open admits, closed refuses, local is decided by the fallback', async () => {
    const primary = fakePrimary();
    const { store } = resilientOver(primary.store, { openAfterFailures: 1 });
    primary.mode = 'error';
    const open = check('o', 'open', { limit: 7 });
    const local = check('l', 'local');
    let result = await store.evaluate(request([open]));
    assert.deepEqual(result, {
      ban: null, admitted: true, newBans: [], degraded: true,
      results: [{ id: 'o', allowed: true, remaining: 7, resetMs: 0, retryAfterMs: 0, source: 'open' }],
    });
    const local1 = await store.evaluate(request([local, open]));
    const local2 = await store.evaluate(request([local, open]));
    const local3 = await store.evaluate(request([local, open]));
    assert.deepEqual([local1, local2, local3].map((r) => [r.admitted, r.results[0]?.allowed, r.results[0]?.remaining, r.results[0]?.source]), [
      [true, true, 1, 'local'],
      [true, true, 0, 'local'],
      [false, false, 0, 'local'],
    ]);
    assert.equal(local3.results[0]?.retryAfterMs, 30_000, 'the fallback\'s GCRA wait');
    // a dry-run 'closed' check is reported refused but does not refuse
    result = await store.evaluate(request([{ ...check('c', 'closed'), dryRun: true }, open]));
    assert.equal(result.admitted, true);
    assert.deepEqual(result.results.map((r) => [r.allowed, r.source]), [[false, 'closed'], [true, 'open']]);
  });

  it('a request refused by a closed check spends nothing locally; closed denials are no violations, local ones are', async () => {
    const primary = fakePrimary();
    const { store } = resilientOver(primary.store, { openAfterFailures: 1 });
    primary.mode = 'error';
    const closed = check('c', 'closed');
    const local = check('l', 'local', { limit: 1, burst: 1 });
    const escalations: BanEscalation[] = [
      { checkIds: ['c'], banKey: 'ip:closed', after: 1, withinMs: 60_000, durationsMs: [60_000], resetAfterMs: 60_000, reason: 'closed-rule' },
      { checkIds: ['l'], banKey: 'ip:local', after: 1, withinMs: 60_000, durationsMs: [60_000], resetAfterMs: 60_000, reason: 'local-rule' },
    ];
    const refused = await store.evaluate(request([closed, local], T0, { escalations }));
    assert.equal(refused.admitted, false);
    assert.deepEqual(refused.results.map((r) => [r.allowed, r.source]), [[false, 'closed'], [true, 'local']]);
    assert.deepEqual(refused.newBans, [], 'Redis being down is no violation');
    // the local window was not spent by the refused request
    assert.equal((await store.evaluate(request([local], T0, { escalations }))).admitted, true);
    const denied = await store.evaluate(request([local], T0 + 1, { escalations }));
    assert.equal(denied.admitted, false);
    assert.deepEqual(denied.newBans, [{ key: 'ip:local', until: T0 + 1 + 60_000, level: 1, reason: 'local-rule' }]);
    // the fallback's bans apply while degraded
    const banned = await store.evaluate(request([check('o', 'open')], T0 + 2, { banKeys: ['ip:local'] }));
    assert.deepEqual(banned, { ban: denied.newBans[0], results: [], admitted: false, newBans: [], degraded: true });
  });

  it('record() never throws: the failure is counted and local checks are spent on the fallback', async () => {
    const primary = fakePrimary();
    const { store } = resilientOver(primary.store);
    primary.mode = 'error';
    const local = check('l', 'local', { limit: 1, burst: 1 });
    await store.record([local, check('o', 'open')], T0);
    assert.equal(store.stats.recordFailures, 1);
    const result = await store.evaluate(request([local]));
    assert.deepEqual(result.results.map((r) => [r.allowed, r.source]), [[false, 'local']]);
    primary.mode = 'hang';
    await store.record([local], T0);
    assert.equal(store.stats.recordFailures, 2);
  });

  it('operator bans: kept in the fallback too; errors reach the operator; listBans never answers with local bans', async () => {
    const primary = fakePrimary();
    const { store, fallback } = resilientOver(primary.store, { openAfterFailures: 1 });
    const ban: Ban = { key: 'ip:9', until: T0 + 1000, level: 0, reason: 'operator' };
    await store.addBan(ban);
    assert.deepEqual(await primary.inner.listBans(T0), [ban]);
    assert.deepEqual(await store.listBans(T0), [ban]);
    primary.mode = 'error';
    const other: Ban = { ...ban, key: 'ip:10' };
    await assert.rejects(store.addBan(other), /ECONNREFUSED/);
    assert.deepEqual(await fallback.listBans(T0), [other, ban], 'ties: by key');
    await assert.rejects(store.listBans(T0), (error: Error & { code?: string }) => error.code === 'LIMITER_BREAKER_OPEN');
    await assert.rejects(store.removeBan('ip:9'), /open/);
    assert.deepEqual(await fallback.listBans(T0), [other], 'removed locally all the same');
  });

  it('a throwing onStateChange listener does not break the request path', async () => {
    const primary = fakePrimary();
    const store = createResilientStore({
      primary: primary.store, fallback: createMemoryLimiterStore(), openAfterFailures: 1,
      onStateChange: () => {
        throw new Error('listener bug');
      },
    });
    primary.mode = 'error';
    assert.equal((await store.evaluate(request([check('o', 'open')]))).admitted, true);
    assert.equal(store.state, 'open');
  });
});

// -- against a redis-server of our own ---------------------------------------

function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null && address.port !== 6379 ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

let server: ChildProcess | null = null;

async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], { stdio: 'ignore' });
  server = child;
  for (let i = 0; ; i++) {
    if (spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout?.trim() === 'PONG') return child;
    if (child.exitCode !== null || i >= 100) throw new Error(`redis-server on ${port} did not start`);
    await sleep(50);
  }
}

async function stopRedis(signal: NodeJS.Signals): Promise<void> {
  const child = server;
  server = null;
  if (child === null || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  await exited;
}

// SIGKILL also ends a stopped (SIGSTOP) process
after(() => stopRedis('SIGKILL'));
process.once('exit', () => server?.kill('SIGKILL'));

const skipServer = hasRedisServer() ? false : 'redis-server not installed';

describe('resilient store over a real redis-server that hangs and dies', { skip: skipServer }, () => {
  /** a fresh setup per test: its own server, client, stores */
  async function setup() {
    const port = await freePort();
    await startRedis(port);
    const redis = createLimiterRedisClient(`redis://127.0.0.1:${port}`, { timeoutMs: TIMEOUT_MS, maxReconnectDelayMs: 200 }) as Redis;
    const primary = createRedisLimiterStore({ redis, prefix: `awfail-${randomUUID().slice(0, 8)}:` });
    const states: { state: BreakerState; error?: string }[] = [];
    const store = createResilientStore({
      primary, fallback: createMemoryLimiterStore({ maxKeys: 1000 }), timeoutMs: TIMEOUT_MS, openAfterFailures: 3, retryAfterMs: 300,
      onStateChange: (state, error) => states.push({ state, error: error?.message }),
    });
    return { port, redis, store, states };
  }

  /** the three policies while Redis cannot answer; every evaluate within the bound */
  async function assertPoliciesHold(store: ReturnType<typeof createResilientStore>, tag: string): Promise<void> {
    const open = check(`${tag}-open`, 'open');
    const closed = check(`${tag}-closed`, 'closed');
    const local = check(`${tag}-local`, 'local', { limit: 2, burst: 2 });
    const timed = async (req: EvaluateRequest) => {
      const started = performance.now();
      const result = await store.evaluate(req);
      const took = performance.now() - started;
      assert.ok(took < BOUND_MS, `evaluate took ${took.toFixed(1)} ms (timeout ${TIMEOUT_MS} ms)`);
      assert.equal(result.degraded, true);
      return result;
    };
    for (let i = 0; i < 4; i++) {
      const admitted = await timed(request([open]));
      assert.deepEqual([admitted.admitted, admitted.results[0]?.source], [true, 'open']);
      const refused = await timed(request([closed]));
      assert.deepEqual([refused.admitted, refused.results[0]?.source], [false, 'closed']);
      assert.ok((refused.results[0]?.retryAfterMs ?? 0) >= 1);
    }
    const decided = [];
    for (let i = 0; i < 3; i++) decided.push(await timed(request([local])));
    assert.deepEqual(decided.map((r) => [r.admitted, r.results[0]?.source]), [[true, 'local'], [true, 'local'], [false, 'local']]);
    // record() neither throws nor waits past the bound
    const started = performance.now();
    await store.record([open], T0);
    assert.ok(performance.now() - started < BOUND_MS);
    assert.equal(store.state, 'open');
  }

  /** evaluates (bounded: ~10 s) until the store decides again; returns the attempts */
  async function waitForStore(store: ReturnType<typeof createResilientStore>, tag: string): Promise<number> {
    // a 'closed' check: refused by its policy until the store answers, then admitted by it
    const probe = check(`${tag}-probe`, 'closed', { limit: 1000, burst: 1000 });
    for (let attempt = 1; attempt <= 100; attempt++) {
      const result = await store.evaluate(request([probe]));
      if (result.results[0]?.source === 'store') {
        assert.deepEqual([result.degraded, result.admitted], [false, true]);
        assert.equal(store.state, 'closed');
        return attempt;
      }
      await sleep(100);
    }
    assert.fail(`the store did not decide again (state ${store.state})`);
  }

  it('SIGSTOP: policies hold within the timeout, the breaker opens; SIGCONT: Redis decides again', async () => {
    const { redis, store, states } = await setup();
    try {
      // healthy (the first call also connects: on a loaded machine it may miss the 50 ms)
      await waitForStore(store, 'healthy');
      const healthyOpens = store.stats.opened;

      process.kill(server!.pid!, 'SIGSTOP');
      await assertPoliciesHold(store, 'stop');
      assert.ok(store.stats.opened > healthyOpens, 'the breaker opened');
      assert.equal(states.at(-1)?.state, 'open');
      assert.ok(store.stats.timeouts >= 1, 'a frozen server times out');
      assert.ok(store.stats.shortCircuited >= 1, 'then the breaker spares it');

      process.kill(server!.pid!, 'SIGCONT');
      await waitForStore(store, 'cont');
      assert.equal(states.at(-1)?.state, 'closed');
    } finally {
      redis.disconnect();
      await stopRedis('SIGKILL');
    }
  });

  it('SIGTERM and a restart on the same port: policies hold, then the same client recovers', async () => {
    const { port, redis, store, states } = await setup();
    try {
      await waitForStore(store, 'healthy');
      const healthyOpens = store.stats.opened;

      await stopRedis('SIGTERM');
      await assertPoliciesHold(store, 'down');
      assert.ok(store.stats.opened > healthyOpens, 'the breaker opened');
      const opened = states.findLast((s) => s.state === 'open');
      assert.ok(opened?.error, 'the error that opened the breaker is reported');

      await startRedis(port);
      await waitForStore(store, 'up');
      assert.equal(states.at(-1)?.state, 'closed');
    } finally {
      redis.disconnect();
      await stopRedis('SIGKILL');
    }
  });
});
