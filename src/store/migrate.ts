import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { ApiwardenError } from '../errors.ts';

/**
 * Versioned schema migrations for the PostgreSQL store. Several analysers
 * may start at once against one database, and an operator may run
 * `apiwarden migrate` beside them, so applying must be safe to race: every
 * run takes a transaction-scoped advisory lock for the schema, reads the
 * version under it, applies what is missing in the same transaction and
 * records each file in `schema_migrations`. A second migrator waits for
 * the lock, then finds nothing to do. A database newer than this code is
 * refused: there is no downgrade.
 *
 * The migrations are SQL files, `migrations/postgres/NNNN_name.sql`, read
 * at run time next to this module (a build must copy them beside the
 * compiled file). They use unqualified names: the runner sets search_path
 * to the target schema for the transaction.
 */

export interface PostgresMigration {
  /** 1, 2, 3…: the NNNN of the file name */
  version: number;
  /** the file name without `.sql`, e.g. '0001_initial' */
  name: string;
  sql: string;
}

export interface MigrationResult {
  /** the schema version found (0: a new schema) */
  from: number;
  /** the schema version now */
  to: number;
  /** the names of the migrations applied by this call, in order */
  applied: string[];
}

export interface MigrateOptions {
  /** the migrations to apply; default: the files shipped with apiwarden */
  migrations?: readonly PostgresMigration[];
  /** when given a URL: how long to wait for the connection, ms. Default 10,000. */
  connectTimeoutMs?: number;
}

export const DEFAULT_POSTGRES_SCHEMA = 'apiwarden';
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

const MIGRATIONS_DIR = new URL('./migrations/postgres/', import.meta.url);
const FILE_NAME = /^(\d{4})_([a-z0-9_]+)\.sql$/;
/**
 * Lower-case letters, digits and '_', as PostgreSQL folds unquoted names:
 * the schema can then be written without quotes in psql, and nothing in a
 * configured name needs escaping. 63 bytes is PostgreSQL's name limit.
 */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Throws when `schema` is not a plain lower-case PostgreSQL name. */
export function assertSchemaName(schema: string): void {
  if (typeof schema !== 'string' || !SCHEMA_NAME.test(schema) || schema.startsWith('pg_')) {
    throw new ApiwardenError(
      'STORE_BAD_SCHEMA_NAME',
      `the PostgreSQL schema name ${JSON.stringify(schema)} must be lower-case letters, digits and _ (at most 63, not starting with pg_)`,
    );
  }
}

/** The schema name as an SQL identifier. */
export function quoteSchema(schema: string): string {
  assertSchemaName(schema);
  return pg.escapeIdentifier(schema);
}

/**
 * A bigint advisory-lock key for one purpose in one schema (as a decimal
 * string, the form a bigint parameter takes). Derived from a hash so that
 * separate schemas in one database do not wait on each other.
 */
export function advisoryLockKey(purpose: string, schema: string): string {
  return createHash('sha256').update(`apiwarden:${purpose}:${schema}`).digest().readBigInt64BE(0).toString();
}

/** Read and check the migration files of a directory (default: the ones shipped). */
export async function loadPostgresMigrations(dir: URL | string = MIGRATIONS_DIR): Promise<PostgresMigration[]> {
  const path = typeof dir === 'string' ? dir : fileURLToPath(dir);
  let files: string[];
  try {
    files = await readdir(path);
  } catch (error) {
    throw new ApiwardenError(
      'STORE_MIGRATIONS_MISSING',
      `the PostgreSQL migrations were not found in ${path} (a build must copy src/store/migrations beside store/migrate.js)`,
      { cause: error },
    );
  }
  const migrations: PostgresMigration[] = [];
  for (const file of files.filter((f) => f.endsWith('.sql')).sort()) {
    const match = FILE_NAME.exec(file);
    if (match === null) {
      throw new ApiwardenError('STORE_MIGRATIONS_INVALID', `${file}: a migration file is named NNNN_lower_case_name.sql`);
    }
    migrations.push({ version: Number(match[1]), name: file.slice(0, -'.sql'.length), sql: await readFile(`${path}/${file}`, 'utf8') });
  }
  checkSequence(migrations);
  return migrations;
}

/** Versions must run 1, 2, 3… without a gap or a repeat: the version is the count of files applied. */
function checkSequence(migrations: readonly PostgresMigration[]): void {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new ApiwardenError(
        'STORE_MIGRATIONS_INVALID',
        `migration ${migration.name} has version ${migration.version}, expected ${index + 1}: versions run 1, 2, 3… without gaps or repeats`,
      );
    }
  });
}

/** The version of the shipped migrations: what this code reads and writes. */
export async function latestPostgresVersion(): Promise<number> {
  return (await loadPostgresMigrations()).length;
}

type Target = pg.Pool | string;

