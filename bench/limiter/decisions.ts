/**
 * Limiter decisions per second, apiwarden against rate-limiter-flexible
 * (RLF), in one run, with the same rules and the same keys:
 *
 *   memory  apiwarden's memory store vs RLF's RateLimiterMemory, in-process,
 *           one decision after the other: apiwarden's evaluateSync() (what
 *           the gateway calls on a memory store, src/limiter/stage.ts) and
 *           its awaited evaluate(); RLF's promise, awaited;
 *   redis   apiwarden's Redis store vs RLF's RateLimiterRedis (ioredis), 64
 *           decisions in flight on one connection each; Redis round trips
 *           (commands the client sent) and Redis commands (INFO commandstats,
 *           those run inside scripts included) per decision;
 *   ceiling redis-benchmark on the same server: a trivial EVALSHA, and each
 *           limiter's own script, with 64 connections and with one pipelined
 *           connection, so the Node numbers read as a share of what Redis
 *           can take.
 *
 * Rules: "one" = 100 per 1 s; "three" = 10/s, 600/min, 20000/day (apiwarden:
 * one GCRA window and two sliding windows in one call, as the policy
 * `limits: [10/1s, 600/1m, 20000/1d]` compiles; RLF: three limiters, either
 * in a RateLimiterUnion or consumed one after the other). Regimes: "under"
 * = 100,000 keys round-robin, so no key reaches its limit and every decision
 * admits; "over" = 100 keys, so nearly every decision is a refusal. A mixed
 * regime would not be the same work for both: the faster limiter would see
 * more requests per key and refuse a larger share.
 *
 * Each case runs in a fresh Node process (`--case`), warm-up (Redis cases: also until every key
 * was asked three times, so that local state reaches its steady state) then measure;
 * the parent waits for a quiet machine before each one, measures other
 * people's CPU during it and writes bench/limiter/results/<time>-decisions.json
 * and .md. Redis keys live under a random prefix and are deleted after
 * each case (and once more at the end).
 *
 *   node bench/limiter/decisions.ts                      # everything, ~8 min
 *   node bench/limiter/decisions.ts --only memory        # memory, ceiling or redis (comma-separated)
 *   node bench/limiter/decisions.ts --runs 2             # two passes, to judge the noise
 *   node bench/limiter/decisions.ts --report bench/limiter/results/<file>.json
 *   APIWARDEN_SRC=/tmp/patched/src node bench/limiter/decisions.ts --only memory   # a patched copy
 */

import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterUnion } from 'rate-limiter-flexible';
import type * as MemoryStoreModule from '../../src/limiter/memory-store.ts';
import type * as RedisStoreModule from '../../src/limiter/redis-store.ts';
import type * as ResilientStoreModule from '../../src/limiter/resilient-store.ts';
import type { EvaluateRequest, LimitCheck, LimiterStore } from '../../src/limiter/types.ts';
import { machine, ROOT } from '../proxy/lib.ts';
import {
  assertLoopbackRedis, callsBetween, commandCalls, commandTime, countKeys, deleteKeys, fmtInt, mean, pct, ratio, redisInfo, RESULTS_DIR, stamp, waitQuiet, watchOthers,
} from './common.ts';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '3' },
    'keys-under': { type: 'string', default: '100000' },
    'keys-over': { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '64' },
    redis: { type: 'string', default: 'redis://127.0.0.1:6379' },
    only: { type: 'string', default: 'memory,ceiling,redis' },
    runs: { type: 'string', default: '1' },
    report: { type: 'string' },
    // internal: run one case in this process and print its result
    case: { type: 'string' },
    prefix: { type: 'string' },
  },
});

const SELF = fileURLToPath(import.meta.url);

/**
 * The apiwarden sources measured: src/ by default; APIWARDEN_SRC=<dir> runs
 * the same cases against another copy (a patched one, for before/after
 * numbers of a change to the limiter).
 */
const SRC = resolve(ROOT, process.env.APIWARDEN_SRC ?? 'src');
const { createMemoryLimiterStore } = (await import(join(SRC, 'limiter/memory-store.ts'))) as typeof MemoryStoreModule;
const { createRedisLimiterStore, evaluationCall, LIMITER_FUNCTION, LIMITER_LIBRARY, LIMITER_LUA } = (await import(join(SRC, 'limiter/redis-store.ts'))) as typeof RedisStoreModule;
const { createLimiterRedisClient, createResilientStore } = (await import(join(SRC, 'limiter/resilient-store.ts'))) as typeof ResilientStoreModule;

type Group = 'memory' | 'redis';
type RuleSet = 'one' | 'three';
type Regime = 'under' | 'over';
type Impl = 'apiwarden' | 'apiwarden-exact' | 'apiwarden-sync' | 'apiwarden-gateway' | 'rlf' | 'rlf-seq' | 'rlf-block';

interface Case {
  id: string;
  group: Group;
  rule: RuleSet;
  regime: Regime;
  impl: Impl;
}

