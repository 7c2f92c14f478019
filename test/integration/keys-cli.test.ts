/**
 * `apiwarden keys` as a separate process, against the database a gateway
 * reads: create → list → the verifier accepts the printed key → revoke →
 * the verifier refuses it. The command is run through a small entry script
 * (commander + registerKeysCommand, the way main.ts wires commands), so that
 * this test does not depend on main.ts.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteApiKeyStore } from '../../src/auth/api-key-store.ts';
import type { ApiKeyStore } from '../../src/auth/api-key-store.ts';
import { createApiKeyVerifier } from '../../src/auth/api-key-verifier.ts';
import type { AuthOutcome, AuthRequest, SchemeVerifier } from '../../src/auth/types.ts';

let dir: string;
let entry: string;
let db: string;
let store: ApiKeyStore;
let verifier: SchemeVerifier;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'apiwarden-keys-cli-'));
  db = join(dir, 'data', 'apiwarden.db');
  entry = join(dir, 'keys-cli.mjs');
  writeFileSync(entry, `
import { Command, CommanderError } from ${JSON.stringify(import.meta.resolve('commander'))};
import { registerKeysCommand } from ${JSON.stringify(import.meta.resolve('../../src/cli/keys-command.ts'))};
const program = new Command().name('apiwarden').exitOverride();
registerKeysCommand(program);
try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exitCode = error.exitCode;
  else if (error && error.name === 'ApiwardenError') {
    process.stderr.write('apiwarden: ' + error.message + '\\n');
    process.exitCode = 1;
  } else throw error;
}
`);
});

after(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

function run(args: string[]) {
  const r = spawnSync(process.execPath, [entry, ...args], { encoding: 'utf8', timeout: 60_000, cwd: dir });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function withKey(key: string): AuthRequest {
  return {
    method: 'GET',
    path: '/v1/orders',
    query: '',
    headers: { 'x-api-key': key },
    rawHeaders: ['X-API-Key', key],
    peerCertificate: null,
    peerCertificateAuthorized: false,
    body: null,
    now: Date.now(),
  };
}

test('keys create → list → accepted → revoke → refused', async () => {
  const created = run(['keys', 'create', '--owner', 'partner-acme', '--scope', 'orders:read', '--plan', 'partner', '--expires', '90d', '--db', db]);
  assert.equal(created.code, 0, created.err);
  const key = /^ {2}key: (aw_[A-Za-z0-9_-]{43})$/m.exec(created.out)?.[1];
  assert.ok(key, `a key in the output:\n${created.out}`);
  assert.match(created.out, /only time the key is shown/);
  const id = key.slice(3, 11);

  const listed = run(['keys', 'list', '--db', db]);
  assert.equal(listed.code, 0, listed.err);
  assert.match(listed.out, new RegExp(`^${id}\\s+partner-acme\\s+orders:read\\s+partner\\s+\\S+\\s+\\S+\\s+active$`, 'm'));
  assert.ok(!listed.out.includes(key.slice(11)), 'list shows no key material');

  // the gateway side: the same file, read while the CLI writes it (WAL)
  store = createSqliteApiKeyStore(db);
  verifier = createApiKeyVerifier({ scheme: 'ApiKeyAuth', in: 'header', name: 'X-API-Key', store, cacheMs: 0 });
  const accepted = (await verifier.authenticate(withKey(key))) as AuthOutcome;
  assert.equal(accepted.result, 'authenticated');
  assert.equal(accepted.result === 'authenticated' && accepted.principal.id, `apikey:${id}`);
  assert.equal(accepted.result === 'authenticated' && accepted.principal.subject, 'partner-acme');
  assert.equal(accepted.result === 'authenticated' && accepted.principal.plan, 'partner');

  const revoked = run(['keys', 'revoke', id, '--db', db]);
  assert.equal(revoked.code, 0, revoked.err);
  assert.match(revoked.out, new RegExp(`revoked API key ${id}`));
  assert.deepEqual(await verifier.authenticate(withKey(key)), { result: 'invalid', reason: 'revoked api key' });

  const unknown = run(['keys', 'revoke', id, '--db', db]);
  assert.equal(unknown.code, 1);
  assert.match(unknown.err, /no active API key/);

  const all = run(['keys', 'list', '--all', '--json', '--db', db]);
  const records = JSON.parse(all.out) as Array<{ id: string; status: string }>;
  assert.deepEqual(records.map((r) => [r.id, r.status]), [[id, 'revoked']]);
});

test('keys create refuses bad input with a message and exit code 1', () => {
  const result = run(['keys', 'create', '--owner', 'x', '--expires', 'soon', '--db', db]);
  assert.equal(result.code, 1);
  assert.match(result.err, /^apiwarden: --expires: /m);
});

test('keys use ./apiwarden.db when neither --db nor --config is given', () => {
  const created = run(['keys', 'create', '--owner', 'local', '--json']);
  assert.equal(created.code, 0, created.err);
  const listed = run(['keys', 'list', '--json', '--db', join(dir, 'apiwarden.db')]);
  assert.deepEqual((JSON.parse(listed.out) as Array<{ owner: string }>).map((r) => r.owner), ['local']);
});
