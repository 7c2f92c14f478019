/**
 * API keys issued by apiwarden (`apiwarden keys create`), kept as hashes.
 *
 * Key format: `aw_` + 32 random bytes in base64url (43 characters), e.g.
 * `aw_Q2xhc3NpZmllZC4uLm5vdCByZWFsbHkgYSBrZXkgOik`. The 8 characters after
 * `aw_` are the key id: not secret, stored in clear, shown by `keys list`,
 * used in principal ids (`apikey:<id>`), logs and rate-limit keys, and so an
 * operator can tell which row a key belongs to by reading its beginning. The
 * other 35 characters (≥ 208 random bits) are what makes the key unguessable.
 *
 * Only SHA-256 of the whole key is stored. A fast hash is right here, and a
 * password hash (scrypt, argon2) would only cost CPU on every request: the
 * key is 256 random bits, so there is no dictionary to try and brute force
 * of the hash is out of reach, whatever the hash speed (NIST SP 800-63B
 * §5.1.1.2 asks for slow hashing only for user-chosen secrets).
 *
 * The clear key is returned once by `create` and never stored or logged.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { ApiwardenError } from '../errors.ts';

/** What the store keeps about a key: never the key, never its hash. */
export interface ApiKeyRecord {
  /** the 8 characters after `aw_`; not secret */
  readonly id: string;
  /** free text to recognise the key by ("ci deploy key"), or null */
  readonly name: string | null;
  /** who the key was issued to; the principal's subject */
  readonly owner: string;
  readonly scopes: readonly string[];
  readonly roles: readonly string[];
  /** rate-limit plan, or null */
  readonly plan: string | null;
  /** epoch ms */
  readonly createdAt: number;
  /** epoch ms from which the key is refused, or null for no expiry */
  readonly expiresAt: number | null;
  /** epoch ms when the key was revoked, or null */
  readonly revokedAt: number | null;
}

export interface NewApiKey {
  owner: string;
  scopes: readonly string[];
  roles?: readonly string[];
  plan?: string | null;
  /** epoch ms; null or absent for no expiry */
  expiresAt?: number | null;
  name?: string | null;
}

export interface CreatedApiKey {
  id: string;
  /** the clear key: returned here once, never stored */
  key: string;
  record: ApiKeyRecord;
}

/** Why a key was refused: for logs and events only, never for the client. */
export type ApiKeyRefusal = 'malformed' | 'unknown' | 'revoked' | 'expired';

export type ApiKeyCheck = { ok: true; record: ApiKeyRecord } | { ok: false; reason: ApiKeyRefusal };

/**
 * One interface for every place keys are kept (SQLite now; PostgreSQL can
 * follow with the same shape). Asynchronous so that a network store fits.
 */
export interface ApiKeyStore {
  /** issues a key; `key` in the result is the only copy of the clear key */
  create(input: NewApiKey): Promise<CreatedApiKey>;
  /** keys, newest first; revoked ones only with includeRevoked */
  list(options?: { includeRevoked?: boolean }): Promise<ApiKeyRecord[]>;
  /** revokes a key; false when there is no such key or it was already revoked */
  revoke(id: string, now?: number): Promise<boolean>;
  /** the record of a valid key, or null for a malformed, unknown, revoked or expired one */
  lookup(clearKey: string, now: number): Promise<ApiKeyRecord | null>;
  /** as lookup, with the reason of a refusal (for logs) */
  check(clearKey: string, now: number): Promise<ApiKeyCheck>;
  close(): Promise<void>;
}

export const API_KEY_PREFIX = 'aw_';
const KEY_BYTES = 32;
const ID_LENGTH = 8;
/** `aw_` + 43 base64url characters (32 bytes, no padding) */
const KEY_PATTERN = /^aw_[A-Za-z0-9_-]{43}$/;

/** Whether a string has the shape of an apiwarden key (says nothing of its validity). */
export function isApiKeyFormat(value: string): boolean {
  return KEY_PATTERN.test(value);
}

/** The key id of a well-formed key: the 8 characters after `aw_`. */
export function apiKeyId(clearKey: string): string {
  return clearKey.slice(API_KEY_PREFIX.length, API_KEY_PREFIX.length + ID_LENGTH);
}

/** The stored form of a key: SHA-256 of its UTF-8 bytes (see the module comment for why a fast hash). */
export function hashApiKey(clearKey: string): Buffer {
  return createHash('sha256').update(clearKey, 'utf8').digest();
}

/**
 * A new random key. The id must not start with '-' or '_', so that
 * `apiwarden keys revoke <id>` is never read as an option: such draws are
 * redrawn (the first character keeps log2(62) bits instead of 6).
 */
export function generateApiKey(): string {
  for (;;) {
    const body = randomBytes(KEY_BYTES).toString('base64url');
    if (body[0] !== '-' && body[0] !== '_') return API_KEY_PREFIX + body;
  }
}

