import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { makeTestEvent } from '../store/conformance.ts';
import { createAccessLog, redactQuery } from './access-log.ts';
import { createEventBus } from './bus.ts';
import type { GatewayEvent } from './types.ts';

const dir = mkdtempSync(join(tmpdir(), 'apiwarden-access-log-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
const freshPath = (): string => join(dir, `case-${++counter}`, 'logs', 'access.log');

function readLines(file: string): Record<string, unknown>[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('redactQuery', () => {
  const cases: [string, string][] = [
    ['/users/42', '/users/42'],
    ['/search?q=shoes&page=2', '/search?q=shoes&page=2'],
    ['/cb?code=abc123&state=xyz', '/cb?code=REDACTED&state=xyz'],
    ['/x?access_token=eyJ.a.b&token=t&refresh_token=r', '/x?access_token=REDACTED&token=REDACTED&refresh_token=REDACTED'],
    ['/x?API_KEY=1&apikey=2&apiKey=3&api-key=4&key=5&x-api-key=6', '/x?API_KEY=REDACTED&apikey=REDACTED&apiKey=REDACTED&api-key=REDACTED&key=REDACTED&x-api-key=REDACTED'],
    ['/x?Password=p&passwd=p&client_secret=s&SECRET=s', '/x?Password=REDACTED&passwd=REDACTED&client_secret=REDACTED&SECRET=REDACTED'],
    ['/s3/obj?X-Amz-Credential=AK/2025&X-Amz-Signature=ff&sig=1&Signature=2', '/s3/obj?X-Amz-Credential=REDACTED&X-Amz-Signature=REDACTED&sig=REDACTED&Signature=REDACTED'],
    ['/x?auth=1&Authorization=Bearer%20x&session=s&PHPSESSID=p&jwt=j', '/x?auth=REDACTED&Authorization=REDACTED&session=REDACTED&PHPSESSID=REDACTED&jwt=REDACTED'],
    // names that only contain a short word are kept
    ['/x?monkey=1&zipcode=75001&author=ann&signup=1&design=2', '/x?monkey=1&zipcode=75001&author=ann&signup=1&design=2'],
    // percent-encoded and plus-encoded names are recognised, kept as sent
    ['/x?%74oken=a&api%5Fkey=b&access+token=c', '/x?%74oken=REDACTED&api%5Fkey=REDACTED&access+token=REDACTED'],
    // repeated, empty, valueless and bracketed parameters
    ['/x?token=a&token=&token&user[token]=z&=v', '/x?token=REDACTED&token=REDACTED&token&user[token]=REDACTED&=v'],
    // ';' separates pairs too; matrix parameters in the path
    ['/x;jsessionid=ABC/y?a=1;token=t', '/x;jsessionid=REDACTED/y?a=1;token=REDACTED'],
    // the value runs to the next separator, '=' inside it included
    ['/x?signature=a=b=c&n=1', '/x?signature=REDACTED&n=1'],
    ['/x?', '/x?'],
    ['/x?token=a%26b', '/x?token=REDACTED'],
    // a malformed escape in a name does not throw
    ['/x?%E0%A4%A=1&token=2', '/x?%E0%A4%A=1&token=REDACTED'],
  ];
  for (const [input, expected] of cases) {
    test(input, () => assert.equal(redactQuery(input), expected));
  }
});

describe('access log', () => {
  test("writes one JSON line per event with the event's fields, in a new folder", async () => {
    const file = freshPath();
    const log = createAccessLog(file);
    const bus = createEventBus();
    bus.subscribe(log.listener);
    const events = [
      makeTestEvent({ time: 1_700_000_000_123 }),
      makeTestEvent({ rawPath: '/login?user=ann&password=hunter2', path: '/login', status: 0, upstream: null, template: null }),
      makeTestEvent({ rawPath: '/q?x=' + 'a'.repeat(3000) }),
    ];
    for (const event of events) bus.publish(event);
    await log.close();

    const lines = readLines(file);
    assert.equal(lines.length, 3);
    const fields = Object.keys(events[0]!).sort();
    for (const [i, line] of lines.entries()) {
      assert.deepEqual(Object.keys(line).sort(), fields, 'exactly the event fields: no msg, level, pid');
      assert.equal(line.id, events[i]!.id);
      assert.equal(line.time, events[i]!.time);
    }
    assert.equal(lines[0]!.time, 1_700_000_000_123);
    assert.deepEqual({ ...lines[0]!, rawPath: undefined }, { ...events[0]!, rawPath: undefined });
    assert.equal(lines[1]!.rawPath, '/login?user=ann&password=REDACTED');
    assert.equal(lines[1]!.upstream, null);
    const long = lines[2]!.rawPath as string;
    assert.ok(long.length <= 1025 && long.endsWith('…'));
    assert.ok(!readFileSync(file, 'utf8').includes('hunter2'));
    assert.deepEqual({ ...log.stats }, { written: 3, dropped: 0 });
  });

  test("'off' is a no-op", async () => {
    const log = createAccessLog('off');
    log.listener(makeTestEvent());
    log.reopen();
    await log.close();
    await log.close();
  });

  test('refuses a relative path', () => {
    assert.throws(() => createAccessLog('logs/access.log'), { code: 'ACCESS_LOG_TARGET' });
  });

  test("'stdout' writes lines to standard output and close flushes them", () => {
    const moduleUrl = pathToFileURL(join(import.meta.dirname, 'access-log.ts')).href;
    const script = `
      const { createAccessLog } = await import(${JSON.stringify(moduleUrl)});
      const log = createAccessLog('stdout');
      for (let i = 0; i < 1000; i += 1) log.listener({ id: 'e' + i, time: i, rawPath: '/a?token=t', path: '/a' });
      await log.close();
      process.stderr.write('closed');
    `;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stderr, 'closed');
    const lines = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as Partial<GatewayEvent>);
    assert.equal(lines.length, 1000);
    assert.deepEqual(lines[999], { id: 'e999', time: 999, rawPath: '/a?token=REDACTED', path: '/a' });
  });

  test('a file that cannot be opened fails at creation, with the cause', () => {
    const blocker = join(dir, `blocker-${++counter}`);
    writeFileSync(blocker, '');
    assert.throws(() => createAccessLog(join(blocker, 'access.log')), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'ACCESS_LOG_OPEN_FAILED');
      assert.match(String((error.cause as { code?: string }).code), /^(ENOTDIR|EEXIST)$/);
      return true;
    });
  });

  test('write errors (a full disk) are reported once and never thrown', { skip: !existsSync('/dev/full') }, async () => {
    const errors: unknown[] = [];
    const log = createAccessLog('/dev/full', { onError: (e) => errors.push(e) });
    const bus = createEventBus((error) => assert.fail(`the bus saw ${String(error)}`));
    bus.subscribe(log.listener);
    for (let i = 0; i < 50; i += 1) {
      bus.publish(makeTestEvent());
      await new Promise((resolve) => setImmediate(resolve));
    }
    await log.close();
    assert.equal(errors.length, 1);
    assert.equal((errors[0] as { code?: string }).code, 'ENOSPC');
  });

  test('a process exiting while the disk is full does not hang', { skip: !existsSync('/dev/full') }, () => {
    const moduleUrl = pathToFileURL(join(import.meta.dirname, 'access-log.ts')).href;
    const script = `
      const { createAccessLog } = await import(${JSON.stringify(moduleUrl)});
      const log = createAccessLog('/dev/full');
      for (let i = 0; i < 3; i += 1) {
        log.listener({ id: 'e', time: 1, rawPath: '/', path: '/' });
        await new Promise((resolve) => setImmediate(resolve));
      }
      process.exit(7);
    `;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 10_000 });
    assert.equal(result.status, 7, result.stderr);
  });

  test('reopen() follows log rotation', async () => {
    const file = freshPath();
    const log = createAccessLog(file);
    log.listener(makeTestEvent({ id: 'before' }));
    await new Promise((resolve) => setTimeout(resolve, 20));
    renameSync(file, `${file}.1`);
    log.reopen();
    log.listener(makeTestEvent({ id: 'after' }));
    await log.close();
    assert.deepEqual(readLines(`${file}.1`).map((l) => l.id), ['before']);
    assert.deepEqual(readLines(file).map((l) => l.id), ['after']);
  });

  test('a destination that cannot keep up drops lines instead of growing', async () => {
    const file = freshPath();
    const errors: unknown[] = [];
    const log = createAccessLog(file, { maxBufferBytes: 4096, onError: (e) => errors.push(e) });
    for (let i = 0; i < 200; i += 1) log.listener(makeTestEvent());
    await log.close();
    const written = readLines(file).length;
    assert.ok(log.stats.dropped > 0);
    assert.equal(written, log.stats.written);
    assert.equal(written + log.stats.dropped, 200);
    assert.equal((errors[0] as { code?: string }).code, 'ACCESS_LOG_DROPPED');
  });
});
