import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { createSqliteStore } from '../store/sqlite.ts';
import {
  API_KEYS_SCHEMA_VERSION,
  apiKeyId,
  apiKeyStatus,
  createSqliteApiKeyStore,
  generateApiKey,
  hashApiKey,
  isApiKeyFormat,
} from './api-key-store.ts';
import type { ApiKeyStore } from './api-key-store.ts';

const dir = mkdtempSync(join(tmpdir(), 'apiwarden-keys-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const T0 = 1_800_000_000_000;

function memoryStore(): ApiKeyStore {
  return createSqliteApiKeyStore(':memory:', { now: () => T0 });
}

describe('key format', () => {
  it('is aw_ and 43 base64url characters, the id being the 8 after aw_', () => {
    for (let i = 0; i < 200; i++) {
      const key = generateApiKey();
      assert.match(key, /^aw_[A-Za-z0-9][A-Za-z0-9_-]{42}$/);
      assert.ok(isApiKeyFormat(key));
      assert.equal(apiKeyId(key), key.slice(3, 11));
    }
  });

  it('refuses other shapes', () => {
    for (const bad of ['', 'aw_', 'aw_short', `AW_${'a'.repeat(43)}`, `aw_${'a'.repeat(42)}+`, `aw_${'a'.repeat(44)}`, `xaw_${'a'.repeat(43)}`]) {
      assert.equal(isApiKeyFormat(bad), false, bad);
    }
  });

  it('is stored as its SHA-256', () => {
    const key = generateApiKey();
    assert.deepEqual(hashApiKey(key), createHash('sha256').update(key).digest());
  });
});

describe('createSqliteApiKeyStore', () => {
  it('creates a key, returns it once with its record, and finds it again', async () => {
    const store = memoryStore();
    const created = await store.create({ owner: 'alice', scopes: ['orders:read', 'orders:write'], roles: ['admin'], plan: 'gold', name: 'ci' });
    assert.ok(isApiKeyFormat(created.key));
    assert.equal(created.id, apiKeyId(created.key));
    assert.deepEqual(created.record, {
      id: created.id,
      name: 'ci',
      owner: 'alice',
      scopes: ['orders:read', 'orders:write'],
      roles: ['admin'],
      plan: 'gold',
      createdAt: T0,
      expiresAt: null,
      revokedAt: null,
    });
    assert.ok(Object.isFrozen(created.record) && Object.isFrozen(created.record.scopes));
    assert.deepEqual(await store.lookup(created.key, T0 + 1), created.record);
    assert.deepEqual(await store.check(created.key, T0 + 1), { ok: true, record: created.record });
    await store.close();
  });

  it('refuses, with a reason, malformed, unknown, revoked and expired keys', async () => {
    const store = memoryStore();
    const live = await store.create({ owner: 'a', scopes: [] });
    const revoked = await store.create({ owner: 'b', scopes: [] });
    const expiring = await store.create({ owner: 'c', scopes: [], expiresAt: T0 + 1000 });
    assert.equal(await store.revoke(revoked.id, T0 + 10), true);

    // the right id with the rest of the key wrong
    const last = live.key.at(-1) === 'A' ? 'B' : 'A';
    const forged = live.key.slice(0, -1) + last;
    const cases: Array<[string, number, string]> = [
      ['not a key', T0, 'malformed'],
      [generateApiKey(), T0, 'unknown'],
      [forged, T0, 'unknown'],
      [revoked.key, T0 + 10, 'revoked'],
      [expiring.key, T0 + 1000, 'expired'],
    ];
    for (const [key, now, reason] of cases) {
      assert.deepEqual(await store.check(key, now), { ok: false, reason }, reason);
      assert.equal(await store.lookup(key, now), null, reason);
    }
    assert.equal((await store.check(revoked.key, T0 + 9)).ok, true, 'revocation counts from its time');
    assert.equal((await store.check(expiring.key, T0 + 999)).ok, true, 'valid until expiresAt');
    await store.close();
  });

  it('lists keys newest first without key material; revoked ones only on request', async () => {
    let now = T0;
    const store = createSqliteApiKeyStore(':memory:', { now: () => now });
    const a = await store.create({ owner: 'a', scopes: ['s'] });
    now += 1;
    const b = await store.create({ owner: 'b', scopes: [] });
    now += 1;
    await store.revoke(a.id);
    assert.deepEqual((await store.list()).map((r) => r.id), [b.id]);
    const all = await store.list({ includeRevoked: true });
    assert.deepEqual(all.map((r) => r.id), [b.id, a.id]);
    assert.equal(all[1]!.revokedAt, T0 + 2);
    const text = JSON.stringify(all);
    assert.ok(!text.includes(a.key.slice(11)) && !text.includes(b.key.slice(11)));
    assert.equal(apiKeyStatus(all[1]!, now), 'revoked');
    assert.equal(apiKeyStatus(all[0]!, now), 'active');
    await store.close();
  });

  it('revoke answers false for an unknown or already revoked key', async () => {
    const store = memoryStore();
    const a = await store.create({ owner: 'a', scopes: [] });
    assert.equal(await store.revoke('nope'), false);
    assert.equal(await store.revoke(a.id), true);
    assert.equal(await store.revoke(a.id), false);
    await store.close();
  });

  it('validates what it is given', async () => {
    const store = memoryStore();
    const bad: Array<[Parameters<ApiKeyStore['create']>[0], RegExp]> = [
      [{ owner: '', scopes: [] }, /owner must be a non-empty string/],
      [{ owner: 'a\nb', scopes: [] }, /owner must not contain control characters/],
      [{ owner: 'a', scopes: ['read write'] }, /scopes: "read write" is not a valid token/],
      [{ owner: 'a', scopes: [], roles: ['"x"'] }, /roles: /],
      [{ owner: 'a', scopes: [], expiresAt: T0 }, /expiresAt must be a time in the future/],
      [{ owner: 'a', scopes: [], plan: ' ' }, /plan must be a non-empty string/],
    ];
    for (const [input, message] of bad) {
      await assert.rejects(store.create(input), { code: 'API_KEY_INPUT', message });
    }
    const dedup = await store.create({ owner: 'a', scopes: ['x', 'x', 'y'] });
    assert.deepEqual(dedup.record.scopes, ['x', 'y']);
    await store.close();
  });

  it('keeps only the hash on disk, next to the event store in the same file', async () => {
    const file = join(dir, 'shared', 'apiwarden.db');
    const events = createSqliteStore(file);
    const store = createSqliteApiKeyStore(file);
    const created = await store.create({ owner: 'alice', scopes: ['a'] });
    await store.close();
    assert.deepEqual(await events.listEndpoints({}), []);
    await events.close();

    const reopened = createSqliteApiKeyStore(file);
    assert.equal((await reopened.lookup(created.key, Date.now()))?.owner, 'alice');
    await reopened.close();

    const db = new DatabaseSync(file);
    assert.equal(db.prepare('PRAGMA journal_mode').get()?.journal_mode, 'wal');
    const row = db.prepare('SELECT key_hash FROM api_keys WHERE id = ?').get(created.id);
    assert.deepEqual(Buffer.from(row?.key_hash as Uint8Array), hashApiKey(created.key));
    const versions = db.prepare('SELECT version FROM api_keys_schema_version').all();
    assert.deepEqual(versions.map((v) => v.version), [API_KEYS_SCHEMA_VERSION]);
    db.close();
    const secretPart = created.key.slice(11);
    for (const name of readdirSync(join(dir, 'shared'))) {
      assert.ok(!readFileSync(join(dir, 'shared', name)).includes(secretPart), `${name} holds no key`);
    }
  });

  it('refuses a database whose api_keys schema is newer than this code', async () => {
    const file = join(dir, 'newer.db');
    await createSqliteApiKeyStore(file).close();
    const db = new DatabaseSync(file);
    db.prepare('INSERT INTO api_keys_schema_version VALUES (?, ?, ?)').run(API_KEYS_SCHEMA_VERSION + 1, 'future', 0);
    db.close();
    assert.throws(() => createSqliteApiKeyStore(file), { code: 'STORE_SCHEMA_TOO_NEW' });
  });

  it('refuses calls after close', async () => {
    const store = memoryStore();
    await store.close();
    await store.close();
    await assert.rejects(store.create({ owner: 'a', scopes: [] }), { code: 'STORE_CLOSED' });
    await assert.rejects(store.lookup(generateApiKey(), T0), { code: 'STORE_CLOSED' });
  });
});