/** 'active', 'expired' or 'revoked' at `now`. */
export function apiKeyStatus(record: ApiKeyRecord, now: number): 'active' | 'expired' | 'revoked' {
  if (record.revokedAt !== null && record.revokedAt <= now) return 'revoked';
  if (record.expiresAt !== null && record.expiresAt <= now) return 'expired';
  return 'active';
}

// A scope or role is one token of an OAuth scope string (RFC 6749 §3.3
// scope-token: printable ASCII without space, '"' and '\').
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
// Owners, names and plans go to logs, events and (as principal headers) to
// upstreams: no control characters.
const CONTROL = /[\x00-\x1f\x7f]/;

function invalidInput(message: string): ApiwardenError {
  return new ApiwardenError('API_KEY_INPUT', message);
}

function checkText(field: string, value: unknown, isRequired: boolean): string | null {
  if (value === undefined || value === null) {
    if (isRequired) throw invalidInput(`${field} is required`);
    return null;
  }
  if (typeof value !== 'string' || value.trim() === '') throw invalidInput(`${field} must be a non-empty string`);
  if (value.length > 200) throw invalidInput(`${field} must be at most 200 characters`);
  if (CONTROL.test(value)) throw invalidInput(`${field} must not contain control characters`);
  return value;
}

function checkTokens(field: string, values: readonly string[] | undefined): string[] {
  const list = [...(values ?? [])];
  for (const value of list) {
    if (typeof value !== 'string' || !SCOPE_TOKEN.test(value)) {
      throw invalidInput(`${field}: "${String(value)}" is not a valid token (printable ASCII, no spaces or quotes)`);
    }
  }
  return [...new Set(list)];
}

/** Validates and normalises what `create` is given; throws ApiwardenError API_KEY_INPUT. */
export function checkNewApiKey(input: NewApiKey, now: number): Required<NewApiKey> & { owner: string } {
  const expiresAt = input.expiresAt ?? null;
  if (expiresAt !== null && (!Number.isSafeInteger(expiresAt) || expiresAt <= now)) {
    throw invalidInput('expiresAt must be a time in the future (epoch ms)');
  }
  return {
    owner: checkText('owner', input.owner, true)!,
    scopes: checkTokens('scopes', input.scopes),
    roles: checkTokens('roles', input.roles),
    plan: checkText('plan', input.plan, false),
    name: checkText('name', input.name, false),
    expiresAt,
  };
}

// ---------------------------------------------------------------------------
// SQLite

interface Migration {
  version: number;
  description: string;
  sql: string;
}

/**
 * Migrations of the api_keys table. Its version is kept in a table of its
 * own (api_keys_schema_version), so that the key store and the event store
 * can share one database file and still migrate independently. The list
 * only grows: a released migration is never edited.
 */
const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'api keys',
    // id is the key's first 8 characters after aw_: the lookup is by primary
    // key, then the hash is compared in constant time (see check()).
    sql: `
      CREATE TABLE api_keys (
        id         TEXT    PRIMARY KEY,
        key_hash   BLOB    NOT NULL,
        name       TEXT,
        owner      TEXT    NOT NULL,
        scopes     TEXT    NOT NULL,
        roles      TEXT    NOT NULL,
        plan       TEXT,
        created_at INTEGER NOT NULL,
        expires_at INTEGER,
        revoked_at INTEGER
      );
    `,
  },
];

export const API_KEYS_SCHEMA_VERSION: number = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

function migrate(db: DatabaseSync): void {
  db.exec(`CREATE TABLE IF NOT EXISTS api_keys_schema_version (
    version     INTEGER PRIMARY KEY,
    description TEXT    NOT NULL,
    applied_at  INTEGER NOT NULL
  )`);
  for (const migration of MIGRATIONS) {
    // BEGIN IMMEDIATE takes the write lock before reading the version, so
    // that two processes opening a new file at once cannot both apply a step.
    db.exec('BEGIN IMMEDIATE');
    try {
      const row = db.prepare('SELECT max(version) AS version FROM api_keys_schema_version').get();
      const current = typeof row?.version === 'number' ? row.version : 0;
      if (current > API_KEYS_SCHEMA_VERSION) {
        throw new ApiwardenError(
          'STORE_SCHEMA_TOO_NEW',
          `the api_keys table is at schema version ${current}, newer than this apiwarden (${API_KEYS_SCHEMA_VERSION}); upgrade apiwarden`,
        );
      }
      if (current < migration.version) {
        db.exec(migration.sql);
        db.prepare('INSERT INTO api_keys_schema_version (version, description, applied_at) VALUES (?, ?, ?)').run(
          migration.version,
          migration.description,
          Date.now(),
        );
      }
      db.exec('COMMIT');
    } catch (error) {
      if (db.isTransaction) db.exec('ROLLBACK');
      throw error;
    }
  }
}

