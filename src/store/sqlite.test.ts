import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { GatewayEvent } from '../events/types.ts';
import { makeTestEvent, runStoreConformance } from './conformance.ts';
import { createSqliteStore, SQLITE_SCHEMA_VERSION } from './sqlite.ts';

const dir = mkdtempSync(join(tmpdir(), 'apiwarden-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let fileCounter = 0;
/** A fresh file path whose parent folders do not exist yet. */
function freshFile(): string {
  fileCounter += 1;
  return join(dir, `case-${fileCounter}`, 'nested', 'inventory.db');
}

runStoreConformance('sqlite file', () => createSqliteStore(freshFile()));
runStoreConformance('sqlite :memory:', () => createSqliteStore(':memory:'));

function shadow(path: string, overrides: Partial<GatewayEvent> = {}): GatewayEvent {
  return makeTestEvent({ template: null, operationId: null, path, class: 'shadow', status: 404, ...overrides });
}

describe('sqlite store', () => {
  test('reopening a file keeps the data and counts on', async () => {
    const file = freshFile();
    let store = createSqliteStore(file);
    await store.recordEvents([makeTestEvent(), makeTestEvent()]);
    await store.close();
    store = createSqliteStore(file);
    await store.recordEvents([makeTestEvent()]);
    const [record] = await store.listEndpoints();
    assert.equal(record?.total, 3);
    await store.close();
  });

  test('applies the migrations once, in WAL mode, and records the schema version', async () => {
    const file = freshFile();
    await createSqliteStore(file).close();
    await createSqliteStore(file).close();
    const db = new DatabaseSync(file);
    try {
      assert.equal(SQLITE_SCHEMA_VERSION, 4);
      assert.deepEqual(
        db.prepare('SELECT version FROM schema_version ORDER BY version').all().map((r) => r.version),
        [1, 2, 3, 4],
      );
      assert.equal(db.prepare('PRAGMA journal_mode').get()?.journal_mode, 'wal');
    } finally {
      db.close();
    }
  });

  test('refuses a database written by a newer apiwarden', async () => {
    const file = freshFile();
    await createSqliteStore(file).close();
    const db = new DatabaseSync(file);
    db.prepare('INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)').run(99, 'future', 0);
    db.close();
    assert.throws(() => createSqliteStore(file), { code: 'STORE_SCHEMA_TOO_NEW' });
  });

  test('an unusable path fails with STORE_OPEN_FAILED and keeps the cause', () => {
    // a regular file where a folder is needed fails even for root
    const blocker = join(dir, `blocker-${++fileCounter}`);
    writeFileSync(blocker, '');
    assert.throws(() => createSqliteStore(join(blocker, 'sub', 'x.db')), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'STORE_OPEN_FAILED');
      assert.equal((error.cause as { code?: string }).code, 'ENOTDIR');
      return true;
    });
  });

  test('a write that cannot get the lock rejects and leaves nothing half-written', async () => {
    const file = freshFile();
    const store = createSqliteStore(file, { busyTimeoutMs: 20 });
    await store.recordEvents([makeTestEvent()]);
    const other = new DatabaseSync(file);
    other.exec('BEGIN IMMEDIATE');
    try {
      await assert.rejects(store.recordEvents([makeTestEvent(), shadow('/new')]), (error: Error & { code?: string }) => {
        assert.equal(error.code, 'STORE_WRITE_FAILED');
        assert.match(String((error.cause as Error).message), /locked|busy/i);
        return true;
      });
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    const records = await store.listEndpoints();
    assert.deepEqual(records.map((r) => [r.template, r.total]), [['/users/{id}', 1]]);
    await store.recordEvents([makeTestEvent()]);
    assert.equal((await store.listEndpoints())[0]?.total, 2);
    await store.close();
  });

  describe('cap on unmatched endpoints', () => {
    test('past the cap, new unmatched endpoints fold into (other) per upstream and method', async () => {
      const store = createSqliteStore(':memory:', { maxUnmatchedEndpoints: 3 });
      await store.recordEvents([
        shadow('/s1'), shadow('/s2'), shadow('/s1'), shadow('/s3'), shadow('/s4'), shadow('/s5'),
        // documented endpoints without a client-chosen host are never capped
        ...['/d1', '/d2', '/d3', '/d4', '/d5'].map((template) => makeTestEvent({ template, host: '' })),
      ]);
      await store.recordEvents([
        shadow('/s1'), // existing row: still counted on its own
        shadow('/s6', { time: Date.UTC(2025, 0, 16) }),
        shadow('/s7', { method: 'POST' }),
        shadow('/s8', { method: 'X-RANDOM-METHOD' }),
        shadow('/s9', { host: 'random-1234.example' }),
        shadow('/u1', { upstream: null, class: 'unknown', status: 404 }),
      ]);
      const records = await store.listEndpoints();
      const rows = Object.fromEntries(records.map((r) => [`${r.upstream}|${r.host}|${r.method}|${r.template}`, r.total]));
      assert.deepEqual(rows, {
        'users|api.example.com|GET|/s1': 3,
        'users|api.example.com|GET|/s2': 1,
        'users|api.example.com|GET|/s3': 1,
        'users||GET|(other)': 4, // s4, s5, s6, s9 (host folded: a scanner picks it)
        'users||POST|(other)': 1,
        'users||(other)|(other)': 1, // non-standard method folded too
        '||GET|(other)': 1,
        'users||GET|/d1': 1,
        'users||GET|/d2': 1,
        'users||GET|/d3': 1,
        'users||GET|/d4': 1,
        'users||GET|/d5': 1,
      });
      const other = records.find((r) => r.upstream === 'users' && r.method === 'GET' && r.template === '(other)');
      assert.ok(other);
      assert.equal(other.class, 'shadow');
      assert.equal(other.shadow, 4);
      assert.equal(other.status4xx, 4);
      assert.equal(other.operationId, null);
      assert.equal(other.lastSeen, Date.UTC(2025, 0, 16));
      await store.close();
    });

    test('past the cap, a documented endpoint under new Host headers folds into its host-less row', async () => {
      const store = createSqliteStore(':memory:', { maxUnmatchedEndpoints: 2 });
      const hosts = ['a.example', 'b.example', 'c.example', 'd.example', 'e.example'];
      await store.recordEvents(hosts.map((host) => makeTestEvent({ host })));
      const rows = Object.fromEntries((await store.listEndpoints()).map((r) => [`${r.host}|${r.template}|${r.operationId}`, r.total]));
      assert.deepEqual(rows, {
        'a.example|/users/{id}|getUser': 1,
        'b.example|/users/{id}|getUser': 1,
        '|/users/{id}|getUser': 3, // the template and operation are kept; only the invented host goes
      });
      await store.close();
    });

    test('the count of unmatched rows survives a reopen', async () => {
      const file = freshFile();
      let store = createSqliteStore(file, { maxUnmatchedEndpoints: 2 });
      await store.recordEvents([shadow('/a'), shadow('/b')]);
      await store.close();

      store = createSqliteStore(file, { maxUnmatchedEndpoints: 2 });
      await store.recordEvents([shadow('/c')]);
      assert.deepEqual((await store.listEndpoints()).map((r) => r.template), ['(other)', '/a', '/b']);
      await store.close();

      // a larger cap lets new rows in again, up to the new cap
      store = createSqliteStore(file, { maxUnmatchedEndpoints: 3 });
      await store.recordEvents([shadow('/d'), shadow('/e')]);
      const totals = Object.fromEntries((await store.listEndpoints()).map((r) => [r.template, r.total]));
      assert.deepEqual(totals, { '(other)': 2, '/a': 1, '/b': 1, '/d': 1 });
      await store.close();
    });

    test('a cap of 0 folds every unmatched endpoint', async () => {
      const store = createSqliteStore(':memory:', { maxUnmatchedEndpoints: 0 });
      await store.recordEvents([shadow('/a'), makeTestEvent()]);
      assert.deepEqual((await store.listEndpoints()).map((r) => r.template), ['(other)', '/users/{id}']);
      await store.close();
      assert.throws(() => createSqliteStore(':memory:', { maxUnmatchedEndpoints: -1 }), RangeError);
    });
  });

  test('two instances on one file, interleaved in one process, lose nothing', async () => {
    const file = freshFile();
    const a = createSqliteStore(file);
    const b = createSqliteStore(file);
    for (let i = 0; i < 20; i += 1) {
      await Promise.all([
        a.recordEvents([makeTestEvent(), shadow('/a')]),
        b.recordEvents([makeTestEvent(), shadow('/b')]),
      ]);
    }
    const totals = Object.fromEntries((await a.listEndpoints()).map((r) => [r.template, r.total]));
    assert.deepEqual(totals, { '/users/{id}': 40, '/a': 20, '/b': 20 });
    await a.close();
    await b.close();
  });

  test('two processes writing one file at the same time lose nothing', async () => {
    const file = freshFile();
    // create the schema first so that both writers start on equal terms
    await createSqliteStore(file).close();
    const batches = 100;
    const perBatch = 200;
    const storeUrl = pathToFileURL(join(import.meta.dirname, 'sqlite.ts')).href;
    // Each writer prints "ready", waits for a line on stdin, then writes as
    // fast as it can: both are in their write loops at the same time.
    const script = `
      const { createSqliteStore } = await import(${JSON.stringify(storeUrl)});
      const store = createSqliteStore(${JSON.stringify(file)});
      const base = { id: '', time: 0, clientIp: '', clientSubnet: '', peerIp: '', method: 'GET', host: 'h',
        rawPath: '/', path: '/', upstream: 'u', template: null, operationId: null, class: 'shadow',
        mode: 'monitor', decision: 'forwarded', code: null, status: 200, latencyMs: 0,
        upstreamLatencyMs: null, bytesIn: 0, bytesOut: 0, userAgent: null, limit: null, principal: null, auth: null };
      process.stdout.write('ready\\n');
      await new Promise((resolve) => process.stdin.once('data', resolve));
      for (let b = 0; b < ${batches}; b += 1) {
        const events = [];
        // distinct ids: the store counts an id once
        for (let i = 0; i < ${perBatch}; i += 1) events.push({ ...base, id: process.pid + '-' + b + '-' + i, time: b * 1000 + i, path: '/p' + (i % 20) });
        await store.recordEvents(events);
      }
      await store.close();
      process.stdin.destroy();
    `;
    const writers = [0, 1].map(() => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const ready = new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      const exited = new Promise<void>((resolve, reject) => {
        child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`writer exited ${code}: ${stderr}`))));
      });
      return { child, ready, exited };
    });
    await Promise.all(writers.map((w) => w.ready));
    for (const w of writers) w.child.stdin.write('go\n');
    await Promise.all(writers.map((w) => w.exited));

    const store = createSqliteStore(file);
    const records = await store.listEndpoints();
    await store.close();
    assert.equal(records.length, 20);
    for (const record of records) {
      assert.equal(record.total, (2 * batches * perBatch) / 20, record.template);
      assert.equal(record.status2xx, record.total);
    }
  });
});
