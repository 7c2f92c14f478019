/**
 * Several gateway processes sharing one Redis: a client that spreads its
 * requests over all of them gets the configured limit, not three times it;
 * a ban made from the command line reaches every instance.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { startTestUpstream, type TestUpstream } from './helpers/upstream.ts';
import { FIXTURES, freePort } from './helpers/gateway.ts';
import { clientAddress, requestFrom } from './helpers/client.ts';

const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const LIMIT = 200;

async function redisAnswers(): Promise<boolean> {
  const redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

const skip = (await redisAnswers()) ? false : 'Redis does not answer on 127.0.0.1:6379 (start it: see CONTRIBUTING.md)';

describe('three gateways, one Redis', { skip }, () => {
  const prefix = `awtest-${randomBytes(4).toString('hex')}:`;
  const gateways: Array<{ child: ChildProcess; port: number; stderr: string }> = [];
  let upstream: TestUpstream;
  let policyFile: string;

  before(async () => {
    upstream = await startTestUpstream();
    const dir = mkdtempSync(join(tmpdir(), 'apiwarden-redis-'));
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const file = join(dir, `gateway-${i}.yaml`);
      writeFileSync(file, `
listeners: [{ host: 127.0.0.1, port: ${port} }]
accessLog: 'off'
store: { sqlite: ':memory:' }
upstreams:
  - { name: lookup, url: ${upstream.url}, openapi: ${FIXTURES}lookup.yaml }
rateLimits:
  store: redis
  redis: { url: 'redis://127.0.0.1:6379', prefix: '${prefix}', timeout: 200ms }
  rules:
    - name: per-client
      match: { operations: [ping] }
      key: ip
      limits: [${LIMIT}/1h]
`);
      policyFile = file;
      const g = { child: spawn(process.execPath, [CLI, 'gateway', '-c', file, '--no-watch'], { stdio: ['ignore', 'ignore', 'pipe'] }), port, stderr: '' };
      g.child.stderr!.on('data', (c) => (g.stderr += c));
      gateways.push(g);
    }
    for (const g of gateways) {
      for (let i = 0; i < 200 && !g.stderr.includes('gateway listening'); i++) await new Promise((r) => setTimeout(r, 50));
      assert.match(g.stderr, /gateway listening/, g.stderr);
    }
  });

  after(async () => {
    for (const g of gateways) if (g.child.exitCode === null) g.child.kill('SIGKILL');
    await upstream.close();
    const redis = new Redis({ host: '127.0.0.1', port: 6379 });
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it(`admits the configured limit (${LIMIT}) for a client that spreads over all three, within 1 %`, async () => {
    const source = clientAddress(11);
    let admitted = 0;
    let refused = 0;
    // 450 requests, round-robin over the gateways, 9 in flight at a time
    for (let batch = 0; batch < 50; batch++) {
      const results = await Promise.all(Array.from({ length: 9 }, (_, i) =>
        requestFrom(source, `http://127.0.0.1:${gateways[i % 3]!.port}/v1/ping`).then((r) => r.status)));
      admitted += results.filter((s) => s === 200).length;
      refused += results.filter((s) => s === 429).length;
    }
    assert.equal(admitted + refused, 450);
    assert.ok(Math.abs(admitted - LIMIT) <= LIMIT * 0.01, `admitted ${admitted}, expected ${LIMIT} ± 1 %`);
    // local allowances (on by default) are leased from Redis: never a request past the limit
    assert.ok(admitted <= LIMIT, `admitted ${admitted}, past the limit of ${LIMIT}`);
    // another client has its own budget on every gateway
    assert.equal((await requestFrom(clientAddress(12), `http://127.0.0.1:${gateways[2]!.port}/v1/ping`)).status, 200);
  });

  it('a ban added with `apiwarden bans add` reaches every gateway within a second or two, and `remove` lifts it', async () => {
    const banned = clientAddress(13);
    const run = (...args: string[]) => spawnSync(process.execPath, [CLI, 'bans', ...args, '-c', policyFile], { encoding: 'utf8', timeout: 30_000 });
    const add = run('add', banned, '--for', '10m', '--reason', 'test');
    assert.equal(add.status, 0, add.stderr);
    assert.match(add.stdout, new RegExp(`banned ip:${banned.replaceAll('.', '\\.')} until`));
    const list = run('list', '--json');
    assert.deepEqual((JSON.parse(list.stdout) as Array<{ key: string }>).map((b) => b.key), [`ip:${banned}`]);

    const statuses = async () => Promise.all(gateways.map((g) => requestFrom(banned, `http://127.0.0.1:${g.port}/v1/accounts/1`).then((r) => r.status)));
    let seen: number[] = [];
    for (let i = 0; i < 60; i++) {
      seen = await statuses();
      if (seen.every((s) => s === 429)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(seen, [429, 429, 429], 'every instance refuses the banned address');

    const remove = run('remove', banned);
    assert.equal(remove.status, 0, remove.stderr);
    for (let i = 0; i < 60; i++) {
      seen = await statuses();
      if (seen.every((s) => s === 200)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(seen, [200, 200, 200], 'the ban is lifted everywhere');
  });
});