const IMPL_LABELS: Record<Group, Partial<Record<Impl, string>>> = {
  memory: {
    apiwarden: 'apiwarden memory store, `await evaluate()`',
    'apiwarden-sync': 'apiwarden memory store as the gateway calls it, `evaluateSync()`',
    rlf: 'RLF RateLimiterMemory (three windows: RateLimiterUnion)',
    'rlf-seq': 'RLF, three RateLimiterMemory consumed in sequence',
  },
  redis: {
    apiwarden: 'apiwarden Redis store with local allowances leased from Redis (1/16, the default)',
    'apiwarden-exact': 'apiwarden Redis store, every decision in Redis (`localAllowance: 0`)',
    'apiwarden-gateway': 'apiwarden Redis store as the gateway calls it by default (breaker + 2 ban keys, allowances 1/16)',
    rlf: 'RLF RateLimiterRedis (three windows: RateLimiterUnion)',
    'rlf-seq': 'RLF, three RateLimiterRedis consumed in sequence',
    // RLF's own local refusal: a key over its points is refused in memory until msBeforeNext
    'rlf-block': 'RLF RateLimiterRedis with inMemoryBlockOnConsumed (its local refusal, like apiwarden\'s refusal cache)',
  },
};

const RULE_LABELS: Record<RuleSet, string> = {
  one: 'one window: 100 per 1 s',
  three: 'three windows: 10/s, 600/min, 20000/day',
};

function allCases(): Case[] {
  const cases: Case[] = [];
  for (const group of ['memory', 'redis'] as const) {
    for (const rule of ['one', 'three'] as const) {
      for (const regime of ['under', 'over'] as const) {
        const impls: Impl[] = group === 'memory' ? ['apiwarden', 'apiwarden-sync', 'rlf'] : ['apiwarden', 'apiwarden-exact', 'apiwarden-gateway', 'rlf', 'rlf-block'];
        if (rule === 'three') impls.push('rlf-seq');
        for (const impl of impls) cases.push({ id: `${group}.${rule}.${regime}.${impl}`, group, rule, regime, impl });
      }
    }
  }
  return cases;
}

// ---------------------------------------------------------------- one case (child process)

interface CaseResult {
  case: Case;
  keys: number;
  concurrency: number;
  decisions: number;
  seconds: number;
  rate: number;
  admittedShare: number;
  /** redis: commands the client sent (round trips) per decision */
  roundTripsPerDecision?: number;
  /** redis: commands Redis ran per decision (INFO commandstats; commands inside scripts included) */
  redisCommandsPerDecision?: number;
  redisCommands?: Record<string, number>;
  /** apiwarden (Redis): share of decisions admitted from local allowances, without a call */
  localShare?: number;
  /** apiwarden-gateway: decisions made by failure policies (timeouts) */
  degraded?: number;
  errors?: number;
  keysDeleted?: number;
  /** redis: CPU time per decision, µs: this (client) process, and the Redis server (INFO cpu) */
  clientCpuUs?: number;
  redisCpuUs?: number;
  othersCpu?: number;
}

