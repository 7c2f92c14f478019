/**
 * Many gateways, one picture: three gateway processes and one analyser
 * process on loopback, with limits and bans in Redis, events through NATS
 * JetStream (a server of the test's own, so that it can be stopped) and
 * the store in PostgreSQL (behind a proxy the test can cut). The counts in
 * PostgreSQL equal what one embedded process records for the same traffic;
 * an enumeration spread over the three gateways, under each one's share,
 * is banned on all of them by the analyser; and no event is lost or counted
 * twice when the analyser is killed, NATS stops, or PostgreSQL goes away.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { DEMO, startDemoUpstream, type DemoUpstream } from '../../src/demo/upstream.ts';
import { createPostgresStore, type PostgresStore } from '../../src/store/postgres.ts';
import type { EndpointRecord } from '../../src/store/types.ts';
import { clientAddress, requestFrom, type ClientResponse } from './helpers/client.ts';
import { freePort, PHONE_LOOKUP_DOC, phoneLookupPolicy, startTestGateway } from './helpers/gateway.ts';
import { NATS_SERVER, ownNats, pausableProxy, reachable, startChild, type Child, type OwnNats, type PausableProxy } from './helpers/scale-out.ts';

const PG = { host: '127.0.0.1', port: 5432 };
/** Which services are missing, if any (the tests skip with this message). */
async function missingServices(): Promise<string | null> {
  const missing: string[] = [];
  if (!(await reachable(PG.host, PG.port))) missing.push('PostgreSQL on 127.0.0.1:5432');
  if (!(await reachable('127.0.0.1', 6379))) missing.push('Redis on 127.0.0.1:6379');
  if (!(await import('node:fs')).existsSync(NATS_SERVER)) missing.push(`nats-server (${NATS_SERVER})`);
  return missing.length > 0 ? `needs ${missing.join(', ')}` : null;
}

const skip = await missingServices();

/** One mixed request: documented hits and misses, a login, an unknown path. */
function mixed(i: number): { method: string; path: string; body?: string } {
  switch (i % 4) {
    case 0: return { method: 'GET', path: `/v2/phones/${encodeURIComponent(DEMO.knownPhone)}/status` };
    case 1: return { method: 'GET', path: `/v2/phones/${encodeURIComponent(`+1917${String(1_000_000 + i)}`)}/status` };
    case 2: return { method: 'POST', path: '/v2/sessions', body: JSON.stringify({ email: `user${i % 5}@example.com`, password: 'wrong' }) };
    default: return { method: 'GET', path: `/v2/internal/reports/${i}` };
  }
}

/** endpoint counters summed by method, template and class (hosts differ: each gateway has its own port) */
function byEndpoint(records: readonly EndpointRecord[]): Map<string, { total: number; s2: number; s4: number }> {
  const out = new Map<string, { total: number; s2: number; s4: number }>();
  for (const r of records) {
    const key = `${r.method} ${r.template} ${r.class}`;
    const e = out.get(key) ?? { total: 0, s2: 0, s4: 0 };
    e.total += r.total;
    e.s2 += r.status2xx;
    e.s4 += r.status4xx;
    out.set(key, e);
  }
  return out;
}

