/**
 * Scale-out throughput: events from a gateway to PostgreSQL through NATS
 * JetStream, against the gateway's own request rate. One gateway process
 * (bus: nats, limits in Redis) before a small upstream, loaded by wrk; one
 * analyser process writing PostgreSQL. Two figures:
 *
 *   1. live: wrk for DURATION; the gateway's requests/s, and how far the
 *      analyser lags behind at the end (events published, not yet stored)
 *      and how long it takes to catch up;
 *   2. backlog: the analyser stopped while wrk runs, then started on the
 *      backlog: the events/s one analyser writes when it never waits.
 *
 *   node bench/scale-out/run.ts [--duration 15] [--connections 32]
 *
 * Everything on loopback; the NATS server is the bench's own (temp store),
 * the PostgreSQL schema a fresh one (dropped at the end).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { freePort } from '../../test/integration/helpers/gateway.ts';
import { ownNats, startChild, type Child } from '../../test/integration/helpers/scale-out.ts';

const { values } = parseArgs({ options: { duration: { type: 'string', default: '15' }, connections: { type: 'string', default: '32' } } });
const DURATION = Number(values.duration);
const run = randomBytes(4).toString('hex');
const schema = `aw_bench_${run}`;
const dir = mkdtempSync(join(tmpdir(), 'apiwarden-scale-bench-'));
const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';

if (spawnSync('wrk', ['--version']).error) throw new Error('wrk is not installed (apt-get install wrk)');

// the upstream: as cheap as possible, in its own process so it does not share the gateway's core
const upstreamPort = await freePort();
const upstream: ChildProcess = spawn(process.execPath, ['-e', `require('node:http').createServer((q, s) => s.writeHead(200, {'content-type': 'application/json', 'content-length': 11}).end('{"ok":true}')).listen(${upstreamPort}, '127.0.0.1')`], { stdio: 'ignore' });
const nats = ownNats(await freePort(), join(dir, 'nats'));
await nats.start();

writeFileSync(join(dir, 'openapi.yaml'), `openapi: 3.0.3
info: { title: items, version: '1' }
paths:
  /items/{id}:
    get:
      operationId: getItem
      security: []
      x-apiwarden-public: true
      parameters: [{ name: id, in: path, required: true, schema: { type: integer } }]
      responses: { '200': { description: ok } }
`);
const gatewayPort = await freePort();
writeFileSync(join(dir, 'apiwarden.yaml'), `
mode: enforce
listeners: [{ host: 127.0.0.1, port: ${gatewayPort} }]
upstreams: [{ name: items, url: http://127.0.0.1:${upstreamPort}, openapi: [openapi.yaml] }]
limits: { connectionsPerClient: 1024 }
store: { postgres: { url: { value: '${PG_URL}' }, schema: ${schema} } }
accessLog: off
rateLimits: { store: redis, redis: { prefix: 'awbench:${run}:' } }
bus: { nats: { servers: ['${nats.url}'], stream: AW_BENCH_${run}, subject: awbench.${run}.events, decisions: awbench.${run}.decisions, durable: analysers, spool: { dir: '${join(dir, 'spool')}' } } }
`);

const client = new pg.Client({ connectionString: PG_URL });
await client.connect();
const stored = async (): Promise<number> => {
  try {
    const r = await client.query<{ n: string }>(`SELECT coalesce(sum(total), 0)::text AS n FROM ${schema}.endpoints`);
    return Number(r.rows[0]!.n);
  } catch {
    return 0;
  }
};

function wrk(seconds: number): { requests: number; rps: number } {
  const out = spawnSync('wrk', ['-t', '2', '-c', values.connections!, '-d', `${seconds}s`, `http://127.0.0.1:${gatewayPort}/items/42`], { encoding: 'utf8' }).stdout;
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
  return { requests, rps };
}

async function untilStored(target: number, ms: number): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < ms && (await stored()) < target) await new Promise((r) => setTimeout(r, 100));
  return performance.now() - started;
}

const gateway: Child = startChild(['gateway', '-c', join(dir, 'apiwarden.yaml'), '--no-watch']);
await gateway.waitFor('gateway listening');
let analyser: Child = startChild(['analyser', '-c', join(dir, 'apiwarden.yaml')]);
await analyser.waitFor('analyser consuming');
// warm-up: connections, JIT, the schema
const warm = wrk(2);
await untilStored(warm.requests, 30_000);

// 1. live
const before = await stored();
const live = wrk(DURATION);
const atEnd = (await stored()) - before;
const catchUpMs = await untilStored(before + live.requests, 120_000);
const lag = live.requests - atEnd;

// 2. backlog: the analyser away while the gateway serves
await analyser.stop();
const base = await stored();
const backlog = wrk(DURATION);
analyser = startChild(['analyser', '-c', join(dir, 'apiwarden.yaml')]);
await analyser.waitFor('analyser consuming');
const drainStarted = performance.now();
await untilStored(base + backlog.requests, 300_000);
const drainMs = performance.now() - drainStarted;
const drained = (await stored()) - base;

const table = [
  '| figure | value |',
  '|---|---:|',
  `| gateway (bus: nats), wrk ${values.connections} connections, ${DURATION} s | ${live.rps.toFixed(0)} requests/s |`,
  `| analyser behind at the end of the run | ${lag} events (${(lag / Math.max(1, live.rps)).toFixed(2)} s of traffic) |`,
  `| analyser caught up after the run in | ${(catchUpMs / 1000).toFixed(1)} s |`,
  `| gateway with the analyser stopped | ${backlog.rps.toFixed(0)} requests/s |`,
  `| one analyser draining a backlog of ${backlog.requests} events | ${(drained / (drainMs / 1000)).toFixed(0)} events/s |`,
  `| analyser capacity / gateway rate | ${((drained / (drainMs / 1000)) / Math.max(1, live.rps)).toFixed(2)} |`,
];
process.stdout.write(`${table.join('\n')}\n`);

await gateway.stop();
await analyser.stop();
await nats.stop();
upstream.kill();
await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
await client.end();
rmSync(dir, { recursive: true, force: true });