/** keys as the gateway composes them for a rule keyed on the address ("ip=<address>"); RLF gets the address */
function addresses(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`);
}

/** apiwarden's checks for one request, built per request as src/limiter/stage.ts does */
function checksFor(rule: RuleSet, key: string): LimitCheck[] {
  if (rule === 'one') {
    return [{ id: 'per-ip#0', key, algorithm: 'gcra', limit: 100, periodMs: 1000, burst: 100, cost: 1, dryRun: false, onFailure: 'local' }];
  }
  return [
    { id: 'everyone#0', key, algorithm: 'gcra', limit: 10, periodMs: 1000, burst: 10, cost: 1, dryRun: false, onFailure: 'local' },
    { id: 'everyone#1', key, algorithm: 'sliding', limit: 600, periodMs: 60_000, burst: 600, cost: 1, dryRun: false, onFailure: 'local' },
    { id: 'everyone#2', key, algorithm: 'sliding', limit: 20_000, periodMs: 86_400_000, burst: 20_000, cost: 1, dryRun: false, onFailure: 'local' },
  ];
}

const RLF_WINDOWS: Record<RuleSet, Array<{ points: number; duration: number }>> = {
  one: [{ points: 100, duration: 1 }],
  three: [{ points: 10, duration: 1 }, { points: 600, duration: 60 }, { points: 20_000, duration: 86_400 }],
};

type Decide = (i: number) => Promise<boolean> | boolean;

/** RLF's decision for one key: a union (parallel) or a sequence of limiters; a rejection is a refusal */
function rlfDecide(limiters: Array<RateLimiterMemory | RateLimiterRedis>, impl: Impl, keys: string[]): Decide {
  const n = keys.length;
  if (limiters.length === 1) {
    const l = limiters[0]!;
    return (i) => l.consume(keys[i % n]!).then(() => true, refusedOrThrow);
  }
  if (impl === 'rlf-seq') {
    return async (i) => {
      const key = keys[i % n]!;
      try {
        for (const l of limiters) await l.consume(key);
        return true;
      } catch (error) {
        return refusedOrThrow(error);
      }
    };
  }
  const union = new RateLimiterUnion(...limiters);
  return (i) => union.consume(keys[i % n]!).then(() => true, refusedOrThrow);
}

/**
 * RLF rejects with its result (RateLimiterRes, or an object of them for a
 * union) when over the limit, and with an Error when the store failed.
 */
function refusedOrThrow(reason: unknown): boolean {
  if (reason instanceof Error) throw reason;
  return false;
}

async function runCase(c: Case): Promise<CaseResult> {
  const warmupMs = Number(values.warmup) * 1000;
  const durationMs = Number(values.duration) * 1000;
  const n = c.regime === 'under' ? Number(values['keys-under']) : Number(values['keys-over']);
  const ips = addresses(n);
  const awKeys = ips.map((ip) => `ip=${ip}`);
  return c.group === 'memory' ? runMemoryCase(c, n, ips, awKeys, warmupMs, durationMs) : runRedisCase(c, n, ips, awKeys, warmupMs, durationMs);
}

async function runMemoryCase(c: Case, n: number, ips: string[], awKeys: string[], warmupMs: number, durationMs: number): Promise<CaseResult> {
  let decide: Decide;
  if (c.impl === 'apiwarden' || c.impl === 'apiwarden-sync') {
    const store = createMemoryLimiterStore({ maxKeys: 1_000_000 });
    const isSync = c.impl === 'apiwarden-sync';
    decide = (i) => {
      const request: EvaluateRequest = { banKeys: [], checks: checksFor(c.rule, awKeys[i % n]!), escalations: [], now: Date.now() };
      return isSync ? store.evaluateSync(request).admitted : store.evaluate(request).then((r) => r.admitted);
    };
  } else {
    const limiters = RLF_WINDOWS[c.rule].map((w, j) => new RateLimiterMemory({ keyPrefix: `w${j}`, ...w }));
    decide = rlfDecide(limiters, c.impl, ips);
  }

  // one decision after the other; the clock is read every 256 decisions
  let i = 0;
  let admitted = 0;
  const runFor = async (ms: number): Promise<void> => {
    const end = performance.now() + ms;
    while (performance.now() < end) {
      for (let j = 0; j < 256; j++) {
        const r = decide(i++);
        if (typeof r === 'boolean' ? r : await r) admitted++;
      }
    }
  };
  await runFor(warmupMs);
  const i0 = i;
  const a0 = admitted;
  const t0 = performance.now();
  await runFor(durationMs);
  const seconds = (performance.now() - t0) / 1000;
  const decisions = i - i0;
  return { case: c, keys: n, concurrency: 1, decisions, seconds, rate: decisions / seconds, admittedShare: (admitted - a0) / decisions };
}

/** counts the commands a client sends: each is one request on the wire, i.e. one round trip (pipelined or not) */
function countCommands(client: Redis, counter: { n: number }): void {
  const send = client.sendCommand.bind(client);
  client.sendCommand = ((command: Parameters<Redis['sendCommand']>[0], stream?: Parameters<Redis['sendCommand']>[1]) => {
    counter.n++;
    return send(command, stream);
  }) as Redis['sendCommand'];
}

async function ready(client: Redis): Promise<void> {
  if (client.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('Redis not ready after 5 s')), 5000);
    client.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** decisions a closed loop makes between two yields to the event loop */
const YIELD_EVERY = 16;

async function runRedisCase(c: Case, n: number, ips: string[], awKeys: string[], warmupMs: number, durationMs: number): Promise<CaseResult> {
  const url = values.redis;
  assertLoopbackRedis(url);
  const prefix = `${values.prefix ?? `awbench-${randomBytes(4).toString('hex')}:`}${c.id}:`;
  const concurrency = Number(values.concurrency);
  const admin = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1 });
  const sent = { n: 0 };
  let degraded = 0;
  let client: Redis;
  let decide: Decide;
  let close: () => Promise<void> = async () => {};

  let localAdmissions = (): number => 0;
  if (c.impl === 'apiwarden' || c.impl === 'apiwarden-exact' || c.impl === 'apiwarden-gateway') {
    if (c.impl !== 'apiwarden-gateway') {
      // the same client settings as RLF's below
      client = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    } else {
      // what src/limiter/runtime.ts builds: the limiter client (50 ms budget), behind the breaker
      client = createLimiterRedisClient(url, 50) as Redis;
    }
    await ready(client);
    countCommands(client, sent);
    const redisStore = createRedisLimiterStore({ redis: client, prefix, ...(c.impl === 'apiwarden-exact' ? { allowances: false } : {}) });
    localAdmissions = () => redisStore.localAdmissions;
    let store: LimiterStore = redisStore;
    const isGateway = c.impl === 'apiwarden-gateway';
    if (isGateway) {
      store = createResilientStore({ primary: store, fallback: createMemoryLimiterStore({ maxKeys: 100_000 }), timeoutMs: 50 });
    }
    decide = async (i) => {
      const k = i % n;
      const ip = ips[k]!;
      // the gateway always sends the address and its /24 as ban keys (src/limiter/stage.ts banKeysOf)
      const banKeys = isGateway ? [`ip:${ip}`, `subnet:${ip.slice(0, ip.lastIndexOf('.'))}.0/24`] : [];
      const r = await store.evaluate({ banKeys, checks: checksFor(c.rule, awKeys[k]!), escalations: [], now: Date.now() });
      if (r.degraded) degraded++;
      return r.admitted;
    };
    close = () => store.close();
  } else {
    client = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    await ready(client);
    countCommands(client, sent);
    const isBlock = c.impl === 'rlf-block';
    const limiters = RLF_WINDOWS[c.rule].map((w, j) => new RateLimiterRedis({
      storeClient: client, keyPrefix: `${prefix}w${j}`, ...w,
      // duration 0: blocked until the key's window ends (msBeforeNext), as exact as RLF gets
      ...(isBlock ? { inMemoryBlockOnConsumed: w.points + 1, inMemoryBlockDuration: 0 } : {}),
    }));
    decide = rlfDecide(limiters, isBlock ? 'rlf' : c.impl, ips);
  }
  await ready(admin);

  // `concurrency` loops, each awaiting its decision before the next: that many in flight
  let next = 0;
  let done = 0;
  let admitted = 0;
  let errors = 0;
  let isStopping = false;
  const loop = async (): Promise<void> => {
    let sinceYield = 0;
    while (!isStopping) {
      try {
        if (await decide(next++)) admitted++;
      } catch {
        errors++;
      }
      done++;
      // a limiter that answers from memory (a cached refusal, RLF's in-memory block, the breaker's
      // fallback) resolves without I/O: without a yield the loops would starve the timers that end
      // the measurement and the socket's replies. Every 16 decisions a loop: the 64 loops answer at
      // most ~1,000 decisions between two reads of the socket (a gateway reads its sockets between
      // requests). Every 256 had let a Redis reply wait past the breaker's 50 ms timeout while
      // ~16,000 decisions ran, which opened the breaker and kept it open.
      if (++sinceYield === YIELD_EVERY) {
        sinceYield = 0;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
  };
  const loops = Array.from({ length: concurrency }, loop);
  // warm-up: at least `warmup`, and until every key has been asked three times (at most 30 s), so
  // that the measurement sees each limiter's steady state: apiwarden leases units to a request
  // that comes back (its second visit) and uses them on the third; at ~30,000 decisions/s the
  // 100,000 keys take 3.3 s a round
  const warmupEnd = performance.now() + Math.max(warmupMs, 0);
  while (performance.now() < warmupEnd || (done < 3 * n && performance.now() < warmupEnd + 30_000)) await sleep(50);
  const before = { done, admitted, sent: sent.n, local: localAdmissions(), calls: await commandCalls(admin), redisCpu: await redisCpuSeconds(admin), cpu: process.cpuUsage(), t: performance.now() };
  await sleep(durationMs);
  const after = { done, admitted, sent: sent.n, local: localAdmissions(), calls: await commandCalls(admin), redisCpu: await redisCpuSeconds(admin), cpu: process.cpuUsage(), t: performance.now() };
  isStopping = true;
  await Promise.all(loops);

  const decisions = after.done - before.done;
  const seconds = (after.t - before.t) / 1000;
  const redisCommands = callsBetween(before.calls, after.calls);
  const totalCommands = Object.values(redisCommands).reduce((a, b) => a + b, 0);
  await close();
  const keysDeleted = await deleteKeys(admin, prefix);
  client.disconnect();
  admin.disconnect();
  return {
    case: c,
    keys: n,
    concurrency,
    decisions,
    seconds,
    rate: decisions / seconds,
    admittedShare: (after.admitted - before.admitted) / decisions,
    roundTripsPerDecision: (after.sent - before.sent) / decisions,
    localShare: (after.local - before.local) / decisions,
    redisCommandsPerDecision: totalCommands / decisions,
    redisCommands,
    degraded,
    errors,
    keysDeleted,
    clientCpuUs: (after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system) / decisions,
    redisCpuUs: ((after.redisCpu - before.redisCpu) * 1e6) / decisions,
  };
}

/** the Redis server's CPU time so far (main thread and the rest), seconds */
async function redisCpuSeconds(admin: Redis): Promise<number> {
  const cpu = await redisInfo(admin, 'cpu');
  return Number(cpu['used_cpu_user']) + Number(cpu['used_cpu_sys']);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- ceiling (redis-benchmark)

interface CeilingResult {
  label: string;
  script: 'trivial' | 'apiwarden-one' | 'apiwarden-three' | 'apiwarden-one-fn' | 'apiwarden-three-fn' | 'rlf' | `cut:${string}`;
  shape: string;
  rps: number;
  /** time Redis spent per call (INFO commandstats usec / calls for evalsha during the run) */
  usecPerCall: number;
  error?: string;
}

/**
 * Where apiwarden's function spends Redis' time: the three-window call with
 * main() cut short (`do return 1 end` inserted) before each section. Each
 * row's time minus the previous one is that section's cost. The helpers are
 * made once, when the library loads, so they cost nothing per call.
 */
const SCRIPT_CUTS: Array<{ label: string; before: string }> = [
  { label: 'nothing: returns at once (the call, its key and 7 arguments)', before: '  KEYS, ARGV = keys, argv' },
  { label: '+ reading now, mode and the ban slot', before: "  if mode == 'a' then" },
  { label: '+ the ban-list modes (not taken), parsing bans, the window group, escalations', before: "  local out = { '', '', '', '', '1', 0 }" },
  { label: '+ ban lookup (none sent)', before: '  local admitted = true' },
  { label: '+ deciding (GET, three decisions, 12 numbers)', before: '  ------------------------------------------------------------------ 3. spend: all or nothing' },
  { label: '+ spending (one SET … KEEPTTL)', before: "  if mode == 'e' and #escalations > 0 then" },
  { label: 'whole function (+ escalation section, the reply)', before: '' },
];

/** the library with main() cut before `before`, under a name of its own */
function cutLibrary(before: string, index: number): { library: string; name: string } {
  const name = `apiwarden_cut_${index}`;
  const library = LIMITER_LIBRARY.replaceAll(LIMITER_FUNCTION, name);
  if (before === '') return { library, name };
  const at = library.indexOf(before);
  if (at < 0) throw new Error(`the limiter library no longer contains ${JSON.stringify(before)}; update SCRIPT_CUTS`);
  // a marker that also matches inside another mode's branch would cut nothing on the 'e' path
  if (library.lastIndexOf(before) !== at) throw new Error(`${JSON.stringify(before)} occurs more than once in the limiter library; make it unique`);
  return { library: `${library.slice(0, at)}  do return 1 end\n${library.slice(at)}`, name };
}

/** RLF's script, as in rate-limiter-flexible/lib/RateLimiterRedis.js (not exported) */
function rlfScript(): string {
  const source = readFileSync(join(ROOT, 'node_modules/rate-limiter-flexible/lib/RateLimiterRedis.js'), 'utf8');
  const m = /const incrTtlLuaScript = `([\s\S]*?)`;/.exec(source);
  if (!m) throw new Error('could not find incrTtlLuaScript in RateLimiterRedis.js');
  // the source uses "\" + newline inside a template literal: a line continuation
  return m[1]!.replace(/\\\n/g, '');
}

async function runCeiling(prefix: string, settings: Settings): Promise<CeilingResult[]> {
  const url = new URL(settings.redis);
  const admin = new Redis(settings.redis, { maxRetriesPerRequest: 1 });
  const load = async (lua: string): Promise<string> => (await admin.script('LOAD', lua)) as string;
  const trivial = await load('return 1');
  const ours = await load(LIMITER_LUA);
  const rlf = await load(rlfScript());
  const now = Date.now();
  const keysUnder = settings.keysUnder;
  const loadFunction = async (library: string): Promise<void> => {
    try {
      await admin.function('LOAD', library);
    } catch (error) {
      if (!/already exists/.test((error as Error).message)) throw error;
    }
  };
  await loadFunction(LIMITER_LIBRARY);
  // the keys and arguments the store sends on the exact path (no lease, no ban key), for a key
  // redis-benchmark varies: the rules' checks as checksFor() builds them
  const call = (rule: RuleSet): string[] => {
    const { keys, args } = evaluationCall(`${prefix}ceiling:`, now, checksFor(rule, 'ip=__rand_int__'));
    return [String(keys.length), ...keys, ...args];
  };
  const oneWindow = call('one');
  const threeWindows = call('three');
  const scripts: Array<{ script: CeilingResult['script']; label: string; args: string[] }> = [
    { script: 'trivial', label: 'EVALSHA of `return 1`', args: ['evalsha', trivial, '0'] },
    {
      script: 'apiwarden-one', label: "apiwarden's script (EVALSHA, Redis before 7), one window",
      args: ['evalsha', ours, ...oneWindow],
    },
    { script: 'apiwarden-three', label: "apiwarden's script (EVALSHA), three windows", args: ['evalsha', ours, ...threeWindows] },
    {
      script: 'apiwarden-one-fn', label: "apiwarden's function (FCALL, the default on Redis 7), one window",
      args: ['fcall', LIMITER_FUNCTION, ...oneWindow],
    },
    { script: 'apiwarden-three-fn', label: "apiwarden's function (FCALL), three windows", args: ['fcall', LIMITER_FUNCTION, ...threeWindows] },
    { script: 'rlf', label: "RLF's script (one window; three windows = 3 calls)", args: ['evalsha', rlf, '1', `${prefix}ceiling:rlf:__rand_int__`, '1', '1', '100', '1'] },
  ];
  const shapes = [
    { shape: '64 connections', flags: ['-c', String(settings.concurrency)], requests: 200_000 },
    { shape: '1 connection, pipeline 64', flags: ['-c', '1', '-P', String(settings.concurrency)], requests: 400_000 },
  ];
  const cutNames: string[] = [];
  for (const [i, cut] of SCRIPT_CUTS.entries()) {
    const { library, name } = cutLibrary(cut.before, i);
    await admin.function('LOAD', 'REPLACE', library);
    cutNames.push(name);
    scripts.push({ script: `cut:${cut.label}`, label: cut.label, args: ['fcall', name, ...threeWindows] });
  }
  const results: CeilingResult[] = [];
  for (const s of scripts) {
    // the cuts only need Redis' time per call: one shape, twice (the lower time is kept: it is wall time, which
    // another process taking the core inflates)
    const isCut = s.script.startsWith('cut:');
    for (const shape of isCut ? [shapes[0]!, shapes[0]!] : shapes) {
      const args = ['-h', url.hostname, '-p', url.port || '6379', ...shape.flags, '-n', String(shape.requests), '-r', String(keysUnder), '--csv', ...s.args];
      process.stderr.write(`  redis-benchmark ${s.script}, ${shape.shape}\n`);
      const command = s.args[0]!;
      const before = await commandTime(admin, command);
      const r = spawnSync('redis-benchmark', args, { encoding: 'utf8', timeout: 120_000, killSignal: 'SIGKILL' });
      const after = await commandTime(admin, command);
      const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith(`"${command}`));
      const rps = line ? Number(JSON.parse(`[${line}]`)[1]) : Number.NaN;
      const usecPerCall = (after.usec - before.usec) / Math.max(1, after.calls - before.calls);
      const result: CeilingResult = { label: s.label, script: s.script, shape: shape.shape, rps, usecPerCall };
      if (!line) result.error = `${r.error?.message ?? ''}${r.stderr ?? ''}`.trim().split('\n')[0] ?? 'no output';
      results.push(result);
      process.stderr.write(`    ${Number.isFinite(rps) ? `${fmtInt(rps)} calls/s, ${usecPerCall.toFixed(1)} µs per call in Redis` : `failed: ${result.error}`}\n`);
    }
  }
  await deleteKeys(admin, `${prefix}ceiling:`);
  for (const name of cutNames) await admin.function('DELETE', name);
  admin.disconnect();
  return results;
}

