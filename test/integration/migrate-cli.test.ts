/**
 * `apiwarden migrate -c policy` against the PostgreSQL of this machine: a
 * new schema gets every migration, a second run applies nothing, and a
 * policy without store.postgres is told what to set.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { main } from '../../src/cli/main.ts';
import { postgresUnavailable, TEST_POSTGRES_URL } from '../../src/store/test-helpers.ts';

const URL_ = TEST_POSTGRES_URL;
const skip = (await postgresUnavailable(URL_)) ?? false;

describe('apiwarden migrate', { skip }, () => {
  const schema = `aw_cli_${randomBytes(4).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'apiwarden-migrate-'));
  const policy = (store: string): string => {
    const file = join(dir, `p-${randomBytes(3).toString('hex')}.yaml`);
    writeFileSync(join(dir, 'doc.yaml'), "openapi: 3.0.3\ninfo: { title: t, version: '1' }\npaths: {}\n");
    writeFileSync(file, `listeners: [{ port: 0 }]\nupstreams: [{ name: a, url: http://127.0.0.1:9, openapi: [doc.yaml] }]\n${store}\n`);
    return file;
  };
  const run = async (file: string): Promise<{ code: number; out: string; err: string }> => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['node', 'apiwarden', 'migrate', '-c', file], { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  after(async () => {
    const client = new pg.Client({ connectionString: URL_ });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  });

  it('applies every migration to a new schema, then nothing', async () => {
    const file = policy(`store: { postgres: { url: { value: '${URL_}' }, schema: ${schema} } }`);
    const first = await run(file);
    assert.equal(first.code, 0, first.err);
    assert.match(first.out, new RegExp(`schema ${schema}: version 0 → \\d+ \\(0001_initial, `));
    const second = await run(file);
    assert.equal(second.code, 0);
    assert.match(second.out, /nothing to apply/);
  });

  it('says what to set when the policy has no PostgreSQL store', async () => {
    const result = await run(policy(''));
    assert.equal(result.code, 2);
    assert.match(result.err, /store\.postgres is not set/);
  });
});