function parseList(text: unknown): string[] {
  const value: unknown = typeof text === 'string' ? JSON.parse(text) : [];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function toRecord(row: Record<string, unknown>): ApiKeyRecord {
  return Object.freeze({
    id: row.id as string,
    name: (row.name as string | null) ?? null,
    owner: row.owner as string,
    scopes: Object.freeze(parseList(row.scopes)),
    roles: Object.freeze(parseList(row.roles)),
    plan: (row.plan as string | null) ?? null,
    createdAt: row.created_at as number,
    expiresAt: (row.expires_at as number | null) ?? null,
    revokedAt: (row.revoked_at as number | null) ?? null,
  });
}

const RECORD_COLUMNS = 'id, name, owner, scopes, roles, plan, created_at, expires_at, revoked_at';

/**
 * Compared against when no row has the key's id, so that an unknown id costs
 * the same hash and comparison as a known one. Random: it matches nothing.
 */
const DUMMY_HASH = randomBytes(32);

export interface SqliteApiKeyStoreOptions {
  /** how long a writer waits for another process's lock, ms; default 5,000 */
  busyTimeoutMs?: number;
  /** the clock of create and revoke; default Date.now */
  now?: () => number;
}

/**
 * Keys in a SQLite file (or ':memory:'), in the table `api_keys`. The file
 * may be the event store's (`store.sqlite`): WAL mode lets the CLI create and
 * revoke keys while gateways read them. node:sqlite is synchronous: a lookup
 * is one primary-key read, some microseconds, on the caller's thread.
 */
export function createSqliteApiKeyStore(file: string, options: SqliteApiKeyStoreOptions = {}): ApiKeyStore {
  const clock = options.now ?? Date.now;
  let db: DatabaseSync;
  try {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    db = new DatabaseSync(file, { timeout: options.busyTimeoutMs ?? 5_000 });
  } catch (error) {
    throw new ApiwardenError('STORE_OPEN_FAILED', `cannot open the API key store ${file}`, { cause: error });
  }
  try {
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = NORMAL');
    migrate(db);
  } catch (error) {
    db.close();
    if (error instanceof ApiwardenError) throw error;
    throw new ApiwardenError('STORE_OPEN_FAILED', `cannot open the API key store ${file}`, { cause: error });
  }

  const insert = db.prepare(
    `INSERT INTO api_keys (id, key_hash, name, owner, scopes, roles, plan, created_at, expires_at, revoked_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)`,
  );
  const byId = db.prepare(`SELECT ${RECORD_COLUMNS}, key_hash FROM api_keys WHERE id = ?`);
  const listActive = db.prepare(`SELECT ${RECORD_COLUMNS} FROM api_keys WHERE revoked_at IS NULL ORDER BY created_at DESC, id`);
  const listAll = db.prepare(`SELECT ${RECORD_COLUMNS} FROM api_keys ORDER BY created_at DESC, id`);
  const revoke = db.prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL');
  let isClosed = false;

  function assertOpen(): void {
    if (isClosed) throw new ApiwardenError('STORE_CLOSED', 'the API key store is closed');
  }

  function check(clearKey: string, now: number): ApiKeyCheck {
    assertOpen();
    if (typeof clearKey !== 'string' || !isApiKeyFormat(clearKey)) return { ok: false, reason: 'malformed' };
    const row = byId.get(apiKeyId(clearKey));
    const stored = row?.key_hash;
    const expected = stored instanceof Uint8Array && stored.length === 32 ? stored : DUMMY_HASH;
    // Equal-length digests compared in constant time: how long this takes
    // says nothing of how much of the key was right. The row was found by
    // its id, which is not secret, so the lookup itself leaks nothing either.
    const isMatch = timingSafeEqual(hashApiKey(clearKey), expected) && expected !== DUMMY_HASH;
    if (!row || !isMatch) return { ok: false, reason: 'unknown' };
    const record = toRecord(row);
    const status = apiKeyStatus(record, now);
    if (status !== 'active') return { ok: false, reason: status };
    return { ok: true, record };
  }

  return {
    async create(input) {
      assertOpen();
      const now = clock();
      const value = checkNewApiKey(input, now);
      // An id is 48 bits: two keys sharing one is unlikely but possible, and
      // the primary key refuses the second; draw again then.
      for (let attempt = 0; ; attempt++) {
        const key = generateApiKey();
        const id = apiKeyId(key);
        try {
          insert.run(id, hashApiKey(key), value.name, value.owner, JSON.stringify(value.scopes), JSON.stringify(value.roles),
            value.plan, now, value.expiresAt);
        } catch (error) {
          if (attempt < 5 && (error as { errcode?: number }).errcode === 1555 /* SQLITE_CONSTRAINT_PRIMARYKEY */) continue;
          throw error;
        }
        const record = toRecord(byId.get(id)!);
        return { id, key, record };
      }
    },
    async list(options = {}) {
      assertOpen();
      return (options.includeRevoked ? listAll : listActive).all().map(toRecord);
    },
    async revoke(id, now = clock()) {
      assertOpen();
      return Number(revoke.run(now, id).changes) > 0;
    },
    async lookup(clearKey, now) {
      const result = check(clearKey, now);
      return result.ok ? result.record : null;
    },
    async check(clearKey, now) {
      return check(clearKey, now);
    },
    async close() {
      if (isClosed) return;
      isClosed = true;
      db.close();
    },
  };
}
