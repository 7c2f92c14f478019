/**
 * The Redis limiter store against the real Redis at 127.0.0.1:6379 (skipped,
 * with the reason, when it does not answer PING within 1 s). Every store gets
 * its own random key prefix, and its keys are deleted when it closes.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { CONFORMANCE_T0, plainAnswer, runLimiterConformance } from './conformance.ts';
import { createMemoryLimiterStore } from './memory-store.ts';
import { createRedisLimiterStore, LIMITER_FUNCTION, type RedisLimiterStore } from './redis-store.ts';
import type { BanEscalation, EvaluateRequest, EvaluateResult, LimitCheck, LimiterStore } from './types.ts';

const T0 = CONFORMANCE_T0;

/** a client that gives up fast, to probe for the server */
async function connect(port: number): Promise<Redis | string> {
  const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, connectTimeout: 1000, commandTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    await client.connect();
    if ((await client.ping()) !== 'PONG') throw new Error('no PONG');
    return client;
  } catch (error) {
    client.disconnect();
    return `no Redis at 127.0.0.1:${port} (${(error as Error).message}): start one to run these tests`;
  }
}

const probe = await connect(6379);
const skip = typeof probe === 'string' ? probe : false;
const redis = typeof probe === 'string' ? null : probe;
if (skip) console.log(`# skipped: ${skip}`);

after(() => redis?.disconnect());

/** deletes every key under `prefix` (SCAN, bounded by the key count) */
async function deleteKeys(client: Redis, prefix: string): Promise<number> {
  let deleted = 0;
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) deleted += await client.del(...keys);
  } while (cursor !== '0');
  return deleted;
}

/**
 * The names of the commands a client sends, as it sends them: each is one
 * round trip (MONITOR would see them too, but it is shared with whatever else
 * runs on this Redis). The client is the test's own and is disconnected after.
 */
function countSent(client: Redis): string[] {
  const sent: string[] = [];
  const counted = client as unknown as { sendCommand: (command: { name: string }, ...rest: unknown[]) => unknown };
  const original = counted.sendCommand;
  counted.sendCommand = function (this: unknown, command, ...rest) {
    sent.push(command.name);
    return original.call(this, command, ...rest);
  };
  return sent;
}

/** a store on its own prefix whose close() deletes its keys */
function makeStore(client: Redis, overrides: { exactMax?: number; useFunctions?: boolean; maxBatch?: number; allowances?: false } = {}): RedisLimiterStore & { prefix: string } {
  const prefix = `awtest-${randomUUID().slice(0, 8)}:`;
  const store = createRedisLimiterStore({ redis: client, prefix, ...overrides });
  return {
    ...store,
    prefix,
    async close() {
      await store.close();
      await deleteKeys(client, prefix);
    },
  };
}

runLimiterConformance('redis (standalone)', async () => makeStore(redis!), { skip });
runLimiterConformance('redis (standalone, no local allowances)', async () => makeStore(redis!, { allowances: false }), { skip });
// the script form (Redis before 7.0, or FUNCTION refused by an ACL) must answer the same
runLimiterConformance('redis (standalone, as a script)', async () => makeStore(redis!, { useFunctions: false }), { skip });
runLimiterConformance('redis (standalone, batched)', async () => makeStore(redis!, { maxBatch: 64 }), { skip });

function check(id: string, key: string, algorithm: LimitCheck['algorithm'], overrides: Partial<LimitCheck> = {}): LimitCheck {
  return { id, key, algorithm, limit: 5, periodMs: 1000, burst: 3, cost: 1, dryRun: false, onFailure: 'open', ...overrides };
}

