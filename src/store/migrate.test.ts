import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import {
  advisoryLockKey,
  latestPostgresVersion,
  loadPostgresMigrations,
  migratePostgres,
  postgresSchemaVersion,
} from './migrate.ts';
import type { PostgresMigration } from './migrate.ts';
import { createPostgresStore } from './postgres.ts';
import { postgresUnavailable, TEST_POSTGRES_URL, testSchemas } from './test-helpers.ts';

/**
 * The PostgreSQL migration runner against a real server (skipped, saying
 * why, when none is reachable; APIWARDEN_TEST_POSTGRES_URL chooses it), and
 * the checks on migration files, which need no server.
 */

const URL_ = TEST_POSTGRES_URL;

describe('migration files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'apiwarden-migrations-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  function folder(files: Record<string, string>): string {
    const path = join(dir, `case-${++n}`);
    mkdirSync(path);
    for (const [name, sql] of Object.entries(files)) writeFileSync(join(path, name), sql);
    return path;
  }

  test('the shipped files run 1, 2, 3, … and the first creates the three tables', async () => {
    const migrations = await loadPostgresMigrations();
    assert.deepEqual(migrations.map((m) => [m.version, m.name]), [[1, '0001_initial'], [2, '0002_storage_tuning'], [3, '0003_alerts']]);
    assert.equal(await latestPostgresVersion(), 3);
    for (const table of ['endpoints', 'inventory', 'recorded_events']) assert.match(migrations[0]!.sql, new RegExp(`CREATE TABLE ${table} \\(`));
  });

  test('are read in order, and gaps, repeats and bad names are refused', async () => {
    const ok = await loadPostgresMigrations(folder({ '0002_b.sql': 'SELECT 2', '0001_a.sql': 'SELECT 1', 'README.md': 'not sql' }));
    assert.deepEqual(ok.map((m) => m.name), ['0001_a', '0002_b']);
    await assert.rejects(loadPostgresMigrations(folder({ '0001_a.sql': '', '0003_c.sql': '' })), { code: 'STORE_MIGRATIONS_INVALID' });
    await assert.rejects(loadPostgresMigrations(folder({ '0001_a.sql': '', '0001_b.sql': '' })), { code: 'STORE_MIGRATIONS_INVALID' });
    await assert.rejects(loadPostgresMigrations(folder({ '1_a.sql': '' })), { code: 'STORE_MIGRATIONS_INVALID' });
    await assert.rejects(loadPostgresMigrations(folder({ '0001_Upper.sql': '' })), { code: 'STORE_MIGRATIONS_INVALID' });
    await assert.rejects(loadPostgresMigrations(join(dir, 'nowhere')), { code: 'STORE_MIGRATIONS_MISSING' });
  });

  test('lock keys differ by purpose and schema, and are bigints', () => {
    const keys = [advisoryLockKey('migrate', 'a'), advisoryLockKey('migrate', 'b'), advisoryLockKey('prune', 'a')];
    assert.equal(new Set(keys).size, 3);
    for (const key of keys) assert.ok(BigInt(key) >= -(2n ** 63n) && BigInt(key) < 2n ** 63n);
  });
});

const unreachable = await postgresUnavailable(URL_);

