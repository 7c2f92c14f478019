import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { startTestUpstream, type TestUpstream } from './helpers/upstream.ts';
import { startTestGateway, type TestGateway } from './helpers/gateway.ts';

/**
 * Slow-client defences proven with slowhttptest (Debian package): slowloris,
 * slow body and slow read attacks run from 127.0.0.1 against the gateway,
 * while a normal client on 127.0.0.2 keeps being served. Every run is bounded
 * (-l seconds) and killed if it overruns.
 */
const hasSlowhttptest = (() => {
  try {
    execFileSync('slowhttptest', ['-h'], { stdio: 'ignore' });
    return true;
  } catch (error) {
    // slowhttptest -h exits non-zero but runs; only a missing binary throws ENOENT
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
})();

function runSlowhttptest(args: string[], seconds: number): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn('slowhttptest', [...args, '-l', String(seconds)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), (seconds + 15) * 1000);
    child.on('close', () => {
      clearTimeout(timer);
      // its report is coloured with ANSI escapes
      resolve(out.replace(/\x1b\[[0-9;]*m/g, ''));
    });
  });
}

/** A normal client on another loopback address, one request every `everyMs` until stopped. */
function startNormalClient(port: number, everyMs: number) {
  const agent = new http.Agent({ keepAlive: false });
  const results: Array<{ status: number; ms: number }> = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      const status = await new Promise<number>((resolve) => {
        const req = http.get({ host: '127.0.0.1', port, path: '/v2/users/1', localAddress: '127.0.0.2', agent, timeout: 3000 }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', () => resolve(0));
      });
      results.push({ status, ms: performance.now() - started });
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    results,
    async stop() {
      running = false;
      await loop;
      agent.destroy();
    },
  };
}

describe('slow clients', { skip: hasSlowhttptest ? false : 'slowhttptest is not installed (apt-get install slowhttptest)' }, () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  before(async () => {
    upstream = await startTestUpstream();
    upstream.handle((req, res) => {
      // a large answer for the slow-read attack, a small one otherwise
      const size = req.url?.startsWith('/v2/stream') ? 4 * 1024 * 1024 : 64;
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
      res.end(Buffer.alloc(size, 120));
    });
    gw = await startTestGateway(`
mode: enforce
listeners: [{ host: 127.0.0.1, port: 0 }]
upstreams:
  - name: api
    url: ${upstream.url}
    openapi: [$FIXTURES/api-v2.yaml]
limits:
  headersTimeout: 2s
  requestTimeout: 5s
  minBodyRate: 1024
  slowReadTimeout: 2s
  connectionsPerClient: 150
store: { sqlite: ':memory:' }
accessLog: off
`);
  });
  after(async () => {
    await gw.close();
    await upstream.close();
  });

  test('slowloris: idle header senders are cut within the header timeout and a normal client is served throughout', async () => {
    const before = gw.events.length;
    const client = startNormalClient(gw.port, 100);
    const started = Date.now();
    // 120 connections, under the per-client cap: what closes them is the 2 s header timeout
    const out = await runSlowhttptest(['-H', '-c', '120', '-r', '120', '-i', '1', '-x', '10', '-p', '3', '-u', `${gw.url}/v2/users/1`], 10);
    const attackSeconds = (Date.now() - started) / 1000;
    await new Promise((r) => setTimeout(r, 500));
    await client.stop();
    // slowhttptest stops early when the server has closed every connection it held open
    assert.match(out, /Exit status: No open connections left/, out.slice(-400));
    assert.ok(attackSeconds < 8, `the attack ended after ${attackSeconds} s, well before its 10 s`);
    const timedOut = gw.events.slice(before).filter((e) => e.class === 'rejected' && e.status === 408).length;
    assert.ok(timedOut >= 100, `${timedOut} slow header senders answered 408`);
    assert.ok(client.results.length >= 10, `normal client made ${client.results.length} requests`);
    assert.deepEqual(client.results.filter((r) => r.status !== 200), [], 'every normal request was served');
  });

  test('slow body (R-U-Dead-Yet): a body below the minimum rate is cut with 408', async () => {
    const before = gw.events.length;
    const client = startNormalClient(gw.port, 100);
    const out = await runSlowhttptest(['-B', '-c', '100', '-r', '100', '-i', '2', '-s', '8192', '-x', '10', '-p', '3', '-t', 'POST', '-u', `${gw.url}/v2/upload`], 8);
    await client.stop();
    assert.deepEqual(client.results.filter((r) => r.status !== 200), [], 'every normal request was served');
    assert.match(out, /Exit status: No open connections left/, out.slice(-400));
    const cut = gw.events.slice(before).filter((e) => e.code === 'REQUEST_TIMEOUT' || (e.class === 'rejected' && e.status === 408));
    assert.ok(cut.length >= 50, `slow bodies cut: ${cut.length}`);
    assert.equal(upstream.received.filter((r) => r.url === '/v2/upload').length, 0, 'no slow body reached the upstream whole');
  });

  test('slow read: a client that does not read its answer is dropped', async () => {
    const before = gw.events.length;
    const client = startNormalClient(gw.port, 200);
    await runSlowhttptest(['-X', '-c', '50', '-r', '50', '-w', '1', '-y', '16', '-n', '2', '-z', '8', '-k', '1', '-p', '3', '-u', `${gw.url}/v2/stream`], 8);
    await client.stop();
    assert.deepEqual(client.results.filter((r) => r.status !== 200), [], 'every normal request was served');
    const dropped = gw.events.slice(before).filter((e) => e.operationId === 'stream' && e.decision === 'aborted');
    assert.ok(dropped.length > 0, 'slow readers were dropped before their 4 MiB answer was read');
  });

  test('connections per client are capped', async () => {
    const sockets: net.Socket[] = [];
    const refusals = await Promise.all(
      Array.from({ length: 200 }, () =>
        new Promise<string>((resolve) => {
          const s = net.connect(gw.port, '127.0.0.1');
          sockets.push(s);
          let data = '';
          s.on('data', (c) => (data += c));
          s.on('close', () => resolve(data));
          s.on('error', () => resolve(data));
          setTimeout(() => resolve(data), 1000);
        }),
      ),
    );
    for (const s of sockets) s.destroy();
    const refused = refusals.filter((d) => d.startsWith('HTTP/1.1 503')).length;
    assert.ok(refused >= 50, `${refused} of 200 idle connections refused over a cap of 150`);
    assert.ok(refusals.some((d) => d.includes('"code":"TOO_MANY_CONNECTIONS"')));
  });
});
