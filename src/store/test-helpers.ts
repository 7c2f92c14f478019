/**
 * The PostgreSQL server the store's tests use: APIWARDEN_TEST_POSTGRES_URL,
 * else this machine's (trust auth, database `test`), and why it cannot be
 * used when it cannot (the tests skip saying so, the password masked).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const TEST_POSTGRES_URL = process.env.APIWARDEN_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** null when the server answers a query within 2 s, else the skip message */
export async function postgresUnavailable(url = TEST_POSTGRES_URL): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    const why = error instanceof Error ? error.message || String((error as { code?: unknown }).code) : String(error);
    return `PostgreSQL is not reachable at ${url.replace(/:[^:@/]*@/, ':***@')} (${why}); set APIWARDEN_TEST_POSTGRES_URL`;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Schemas of one test file: each test takes a fresh one; dropAll() removes them all after. */
export interface TestSchemas {
  fresh(): string;
  dropAll(): Promise<void>;
}

export function testSchemas(url = TEST_POSTGRES_URL): TestSchemas {
  const schemas: string[] = [];
  return {
    fresh() {
      const schema = `aw_test_${randomBytes(6).toString('hex')}`;
      schemas.push(schema);
      return schema;
    },
    async dropAll() {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}