/** A client for one job, and how to give it back (a broken client is discarded, not pooled). */
async function connect(target: Target, connectTimeoutMs: number): Promise<{ client: pg.ClientBase; done(error?: Error): Promise<void> }> {
  if (typeof target !== 'string') {
    const client = await target.connect();
    return { client, done: async (error) => client.release(error) };
  }
  const client = new pg.Client({ connectionString: target, connectionTimeoutMillis: connectTimeoutMs, application_name: 'apiwarden-migrate' });
  // an error on the socket while idle must not become an uncaught 'error' event
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => {});
    throw error;
  }
  return { client, done: () => client.end().catch(() => {}) };
}

/**
 * The version of `schema` (0 when it has no migrations table yet), without
 * changing anything. For a store started with `migrate: false` and for a
 * status command.
 */
export async function postgresSchemaVersion(target: Target, schema: string = DEFAULT_POSTGRES_SCHEMA, options: { connectTimeoutMs?: number } = {}): Promise<number> {
  const q = quoteSchema(schema);
  const { client, done } = await connect(target, options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS);
  try {
    const { rows } = await client.query<{ found: string | null }>('SELECT to_regclass($1) AS found', [`${q}.schema_migrations`]);
    if (rows[0]?.found == null) return 0;
    const result = await client.query<{ version: number | null }>(`SELECT max(version) AS version FROM ${q}.schema_migrations`);
    return result.rows[0]?.version ?? 0;
  } finally {
    await done();
  }
}

/**
 * Bring `schema` to the latest version: create it if needed, apply the
 * missing migrations in order in one transaction, record them. Safe to run
 * from several processes at once, and again when up to date (applies
 * nothing). Rejects with STORE_SCHEMA_TOO_NEW when the database is newer
 * than the migrations, STORE_SCHEMA_MISMATCH when an applied version has
 * another name than its file, STORE_MIGRATION_FAILED (with the cause) when
 * a file or the connection fails; then nothing of this run is kept.
 */
export async function migratePostgres(target: Target, schema: string = DEFAULT_POSTGRES_SCHEMA, options: MigrateOptions = {}): Promise<MigrationResult> {
  const q = quoteSchema(schema);
  const migrations = options.migrations ?? (await loadPostgresMigrations());
  checkSequence(migrations);
  const latest = migrations.length;

  let step = 'connecting';
  let connection: Awaited<ReturnType<typeof connect>>;
  try {
    connection = await connect(target, options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS);
  } catch (error) {
    throw new ApiwardenError('STORE_MIGRATION_FAILED', `cannot migrate the PostgreSQL schema ${q}: ${step}: ${messageOf(error)}`, { cause: error });
  }
  const { client, done } = connection;
  let broken: Error | undefined;
  try {
    step = 'locking';
    await client.query('BEGIN');
    // Held until COMMIT or ROLLBACK: a concurrent migrator of the same
    // schema waits here and then reads the version this run leaves.
    await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [advisoryLockKey('migrate', schema)]);
    step = 'reading the version';
    // Look before creating: CREATE SCHEMA IF NOT EXISTS still needs the
    // CREATE privilege on the database, which a role that was only granted
    // an existing schema lacks.
    const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    if (exists.rowCount === 0) await client.query(`CREATE SCHEMA ${q}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${q}.schema_migrations (
      version    integer     PRIMARY KEY,
      name       text        NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const { rows } = await client.query<{ version: number; name: string }>(`SELECT version, name FROM ${q}.schema_migrations ORDER BY version`);
    const from = rows.reduce((max, row) => Math.max(max, row.version), 0);
    if (from > latest) {
      throw new ApiwardenError(
        'STORE_SCHEMA_TOO_NEW',
        `the PostgreSQL schema ${q} is at version ${from}, newer than this apiwarden knows (${latest}); upgrade apiwarden (there is no downgrade)`,
      );
    }
    for (const row of rows) {
      const known = migrations[row.version - 1];
      if (known === undefined || known.name !== row.name) {
        throw new ApiwardenError(
          'STORE_SCHEMA_MISMATCH',
          `the PostgreSQL schema ${q} has migration ${row.version} "${row.name}" applied, but this apiwarden's is "${known?.name ?? '(none)'}"`,
        );
      }
    }
    const applied: string[] = [];
    await client.query(`SET LOCAL search_path TO ${q}`);
    for (const migration of migrations.slice(from)) {
      step = `applying ${migration.name}`;
      await client.query(migration.sql);
      await client.query(`INSERT INTO ${q}.schema_migrations (version, name) VALUES ($1, $2)`, [migration.version, migration.name]);
      applied.push(migration.name);
    }
    step = 'committing';
    await client.query('COMMIT');
    return { from, to: latest, applied };
  } catch (error) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackError) {
      broken = rollbackError as Error;
    }
    if (error instanceof ApiwardenError) throw error;
    throw new ApiwardenError('STORE_MIGRATION_FAILED', `cannot migrate the PostgreSQL schema ${q}: ${step}: ${messageOf(error)}`, { cause: error });
  } finally {
    await done(broken);
  }
}

export function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // a refused connection to a name with several addresses is an AggregateError with no message
  return error.message || String((error as { code?: unknown }).code ?? error.name);
}