describe('scale-out: three gateways and an analyser on Redis, NATS JetStream and PostgreSQL', { skip: skip ?? false, timeout: 180_000 }, () => {
  const run = randomBytes(4).toString('hex');
  const schema = `aw_scale_${run}`;
  const dir = mkdtempSync(join(tmpdir(), 'apiwarden-scale-'));
  let upstream: DemoUpstream;
  let nats: OwnNats;
  let pgProxy: PausableProxy;
  let pg: PostgresStore;
  const gateways: { port: number; child: Child }[] = [];
  let analyser: Child;
  let analyserPolicy = '';
  let sent = 0;

  const policy = (port: number, spool: string): string => `
mode: enforce
listeners: [{ host: 127.0.0.1, port: ${port} }]
upstreams:
  - { name: accounts, url: ${upstream.url}, openapi: ['${PHONE_LOOKUP_DOC}'] }
store:
  postgres: { url: { value: 'postgres://postgres@127.0.0.1:${pgProxy.port}/test' }, schema: ${schema} }
accessLog: off
discovery: { saveInterval: 1s }
detection: { evaluateEvery: 100ms }
alerts: { groupWait: 0s }
rateLimits: { store: redis, redis: { prefix: 'awtest:${run}:' } }
bus:
  nats:
    servers: ['${nats.url}']
    stream: AW_TEST_${run}
    subject: awtest.${run}.events
    decisions: awtest.${run}.decisions
    durable: analysers_${run}
    spool: { dir: '${spool}' }
`;

  const send = async (gateway: number, source: string, r: { method: string; path: string; body?: string }): Promise<ClientResponse> => {
    sent++;
    return requestFrom(source, `http://127.0.0.1:${gateways[gateway]!.port}${r.path}`, {
      method: r.method, ...(r.body ? { body: r.body, headers: { 'content-type': 'application/json' } } : {}),
    });
  };

  const storedTotal = async (): Promise<number> => (await pg.listEndpoints()).reduce((n, r) => n + r.total, 0);

  const waitForTotal = async (expected: number, ms = 40_000): Promise<number> => {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline && (await storedTotal()) < expected) await new Promise((r) => setTimeout(r, 200));
    // a moment more: a double count would show up after the expected total
    await new Promise((r) => setTimeout(r, 1000));
    return storedTotal();
  };

  const startAnalyser = async (): Promise<Child> => {
    const child = startChild(['analyser', '-c', analyserPolicy], { APIWARDEN_LOG_LEVEL: 'info' });
    await child.waitFor('analyser consuming');
    return child;
  };

  before(async () => {
    upstream = await startDemoUpstream();
    nats = ownNats(await freePort(), join(dir, 'nats'));
    await nats.start();
    pgProxy = await pausableProxy(PG.host, PG.port);
    pg = await createPostgresStore({ url: `postgres://postgres@${PG.host}:${PG.port}/test`, schema });
    for (let g = 0; g < 3; g++) {
      const port = await freePort();
      const file = join(dir, `gateway-${g}.yaml`);
      writeFileSync(file, policy(port, join(dir, `spool-${g}`)));
      if (g === 0) analyserPolicy = file;
      gateways.push({ port, child: startChild(['gateway', '-c', file, '--no-watch']) });
    }
    for (const g of gateways) await g.child.waitFor('gateway listening');
    analyser = await startAnalyser();
  });

  after(async () => {
    for (const g of gateways) await g.child.stop();
    await analyser?.stop();
    await nats?.stop();
    await pgProxy?.close();
    await upstream?.close();
    if (pg) {
      const { default: pgLib } = await import('pg');
      const client = new pgLib.Client({ connectionString: `postgres://postgres@${PG.host}:${PG.port}/test` });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
      await pg.close();
    }
    const redis = new Redis({ host: '127.0.0.1', port: 6379 });
    const keys = await redis.keys(`awtest:${run}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    // the policies, spools and NATS store of this run
    rmSync(dir, { recursive: true, force: true });
  });

  it('records in PostgreSQL the counts, the inventory and the alerts one embedded process records for the same traffic', async () => {
    const N = 120;
    const sources = Array.from({ length: 12 }, (_, i) => clientAddress(100 + i));
    for (let i = 0; i < N; i++) await send(i % 3, sources[i % sources.length]!, mixed(i));
    const total = await waitForTotal(N);
    assert.equal(total, N, 'every event once');

    const embedded = await startTestGateway(`${phoneLookupPolicy(upstream.url)}alerts: { groupWait: 0s }
`);
    try {
      for (let i = 0; i < N; i++) {
        const r = mixed(i);
        await requestFrom(sources[i % sources.length]!, `${embedded.url}${r.path}`, { method: r.method, ...(r.body ? { body: r.body, headers: { 'content-type': 'application/json' } } : {}) });
      }
      await embedded.runtime.recorder.flush();
      const expected = byEndpoint(await embedded.runtime.store.listEndpoints());
      const stored = byEndpoint(await pg.listEndpoints());
      assert.deepEqual(stored, expected);
      // the inventory (templates learned from traffic, counts, status mix, credentials seen) the analyser saved
      const inventoryOf = (list: readonly { method: string; template: string; count: number; statuses: Readonly<Record<string, number>>; auth: Readonly<Record<string, number>> }[]): string[] =>
        list.map((e) => `${e.method} ${e.template} ${e.count} ${JSON.stringify(e.statuses)} ${JSON.stringify(e.auth)}`).sort();
      const want = inventoryOf(embedded.runtime.discovery!.inventory.endpoints());
      let got: string[] = [];
      for (let i = 0; i < 50; i++) {
        got = inventoryOf(await pg.listInventory());
        if (JSON.stringify(got) === JSON.stringify(want)) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.deepEqual(got, want);
      // and the alerts: one per rule and grouping labels (the latest signal's identity depends on arrival order)
      const alertsOf = (list: readonly { rule: string; groupLabels: Readonly<Record<string, string>>; status: string }[]): string[] =>
        list.map((a) => `${a.rule} ${JSON.stringify(a.groupLabels)} ${a.status}`).sort();
      await new Promise((r) => setTimeout(r, 1500));
      assert.deepEqual(alertsOf(await pg.listAlerts()), alertsOf(embedded.runtime.alerts.list()));
    } finally {
      await embedded.close();
    }
  });

  it('bans, on every gateway, an enumeration spread over the three that stays under each one\'s share', async () => {
    const attacker = clientAddress(200);
    const bystander = clientAddress(201);
    // 45 numbers, 15 per gateway: under the enumeration rule's 30 on any one of them
    let refusedAt: number | null = null;
    for (let i = 0; i < 45; i++) {
      const res = await send(i % 3, attacker, { method: 'GET', path: `/v2/phones/${encodeURIComponent(`+1917${String(2_000_000 + i * 13)}`)}/status` });
      if (res.status === 429 && refusedAt === null) refusedAt = i;
      if (i % 9 === 8) await new Promise((r) => setTimeout(r, 150));
    }
    // the analyser's decision reaches every gateway (decisions subject, and Redis)
    const deadline = Date.now() + 10_000;
    const banned: number[] = [];
    while (Date.now() < deadline && banned.length < 3) {
      banned.length = 0;
      for (let g = 0; g < 3; g++) if ((await send(g, attacker, mixed(0))).status === 429) banned.push(g);
      if (banned.length < 3) await new Promise((r) => setTimeout(r, 200));
    }
    assert.deepEqual(banned, [0, 1, 2], `banned on every gateway (first refused at request ${refusedAt})`);
    assert.ok(refusedAt === null || refusedAt >= 30, 'not before the analyser saw more than any one gateway did');
    assert.equal((await send(1, bystander, mixed(0))).status, 200, 'a bystander is served');
    // the analyser's alert is in PostgreSQL, with whom it is about
    let saved: { rule: string; labels: Readonly<Record<string, string>> } | undefined;
    for (let i = 0; i < 30 && saved === undefined; i++) {
      saved = (await pg.listAlerts()).find((a) => a.rule === 'enumeration');
      if (saved === undefined) await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(saved, 'the enumeration alert was saved');
    assert.equal(saved.labels.identity, attacker);
  });

  it('loses no event and counts none twice when the analyser is killed, NATS stops, and PostgreSQL goes away', async () => {
    const source = clientAddress(300);
    const burst = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) await send(i % 3, source, mixed(4 * i + (i % 2 === 0 ? 0 : 2)));
    };
    const sentBefore = sent;

    // the analyser is killed mid-run (no chance to acknowledge), traffic goes on, a new one starts
    await burst(30);
    await analyser.stop('SIGKILL');
    await burst(30);
    analyser = await startAnalyser();

    // NATS stops: the gateways keep serving and spool; then it comes back
    await nats.stop();
    await burst(30);
    // past the publisher's ack timeout (5 s): what was in flight goes to the spool too
    await new Promise((r) => setTimeout(r, 6000));
    await burst(15);
    await nats.start();

    // PostgreSQL goes away for the analyser: the batch is redelivered until it comes back
    pgProxy.pause();
    await burst(30);
    await new Promise((r) => setTimeout(r, 3000));
    pgProxy.resume();

    // the faults did happen: the gateways spooled, the store refused batches
    // (on reconnect each publisher says how many events it had spooled)
    assert.ok(gateways.some((g) => /"spooledEvents":[1-9]/.test(g.child.output)), 'a gateway spooled events while NATS was down');
    assert.match(analyser.output, /the store refused a batch/, 'the analyser met the PostgreSQL outage');
    // every request of every test so far made one event (the schema is this run's own)
    const total = await waitForTotal(sent, 60_000);
    assert.equal(total, sent, `every event once (${sent - sentBefore} sent through the faults, ${sent} in all)`);
  });
});
