/**
 * The Redis limiter store on a real Redis Cluster: three masters started here
 * on free loopback ports (redis-server --cluster-enabled yes, then
 * redis-cli --cluster create), killed after the tests (also when they fail).
 * Skipped, with the reason, when redis-server or redis-cli are absent.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Cluster } from 'ioredis';
import { CONFORMANCE_T0, plainAnswer, runLimiterConformance } from './conformance.ts';
import { createMemoryLimiterStore } from './memory-store.ts';
import { createRedisLimiterStore, type RedisLimiterStore } from './redis-store.ts';
import { createLimiterRedisClient } from './resilient-store.ts';
import type { BanEscalation, LimitCheck } from './types.ts';

const T0 = CONFORMANCE_T0;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const servers: ChildProcess[] = [];
let dir: string | null = null;
let cluster: Cluster | null = null;

async function stopAll(): Promise<void> {
  cluster?.disconnect();
  cluster = null;
  await Promise.all(servers.splice(0).map(stopServer));
  if (dir !== null) await rm(dir, { recursive: true, force: true });
  dir = null;
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
}

// a last resort if the process dies before `after` runs
process.once('exit', () => {
  for (const child of servers) child.kill('SIGKILL');
});
after(stopAll);

function hasBinary(name: string): boolean {
  return spawnSync(name, ['--version'], { stdio: 'ignore' }).status === 0;
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** n ports p in 7100..9899 with p and its cluster bus port p + 10000 free */
async function freePorts(n: number): Promise<number[]> {
  const ports: number[] = [];
  const start = 7100 + Math.floor(Math.random() * 2500);
  for (let port = start; port < 9900 && ports.length < n; port++) {
    if ((await isFree(port)) && (await isFree(port + 10_000))) ports.push(port);
  }
  if (ports.length < n) throw new Error('no free loopback ports for the cluster');
  return ports;
}

function redisCli(...args: string[]): string {
  const run = spawnSync('redis-cli', args, { encoding: 'utf8', timeout: 20_000 });
  if (run.status !== 0) throw new Error(`redis-cli ${args.join(' ')}: ${run.stderr || run.stdout}`);
  return run.stdout;
}

async function startCluster(): Promise<number[]> {
  dir = await mkdtemp(join(tmpdir(), 'aw-cluster-'));
  const ports = await freePorts(3);
  for (const port of ports) {
    const child = spawn('redis-server', [
      '--port', String(port), '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`),
      '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1', '--daemonize', 'no', '--dir', dir,
    ], { stdio: 'ignore' });
    servers.push(child);
  }
  for (const port of ports) {
    for (let i = 0; ; i++) {
      if (spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout.trim() === 'PONG') break;
      if (i >= 100) throw new Error(`redis-server on ${port} did not start`);
      await sleep(50);
    }
  }
  redisCli('--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes');
  for (const port of ports) {
    for (let i = 0; ; i++) {
      if (redisCli('-p', String(port), 'cluster', 'info').includes('cluster_state:ok')) break;
      if (i >= 200) throw new Error(`cluster_state not ok on ${port}`);
      await sleep(50);
    }
  }
  return ports;
}

let skip: string | false = false;
if (!hasBinary('redis-server') || !hasBinary('redis-cli')) {
  skip = 'redis-server or redis-cli not installed';
} else {
  try {
    const ports = await startCluster();
    cluster = createLimiterRedisClient({ cluster: ports.map((p) => `127.0.0.1:${p}`) }, { timeoutMs: 1000 }) as Cluster;
  } catch (error) {
    skip = `could not start a Redis Cluster: ${(error as Error).message}`;
    await stopAll();
  }
}
if (skip) console.log(`# skipped: ${skip}`);

/** deletes the keys under `prefix` on every master (one by one: keys of several slots) */
async function deleteKeys(prefix: string): Promise<void> {
  for (const node of cluster!.nodes('master')) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) await node.del(key);
    } while (cursor !== '0');
  }
}

function makeStore(): RedisLimiterStore & { prefix: string } {
  const prefix = `awtest-${randomUUID().slice(0, 8)}:`;
  const store = createRedisLimiterStore({ redis: cluster!, prefix });
  return {
    ...store,
    prefix,
    async close() {
      await store.close();
      await deleteKeys(prefix);
    },
  };
}

runLimiterConformance('redis (cluster)', async () => makeStore(), { skip });