describe('redis limiter store', { skip }, () => {
  it('evaluates 5 rules × 3 windows, bans and escalations in one command', async () => {
    const store = makeStore(redis!);
    // a client of its own whose commands are counted as they are sent: each is one round trip
    // (MONITOR would also see them, but it is shared with whatever else runs on this Redis)
    const own = new Redis({ host: '127.0.0.1', port: 6379 });
    const sent = countSent(own);
    const ownStore = createRedisLimiterStore({ redis: own, prefix: store.prefix });
    try {
      const rules = ['ip=203.0.113.7', 'subnet=203.0.113.0%2F24', 'apikey=k1', 'principal=u1', 'path.phone=%2B15551234567'];
      const checks: LimitCheck[] = [];
      for (const [r, key] of rules.entries()) {
        checks.push(check(`rule${r}#0`, key, 'gcra', { limit: 10, burst: 10 }));
        checks.push(check(`rule${r}#1`, key, 'sliding', { limit: 100, periodMs: 60_000 }));
        checks.push(check(`rule${r}#2`, key, 'distinct', { limit: 50, periodMs: 3_600_000, member: `m${r}` }));
      }
      const escalations: BanEscalation[] = rules.map((_, r) => ({
        checkIds: [`rule${r}#0`], banKey: 'ip:203.0.113.7', after: 3, withinMs: 60_000, durationsMs: [60_000], resetAfterMs: 3_600_000, reason: `rule${r}`,
      }));
      const request = { banKeys: ['ip:203.0.113.7', 'subnet:203.0.113.0/24', 'apikey:k1', 'principal:u1'], checks, escalations, now: T0 };
      // the first call loads the library (FUNCTION LOAD), every call after it is one FCALL
      await ownStore.evaluate(request);
      sent.length = 0;
      const result = await ownStore.evaluate({ ...request, now: T0 + 1 });
      assert.equal(result.admitted, true);
      assert.equal(result.results.length, 15);
      assert.deepEqual(sent, ['fcall'], 'one command for the whole request');
      // denied this time (tight limits), with escalation: still one command
      const tight = checks.map((c) => ({ ...c, limit: 1, burst: 1 }));
      const id = await own.client('ID');
      sent.length = 0;
      const refused = await ownStore.evaluate({ ...request, checks: tight, now: T0 + 2 });
      assert.equal(refused.admitted, false);
      assert.deepEqual(sent, ['fcall']);
      // the server ran it: the last command of this connection was the function
      const row = String(await redis!.client('LIST', 'ID', String(id)));
      assert.match(row, /cmd=fcall/);
    } finally {
      own.disconnect();
      await store.close();
    }
  });

  it('loads the library again when Redis has lost it (a restart without persistence, FUNCTION FLUSH)', async () => {
    const store = makeStore(redis!);
    try {
      const c = check('g', 'ip=9', 'gcra', { limit: 2, burst: 2 });
      assert.equal((await store.evaluate({ banKeys: [], checks: [c], escalations: [], now: T0 })).admitted, true);
      await redis!.function('DELETE', LIMITER_FUNCTION);
      // the next call finds no function, loads it and is answered as if nothing happened
      const second = await store.evaluate({ banKeys: [], checks: [c], escalations: [], now: T0 });
      assert.equal(second.admitted, true);
      assert.equal(second.results[0]!.remaining, 0);
      const third = await store.evaluate({ banKeys: [], checks: [c], escalations: [], now: T0 });
      assert.equal(third.admitted, false, 'the state written before the library was lost still counts');
    } finally {
      await store.close();
    }
  });

  it('falls back to the script when Redis refuses FUNCTION (an ACL, or Redis before 7.0)', async () => {
    const user = `awtest-${randomUUID().slice(0, 8)}`;
    const password = randomUUID();
    // everything but FUNCTION: as a Redis 6 would answer, "unknown command" becomes NOPERM here
    await redis!.acl('SETUSER', user, 'on', `>${password}`, '~*', '&*', '+@all', '-function');
    const limited = new Redis({ host: '127.0.0.1', port: 6379, username: user, password });
    const store = makeStore(limited);
    try {
      const c = check('g', 'ip=10', 'gcra', { limit: 1, burst: 1 });
      assert.equal((await store.evaluate({ banKeys: [], checks: [c], escalations: [], now: T0 })).admitted, true);
      assert.equal((await store.evaluate({ banKeys: [], checks: [c], escalations: [], now: T0 })).admitted, false);
    } finally {
      await store.close();
      limited.disconnect();
      await redis!.acl('DELUSER', user);
    }
  });

  it('sends evaluations made in the same turn as one call, each decided as if alone and in order', async () => {
    const own = new Redis({ host: '127.0.0.1', port: 6379 });
    const sent = countSent(own);
    // without leases: a lease makes the reported remaining of a burst jump (tested below)
    const store = makeStore(own, { maxBatch: 64, allowances: false });
    try {
      await store.evaluate({ banKeys: [], checks: [check('warm', 'ip=0', 'gcra')], escalations: [], now: T0 });
      sent.length = 0;
      await store.addBan({ key: 'ip:203.0.113.99', until: T0 + 60_000, level: 1, reason: 'test' });
      sent.length = 0;
      const limit5 = check('g', 'ip=batch', 'gcra', { limit: 5, burst: 5, periodMs: 60_000 });
      const strict = check('s', 'ip=strict', 'gcra', { limit: 1, burst: 1, periodMs: 60_000 });
      const escalation: BanEscalation = { checkIds: ['s'], banKey: 'ip:203.0.113.50', after: 1, withinMs: 60_000, durationsMs: [60_000], resetAfterMs: 60_000, reason: 'strict' };
      const results = await Promise.all([
        ...Array.from({ length: 8 }, () => store.evaluate({ banKeys: [], checks: [limit5], escalations: [], now: T0 })),
        store.evaluate({ banKeys: ['ip:203.0.113.99'], checks: [limit5], escalations: [], now: T0 }),
        store.evaluate({ banKeys: [], checks: [strict], escalations: [escalation], now: T0 }),
        store.evaluate({ banKeys: [], checks: [strict], escalations: [escalation], now: T0 + 1 }),
      ]);
      assert.deepEqual(sent, ['fcall'], 'eleven evaluations, one command');
      assert.deepEqual(results.slice(0, 8).map((r) => r.admitted), [true, true, true, true, true, false, false, false]);
      assert.deepEqual(results.slice(0, 5).map((r) => r.results[0]!.remaining), [4, 3, 2, 1, 0]);
      assert.equal(results[8]!.ban?.key, 'ip:203.0.113.99', 'a banned request in the batch is answered with its ban');
      assert.equal(results[9]!.admitted, true);
      assert.equal(results[10]!.admitted, false);
      assert.deepEqual(results[10]!.newBans.map((b) => b.key), ['ip:203.0.113.50'], 'escalation runs per request in a batch');
      // the same decisions as the memory store, sequentially
      const memory = createMemoryLimiterStore();
      for (let i = 0; i < 8; i++) assert.equal((await memory.evaluate({ banKeys: [], checks: [limit5], escalations: [], now: T0 })).admitted, results[i]!.admitted);
    } finally {
      await store.close();
      own.disconnect();
    }
  });

  it('answers a refusal again from its local cache until it can end, then asks Redis', async () => {
    const own = new Redis({ host: '127.0.0.1', port: 6379 });
    const sent = countSent(own);
    const store = makeStore(own);
    try {
      const c = check('g', 'ip=flood', 'gcra', { limit: 2, burst: 2, periodMs: 1000 });
      const ask = (now: number, extra: Partial<EvaluateRequest> = {}) => store.evaluate({ banKeys: [], checks: [c], escalations: [], now, ...extra });
      assert.equal((await ask(T0)).admitted, true);
      assert.equal((await ask(T0)).admitted, true);
      const refused = await ask(T0);
      assert.equal(refused.admitted, false);
      assert.equal(refused.results[0]!.retryAfterMs, 500);
      sent.length = 0;
      // the same request before it can be admitted: answered here, the wait counted down
      const again = await ask(T0 + 200);
      assert.equal(again.admitted, false);
      assert.equal(again.results[0]!.retryAfterMs, 300);
      assert.deepEqual(sent, [], 'no command for a cached refusal');
      // once it can end, Redis decides again (and admits)
      assert.equal((await ask(T0 + 500)).admitted, true);
      assert.deepEqual(sent, ['fcall']);
      // a request with a ban escalation is never answered from the cache: its violation must be counted
      assert.equal((await ask(T0 + 500)).admitted, false);
      sent.length = 0;
      const escalation: BanEscalation = { checkIds: ['g'], banKey: 'ip:flood', after: 99, withinMs: 60_000, durationsMs: [60_000], resetAfterMs: 60_000, reason: 'flood' };
      await ask(T0 + 600, { escalations: [escalation] });
      assert.deepEqual(sent, ['fcall']);
    } finally {
      await store.close();
      own.disconnect();
    }
  });

  it('asks Redis once when a cached refusal ends under a flood: the same requests meanwhile wait for that answer', async () => {
    const own = new Redis({ host: '127.0.0.1', port: 6379 });
    const sent = countSent(own);
    // hold each call 30 ms before it is written, so that later requests arrive while one is in flight
    const held = own as unknown as { sendCommand: (...args: unknown[]) => unknown };
    const send = held.sendCommand;
    held.sendCommand = function (this: unknown, ...args: unknown[]) {
      return new Promise((resolve) => setTimeout(resolve, 30)).then(() => send.apply(this, args));
    };
    const store = makeStore(own);
    try {
      const c = check('g', 'ip=renew', 'gcra', { limit: 1, burst: 1, periodMs: 1000 });
      const ask = (now: number) => store.evaluate({ banKeys: [], checks: [c], escalations: [], now });
      assert.equal((await ask(T0)).admitted, true);
      assert.equal((await ask(T0)).admitted, false);
      sent.length = 0;
      // the refusal ends at T0 + 1000; five requests then, each in a later turn than the one before
      const flood: Array<Promise<EvaluateResult>> = [];
      for (let i = 0; i < 5; i++) {
        flood.push(ask(T0 + 1000 + i));
        await new Promise((r) => setImmediate(r));
      }
      const answers = await Promise.all(flood);
      assert.deepEqual(answers.map((a) => a.admitted), [true, false, false, false, false]);
      assert.deepEqual(sent, ['fcall'], 'one call: the admission used the only unit, which refuses the others');
      assert.ok(answers.slice(1).every((a) => a.results[0]!.retryAfterMs > 0));
    } finally {
      held.sendCommand = send;
      await store.close();
      own.disconnect();
    }
  });

  it('fails every evaluation of a batch whose call fails, and recovers', async () => {
    const own = new Redis({ host: '127.0.0.1', port: 6379 });
    const store = makeStore(own, { maxBatch: 64 });
    try {
      const c = check('g', 'ip=fail', 'gcra');
      await store.evaluate({ banKeys: [], checks: [c], escalations: [], now: T0 });
      // a window key of the wrong type (a hash) makes the script fail, for the whole call
      const wrong = check('g', 'ip=bad', 'sliding');
      await own.hset(`${store.prefix}{ip=bad}:g:w`, 'a', '1');
      const settled = await Promise.allSettled([
        store.evaluate({ banKeys: [], checks: [c], escalations: [], now: T0 }),
        store.evaluate({ banKeys: [], checks: [wrong], escalations: [], now: T0 }),
      ]);
      assert.deepEqual(settled.map((r) => r.status), ['rejected', 'rejected']);
      assert.equal((await store.evaluate({ banKeys: [], checks: [c], escalations: [], now: T0 })).admitted, true);
    } finally {
      await store.close();
      own.disconnect();
    }
  });

  it('gives every key it writes an expiry', async () => {
    const store = makeStore(redis!);
    try {
      const g = check('g', 'ip=1', 'gcra');
      const s = check('s', 'ip=1', 'sliding');
      const d = check('d', 'ip=1', 'distinct', { member: 'a', limit: 1 });
      const escalation: BanEscalation = { checkIds: ['g'], banKey: 'ip:1', after: 1, withinMs: 60_000, durationsMs: [60_000], resetAfterMs: 60_000, reason: 'r' };
      // another ban key: one ban per key per step would skip it after the first one bans
      const escalation2 = { ...escalation, banKey: 'ip:9', after: 5, reason: 'r2' };
      for (let i = 0; i < 4; i++) await store.evaluate({ banKeys: [], checks: [g, s, d], escalations: [escalation, escalation2], now: T0 + i });
      await store.addBan({ key: 'ip:2', until: Date.now() + 60_000, level: 0, reason: 'operator' });
      // exact → sketch conversion of a distinct sub-bucket
      const small = makeStore(redis!, { exactMax: 4 });
      await small.record(['a', 'b', 'c', 'd', 'e', 'f'].map((member) => ({ ...d, member, limit: 100 })), T0);
      const keys = [...(await keysOf(store.prefix)), ...(await keysOf(small.prefix))];
      const kinds = new Set(keys.map((k) => k.replace(/^.*?\}/, '').replace(/:d:d:\d+$/, ':d:d:N')));
      // windows (gcra, sliding), distinct (newest, sub-bucket), violations, level, ban index and meta
      for (const kind of [':g:w', ':s:w', ':d:dn', ':d:d:N', ':v:r2:ip%3A9', ':l:ip%3A1', ':i', ':m']) assert.ok(kinds.has(kind), `a key like ${kind} in ${[...kinds].join(', ')}`);
      for (const key of keys) {
        const ttl = await redis!.pttl(key);
        assert.ok(ttl > 0, `${key} expires (pttl ${ttl})`);
      }
      assert.equal(await redis!.type(keys.find((k) => k.startsWith(small.prefix) && /:d:\d+$/.test(k))!), 'string', 'a HyperLogLog past exactMax');
      await small.close();
    } finally {
      await store.close();
    }
  });

  it('escapes ids and keys: braces cannot change the hash tag, colons cannot forge a key', async () => {
    const store = makeStore(redis!);
    try {
      const tricky = check('a}b{c', '}{:x%', 'gcra', { limit: 1, burst: 1, periodMs: 60_000 });
      assert.equal((await store.evaluate({ banKeys: [], checks: [tricky], escalations: [], now: T0 })).admitted, true);
      assert.equal((await store.evaluate({ banKeys: [], checks: [tricky], escalations: [], now: T0 })).admitted, false);
      const keys = await keysOf(store.prefix);
      assert.deepEqual(keys, [`${store.prefix}{%7D%7B%3Ax%25}:a%7Db%7Bc:w`]);
      assert.throws(() => createRedisLimiterStore({ redis: redis!, prefix: 'a{b}' }), /must not contain/);
    } finally {
      await store.close();
    }
  });

  it('record() of several units of one window in one call adds them all', async () => {
    const store = makeStore(redis!);
    try {
      const g = check('g', 'k', 'gcra', { limit: 10, burst: 10 });
      const s = check('s', 'k', 'sliding', { limit: 10 });
      await store.record([g, g, g, s, s, s, { ...s, cost: 2 }], T0);
      const result = await store.evaluate({ banKeys: [], checks: [{ ...g, cost: 0 }, { ...s, cost: 0 }], escalations: [], now: T0 });
      assert.deepEqual(result.results.map((r) => r.remaining), [6, 4]);
    } finally {
      await store.close();
    }
  });

  it('answers exactly as the memory store on a random request sequence', async () => {
    const store = makeStore(redis!);
    const memory = createMemoryLimiterStore();
    try {
      // a deterministic pseudo-random sequence (xorshift), bounded
      let seed = 0x2545f491;
      const rand = (n: number): number => {
        seed ^= seed << 13;
        seed ^= seed >>> 17;
        seed ^= seed << 5;
        return (seed >>> 0) % n;
      };
      // the windows of rule r share one Redis string: requests that carry a few of them, in
      // another order, or one twice, read and write it by its fields
      const windows: LimitCheck[] = [
        check('r#0', 'ip=1', 'gcra', { limit: 3, periodMs: 1000, burst: 3 }),
        check('r#1', 'ip=1', 'gcra', { limit: 7, periodMs: 60_000, burst: 2 }),
        check('r#2', 'ip=1', 'sliding', { limit: 6, periodMs: 1000 }),
        check('q#0', 'apikey=x', 'sliding', { limit: 20, periodMs: 7000 }),
        check('r#distinct', 'ip=1', 'distinct', { limit: 4, periodMs: 4000 }),
        check('d2', 'apikey=x', 'distinct', { limit: 2, periodMs: 1000 }),
      ];
      const escalations: BanEscalation[] = [
        { checkIds: ['r#0', 'r#2'], banKey: 'ip:1', after: 4, withinMs: 3000, durationsMs: [500, 2000], resetAfterMs: 10_000, reason: 'r1' },
        { checkIds: ['r#distinct'], banKey: 'ip:1', after: 3, withinMs: 5000, durationsMs: [700], resetAfterMs: 5000, reason: 'r2' },
      ];
      const seen = { refused: 0, banned: 0, newBans: 0, denied: 0 };
      let now = T0 + 123;
      for (let step = 0; step < 400; step++) {
        now += rand(4) === 0 ? rand(2500) : rand(250);
        const picked = windows.filter(() => rand(3) !== 0).map((w) => ({
          ...w,
          cost: rand(5) === 0 ? 0 : 1 + rand(2),
          member: w.algorithm === 'distinct' ? `m${rand(7)}` : undefined,
          dryRun: rand(8) === 0,
        }));
        if (picked.length > 1 && rand(6) === 0) picked.reverse();
        if (picked.length > 0 && rand(12) === 0) picked.push({ ...picked[rand(picked.length)]! });
        if (rand(10) === 0) {
          await store.record(picked, now);
          await memory.record(picked, now);
          continue;
        }
        const request = { banKeys: ['ip:1', 'apikey:x'], checks: picked, escalations, now };
        const [fromRedis, fromMemory] = [await store.evaluate(request), await memory.evaluate(request)];
        assert.deepEqual(plainAnswer(fromRedis), plainAnswer(fromMemory), `step ${step} at +${now - T0}`);
        seen.refused += fromRedis.admitted || fromRedis.ban ? 0 : 1;
        seen.banned += fromRedis.ban ? 1 : 0;
        seen.newBans += fromRedis.newBans.length;
        seen.denied += fromRedis.results.filter((r) => !r.allowed).length;
      }
      // the sequence went through every branch
      assert.ok(Object.values(seen).every((n) => n >= 3), JSON.stringify(seen));
      assert.deepEqual(await store.listBans(now, 10), await memory.listBans(now, 10));
    } finally {
      await memory.close();
      await store.close();
    }
  });

  it('waits for the first connection of a client without an offline queue', async () => {
    const client = new Redis({ host: '127.0.0.1', port: 6379, enableOfflineQueue: false });
    const store = createRedisLimiterStore({ redis: client, prefix: `awtest-${randomUUID().slice(0, 8)}:` });
    try {
      // made and used at once, as a command-line tool does
      assert.deepEqual(await store.listBans(T0), []);
    } finally {
      client.disconnect();
    }
  });

  it('admits a key far under its limits locally and writes every unit it admitted to Redis', async () => {
    const own = new Redis({ host: '127.0.0.1', port: 6379 });
    const sent = countSent(own);
    const prefix = `awtest-${randomUUID().slice(0, 8)}:`;
    const store = createRedisLimiterStore({ redis: own, prefix });
    const exact = createRedisLimiterStore({ redis: redis!, prefix, allowances: false });
    try {
      const c = check('per-client#0', 'ip=203.0.113.7', 'sliding', { limit: 1000, burst: 1000, periodMs: 3_600_000 });
      const ask = (s: RedisLimiterStore, now: number) => s.evaluate({ banKeys: ['ip:203.0.113.7'], checks: [c], escalations: [], now });
      let admitted = 0;
      for (let i = 0; i < 100; i++) if ((await ask(store, T0 + i)).admitted) admitted++;
      assert.equal(admitted, 100);
      assert.ok(store.localAdmissions >= 80, `admitted locally: ${store.localAdmissions}`);
      assert.ok(sent.filter((name) => name === 'fcall').length <= 20, `calls to Redis: ${sent.length}`);
      // close() writes what is still pending: Redis has counted all 100
      await store.close();
      const next = await ask(exact, T0 + 100);
      assert.equal(next.results[0]!.remaining, 1000 - 101);
    } finally {
      await exact.close();
      await deleteKeys(redis!, prefix);
      own.disconnect();
    }
  });

  it('two instances with local allowances admit exactly the limit of a key they share', async () => {
    const prefix = `awtest-${randomUUID().slice(0, 8)}:`;
    const clients = [new Redis({ host: '127.0.0.1', port: 6379 }), new Redis({ host: '127.0.0.1', port: 6379 })];
    const stores = clients.map((redis) => createRedisLimiterStore({ redis, prefix }));
    try {
      const c = check('lookups#0', 'phone=%2B15551234567', 'sliding', { limit: 300, burst: 300, periodMs: 3_600_000 });
      let admitted = 0;
      for (let i = 0; i < 600; i++) {
        // alternately, two at a time in flight (one per instance), as a distributed enumeration would
        const answers = await Promise.all(stores.map((s) => s.evaluate({ banKeys: ['ip:198.51.100.4'], checks: [c], escalations: [], now: T0 + i })));
        admitted += answers.filter((a) => a.admitted).length;
      }
      assert.equal(admitted, 300);
      // one lease per window at a time: whoever holds it admits locally, the other asks Redis
      assert.ok(stores.some((s) => s.localAdmissions > 0), 'some requests admitted locally');
    } finally {
      for (const s of stores) await s.close();
      await deleteKeys(redis!, prefix);
      for (const client of clients) client.disconnect();
    }
  });

  it('a ban ends local admissions at once', async () => {
    const own = new Redis({ host: '127.0.0.1', port: 6379 });
    const store = makeStore(own);
    try {
      const c = check('per-client#0', 'ip=203.0.113.8', 'sliding', { limit: 1000, burst: 1000, periodMs: 3_600_000 });
      const ask = (now: number) => store.evaluate({ banKeys: ['ip:203.0.113.8'], checks: [c], escalations: [], now });
      assert.equal((await ask(T0)).admitted, true);
      assert.equal((await ask(T0 + 1)).admitted, true, 'from the allowance');
      await store.addBan({ key: 'ip:203.0.113.8', until: T0 + 60_000, level: 0, reason: 'operator' });
      const banned = await ask(T0 + 2);
      assert.equal(banned.admitted, false);
      assert.equal(banned.ban?.key, 'ip:203.0.113.8');
    } finally {
      await store.close();
      own.disconnect();
    }
  });

  it('refuses calls after close()', async () => {
    const store = makeStore(redis!);
    await store.close();
    await assert.rejects(store.evaluate({ banKeys: ['x'], checks: [], escalations: [], now: T0 }), /closed/);
  });
});

