import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { FIXTURES, freePort } from './helpers/gateway.ts';
import { startTestUpstream, type TestUpstream } from './helpers/upstream.ts';

const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

function run(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function writePolicy(dir: string, text: string): string {
  const file = join(dir, 'apiwarden.yaml');
  writeFileSync(file, text);
  return file;
}

test('check prints the route table of a valid policy', () => {
  const dir = mkdtempSync(join(tmpdir(), 'apiwarden-cli-'));
  const file = writePolicy(dir, `
listeners: [{ port: 8080 }]
upstreams:
  - name: api
    url: http://127.0.0.1:9
    openapi: [${FIXTURES}api-v2.yaml, ${FIXTURES}admin.yaml]
    retired: [{ prefix: /v1 }]
`);
  const { code, out } = run(['check', '-c', file]);
  assert.equal(code, 0);
  assert.match(out, /upstream api → http:\/\/127\.0\.0\.1:9/);
  assert.match(out, /GET\s+\/v2\/users\/\{id\}\s+getUser\s+documented/);
  assert.match(out, /GET\s+\/v2\/legacy\/\{id\}\s+getLegacy\s+zombie/);
  assert.match(out, /GET\s+\/admin\/stats\s+getStats/);
  assert.match(out, /retired \/v1: gone/);
  assert.match(out, /is valid: 1 upstream\(s\), 9 operations/);
});

test('an invalid policy exits non-zero naming file, line, column and field', () => {
  const dir = mkdtempSync(join(tmpdir(), 'apiwarden-cli-'));
  const file = writePolicy(dir, `listeners: [{ port: 8080 }]
upstreams:
  - name: api
    url: ftp://example.com
    openapi: [missing.yaml]
    mode: enforcing
`);
  for (const command of ['check', 'gateway']) {
    const { code, err } = run([command, '-c', file]);
    assert.equal(code, 1, command);
    assert.match(err, /apiwarden\.yaml:4:10: upstreams\[0\]\.url: /);
    assert.match(err, /apiwarden\.yaml:5:15: upstreams\[0\]\.openapi\[0\]: /);
    assert.match(err, /apiwarden\.yaml:6:11: upstreams\[0\]\.mode: /);
  }
});

test('an invalid OpenAPI document is refused by check with its path', () => {
  const dir = mkdtempSync(join(tmpdir(), 'apiwarden-cli-'));
  const doc = join(dir, 'broken.yaml');
  writeFileSync(doc, 'openapi: 3.0.3\ninfo: { title: x, version: 1 }\npaths:\n  /a:\n    get: [not, an, operation]\n');
  const file = writePolicy(dir, `listeners: [{ port: 8080 }]\nupstreams: [{ name: api, url: 'http://127.0.0.1:9', openapi: [broken.yaml] }]\n`);
  const { code, err } = run(['check', '-c', file]);
  assert.equal(code, 1);
  assert.match(err, /broken\.yaml/);
});

describe('apiwarden gateway as a process, with two workers', () => {
  let upstream: TestUpstream;
  let child: ChildProcess;
  let port: number;
  let dir: string;
  let file: string;
  let stderr = '';

  before(async () => {
    upstream = await startTestUpstream();
    port = await freePort();
    dir = mkdtempSync(join(tmpdir(), 'apiwarden-cli-'));
    file = writePolicy(dir, `
mode: enforce
listeners: [{ host: 127.0.0.1, port: ${port}, workers: 2 }]
upstreams:
  - name: api
    url: ${upstream.url}
    openapi: [${FIXTURES}api-v2.yaml]
store: { sqlite: inventory.db, flushInterval: 100ms }
accessLog: access.log
`);
    child = spawn(process.execPath, [CLI, 'gateway', '-c', file], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.on('data', (c) => (stderr += c));
    for (let i = 0; i < 200; i++) {
      if ((stderr.match(/gateway listening/g) ?? []).length >= 2) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  after(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await upstream.close();
  });

  test('serves, reloads on SIGHUP, stops on SIGTERM, and the inventory is readable afterwards', async () => {
    assert.equal((stderr.match(/gateway listening/g) ?? []).length, 2, stderr);
    for (let i = 0; i < 20; i++) {
      const ok = await request(`http://127.0.0.1:${port}/v2/users/${i}`);
      await ok.body.text();
      assert.equal(ok.statusCode, 200);
    }
    const shadow = await request(`http://127.0.0.1:${port}/v2/phone-lookup/1`);
    await shadow.body.text();
    assert.equal(shadow.statusCode, 404);

    writeFileSync(file, (await import('node:fs')).readFileSync(file, 'utf8').replace('mode: enforce', 'mode: monitor'));
    child.kill('SIGHUP');
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 50));
      // both workers must have reloaded: ask a few times so both are hit
      const results = await Promise.all([1, 2, 3, 4].map(async () => {
        const r = await request(`http://127.0.0.1:${port}/v2/phone-lookup/2`, { reset: true });
        await r.body.text();
        return r.statusCode;
      }));
      status = results.every((s) => s === 200) ? 200 : 0;
    }
    assert.equal(status, 200, 'monitor mode after SIGHUP');

    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);

    const inventory = run(['inventory', '-c', file]);
    assert.equal(inventory.code, 0, inventory.err);
    assert.match(inventory.out, /documented\s+GET\s+127\.0\.0\.1\/v2\/users\/\{id\}/);
    assert.match(inventory.out, /shadow\s+GET\s+127\.0\.0\.1\/v2\/phone-lookup\/1/);
    const json = JSON.parse(run(['inventory', '-c', file, '--json', '--class', 'documented']).out) as Array<{ template: string; total: number }>;
    assert.deepEqual(json.map((r) => [r.template, r.total]), [['/v2/users/{id}', 20]]);
    const log = (await import('node:fs')).readFileSync(join(dir, 'access.log'), 'utf8').trim().split('\n');
    assert.ok(log.length >= 22, `access log lines: ${log.length}`);
    assert.equal(JSON.parse(log[0]!).class, 'documented');
  });
});
