import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import type { ApiKeyRecord } from '../auth/api-key-store.ts';
import { DEFAULT_KEYS_DB, formatKeyTable, parseExpiry, registerKeysCommand, resolveKeysDb } from './keys-command.ts';

const dir = mkdtempSync(join(tmpdir(), 'apiwarden-keys-cmd-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const SPEC = fileURLToPath(new URL('../../test/fixtures/config/specs/accounts.yaml', import.meta.url));
const NOW = Date.UTC(2026, 0, 1);
const DAY = 86_400_000;

function policy(store: string): string {
  const file = join(dir, `policy-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, `listeners: [{ port: 8080 }]
upstreams:
  - name: accounts
    url: http://127.0.0.1:9000
    openapi: ${JSON.stringify(SPEC)}
store: { sqlite: ${JSON.stringify(store)} }
`);
  return file;
}

/** Runs `apiwarden keys ...` in this process, capturing output and the exit code. */
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  let code = 0;
  const program = new Command().name('apiwarden').exitOverride().configureOutput({ writeOut: (s) => out.push(s), writeErr: (s) => err.push(s) });
  registerKeysCommand(program, { out: (line) => out.push(line), err: (line) => err.push(line) }, (c) => (code = c));
  try {
    await program.parseAsync(['node', 'apiwarden', ...args]);
  } catch (error) {
    code = (error as { exitCode?: number }).exitCode ?? 1;
    err.push((error as Error).message);
  }
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('parseExpiry', () => {
  it('takes durations from now', () => {
    assert.equal(parseExpiry('90d', NOW), NOW + 90 * DAY);
    assert.equal(parseExpiry('12h', NOW), NOW + 12 * 3_600_000);
    assert.equal(parseExpiry('2w', NOW), NOW + 14 * DAY);
    assert.equal(parseExpiry('30m', NOW), NOW + 30 * 60_000);
  });

  it('takes dates (UTC midnight) and date-times with a zone', () => {
    assert.equal(parseExpiry('2026-12-31', NOW), Date.UTC(2026, 11, 31));
    assert.equal(parseExpiry('2026-06-30T12:00:00+02:00', NOW), Date.UTC(2026, 5, 30, 10));
  });

  it('refuses the past, zero and nonsense', () => {
    assert.throws(() => parseExpiry('2025-01-01', NOW), { code: 'KEYS_ARGUMENT', message: /in the past/ });
    assert.throws(() => parseExpiry('0d', NOW), { code: 'KEYS_ARGUMENT', message: /more than 0/ });
    assert.throws(() => parseExpiry('90 days', NOW), { code: 'KEYS_ARGUMENT', message: /or a duration such as 90d/ });
    assert.throws(() => parseExpiry('2026-06-30T12:00:00', NOW), { code: 'KEYS_ARGUMENT', message: /no time zone/ });
  });
});

describe('resolveKeysDb', () => {
  it('takes --db first, then the policy\'s store.sqlite, then ./apiwarden.db', async () => {
    assert.equal(await resolveKeysDb({ db: '/x/keys.db', config: '/does/not/matter.yaml' }), '/x/keys.db');
    assert.equal(await resolveKeysDb({ config: policy('data/aw.db') }), join(dir, 'data', 'aw.db'));
    assert.equal(await resolveKeysDb({}), DEFAULT_KEYS_DB);
  });

  it('refuses a policy whose store is in memory', async () => {
    await assert.rejects(resolveKeysDb({ config: policy(':memory:') }), { code: 'KEYS_NO_STORE' });
  });
});

describe('formatKeyTable', () => {
  it('prints id, owner, scopes, plan, created, expires and status', () => {
    const record: ApiKeyRecord = {
      id: 'Ab3dEf9h', name: null, owner: 'alice', scopes: ['a', 'b'], roles: [], plan: 'gold',
      createdAt: NOW, expiresAt: NOW + DAY, revokedAt: null,
    };
    const text = formatKeyTable([record, { ...record, id: 'Zz9yXx8w', plan: null, scopes: [], expiresAt: null, revokedAt: NOW }], NOW + 1);
    const lines = text.split('\n');
    assert.match(lines[0]!, /^ID\s+OWNER\s+SCOPES\s+PLAN\s+CREATED\s+EXPIRES\s+STATUS$/);
    assert.match(lines[1]!, /^Ab3dEf9h\s+alice\s+a,b\s+gold\s+2026-01-01T00:00:00Z\s+2026-01-02T00:00:00Z\s+active$/);
    assert.match(lines[2]!, /^Zz9yXx8w\s+alice\s+-\s+-\s+2026-01-01T00:00:00Z\s+-\s+revoked$/);
  });
});

describe('registerKeysCommand', () => {
  it('creates, lists and revokes keys in the policy\'s database', async () => {
    const config = policy('cmd/keys.db');
    const created = await cli(['keys', 'create', '--owner', 'alice', '--scope', 'orders:read', '--scope', 'orders:write', '--plan', 'gold', '--expires', '30d', '--name', 'ci', '-c', config]);
    assert.equal(created.code, 0, created.err);
    const key = /key: (aw_[A-Za-z0-9_-]{43})/.exec(created.out)?.[1];
    assert.ok(key, created.out);
    const id = key.slice(3, 11);
    assert.match(created.out, new RegExp(`created API key ${id} for alice`));
    assert.match(created.out, /only time the key is shown/);

    const listed = await cli(['keys', 'list', '-c', config]);
    assert.match(listed.out, new RegExp(`^${id}\\s+alice\\s+orders:read,orders:write\\s+gold\\s+\\S+\\s+\\S+\\s+active$`, 'm'));
    assert.ok(!listed.out.includes(key.slice(11)), 'no key material in the list');

    const json = await cli(['keys', 'list', '--json', '--db', join(dir, 'cmd', 'keys.db')]);
    const records = JSON.parse(json.out) as Array<Record<string, unknown>>;
    assert.deepEqual(records.map((r) => [r.id, r.name, r.status]), [[id, 'ci', 'active']]);
    assert.ok(!json.out.includes(key.slice(11)));

    assert.deepEqual(await cli(['keys', 'revoke', id, '-c', config]), { code: 0, out: `revoked API key ${id}`, err: '' });
    const again = await cli(['keys', 'revoke', id, '-c', config]);
    assert.equal(again.code, 1);
    assert.match(again.err, /no active API key/);
    assert.equal((await cli(['keys', 'list', '-c', config])).out, 'no API keys (revoked ones: --all)');
    assert.match((await cli(['keys', 'list', '--all', '-c', config])).out, new RegExp(`^${id}\\s.*revoked$`, 'm'));
  });

  it('prints { id, key, record } with create --json', async () => {
    const db = join(dir, 'json.db');
    const result = await cli(['keys', 'create', '--owner', 'bob', '--json', '--db', db]);
    const parsed = JSON.parse(result.out) as { id: string; key: string; record: { owner: string; scopes: string[] } };
    assert.equal(parsed.id, parsed.key.slice(3, 11));
    assert.equal(parsed.record.owner, 'bob');
    assert.deepEqual(parsed.record.scopes, []);
  });

  it('refuses bad arguments with a message', async () => {
    const db = join(dir, 'bad.db');
    const noOwner = await cli(['keys', 'create', '--db', db]);
    assert.notEqual(noOwner.code, 0);
    assert.match(noOwner.err, /--owner/);
    const badScope = await cli(['keys', 'create', '--owner', 'a', '--scope', 'two words', '--db', db]);
    assert.equal(badScope.code, 1);
    assert.match(badScope.err, /scopes: "two words" is not a valid token/);
    const past = await cli(['keys', 'create', '--owner', 'a', '--expires', '2001-01-01', '--db', db]);
    assert.equal(past.code, 1);
    assert.match(past.err, /in the past/);
  });
});