async function keysOf(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis!.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return keys.sort();
}

describe('local allowances: leases reserved in Redis', { skip }, () => {
  /** a store with leases (lasting ttlMs of the test's clock) and an exact one on the same keys */
  function pair(ttlMs = 60_000): { holder: RedisLimiterStore; exact: RedisLimiterStore; prefix: string; done: () => Promise<void> } {
    const prefix = `awtest-${randomUUID().slice(0, 8)}:`;
    const own = new Redis({ host: '127.0.0.1', port: 6379 });
    const holder = createRedisLimiterStore({ redis: own, prefix, allowances: { ttlMs } });
    const exact = createRedisLimiterStore({ redis: redis!, prefix, allowances: false });
    return {
      holder, exact, prefix, async done() {
        await holder.close();
        await exact.close();
        await deleteKeys(redis!, prefix);
        own.disconnect();
      },
    };
  }
  const ask = (s: LimiterStore, c: LimitCheck, now: number, banKeys = ['ip:203.0.113.7']): Promise<EvaluateResult> =>
    s.evaluate({ banKeys, checks: [c], escalations: [], now });

  it('leases 1/16 of what is left to a request that comes back, spent in Redis at once: every other instance sees it', async () => {
    const { holder, exact, done } = pair();
    try {
      const c = check('per-client#0', 'ip=203.0.113.7', 'sliding', { limit: 1000, burst: 1000, periodMs: 3_600_000 });
      assert.equal((await ask(holder, c, T0)).results[0]!.remaining, 999, 'first seen: nothing leased');
      assert.equal((await ask(exact, c, T0)).results[0]!.remaining, 998);
      // back within a lease lifetime: floor(997 / 16) = 62 units leased, and the next exact decision sees them spent
      assert.equal((await ask(holder, c, T0 + 1)).results[0]!.remaining, 997);
      assert.equal((await ask(exact, c, T0 + 2)).results[0]!.remaining, 997 - 62 - 1);
      for (let i = 0; i < 62; i++) assert.equal((await ask(holder, c, T0 + 3 + i)).admitted, true);
      assert.equal(holder.localAdmissions, 62);
      // used up: the next call asks Redis, which has already counted all of them
      assert.equal((await ask(holder, c, T0 + 100)).results[0]!.remaining, 997 - 62 - 1 - 1);
    } finally {
      await done();
    }
  });

  it('hands back the unused units: Redis counts exactly what was admitted (sliding and gcra)', async () => {
    const { holder, exact, done } = pair();
    try {
      const sliding = check('per-client#0', 'ip=203.0.113.7', 'sliding', { limit: 1000, burst: 1000, periodMs: 3_600_000 });
      // gcra 100/s, burst 100: 99 left after the first → floor(99 / 16) = 6 leased
      const gcra = check('per-client#1', 'ip=203.0.113.7', 'gcra', { limit: 100, burst: 100, periodMs: 1000 });
      for (const c of [sliding, gcra]) {
        // seen, then leased (gcra: floor(98 / 16) = 6), then 3 used
        await ask(holder, c, T0);
        await ask(holder, c, T0);
        for (let i = 1; i <= 3; i++) assert.equal((await ask(holder, c, T0)).admitted, true);
      }
      assert.equal(holder.localAdmissions, 6);
      await holder.close();
      // 5 admitted each: the remaining after a sixth is what it would be without leases
      assert.equal((await ask(exact, sliding, T0)).results[0]!.remaining, 1000 - 6);
      assert.equal((await ask(exact, gcra, T0)).results[0]!.remaining, 100 - 6);
    } finally {
      await done();
    }
  });

  it('one lease per window: another instance decides in Redis until it is handed back', async () => {
    const { holder, prefix, done } = pair();
    const otherClient = new Redis({ host: '127.0.0.1', port: 6379 });
    const other = createRedisLimiterStore({ redis: otherClient, prefix, allowances: { ttlMs: 60_000 } });
    try {
      // a window keyed on the phone number, the same client behind both instances
      const c = check('lookups#0', 'phone=%2B15551234567', 'sliding', { limit: 1000, burst: 1000, periodMs: 3_600_000 });
      await ask(holder, c, T0);
      await ask(holder, c, T0);
      for (let i = 1; i <= 5; i++) await ask(other, c, T0 + i);
      assert.equal(other.localAdmissions, 0, 'the window is leased to the first instance');
    } finally {
      await other.close();
      otherClient.disconnect();
      await done();
    }
  });

  it('requests in flight beside the call that leased use its units: a burst gets exactly its limit', async () => {
    for (const maxBatch of [1, 64]) {
      const prefix = `awtest-${randomUUID().slice(0, 8)}:`;
      const store = createRedisLimiterStore({ redis: redis!, prefix, maxBatch });
      try {
        // burst 64: seen once, then the first call of the burst leases 3 units (1/16 of the 62 left after
        // it); the other 69 are in flight beside it, and the last ones are refused by Redis
        const c = check('per-client#0', 'ip=203.0.113.7', 'gcra', { limit: 64, burst: 64, periodMs: 60_000 });
        assert.equal((await ask(store, c, T0)).admitted, true);
        const answers = await Promise.all(Array.from({ length: 70 }, () => ask(store, c, T0)));
        assert.equal(answers.filter((a) => a.admitted).length, 63, `maxBatch ${maxBatch}`);
        assert.equal(store.localAdmissions, 3, `maxBatch ${maxBatch}: the leased units were used`);
      } finally {
        await store.close();
        await deleteKeys(redis!, prefix);
      }
    }
  });

  it('never admits past a limit, with clients spread over two instances (property, against the memory store)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<LimitCheck['algorithm']>('gcra', 'sliding'),
        fc.integer({ min: 16, max: 200 }),
        fc.integer({ min: 100, max: 5000 }),
        fc.array(fc.record({ who: fc.constantFrom('holder', 'other'), dt: fc.integer({ min: 0, max: 200 }) }), { minLength: 1, maxLength: 120 }),
        async (algorithm, limit, periodMs, steps) => {
          // leases end within a run (its clock moves up to 200 ms a step), so unused units go back with later calls
          const { holder, exact: other, done } = pair(1000);
          const truth = createMemoryLimiterStore({ maxKeys: 1000 });
          try {
            const c = check('per-client#0', 'ip=203.0.113.7', algorithm, { limit, burst: limit, periodMs });
            // what truth must count: every request Redis admitted at its time, and the holder's local
            // admissions at the time of the call that leased them
            const log: Array<{ now: number; units: number }> = [];
            let lastHolderCall: { now: number; units: number } | null = null;
            let now = T0;
            for (const step of steps) {
              now += step.dt;
              if (step.who === 'holder') {
                const before = holder.localAdmissions;
                const r = await ask(holder, c, now);
                if (holder.localAdmissions > before) lastHolderCall!.units++;
                else if (r.admitted) log.push((lastHolderCall = { now, units: 1 }));
                else lastHolderCall = null;
              } else if ((await ask(other, c, now)).admitted) {
                log.push({ now, units: 1 });
              }
            }
            await holder.close();
            // each admission (with the local ones it leased) fits in the window as truth counts it
            for (const entry of log) {
              const fits = await truth.evaluate({ banKeys: [], checks: [{ ...c, cost: entry.units }], escalations: [], now: entry.now });
              assert.equal(fits.admitted, true, `admitted past the limit at +${entry.now - T0} ms (${entry.units} units)`);
            }
            const [seen, expected] = [await ask(other, c, now), await ask(truth, c, now)];
            assert.equal(seen.admitted, expected.admitted);
            assert.equal(seen.results[0]!.remaining, expected.results[0]!.remaining);
          } finally {
            await done();
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});