// ---------------------------------------------------------------- the run (parent)

/** others' share of the CPU above which a case is measured again */
const BUSY_SHARE = 0.15;
const MAX_ATTEMPTS = 3;

interface Settings {
  durationS: number;
  warmupS: number;
  keysUnder: number;
  keysOver: number;
  concurrency: number;
  redis: string;
}

interface Results {
  startedAt: string;
  machine: ReturnType<typeof machine> & { note: string };
  versions: Record<string, string>;
  settings: Settings;
  /** the apiwarden sources measured (APIWARDEN_SRC), relative to the repository when inside it */
  source: string;
  runs: Array<{ cases: CaseResult[]; ceiling: CeilingResult[] }>;
  keysLeft: number | null;
}

function versions(redisVersion: string): Record<string, string> {
  const pkg = (name: string): string => {
    try {
      return (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      return 'missing';
    }
  };
  const bench = spawnSync('redis-benchmark', ['--version'], { encoding: 'utf8', timeout: 5000 });
  return {
    node: process.version,
    redis: redisVersion,
    'redis-benchmark': (bench.stdout ?? '').trim(),
    'rate-limiter-flexible': pkg('rate-limiter-flexible'),
    ioredis: pkg('ioredis'),
  };
}

function runChild(c: Case, settings: Settings, prefix: string): Promise<CaseResult> {
  return new Promise((resolve, reject) => {
    const args = [
      SELF, '--case', c.id, '--prefix', prefix,
      '--duration', String(settings.durationS), '--warmup', String(settings.warmupS),
      '--keys-under', String(settings.keysUnder), '--keys-over', String(settings.keysOver),
      '--concurrency', String(settings.concurrency), '--redis', settings.redis,
    ];
    const timeoutMs = (settings.durationS + settings.warmupS + 60) * 1000;
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL' });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      const line = out.split('\n').find((l) => l.startsWith('DECISIONS_RESULT '));
      if (code === 0 && line) resolve(JSON.parse(line.slice('DECISIONS_RESULT '.length)) as CaseResult);
      else reject(new Error(`case ${c.id} failed (${code ?? signal}):\n${err || out}`));
    });
  });
}

