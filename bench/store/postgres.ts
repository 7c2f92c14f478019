/**
 * Store write throughput: how many events per second `recordEvents` takes
 * in batches of 1,000, PostgreSQL against SQLite on the very same events.
 * The analysers of scale-out mode must keep up with all the gateways
 * together (tens of thousands of events/s), so this is the number that
 * sizes them.
 *
 * The events look like a shop API's traffic: ~40 documented operations
 * with a skew towards a few, 5% shadow paths (a few hundred distinct, some
 * scanner noise that is new every time), a few zombie, unknown and rejected
 * requests, weighted statuses, UUID ids, times advancing at ~20,000/s.
 * Deterministic (seeded), so runs compare.
 *
 * Targets, one after the other, each on a fresh database:
 *   sqlite           a WAL file in a temp dir, one writer (as the recorder)
 *   postgres         one store, one batch at a time (one analyser)
 *   postgres xN      N stores on one schema writing at once (N analysers)
 *   … redelivered    the same, then every batch again: the all-repeats path
 * Each reports events/s and batch latency p50/p99; `--prefill N` first
 * loads N old ids into the id table, to see the cost of a big one.
 *
 *   node bench/store/postgres.ts [--events 200000] [--batch 1000]
 *     [--analysers 4] [--prefill 0] [--url postgres://postgres@127.0.0.1:5432/test]
 *
 * PostgreSQL runs in a schema aw_bench_<random>, dropped at the end.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import type { GatewayEvent, RequestClass } from '../../src/events/types.ts';
import { createPostgresStore } from '../../src/store/postgres.ts';
import { createSqliteStore } from '../../src/store/sqlite.ts';
import type { Store } from '../../src/store/types.ts';
import { prng } from '../../test/fixtures/detect/scenarios.ts';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '200000' },
    batch: { type: 'string', default: '1000' },
    analysers: { type: 'string', default: '4' },
    prefill: { type: 'string', default: '0' },
    url: { type: 'string', default: process.env.APIWARDEN_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
  },
});
const EVENTS = Number(args.events);
const BATCH = Number(args.batch);
const ANALYSERS = Number(args.analysers);
const PREFILL = Number(args.prefill);
const URL_ = args.url;


function weighted<T>(random: () => number, table: readonly [T, number][]): () => T {
  const total = table.reduce((sum, [, w]) => sum + w, 0);
  let acc = 0;
  const cumulative = table.map(([value, w]) => [value, (acc += w) / total] as const);
  return () => {
    const r = random();
    for (const [value, upTo] of cumulative) if (r < upTo) return value;
    return table[table.length - 1]![0];
  };
}

const RESOURCES = ['users', 'orders', 'products', 'carts', 'customers', 'invoices', 'stores', 'categories', 'reviews', 'payments'];
const STATUSES: [number, number][] = [[200, 70], [201, 5], [204, 4], [301, 1], [304, 6], [400, 2], [401, 3], [403, 1], [404, 5], [429, 1], [500, 1], [502, 0.5], [503, 0.5], [0, 0.3]];
const CLASSES: [RequestClass, number][] = [['documented', 91], ['shadow', 5], ['zombie', 2], ['unknown', 1], ['rejected', 1]];
const AGENTS = ['okhttp/4.12.0', 'MyShop/5.12.0 (iPhone; iOS 17.4.1)', 'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0', 'python-requests/2.31.0', 'curl/8.5.0'];

function uuid(random: () => number): string {
  const hex = '0123456789abcdef';
  let s = '';
  for (let i = 0; i < 32; i += 1) {
    s += i === 12 ? '4' : hex[Math.floor(random() * 16)];
    if (i === 7 || i === 11 || i === 15 || i === 19) s += '-';
  }
  return s;
}

function generate(count: number, seed: number): GatewayEvent[] {
  const random = prng(seed);
  const int = (n: number): number => Math.floor(random() * n);
  const status = weighted(random, STATUSES);
  const requestClass = weighted(random, CLASSES);
  // 40 operations, the first few much busier (a Zipf-like skew)
  const operations = Array.from({ length: 40 }, (_, i) => {
    const resource = RESOURCES[i % RESOURCES.length]!;
    const shape = Math.floor(i / RESOURCES.length);
    const template = ['/api/v1/' + resource, `/api/v1/${resource}/{id}`, `/api/v1/${resource}/{id}/items`, `/api/v2/${resource}/{id}`][shape]!;
    const method = shape === 0 && i % 3 === 0 ? 'POST' : 'GET';
    return { template, method, operationId: `${method.toLowerCase()}_${resource}_${shape}` };
  });
  const operation = weighted(random, operations.map((op, i) => [op, 1 / (i + 1)] as [typeof op, number]));
  const shadowPaths = Array.from({ length: 300 }, (_, i) => `/api/v1/${RESOURCES[i % RESOURCES.length]}/${i}/internal`);
  const t0 = Date.UTC(2026, 0, 15, 12);
  const events: GatewayEvent[] = [];
  for (let i = 0; i < count; i += 1) {
    const cls = requestClass();
    const op = operation();
    const documented = cls === 'documented' || cls === 'zombie';
    // 1 shadow request in 10 is scanner noise: a path never seen before
    const path = documented ? op.template.replace('{id}', String(1 + int(100_000))) : random() < 0.1 ? `/scan/${uuid(random).slice(0, 8)}` : shadowPaths[int(shadowPaths.length)]!;
    const ip = `10.${int(256)}.${int(256)}.${1 + int(254)}`;
    const code = status();
    events.push({
      id: uuid(random),
      time: t0 + Math.floor(i / 20), // ~20,000 events/s
      clientIp: ip,
      clientSubnet: ip.replace(/\.\d+$/, '.0/24'),
      peerIp: ip,
      method: documented ? op.method : 'GET',
      host: cls === 'unknown' ? `h${int(5)}.example` : '',
      rawPath: path,
      path: cls === 'rejected' ? null : path,
      upstream: cls === 'unknown' ? null : 'shop',
      template: documented ? op.template : null,
      operationId: documented ? op.operationId : null,
      class: cls,
      mode: 'monitor',
      decision: 'forwarded',
      code: null,
      status: code,
      latencyMs: 1 + int(80),
      upstreamLatencyMs: int(70),
      bytesIn: 0,
      bytesOut: int(20_000),
      userAgent: AGENTS[int(AGENTS.length)]!,
      limit: null,
      principal: random() < 0.5 ? `apikey:k${int(1000)}` : null,
      auth: null,
    });
  }
  return events;
}

function batches(events: readonly GatewayEvent[]): GatewayEvent[][] {
  const out: GatewayEvent[][] = [];
  for (let i = 0; i < events.length; i += BATCH) out.push(events.slice(i, i + BATCH));
  return out;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

interface Result {
  target: string;
  events: number;
  seconds: number;
  eventsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** Write `work` through `stores` (one worker each, taking the next batch from a shared queue). */
