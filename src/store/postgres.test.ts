import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import type { GatewayEvent } from '../events/types.ts';
import { makeTestEvent, runStoreConformance } from './conformance.ts';
import { createPostgresStore } from './postgres.ts';
import { postgresUnavailable, TEST_POSTGRES_URL, testSchemas } from './test-helpers.ts';
import type { PostgresStoreOptions } from './postgres.ts';

/**
 * The PostgreSQL store against a real server: the whole conformance suite,
 * then what only concurrent analysers show. Each store gets a schema of its
 * own (aw_test_<random>), dropped at the end. Without a reachable server the
 * file is skipped, saying why; APIWARDEN_TEST_POSTGRES_URL chooses the server.
 */

const URL_ = TEST_POSTGRES_URL;

const unreachable = await postgresUnavailable(URL_);

if (unreachable !== null) {
  test('PostgreSQL store', { skip: unreachable }, () => {});
} else {
  const schemas = testSchemas(URL_);
  const freshSchema = (): string => schemas.fresh();
  after(() => schemas.dropAll());

  const open = (schema: string, options: Partial<PostgresStoreOptions> = {}) =>
    createPostgresStore({ url: URL_, schema, poolSize: 2, ...options });

  runStoreConformance('postgres', () => open(freshSchema()));

  function shadow(path: string, overrides: Partial<GatewayEvent> = {}): GatewayEvent {
    return makeTestEvent({ template: null, operationId: null, path, class: 'shadow', status: 404, ...overrides });
  }

  async function query<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
    const client = new pg.Client({ connectionString: URL_ });
    await client.connect();
    try {
      return (await client.query<T>(text, values)).rows;
    } finally {
      await client.end();
    }
  }

  describe('postgres store', () => {
    test('ids survive a restart: a batch redelivered to a new store instance counts once', async () => {
      const schema = freshSchema();
      const batch = [makeTestEvent(), makeTestEvent(), shadow('/x')];
      let store = await open(schema);
      await store.recordEvents(batch);
      await store.close();
      store = await open(schema);
      await store.recordEvents(batch);
      await store.recordEvents([makeTestEvent()]);
      const totals = Object.fromEntries((await store.listEndpoints()).map((r) => [r.template, r.total]));
      assert.deepEqual(totals, { '/users/{id}': 3, '/x': 1 });
      await store.close();
    });

    test('two analysers recording the same batches at the same time count each event once', async () => {
      const schema = freshSchema();
      const a = await open(schema);
      const b = await open(schema);
      // event times within the retention window of one another: nothing is pruned
      const T0 = Date.UTC(2025, 0, 15);
      const batches = Array.from({ length: 10 }, (_, n) =>
        Array.from({ length: 300 }, (_, i) => (i % 3 === 0 ? shadow(`/p${i % 7}`, { time: T0 + n * 1000 + i }) : makeTestEvent({ time: T0 + n * 1000 + i }))),
      );
      let expected = 0;
      for (const batch of batches) {
        // b gets the batch reversed: the same ids and endpoints in the other order
        await Promise.all([a.recordEvents(batch), b.recordEvents([...batch].reverse())]);
        expected += batch.length;
      }
      const records = await a.listEndpoints();
      assert.equal(records.reduce((sum, r) => sum + r.total, 0), expected);
      assert.equal((await query<{ n: number }>(`SELECT count(*)::int AS n FROM ${schema}.recorded_events`))[0]?.n, expected);
      await a.close();
      await b.close();
    });

    test('four analysers writing distinct batches over shared endpoints lose nothing and do not deadlock', async () => {
      const schema = freshSchema();
      const stores = await Promise.all([0, 1, 2, 3].map(() => open(schema)));
      const paths = Array.from({ length: 50 }, (_, i) => `/e${i}`);
      await Promise.all(
        stores.map(async (store, s) => {
          for (let round = 0; round < 15; round += 1) {
            // each analyser walks the endpoints in its own order
            const order = s % 2 === 0 ? paths : [...paths].reverse();
            await store.recordEvents(order.flatMap((path) => [shadow(path), makeTestEvent({ template: path, host: '' })]));
          }
        }),
      );
      const records = await stores[0]!.listEndpoints();
      assert.equal(records.length, 100);
      for (const record of records) assert.equal(record.total, 4 * 15, record.template);
      await Promise.all(stores.map((store) => store.close()));
    });

    test('the cap on unmatched endpoints holds across analysers', async () => {
      const schema = freshSchema();
      const stores = await Promise.all([0, 1, 2].map(() => open(schema, { maxUnmatchedEndpoints: 5 })));
      await Promise.all(stores.map((store, s) => store.recordEvents(Array.from({ length: 10 }, (_, i) => shadow(`/s${s}-${i}`)))));
      const records = await stores[0]!.listEndpoints();
      const own = records.filter((r) => r.template !== '(other)');
      assert.equal(own.length, 5);
      assert.equal(records.reduce((sum, r) => sum + r.total, 0), 30);
      assert.equal(records.find((r) => r.template === '(other)')?.total, 25);
      await Promise.all(stores.map((store) => store.close()));
    });

    test('past the cap, endpoints fold into (other) as in SQLite', async () => {
      const store = await open(freshSchema(), { maxUnmatchedEndpoints: 3 });
      await store.recordEvents([
        shadow('/s1'), shadow('/s2'), shadow('/s1'), shadow('/s3'), shadow('/s4'), shadow('/s5'),
        ...['/d1', '/d2'].map((template) => makeTestEvent({ template, host: '' })),
      ]);
      await store.recordEvents([
        shadow('/s1'),
        shadow('/s7', { method: 'POST' }),
        shadow('/s8', { method: 'X-RANDOM-METHOD' }),
        shadow('/s9', { host: 'random-1234.example' }),
        // a documented endpoint under an invented host folds into its host-less row, which this batch also writes
        makeTestEvent({ template: '/d1', host: 'evil.example' }),
        makeTestEvent({ template: '/d1', host: '' }),
      ]);
      const rows = Object.fromEntries((await store.listEndpoints()).map((r) => [`${r.upstream}|${r.host}|${r.method}|${r.template}`, r.total]));
      assert.deepEqual(rows, {
        'users|api.example.com|GET|/s1': 3,
        'users|api.example.com|GET|/s2': 1,
        'users|api.example.com|GET|/s3': 1,
        'users||GET|(other)': 3,
        'users||POST|(other)': 1,
        'users||(other)|(other)': 1,
        'users||GET|/d1': 3,
        'users||GET|/d2': 1,
      });
      await store.close();
    });

    test('keys longer than a B-tree entry, NUL and lone surrogates do not lose the batch', async () => {
      const store = await open(freshSchema());
      let seed = 1;
      const random = (): string => String.fromCharCode(0x4e00 + ((seed = (seed * 48271) % 2147483647) % 20000));
      const long = '/' + Array.from({ length: 4095 }, random).join(''); // ~12 KB of UTF-8 that does not compress
      await store.recordEvents([
        shadow(long),
        shadow(long, { host: 'h'.repeat(300) }),
        shadow('/nul\u0000byte', { operationId: 'op\u0000' }),
        shadow('/lone\ud800'),
        shadow('/lone\udbff'), // the same row once stored: both become U+FFFD
        makeTestEvent(),
      ]);
      const records = await store.listEndpoints();
      assert.equal(records.reduce((sum, r) => sum + r.total, 0), 6);
      assert.equal(records.find((r) => r.template === '/lone\ufffd')?.total, 2);
      assert.ok(records.some((r) => r.template === '/nul\ufffdbyte'));
      assert.equal(records.find((r) => r.template === long && r.host === 'api.example.com')?.total, 1);
      await store.close();
    });

    test('an inventory with NUL and lone surrogates in keys and values is saved', async () => {
      const store = await open(freshSchema());
      const endpoint = {
        host: 'h', method: 'GET', template: '/a', operationId: null, firstSeen: 1, lastSeen: 2, count: 3,
        statuses: { '2xx\u0000': 3 }, examples: ['\ud800x', 'back\\u0000slash', 'ok 🦀'],
      } as unknown as Parameters<typeof store.saveInventory>[0][number];
      await store.saveInventory([endpoint, { ...endpoint, count: 4 }]);
      const [saved] = await store.listInventory();
      assert.deepEqual(saved, { ...endpoint, count: 4, statuses: { '2xx\ufffd': 3 }, examples: ['\ufffdx', 'back\\u0000slash', 'ok 🦀'] });
      await store.close();
    });

    test('ids past the retention window are pruned, at most once a minute, against the newest event time', async () => {
      const schema = freshSchema();
      let now = Date.UTC(2030, 0, 1);
      const options = { dedupeRetentionMs: 10_000, clock: () => now };
      const ids = async (): Promise<string[]> =>
        (await query<{ id: string }>(`SELECT id FROM ${schema}.recorded_events ORDER BY id`)).map((r) => r.id);
      let store = await open(schema, options);
      const old = makeTestEvent({ id: 'old', time: 1_000 });
      await store.recordEvents([old]); // the first prune: nothing is old yet
      await store.recordEvents([makeTestEvent({ id: 'new', time: 60_000 })]);
      assert.deepEqual(await ids(), ['new', 'old'], 'no second prune within the minute');
      now += 60_000;
      await store.recordEvents([makeTestEvent({ id: 'newer', time: 61_000 })]);
      await store.close(); // waits for the prune running in the background
      assert.deepEqual(await ids(), ['new', 'newer']);

      // forgotten, so a copy this late is counted again: the window's price
      store = await open(schema, options);
      await store.recordEvents([old]);
      assert.equal((await store.listEndpoints())[0]?.total, 4);
      await store.close();
    });

    test('a database that cannot be reached fails to open with the cause', async () => {
      await assert.rejects(
        createPostgresStore({ url: 'postgres://postgres@127.0.0.1:1/test', schema: freshSchema(), connectTimeoutMs: 2_000 }),
        (error: Error & { code?: string }) => {
          assert.equal(error.code, 'STORE_OPEN_FAILED');
          assert.ok(error.cause);
          return true;
        },
      );
    });

    test('a write whose connection dies fails with STORE_WRITE_FAILED, and the store recovers', async () => {
      const applicationName = `aw_test_${randomBytes(4).toString('hex')}`;
      const store = await open(freshSchema(), { poolSize: 1, applicationName });
      await store.recordEvents([makeTestEvent()]);
      await query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [applicationName]);
      const batch = [makeTestEvent()];
      // the idle connection was killed: the pool may notice on this write or hand out a new one
      await store.recordEvents(batch).catch((error: Error & { code?: string }) => assert.equal(error.code, 'STORE_WRITE_FAILED'));
      await store.recordEvents(batch); // the retry: counted once whether or not the first attempt committed
      assert.equal((await store.listEndpoints())[0]?.total, 2);
      await store.close();
    });

    test('connections killed again and again while batches are written fail those writes, never the process', async () => {
      const applicationName = `aw_test_${randomBytes(4).toString('hex')}`;
      const store = await open(freshSchema(), { poolSize: 2, applicationName });
      let written = 0;
      let failed = 0;
      let isRunning = true;
      // four writers, so that connections are also killed while checked out between two queries
      const writers = Array.from({ length: 4 }, async () => {
        while (isRunning) {
          await store.recordEvents([makeTestEvent(), shadow(`/k/${written}`)]).then(
            () => written++,
            (error: Error & { code?: string }) => {
              assert.equal(error.code, 'STORE_WRITE_FAILED');
              failed++;
            },
          );
        }
      });
      for (let i = 0; i < 60; i++) {
        await query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [applicationName]);
        await new Promise((resolve) => setTimeout(resolve, 15));
      }
      isRunning = false;
      await Promise.all(writers);
      assert.ok(failed > 0, 'some writes met a killed connection');
      assert.ok(written > 0);
      // and the store goes on
      await store.recordEvents([shadow('/after')]);
      assert.ok((await store.listEndpoints()).some((e) => e.template === '/after'));
      await store.close();
    });

    test('bad options are refused before connecting', async () => {
      await assert.rejects(open('Bad-Name'), { code: 'STORE_BAD_SCHEMA_NAME' });
      await assert.rejects(open('pg_catalog'), { code: 'STORE_BAD_SCHEMA_NAME' });
      await assert.rejects(open(freshSchema(), { poolSize: 0 }), RangeError);
      await assert.rejects(open(freshSchema(), { dedupeRetentionMs: -1 }), RangeError);
      await assert.rejects(open(freshSchema(), { maxUnmatchedEndpoints: 1.5 }), RangeError);
    });
  });
}