async function main(): Promise<void> {
  if (values.case) {
    const c = allCases().find((x) => x.id === values.case);
    if (!c) throw new Error(`unknown case ${values.case}`);
    process.stdout.write(`DECISIONS_RESULT ${JSON.stringify(await runCase(c))}\n`);
    return;
  }
  if (values.report) {
    process.stdout.write(renderMarkdown(JSON.parse(readFileSync(values.report, 'utf8')) as Results));
    return;
  }
  const only = new Set(values.only.split(','));
  for (const o of only) if (!['memory', 'redis', 'ceiling'].includes(o)) throw new Error(`--only: memory, redis or ceiling, not ${o}`);
  const settings: Settings = {
    durationS: Number(values.duration),
    warmupS: Number(values.warmup),
    keysUnder: Number(values['keys-under']),
    keysOver: Number(values['keys-over']),
    concurrency: Number(values.concurrency),
    redis: values.redis,
  };
  assertLoopbackRedis(settings.redis);
  const prefix = `awbench-${randomBytes(4).toString('hex')}:`;
  runPrefix = prefix;
  const usesRedis = only.has('redis') || only.has('ceiling');
  const admin = usesRedis ? new Redis(settings.redis, { maxRetriesPerRequest: 1 }) : null;
  const server = admin ? await redisInfo(admin, 'server') : {};
  // the Redis server is part of this benchmark: its CPU is not "others'"
  const redisPid = Number(server.process_id ?? 0);
  const ours = (): { groups: number[]; pids: number[] } => ({ groups: [], pids: redisPid > 0 ? [redisPid] : [] });

  const results: Results = {
    startedAt: new Date().toISOString(),
    machine: { ...machine(), note: `a shared ${availableParallelism()}-core VM: other engineers' processes may run during the measurements (see "others' CPU")` },
    versions: versions(server.redis_version ?? 'not used'),
    settings,
    source: SRC.startsWith(`${ROOT}/`) ? SRC.slice(ROOT.length + 1) : SRC,
    runs: [],
    keysLeft: null,
  };
  process.stderr.write(`bench: decisions, redis prefix ${prefix}\n`);
  const cases = allCases().filter((c) => only.has(c.group));
  try {
    for (let run = 0; run < Number(values.runs); run++) {
      const pass: Results['runs'][number] = { cases: [], ceiling: [] };
      results.runs.push(pass);
      for (const c of cases.filter((x) => x.group === 'memory')) await measure(c);
      if (only.has('ceiling')) {
        await waitQuiet(ours, 0.1, 60_000);
        process.stderr.write(`bench: run ${run + 1}, ceiling (redis-benchmark)\n`);
        pass.ceiling = await runCeiling(prefix, settings);
      }
      for (const c of cases.filter((x) => x.group === 'redis')) await measure(c);

      async function measure(c: Case): Promise<void> {
        process.stderr.write(`bench: run ${run + 1}, ${c.id}\n`);
        // a measurement during which others took more than BUSY_SHARE of the machine is taken again (at most
        // MAX_ATTEMPTS times); the one with the least foreign load is kept
        let kept: CaseResult | null = null;
        for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
          if (attempt > 1) process.stderr.write(`  others were busy; measuring again (attempt ${attempt})\n`);
          await waitQuiet(ours, 0.1, 60_000);
          const others = watchOthers(ours);
          try {
            const r = await runChild(c, settings, prefix);
            r.othersCpu = others();
            if (kept === null || r.othersCpu < (kept.othersCpu ?? 1)) kept = r;
            const rt = r.roundTripsPerDecision === undefined ? '' : `, ${r.roundTripsPerDecision.toFixed(2)} round trips and ${r.redisCommandsPerDecision!.toFixed(2)} Redis commands per decision`;
            process.stderr.write(`  ${fmtInt(r.rate)} decisions/s, ${pct(r.admittedShare)} admitted${rt}; others used ${pct(r.othersCpu)} of the CPU\n`);
          } catch (error) {
            process.stderr.write(`  failed: ${error instanceof Error ? error.message : String(error)}\n`);
          }
          if (kept !== null && (kept.othersCpu ?? 1) <= BUSY_SHARE) break;
        }
        if (kept !== null) pass.cases.push(kept);
      }
    }
  } finally {
    if (admin) {
      // whatever a failed child left behind
      await deleteKeys(admin, prefix);
      results.keysLeft = await countKeys(admin, prefix);
      admin.disconnect();
    }
  }

  mkdirSync(RESULTS_DIR, { recursive: true });
  const base = join(RESULTS_DIR, `${stamp(results.startedAt)}-decisions`);
  writeFileSync(`${base}.json`, JSON.stringify(results, null, 2) + '\n');
  const md = renderMarkdown(results);
  writeFileSync(`${base}.md`, md);
  process.stdout.write(md);
  process.stderr.write(`bench: results in ${base}.json and .md\n`);
}