/** "host:port" of the master serving `key`'s slot */
async function masterOf(key: string): Promise<string> {
  const slot = Number(await cluster!.call('CLUSTER', 'KEYSLOT', key));
  const ranges = (await cluster!.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
  const range = ranges.find(([from, to]) => slot >= from && slot <= to);
  assert.ok(range, `slot ${slot} served`);
  return `${range[2][0]}:${range[2][1]}`;
}

/** check keys whose windows live on three different masters */
async function keysOnThreeMasters(prefix: string): Promise<string[]> {
  const byMaster = new Map<string, string>();
  for (let i = 0; i < 200 && byMaster.size < 3; i++) {
    const key = `ip=10.0.0.${i}`;
    const master = await masterOf(`${prefix}{${key}}:x`);
    if (!byMaster.has(master)) byMaster.set(master, key);
  }
  assert.equal(byMaster.size, 3, 'keys found on three masters');
  return [...byMaster.values()];
}

function check(id: string, key: string, algorithm: LimitCheck['algorithm'], overrides: Partial<LimitCheck> = {}): LimitCheck {
  return { id, key, algorithm, limit: 5, periodMs: 1000, burst: 3, cost: 1, dryRun: false, onFailure: 'open', ...overrides };
}

describe('redis limiter store on a cluster', { skip }, () => {
  it('decides checks on three masters all-or-nothing, with bans and escalation on their own slot', async () => {
    const store = makeStore();
    try {
      const [a, b, c] = (await keysOnThreeMasters(store.prefix)) as [string, string, string];
      const strict = check('strict', a, 'gcra', { limit: 1, burst: 1, periodMs: 60_000 });
      const counted = check('counted', b, 'sliding', { limit: 5 });
      const members = check('members', c, 'distinct', { limit: 5, periodMs: 4000, member: 'm1' });
      const escalation: BanEscalation = { checkIds: ['strict'], banKey: 'ip:10.0.0.1', after: 2, withinMs: 60_000, durationsMs: [30_000], resetAfterMs: 60_000, reason: 'strict' };
      const request = { banKeys: ['ip:10.0.0.1'], checks: [strict, counted, members], escalations: [escalation] };

      let result = await store.evaluate({ ...request, now: T0 });
      assert.equal(result.admitted, true);
      assert.deepEqual(result.results.map((r) => r.remaining), [0, 4, 4]);
      // the keys really are on three masters
      const holders = new Set<string>();
      for (const node of cluster!.nodes('master')) {
        const [, keys] = await node.scan('0', 'MATCH', `${store.prefix}{ip=*`, 'COUNT', 1000);
        if (keys.length > 0) holders.add(`${node.options.host}:${node.options.port}`);
      }
      assert.equal(holders.size, 3, 'windows on three masters');

      // the strict window refuses: the others allowed but spent nothing
      result = await store.evaluate({ ...request, now: T0 + 1, checks: [strict, counted, { ...members, member: 'm2' }] });
      assert.equal(result.admitted, false);
      assert.deepEqual(result.results.map((r) => r.allowed), [false, true, true]);
      assert.deepEqual(result.newBans, [], 'first violation');
      const look = await store.evaluate({ banKeys: [], checks: [{ ...counted, cost: 0 }, { ...members, member: 'm3' }], escalations: [], now: T0 + 1 });
      // m2 was not added, nothing counted (this look adds m3: distinct checks ignore cost)
      assert.deepEqual(look.results.map((r) => r.remaining), [3, 3]);
      // the second violation bans (escalation on the ban slot)
      result = await store.evaluate({ ...request, now: T0 + 2 });
      assert.deepEqual(result.newBans, [{ key: 'ip:10.0.0.1', until: T0 + 2 + 30_000, level: 1, reason: 'strict' }]);
      // the ban short-circuits the next request: nothing spent anywhere
      result = await store.evaluate({ ...request, now: T0 + 3 });
      assert.deepEqual(result.ban, { key: 'ip:10.0.0.1', until: T0 + 30_002, level: 1, reason: 'strict' });
      assert.deepEqual(result.results, []);
      assert.deepEqual(await store.listBans(T0 + 3), [result.ban]);
      const after = await store.evaluate({ banKeys: [], checks: [{ ...counted, cost: 0 }], escalations: [], now: T0 + 3 });
      assert.equal(after.results[0]?.remaining, 3);
      // record() over three slots
      await store.record([strict, counted, { ...members, member: 'm9' }], T0 + 4);
      const recorded = await store.evaluate({ banKeys: [], checks: [{ ...counted, cost: 0 }, { ...members, member: 'm3' }], escalations: [], now: T0 + 4 });
      // counted: 2 units; members: m1, m3, m9
      assert.deepEqual(recorded.results.map((r) => r.remaining), [2, 2]);
    } finally {
      await store.close();
    }
  });

  it('sends one call per slot group and per round: 1 group = 2 rounds, 3 groups = 4 + 3 calls', async () => {
    const store = makeStore();
    const counted: string[] = [];
    const client = cluster! as unknown as { sendCommand: (command: { name: string }, ...rest: unknown[]) => unknown };
    const original = client.sendCommand;
    client.sendCommand = function (this: unknown, command, ...rest) {
      counted.push(command.name);
      return original.call(this, command, ...rest);
    };
    try {
      const [a, b, c] = (await keysOnThreeMasters(store.prefix)) as [string, string, string];
      const one = [check('g', a, 'gcra'), check('s', a, 'sliding'), check('d', a, 'distinct', { member: 'x' })];
      const three = [check('g', a, 'gcra'), check('s', b, 'sliding'), check('d', c, 'distinct', { member: 'x' })];
      // the first call loads the library on every master (FUNCTION LOAD), calls after it are FCALLs
      await store.evaluate({ banKeys: ['ip:1'], checks: three, escalations: [], now: T0 });
      counted.length = 0;
      await store.evaluate({ banKeys: ['ip:1'], checks: one, escalations: [], now: T0 + 1 });
      assert.equal(counted.length, 2, `ban lookup, then the group: ${counted.join(',')}`);
      counted.length = 0;
      await store.evaluate({ banKeys: ['ip:1'], checks: three, escalations: [], now: T0 + 2 });
      assert.equal(counted.length, 7, `ban lookup + 3 decisions, then 3 spends: ${counted.join(',')}`);
      assert.ok(counted.every((name) => name === 'fcall'), counted.join(','));
    } finally {
      client.sendCommand = original;
      await store.close();
    }
  });

  it('answers exactly as the memory store when checks span masters', async () => {
    const store = makeStore();
    const memory = createMemoryLimiterStore();
    try {
      const [a, b, c] = (await keysOnThreeMasters(store.prefix)) as [string, string, string];
      let seed = 0x1b873593;
      const rand = (n: number): number => {
        seed ^= seed << 13;
        seed ^= seed >>> 17;
        seed ^= seed << 5;
        return (seed >>> 0) % n;
      };
      const windows: LimitCheck[] = [
        check('g1', a, 'gcra', { limit: 3, periodMs: 1000, burst: 3 }),
        check('s1', b, 'sliding', { limit: 6, periodMs: 1000 }),
        check('d1', c, 'distinct', { limit: 4, periodMs: 4000 }),
        check('g2', c, 'gcra', { limit: 7, periodMs: 60_000, burst: 2 }),
      ];
      const escalations: BanEscalation[] = [
        { checkIds: ['g1', 's1'], banKey: 'ip:1', after: 4, withinMs: 3000, durationsMs: [500, 2000], resetAfterMs: 10_000, reason: 'r1' },
        { checkIds: ['d1'], banKey: 'ip:1', after: 3, withinMs: 5000, durationsMs: [700], resetAfterMs: 5000, reason: 'r2' },
      ];
      const seen = { refused: 0, banned: 0, newBans: 0 };
      let now = T0 + 17;
      for (let step = 0; step < 250; step++) {
        now += rand(4) === 0 ? rand(2500) : rand(250);
        const picked = windows.filter(() => rand(3) !== 0).map((w) => ({
          ...w, cost: rand(5) === 0 ? 0 : 1 + rand(2), member: w.algorithm === 'distinct' ? `m${rand(7)}` : undefined, dryRun: rand(8) === 0,
        }));
        const request = { banKeys: ['ip:1'], checks: picked, escalations, now };
        const fromRedis = await store.evaluate(request);
        assert.deepEqual(plainAnswer(fromRedis), plainAnswer(await memory.evaluate(request)), `step ${step}`);
        seen.refused += fromRedis.admitted || fromRedis.ban ? 0 : 1;
        seen.banned += fromRedis.ban ? 1 : 0;
        seen.newBans += fromRedis.newBans.length;
      }
      assert.ok(Object.values(seen).every((n) => n >= 3), JSON.stringify(seen));
    } finally {
      await memory.close();
      await store.close();
    }
  });
});