async function run(target: string, stores: readonly Store[], work: readonly GatewayEvent[][]): Promise<Result> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    stores.map(async (store) => {
      while (next < work.length) {
        const batch = work[next++]!;
        const t = performance.now();
        await store.recordEvents(batch);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const events = work.reduce((sum, b) => sum + b.length, 0);
  latencies.sort((a, b) => a - b);
  const result = { target, events, seconds, eventsPerSecond: events / seconds, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
  console.log(
    `${target.padEnd(28)} ${String(Math.round(result.eventsPerSecond)).padStart(9)} events/s  ` +
      `batch p50 ${result.p50Ms.toFixed(1).padStart(6)} ms  p99 ${result.p99Ms.toFixed(1).padStart(6)} ms  (${events} events, ${seconds.toFixed(2)} s)`,
  );
  return result;
}

async function main(): Promise<void> {
  console.log(`generating ${EVENTS} events (+ a warm-up) …`);
  const warmup = batches(generate(10 * BATCH, 7));
  const work = batches(generate(EVENTS, 42));
  console.log(`batches of ${BATCH}; PostgreSQL at ${URL_.replace(/:[^:@/]*@/, ':***@')}\n`);
  const results: Result[] = [];

  // SQLite: a file in WAL mode, as a gateway uses it
  const dir = mkdtempSync(join(tmpdir(), 'apiwarden-bench-store-'));
  try {
    const file = join(dir, 'store.db');
    const sqlite = createSqliteStore(file);
    if (PREFILL > 0) prefillSqlite(file);
    for (const batch of warmup) await sqlite.recordEvents(batch);
    results.push(await run('sqlite', [sqlite], work));
    results.push(await run('sqlite redelivered', [sqlite], work));
    await sqlite.close();
    const bytes = statSync(file).size + (statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0);
    console.log(`  sqlite file: ${(bytes / 1e6).toFixed(1)} MB after ${EVENTS + warmup.length * BATCH} ids\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const admin = new pg.Client({ connectionString: URL_ });
  await admin.connect();
  const schemas: string[] = [];
  const freshSchema = (): string => {
    const schema = `aw_bench_${randomBytes(5).toString('hex')}`;
    schemas.push(schema);
    return schema;
  };
  try {
    for (const analysers of [1, ANALYSERS]) {
      const schema = freshSchema();
      const stores = await Promise.all(Array.from({ length: analysers }, () => createPostgresStore({ url: URL_, schema, poolSize: 2 })));
      if (PREFILL > 0) await prefillPostgres(admin, schema);
      for (const batch of warmup) await stores[0]!.recordEvents(batch);
      const name = analysers === 1 ? 'postgres' : `postgres x${analysers}`;
      results.push(await run(name, stores, work));
      results.push(await run(`${name} redelivered`, stores, work));
      const { rows } = await admin.query<{ ids: string; bytes: string }>(
        `SELECT (SELECT count(*) FROM ${schema}.recorded_events) AS ids, pg_total_relation_size('${schema}.recorded_events') AS bytes`,
      );
      const ids = Number(rows[0]!.ids);
      console.log(`  recorded_events: ${ids} ids, ${(Number(rows[0]!.bytes) / 1e6).toFixed(1)} MB with indexes (${Math.round(Number(rows[0]!.bytes) / ids)} bytes/id)\n`);
      await Promise.all(stores.map((s) => s.close()));
    }
  } finally {
    for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  }

  console.log('\n| target | events/s | batch p50 ms | batch p99 ms |\n| --- | ---: | ---: | ---: |');
  for (const r of results) console.log(`| ${r.target} | ${Math.round(r.eventsPerSecond)} | ${r.p50Ms.toFixed(1)} | ${r.p99Ms.toFixed(1)} |`);
}

/** Old ids (a day before the events: inside the default window, so not pruned) in the SQLite id table. */
function prefillSqlite(file: string): void {
  console.log(`prefilling sqlite with ${PREFILL} ids …`);
  const db = new DatabaseSync(file);
  try {
    db.exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${PREFILL})
      INSERT INTO recorded_events (id, time) SELECT lower(hex(randomblob(16))), ${Date.UTC(2026, 0, 14)} + i FROM n`);
  } finally {
    db.close();
  }
}

async function prefillPostgres(admin: pg.Client, schema: string): Promise<void> {
  console.log(`prefilling ${schema} with ${PREFILL} ids …`);
  await admin.query(`INSERT INTO ${schema}.recorded_events (id, time)
    SELECT gen_random_uuid()::text, ${Date.UTC(2026, 0, 14)} + i FROM generate_series(1, ${PREFILL}) AS i`);
  await admin.query(`VACUUM ANALYZE ${schema}.recorded_events`);
}

await main();
