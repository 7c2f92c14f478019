import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Run `npm run demo -- …` as the README says and collect its output. */
function runDemo(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '--silent', 'demo', '--', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

test('the demo, started as the README says, handles each class as documented (enforce)', async () => {
  const { code, out } = await runDemo(['--port', '0', '--exit']);
  assert.equal(code, 0, out);
  // one block per tour step: title, request, then "→ status class decision"
  const outcome = (title: string) => {
    const block = out.slice(out.indexOf(title));
    return /→ (\d{3})\s+class=(\w+)\s+decision=(\w+)/.exec(block)!.slice(1, 4);
  };
  assert.deepEqual(outcome('documented: the v2 account lookup'), ['200', 'documented', 'forwarded']);
  assert.deepEqual(outcome('shadow: the undocumented phone-number lookup'), ['404', 'shadow', 'blocked']);
  assert.deepEqual(outcome('shadow, hidden behind a dot segment'), ['404', 'shadow', 'blocked']);
  assert.deepEqual(outcome('denied: the same lookup without a token'), ['401', 'documented', 'denied']);
  assert.deepEqual(outcome('denied: a forged token'), ['401', 'documented', 'denied']);
  // v1 declares no security: denied by default in enforce mode
  assert.deepEqual(outcome('zombie: deprecated v1 lookup'), ['403', 'zombie', 'denied']);
  assert.deepEqual(outcome('limited: the 6th login attempt'), ['429', 'documented', 'limited']);
  assert.match(out, /www-authenticate: Bearer realm="bearerAuth", error="invalid_token"/);
  assert.deepEqual(outcome('zombie: v1 phone check, past its sunset'), ['410', 'zombie', 'gone']);
  assert.deepEqual(outcome('zombie: the forgotten v0 API'), ['410', 'zombie', 'gone']);
  assert.deepEqual(outcome('rejected: an encoded slash'), ['400', 'rejected', 'rejected']);
  assert.match(out, /deprecation: @\d+/);
  assert.match(out, /Inventory recorded by the gateway/);
  assert.match(out, /GET\s+\/v2\/phones\/%2B14155551012\/status/);
});

test('in monitor mode the demo lets the shadow lookup through and still names it', async () => {
  const { code, out } = await runDemo(['--port', '0', '--exit', '--mode', 'monitor']);
  assert.equal(code, 0, out);
  const block = out.slice(out.indexOf('shadow: the undocumented phone-number lookup'));
  assert.match(block, /→ 200\s+class=shadow\s+decision=forwarded/);
  assert.match(block, /"exists":true/);
});