if (unreachable !== null) {
  test('PostgreSQL migrations', { skip: unreachable }, () => {});
} else {
  const schemas = testSchemas(URL_);
  const freshSchema = (): string => schemas.fresh();
  const admin = new pg.Pool({ connectionString: URL_, max: 2 });
  after(async () => {
    try {
      await schemas.dropAll();
    } finally {
      await admin.end();
    }
  });

  async function tables(schema: string): Promise<string[]> {
    const { rows } = await admin.query<{ name: string }>(
      'SELECT tablename AS name FROM pg_tables WHERE schemaname = $1 ORDER BY tablename',
      [schema],
    );
    return rows.map((r) => r.name);
  }

  async function applied(schema: string): Promise<Array<[number, string]>> {
    const { rows } = await admin.query<{ version: number; name: string }>(`SELECT version, name FROM ${schema}.schema_migrations ORDER BY version`);
    return rows.map((r) => [r.version, r.name]);
  }

  describe('PostgreSQL migrations', () => {
    test('apply from an empty database, into the schema, and record each file', async () => {
      const schema = freshSchema();
      assert.equal(await postgresSchemaVersion(URL_, schema), 0);
      const result = await migratePostgres(URL_, schema);
      assert.deepEqual(result, { from: 0, to: 3, applied: ['0001_initial', '0002_storage_tuning', '0003_alerts'] });
      assert.deepEqual(await tables(schema), ['alerts', 'endpoints', 'inventory', 'recorded_events', 'schema_migrations']);
      assert.deepEqual(await applied(schema), [[1, '0001_initial'], [2, '0002_storage_tuning'], [3, '0003_alerts']]);
      assert.equal(await postgresSchemaVersion(URL_, schema), 3);
      // nothing leaked into the default schema
      assert.equal((await admin.query("SELECT 1 FROM pg_tables WHERE schemaname = 'public' AND tablename = 'recorded_events'")).rowCount, 0);
      // 0002 ran on the tables 0001 made
      const { rows } = await admin.query<{ options: string[] }>(
        `SELECT reloptions AS options FROM pg_class WHERE oid = '${schema}.endpoints'::regclass`,
      );
      assert.deepEqual(rows[0]?.options, ['fillfactor=50']);
    });

    test('a second run applies nothing and changes nothing', async () => {
      const schema = freshSchema();
      await migratePostgres(URL_, schema);
      const before = await applied(schema);
      const pool = new pg.Pool({ connectionString: URL_, max: 1 });
      try {
        assert.deepEqual(await migratePostgres(pool, schema), { from: 3, to: 3, applied: [] });
      } finally {
        await pool.end();
      }
      assert.deepEqual(await applied(schema), before);
    });

    test('a database at an older version gets only the files it misses', async () => {
      const schema = freshSchema();
      const all = await loadPostgresMigrations();
      assert.deepEqual(await migratePostgres(URL_, schema, { migrations: all.slice(0, 1) }), { from: 0, to: 1, applied: ['0001_initial'] });
      assert.deepEqual(await migratePostgres(URL_, schema), { from: 1, to: 3, applied: ['0002_storage_tuning', '0003_alerts'] });
    });

    test('concurrent migrators end at the same version, each file applied once', async () => {
      const schema = freshSchema();
      const results = await Promise.all(Array.from({ length: 6 }, () => migratePostgres(URL_, schema)));
      for (const result of results) assert.equal(result.to, 3);
      const appliedNames = results.flatMap((r) => r.applied).sort();
      assert.deepEqual(appliedNames, ['0001_initial', '0002_storage_tuning', '0003_alerts']);
      // exactly one run found the empty schema; the others waited for it
      assert.equal(results.filter((r) => r.from === 0).length, 1);
      assert.deepEqual(await applied(schema), [[1, '0001_initial'], [2, '0002_storage_tuning'], [3, '0003_alerts']]);
    });

    test('analysers starting at once on a new schema all open', async () => {
      const schema = freshSchema();
      const stores = await Promise.all(Array.from({ length: 4 }, () => createPostgresStore({ url: URL_, schema, poolSize: 1 })));
      assert.deepEqual(await Promise.all(stores.map((s) => s.migrate())), [3, 3, 3, 3]);
      await Promise.all(stores.map((s) => s.close()));
      assert.deepEqual(await applied(schema), [[1, '0001_initial'], [2, '0002_storage_tuning'], [3, '0003_alerts']]);
    });

    test('a database newer than the code is refused, by the runner and by the store', async () => {
      const schema = freshSchema();
      await migratePostgres(URL_, schema);
      await admin.query(`INSERT INTO ${schema}.schema_migrations (version, name) VALUES (4, '0004_from_the_future')`);
      await assert.rejects(migratePostgres(URL_, schema), (error: Error & { code?: string }) => {
        assert.equal(error.code, 'STORE_SCHEMA_TOO_NEW');
        assert.match(error.message, /version 4, newer than this apiwarden knows \(3\)/);
        return true;
      });
      await assert.rejects(createPostgresStore({ url: URL_, schema }), { code: 'STORE_SCHEMA_TOO_NEW' });
      await assert.rejects(createPostgresStore({ url: URL_, schema, migrate: false }), { code: 'STORE_SCHEMA_TOO_NEW' });
      // and nothing was touched
      assert.deepEqual((await applied(schema)).map(([v]) => v), [1, 2, 3, 4]);
    });

    test('a store that must not migrate refuses an old schema and opens a current one', async () => {
      const schema = freshSchema();
      await assert.rejects(createPostgresStore({ url: URL_, schema, migrate: false }), (error: Error & { code?: string }) => {
        assert.equal(error.code, 'STORE_SCHEMA_TOO_OLD');
        assert.match(error.message, /apiwarden migrate/);
        return true;
      });
      assert.deepEqual(await tables(schema), [], 'nothing created');
      await migratePostgres(URL_, schema);
      const store = await createPostgresStore({ url: URL_, schema, migrate: false });
      assert.deepEqual(await store.listEndpoints(), []);
      await store.close();
    });

    test('an applied version whose name differs from the file is refused', async () => {
      const schema = freshSchema();
      await migratePostgres(URL_, schema);
      await admin.query(`UPDATE ${schema}.schema_migrations SET name = '0002_renamed' WHERE version = 2`);
      await assert.rejects(migratePostgres(URL_, schema), { code: 'STORE_SCHEMA_MISMATCH' });
    });

    test('a failing file leaves the database as it was, and says which file failed', async () => {
      const schema = freshSchema();
      const migrations: PostgresMigration[] = [
        { version: 1, name: '0001_good', sql: 'CREATE TABLE t1 (x int);' },
        { version: 2, name: '0002_bad', sql: 'CREATE TABLE t2 (x int); SELECT * FROM no_such_table;' },
      ];
      await assert.rejects(migratePostgres(URL_, schema, { migrations }), (error: Error & { code?: string }) => {
        assert.equal(error.code, 'STORE_MIGRATION_FAILED');
        assert.match(error.message, /applying 0002_bad: relation "no_such_table" does not exist/);
        return true;
      });
      assert.deepEqual(await tables(schema), []);
      assert.equal(await postgresSchemaVersion(URL_, schema), 0);
    });

    test('an unreachable database fails with the cause', async () => {
      await assert.rejects(migratePostgres('postgres://postgres@127.0.0.1:1/test', freshSchema(), { connectTimeoutMs: 2_000 }), (error: Error & { code?: string }) => {
        assert.equal(error.code, 'STORE_MIGRATION_FAILED');
        assert.match(error.message, /connecting: .*ECONNREFUSED/);
        assert.ok(error.cause);
        return true;
      });
    });
  });
}