// ---------------------------------------------------------------- report

function renderMarkdown(r: Results): string {
  const s = r.settings;
  const lines: string[] = [];
  lines.push(`## Limiter decisions, ${r.startedAt}`, '');
  lines.push(`Machine: ${r.machine.cpus} cores, ${r.machine.model}, Linux ${r.machine.kernel} (${r.machine.note}). Node ${r.versions.node}, Redis ${r.versions.redis}, rate-limiter-flexible ${r.versions['rate-limiter-flexible']}, ioredis ${r.versions.ioredis}.`);
  if (r.source && r.source !== 'src') lines.push(`apiwarden measured from **${r.source}** (APIWARDEN_SRC), not src/.`);
  lines.push(`Each case: a fresh Node process, ${s.warmupS} s warm-up then ${s.durationS} s measured; ${r.runs.length} run(s), mean shown, each run in brackets. Regimes: "under" = ${fmtInt(s.keysUnder)} keys round-robin (nothing reaches its limit), "over" = ${fmtInt(s.keysOver)} keys (nearly everything refused).`);
  lines.push('');
  const all = r.runs.flatMap((run) => run.cases);
  const of = (id: string): CaseResult[] => all.filter((x) => x.case.id === id);
  const rate = (id: string): number => mean(of(id).map((x) => x.rate));
  const each = (id: string): string => (of(id).length > 1 ? ` (${of(id).map((x) => fmtInt(x.rate)).join(', ')})` : '');
  const others = (id: string): string => of(id).map((x) => pct(x.othersCpu)).join(', ');
  // the machine's speed drifts between runs (a shared VM): each run's ratio is taken between cases
  // measured one right after the other, and the median of the runs' ratios is shown (the ratio of the
  // means too when they differ)
  const pairedRatio = (id: string, base: string): string => {
    const ratios = r.runs.map((run) => {
      const a = run.cases.find((x) => x.case.id === id);
      const b = run.cases.find((x) => x.case.id === base);
      return a && b ? a.rate / b.rate : Number.NaN;
    }).filter((x) => Number.isFinite(x)).sort((x, y) => x - y);
    if (ratios.length === 0) return '–';
    const median = ratios[Math.floor(ratios.length / 2)]!;
    const ofMeans = ratio(rate(id), rate(base));
    return ratios.length === 1 || ratio(median, 1) === ofMeans ? ofMeans : `${ratio(median, 1)} (runs ${ratios.map((x) => ratio(x, 1)).join(', ')}; of the means ${ofMeans})`;
  };

  const groups = [...new Set(all.map((x) => x.case.group))];
  for (const group of groups) {
    lines.push(group === 'memory'
      ? '### Memory: decisions per second, in-process, one at a time'
      : `### Redis: decisions per second, ${s.concurrency} in flight on one connection`, '');
    const header = group === 'memory'
      ? ['rule', 'regime', 'limiter', 'decisions/s', 'admitted', 'vs RLF', "others' CPU"]
      : ['rule', 'regime', 'limiter', 'decisions/s', 'admitted', 'admitted locally', 'round trips / decision', 'Redis commands / decision', 'vs RLF', "others' CPU"];
    lines.push(`| ${header.join(' | ')} |`, `| ${header.map((h, i) => (i < 3 ? '---' : '---:')).join(' | ')} |`);
    for (const rule of ['one', 'three'] as const) {
      for (const regime of ['under', 'over'] as const) {
        const ids = [...new Set(all.filter((x) => x.case.group === group && x.case.rule === rule && x.case.regime === regime).map((x) => x.case.id))];
        for (const id of ids) {
          const xs = of(id);
          const c = xs[0]!.case;
          const cells = [RULE_LABELS[rule], regime, IMPL_LABELS[group][c.impl] ?? c.impl, `${fmtInt(rate(id))}${each(id)}`, pct(mean(xs.map((x) => x.admittedShare)))];
          if (group === 'redis') {
            cells.push(c.impl.startsWith('apiwarden') ? pct(mean(xs.map((x) => x.localShare ?? 0))) : '–');
            cells.push(mean(xs.map((x) => x.roundTripsPerDecision ?? Number.NaN)).toFixed(2), mean(xs.map((x) => x.redisCommandsPerDecision ?? Number.NaN)).toFixed(2));
          }
          cells.push(c.impl === 'rlf' ? '1' : pairedRatio(id, `${group}.${rule}.${regime}.rlf`), others(id));
          lines.push(`| ${cells.join(' | ')} |`);
        }
      }
    }
    if (group === 'redis') {
      const degraded = all.filter((x) => x.case.group === 'redis').reduce((n, x) => n + (x.degraded ?? 0), 0);
      const errors = all.filter((x) => x.case.group === 'redis').reduce((n, x) => n + (x.errors ?? 0), 0);
      lines.push('', `Round trips = commands the client sent (wrapped \`sendCommand\`); Redis commands = INFO commandstats deltas over the measured window, commands run inside scripts included (the server is shared: another client's commands in that window would count too). Degraded decisions (the breaker's 50 ms timeout): ${degraded}; errors: ${errors}.`);
    }
    lines.push('');
  }

  const ceilings = r.runs.flatMap((run) => run.ceiling);
  if (ceilings.length > 0) {
    lines.push('### Ceiling: redis-benchmark against the same Redis', '');
    lines.push('| script | 64 connections, calls/s | 1 connection, pipeline 64, calls/s | Redis time per call, µs |', '| --- | ---: | ---: | ---: |');
    const ceil = (script: string, shape: string): number => mean(ceilings.filter((c) => c.script === script && c.shape === shape).map((c) => c.rps));
    // the lowest of the runs: Redis' time per call is wall time, which a busy machine inflates
    const usec = (script: string): number => Math.min(...ceilings.filter((c) => c.script === script).map((c) => c.usecPerCall));
    const scripts = [...new Set(ceilings.map((c) => c.script))];
    for (const script of scripts.filter((x) => !x.startsWith('cut:'))) {
      const label = ceilings.find((c) => c.script === script)!.label;
      lines.push(`| ${label} | ${fmtInt(ceil(script, '64 connections'))} | ${fmtInt(ceil(script, '1 connection, pipeline 64'))} | ${usec(script).toFixed(1)} |`);
    }
    lines.push('', 'Redis time per call: INFO commandstats (evalsha or fcall usec / calls) over each run, the commands the script calls included, the lowest of the runs (it is wall time: a busy machine inflates it). Redis runs scripts on one thread, so 1e6 / that is the most calls per second it can take.', '');
    const cuts = scripts.filter((x) => x.startsWith('cut:'));
    if (cuts.length > 0) {
      lines.push("Where apiwarden's function spends Redis' time (three windows, `do return 1 end` inserted in main() before each section; 64 connections):", '');
      lines.push('| script run up to | µs per call | this section |', '| --- | ---: | ---: |');
      let previous = usec('trivial');
      lines.push(`| (EVALSHA of \`return 1\`, no arguments) | ${previous.toFixed(1)} | |`);
      // a section costing less than nothing is noise: the table is only as good as the machine was quiet
      for (const cut of cuts) {
        const u = usec(cut);
        lines.push(`| ${ceilings.find((c) => c.script === cut)!.label} | ${u.toFixed(1)} | ${(u - previous).toFixed(1)} |`);
        previous = u;
      }
      lines.push('');
    }
    const best = (script: string): number => Math.max(ceil(script, '64 connections'), ceil(script, '1 connection, pipeline 64'));
    const rows: string[] = [];
    for (const rule of ['one', 'three'] as const) {
      const id = `redis.${rule}.under.apiwarden`;
      if (!of(id).length) continue;
      const mine = rate(id);
      const own = best(rule === 'one' ? 'apiwarden-one-fn' : 'apiwarden-three-fn');
      rows.push(`| ${RULE_LABELS[rule]} | ${fmtInt(mine)} | ${pct(mine / best('trivial'))} | ${pct(mine / own)} |`);
    }
    if (rows.length > 0) {
      lines.push('apiwarden\'s Redis decisions/s ("under" regime) as a share of the ceiling (the better of the two redis-benchmark shapes):', '');
      lines.push('| rule | apiwarden decisions/s | of a trivial EVALSHA | of its own function under redis-benchmark |', '| --- | ---: | ---: | ---: |', ...rows, '');
    }
  }
  if (r.keysLeft !== null) lines.push(`Redis keys left under the run's prefix after clean-up: ${r.keysLeft}.`, '');
  return lines.join('\n');
}

// Ctrl-C or a kill: delete this run's Redis keys before leaving (the children get the signal too)
let runPrefix: string | null = null;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`bench: ${signal}, deleting this run's Redis keys\n`);
    const prefix = values.case ? null : runPrefix;
    if (prefix === null) process.exit(130);
    const admin = new Redis(values.redis, { maxRetriesPerRequest: 1 });
    const timer = setTimeout(() => process.exit(130), 10_000);
    void deleteKeys(admin, prefix).finally(() => {
      clearTimeout(timer);
      admin.disconnect();
      process.exit(130);
    });
  });
}

try {
  await main();
} catch (error) {
  process.stderr.write(`bench: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exitCode = 1;
}
