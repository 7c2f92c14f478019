import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { request } from 'undici';
import { startTestUpstream, rawRequest, statusOf, type TestUpstream } from './helpers/upstream.ts';
import { startTestGateway, eventually, type TestGateway } from './helpers/gateway.ts';

function policy(upstreamUrl: string, mode: 'enforce' | 'monitor', extra = ''): string {
  return `
mode: ${mode}
listeners:
  - { host: 127.0.0.1, port: 0 }
trustedProxies: [10.0.0.0/8]
upstreams:
  - name: api
    url: ${upstreamUrl}
    openapi: [$FIXTURES/api-v2.yaml]
    retired:
      - prefix: /v1
      - prefix: /v0
        sunset: 2099-06-30
        link: https://example.com/v0-migration
        public: true
    sunsets:
      - operation: getEnded
        sunset: 2020-01-01
    timeout: 1s
limits:
  bodyBytes: 64kb
  connectionsPerClient: 32
store:
  sqlite: ':memory:'
  flushInterval: 50ms
accessLog: off
${extra}`;
}

async function get(gw: TestGateway, path: string, headers: Record<string, string> = {}) {
  const res = await request(gw.url + path, { headers });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text };
}

describe('enforce mode', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  before(async () => {
    upstream = await startTestUpstream();
    gw = await startTestGateway(policy(upstream.url, 'enforce'));
  });
  after(async () => {
    await gw.close();
    await upstream.close();
  });

  test('a documented operation is forwarded and recorded as documented', async () => {
    const before = upstream.received.length;
    const res = await get(gw, '/v2/users/42?expand=orders');
    assert.equal(res.status, 200);
    assert.equal(upstream.received.length, before + 1);
    assert.equal(upstream.received.at(-1)!.url, '/v2/users/42?expand=orders');
    const event = await eventually(() => gw.events.find((e) => e.rawPath === '/v2/users/42?expand=orders'));
    assert.equal(event.class, 'documented');
    assert.equal(event.decision, 'forwarded');
    assert.equal(event.operationId, 'getUser');
    assert.equal(event.template, '/v2/users/{id}');
    assert.equal(event.status, 200);
    assert.equal(event.upstream, 'api');
    assert.ok(event.bytesOut > 0);
  });

  test('a static route wins over a templated one', async () => {
    await get(gw, '/v2/users/me');
    const event = await eventually(() => gw.events.find((e) => e.rawPath === '/v2/users/me'));
    assert.equal(event.operationId, 'getMe');
  });

  test('a shadow request never reaches the upstream and gets 404 problem+json', async () => {
    const before = upstream.received.length;
    const res = await get(gw, '/v2/internal/phone-lookup/+14155550100');
    assert.equal(res.status, 404);
    assert.equal(res.headers['content-type'], 'application/problem+json');
    assert.equal(JSON.parse(res.text).code, 'SHADOW_ENDPOINT');
    assert.equal(upstream.received.length, before);
    const event = await eventually(() => gw.events.find((e) => e.rawPath === '/v2/internal/phone-lookup/+14155550100'));
    assert.equal(event.class, 'shadow');
    assert.equal(event.decision, 'blocked');
  });

  test('a documented path with an undocumented method is shadow', async () => {
    const res = await request(gw.url + '/v2/users/42', { method: 'DELETE' });
    await res.body.text();
    assert.equal(res.statusCode, 404);
    const event = await eventually(() => gw.events.find((e) => e.method === 'DELETE'));
    assert.equal(event.class, 'shadow');
  });

  test('a deprecated operation before its sunset is served with Deprecation and Sunset headers', async () => {
    const res = await get(gw, '/v2/legacy/7');
    assert.equal(res.status, 200);
    // RFC 9745: a structured-field date; x-deprecated-at 2024-03-01
    assert.equal(res.headers['deprecation'], `@${Date.UTC(2024, 2, 1) / 1000}`);
    // RFC 8594: an HTTP-date
    assert.equal(res.headers['sunset'], 'Thu, 01 Jan 2099 00:00:00 GMT');
    const event = await eventually(() => gw.events.find((e) => e.rawPath === '/v2/legacy/7'));
    assert.equal(event.class, 'zombie');
    assert.equal(event.decision, 'forwarded');
  });

  test('a deprecated operation past its sunset gets 410 Gone', async () => {
    const before = upstream.received.length;
    const res = await get(gw, '/v2/ended/7');
    assert.equal(res.status, 410);
    assert.equal(JSON.parse(res.text).code, 'ZOMBIE_GONE');
    assert.equal(upstream.received.length, before);
  });

  test('a retired prefix without sunset is gone; with a future sunset it is served with headers', async () => {
    const gone = await get(gw, '/v1/users/42');
    assert.equal(gone.status, 410);
    const gone2 = await get(gw, '/V1/users/42');
    assert.equal(gone2.status, 410, 'case variants of a retired prefix are retired too');
    const served = await get(gw, '/v0/anything');
    assert.equal(served.status, 200);
    assert.equal(served.headers['sunset'], 'Tue, 30 Jun 2099 00:00:00 GMT');
    assert.equal(served.headers['link'], '<https://example.com/v0-migration>; rel="sunset"');
    const event = await eventually(() => gw.events.find((e) => e.rawPath === '/v0/anything'));
    assert.equal(event.class, 'zombie');
  });

  test('dot segments and encodings are resolved before classification, and the upstream gets the canonical path', async () => {
    const cases: Array<[string, number, string | null]> = [
      ['/v2/users/../users/me', 200, '/v2/users/me'],
      ['/v2/%2e%2e/v2/users/5', 200, '/v2/users/5'],
      ['//v2///users//9', 200, '/v2/users/9'],
      ['/v2/users/%41bc', 200, '/v2/users/Abc'],
      ['/v2/legacy/../../v1/users/1', 410, null],
      ['/v2/users%2F..%2F..%2Fv1', 400, null],
      ['/v2/%252e%252e/v1/users', 400, null],
      ['/v2/users/1;x=..', 400, null],
      ['/v2/users/a%00', 400, null],
      ['/v2/users/..%5c..%5cadmin', 400, null],
    ];
    for (const [raw, status, forwarded] of cases) {
      const before = upstream.received.length;
      const res = await rawRequest(gw.port, `GET ${raw} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
      assert.equal(statusOf(res), status, `${raw} → ${status}`);
      if (forwarded) assert.equal(upstream.received.at(-1)!.url, forwarded, `${raw} forwarded as ${forwarded}`);
      else assert.equal(upstream.received.length, before, `${raw} must not reach the upstream`);
    }
  });

  test('hop-by-hop headers and those named in Connection are removed; forwarding headers are set', async () => {
    const raw = await rawRequest(
      gw.port,
      'GET /v2/users/1 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close, x-secret-hop\r\nX-Secret-Hop: drop-me\r\nTE: trailers\r\n' +
        'X-Keep: yes\r\nX-Forwarded-For: 6.6.6.6\r\nProxy-Authorization: Basic Zm9vOmJhcg==\r\n\r\n',
    );
    assert.equal(statusOf(raw), 200);
    const got = upstream.received.at(-1)!;
    assert.equal(got.headers['x-secret-hop'], undefined);
    assert.equal(got.headers['te'], undefined);
    assert.equal(got.headers['proxy-authorization'], undefined);
    assert.equal(got.headers['x-keep'], 'yes');
    // the peer is not a trusted proxy: its X-Forwarded-For is replaced, not extended
    assert.equal(got.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(got.headers['x-forwarded-proto'], 'http');
    assert.equal(got.headers['x-forwarded-host'], '127.0.0.1');
    // and the response's hop-by-hop headers are not passed back
    const head = raw.slice(0, raw.indexOf('\r\n\r\n')).toLowerCase();
    assert.doesNotMatch(head, /\r\nkeep-alive:/);
    assert.match(head, /\r\nx-upstream: test/);
  });

  test('request smuggling shapes are refused with 400 before any forwarding', async () => {
    const shapes = [
      'POST /v2/upload HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      'POST /v2/upload HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde',
      'POST /v2/upload HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nContent-Length: 4\r\n\r\nabcd',
      'GET /v2/users/1 HTTP/1.1\r\nHost: a\r\nX-Folded: a\r\n  b\r\n\r\n',
      'GET /v2/users/1 HTTP/1.1\r\nHost: a\r\nX-Bad\x01: a\r\n\r\n',
      'GET /v2/users/1 HTTP/1.1\r\nHost: a\r\nX-Nul: a\x00b\r\n\r\n',
      'GET /v2/users/1 HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n',
      'POST /v2/upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n',
      'POST /v2/upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n',
      'GET /v2/users/1#frag HTTP/1.1\r\nHost: a\r\n\r\n',
      'GET /v2/users/a b HTTP/1.1\r\nHost: a\r\n\r\n',
      'GET http://evil.example/v2/users/1 HTTP/1.1\r\nHost: a\r\n\r\n',
      'GET /v2/users/1 HTTP/1.1\r\nHost: a b\r\n\r\n',
      'GET /v2/users/1 HTTP/1.1\r\n\r\n',
    ];
    for (const shape of shapes) {
      const before = upstream.received.length;
      const res = await rawRequest(gw.port, shape);
      assert.equal(statusOf(res), 400, `refused: ${JSON.stringify(shape)} got ${JSON.stringify(res.slice(0, 60))}`);
      assert.equal(upstream.received.length, before, `not forwarded: ${JSON.stringify(shape)}`);
    }
  });

  test('Host is compared case-insensitively and without a trailing dot', async () => {
    const res = await rawRequest(gw.port, 'GET /v2/users/1 HTTP/1.1\r\nHost: LocalHost.:8080\r\nConnection: close\r\n\r\n');
    assert.equal(statusOf(res), 200);
    const event = await eventually(() => gw.events.find((e) => e.host === 'localhost'));
    assert.equal(event.class, 'documented');
  });

  test('request and response bodies stream through intact', async () => {
    upstream.handle((_req, res, body) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      // answer in several chunks over time: a streamed response
      let i = 0;
      const timer = setInterval(() => {
        res.write(body.subarray(i * 1024, (i + 1) * 1024));
        if (++i * 1024 >= body.length) {
          clearInterval(timer);
          res.end();
        }
      }, 5);
    });
    try {
      const payload = Buffer.alloc(20 * 1024, 7);
      payload.write('start');
      // a chunked request body (no content-length), sent in pieces over time
      const http = await import('node:http');
      const { status, echoed } = await new Promise<{ status: number; echoed: Buffer }>((resolve, reject) => {
        const req = http.request(`${gw.url}/v2/upload`, { method: 'POST', headers: { 'transfer-encoding': 'chunked' } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, echoed: Buffer.concat(chunks) }));
        });
        req.on('error', reject);
        const pieces = [payload.subarray(0, 5000), payload.subarray(5000, 15000), payload.subarray(15000)];
        let i = 0;
        const next = (): void => {
          if (i === pieces.length) return void req.end();
          req.write(pieces[i++]);
          setTimeout(next, 20);
        };
        next();
      });
      assert.equal(status, 200);
      assert.equal(upstream.received.at(-1)!.headers['transfer-encoding'], 'chunked');
      assert.equal(upstream.received.at(-1)!.headers['content-length'], undefined);
      assert.ok(echoed.equals(payload), 'the response body is the request body');
      const event = await eventually(() => gw.events.find((e) => e.operationId === 'upload' && e.bytesIn > 0));
      assert.equal(event.bytesIn, payload.length);
      assert.equal(event.bytesOut, payload.length);
    } finally {
      upstream.handle(null);
    }
  });

  test('a body over the cap gets 413 and is not forwarded', async () => {
    const before = upstream.received.length;
    const res = await request(gw.url + '/v2/upload', { method: 'POST', body: Buffer.alloc(65 * 1024) });
    await res.body.text();
    assert.equal(res.statusCode, 413);
    assert.equal(upstream.received.length, before);
    const { Readable } = await import('node:stream');
    const chunked = await request(gw.url + '/v2/upload', { method: 'POST', body: Readable.from([Buffer.alloc(40 * 1024), Buffer.alloc(40 * 1024)]) });
    await chunked.body.text().catch(() => '');
    assert.equal(chunked.statusCode, 413);
  });

  test('an upstream that is too slow gives 504, with no internal details', async () => {
    upstream.handle((_req, res) => {
      setTimeout(() => res.end('late'), 1500);
    });
    try {
      const res = await get(gw, '/v2/slow');
      assert.equal(res.status, 504);
      assert.deepEqual(Object.keys(JSON.parse(res.text)).sort(), ['code', 'status', 'title', 'type']);
      assert.doesNotMatch(res.text, /127\.0\.0\.1|ECONN|UND_ERR|undici|\/v2\/slow|\d{4,5}/, 'nothing about the upstream leaks');
    } finally {
      upstream.handle(null);
    }
  });

  test('an upstream that resets the connection gives 502', async () => {
    upstream.handle((req) => req.socket.destroy());
    try {
      const res = await get(gw, '/v2/users/reset');
      assert.equal(res.status, 502);
      assert.equal(JSON.parse(res.text).code, 'UPSTREAM_UNAVAILABLE');
      const event = await eventually(() => gw.events.find((e) => e.rawPath === '/v2/users/reset'));
      assert.equal(event.decision, 'upstream_error');
    } finally {
      upstream.handle(null);
    }
  });

  test('events are recorded in the store as per-endpoint counters', async () => {
    await gw.runtime.recorder.flush();
    const endpoints = await gw.runtime.store.listEndpoints();
    const getUser = endpoints.find((e) => e.template === '/v2/users/{id}' && e.method === 'GET');
    assert.ok(getUser, 'GET /v2/users/{id} recorded');
    assert.equal(getUser.class, 'documented');
    assert.ok(getUser.total >= 3);
    const shadow = endpoints.find((e) => e.class === 'shadow' && e.template === '/v2/internal/phone-lookup/+14155550100');
    assert.ok(shadow, 'the shadow path is recorded as it was asked');
    assert.equal(shadow.status4xx, 1);
  });
});

describe('store outage', () => {
  test('a store that fails to write never fails a request; the failure is counted', async () => {
    const upstream = await startTestUpstream();
    const gw = await startTestGateway(policy(upstream.url, 'enforce'));
    try {
      // the database goes away under the running gateway
      await gw.runtime.store.close();
      for (let i = 0; i < 5; i++) assert.equal((await get(gw, `/v2/users/${i}`)).status, 200);
      await gw.runtime.recorder.flush();
      assert.ok(gw.runtime.recorder.stats.failedWrites >= 1, 'the failed write is counted');
      assert.ok(gw.runtime.recorder.stats.dropped >= 5, 'and so are the events it lost');
      assert.equal((await get(gw, '/v2/users/after')).status, 200);
    } finally {
      await gw.close();
      await upstream.close();
    }
  });
});

describe('monitor mode', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  before(async () => {
    upstream = await startTestUpstream();
    gw = await startTestGateway(policy(upstream.url, 'monitor'));
  });
  after(async () => {
    await gw.close();
    await upstream.close();
  });

  test('shadow and zombie requests pass and are recorded for what they are', async () => {
    const shadow = await get(gw, '/v2/internal/phone-lookup/+14155550100');
    assert.equal(shadow.status, 200);
    assert.equal(upstream.received.at(-1)!.url, '/v2/internal/phone-lookup/+14155550100');
    const gone = await get(gw, '/v1/users/42');
    assert.equal(gone.status, 200);
    assert.equal(gone.headers['deprecation'], undefined, 'monitor mode adds nothing');
    const events = await eventually(() => (gw.events.length >= 2 ? gw.events : null));
    assert.deepEqual(events.map((e) => [e.class, e.decision, e.mode]), [
      ['shadow', 'forwarded', 'monitor'],
      ['zombie', 'forwarded', 'monitor'],
    ]);
  });

  test('ambiguous requests are refused in monitor mode too', async () => {
    const res = await rawRequest(gw.port, 'GET /v2/users%2f..%2f..%2fv1 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    assert.equal(statusOf(res), 400);
  });
});

describe('several upstreams and per-upstream modes', () => {
  let api: TestUpstream;
  let admin: TestUpstream;
  let gw: TestGateway;
  before(async () => {
    api = await startTestUpstream();
    admin = await startTestUpstream();
    gw = await startTestGateway(`
mode: enforce
listeners: [{ host: 127.0.0.1, port: 0 }]
trustedProxies: [127.0.0.1]
upstreams:
  - name: api
    url: ${api.url}
    openapi: [$FIXTURES/api-v2.yaml]
    hosts: [api.example.com]
  - name: admin
    url: ${admin.url}/internal
    openapi: [$FIXTURES/admin.yaml]
    hosts: [api.example.com]
    pathPrefix: /admin
    mode: monitor
store: { sqlite: ':memory:' }
accessLog: off
`);
  });
  after(async () => {
    await gw.close();
    await api.close();
    await admin.close();
  });

  test('host and path prefix choose the upstream; unknown hosts get 404 without forwarding', async () => {
    const a = await get(gw, '/v2/users/1', { host: 'API.example.com' });
    assert.equal(a.status, 200);
    assert.equal(api.received.length, 1);
    const b = await get(gw, '/admin/stats', { host: 'api.example.com' });
    assert.equal(b.status, 200);
    assert.equal(admin.received.at(-1)!.url, '/internal/admin/stats', 'the upstream URL path is prepended');
    const shadowInMonitor = await get(gw, '/admin/secret', { host: 'api.example.com' });
    assert.equal(shadowInMonitor.status, 200, 'the admin upstream is in monitor mode');
    const unknown = await get(gw, '/v2/users/1', { host: 'other.example.com' });
    assert.equal(unknown.status, 404);
    assert.equal(JSON.parse(unknown.text).code, 'NO_UPSTREAM');
    const event = await eventually(() => gw.events.find((e) => e.host === 'other.example.com'));
    assert.equal(event.class, 'unknown');
  });

  test('X-Forwarded-For is believed only from a trusted proxy', async () => {
    await get(gw, '/v2/users/xff', { host: 'api.example.com', 'x-forwarded-for': '198.51.100.7, 127.0.0.1' });
    const event = await eventually(() => gw.events.find((e) => e.rawPath === '/v2/users/xff'));
    assert.equal(event.clientIp, '198.51.100.7');
    assert.equal(event.clientSubnet, '198.51.100.0/24');
    assert.equal(api.received.at(-1)!.headers['x-forwarded-for'], '198.51.100.7, 127.0.0.1, 127.0.0.1');
  });
});

describe('reload and shutdown', () => {
  test('a changed policy is applied on reload; an invalid one is refused and the old one keeps serving', async () => {
    const upstream = await startTestUpstream();
    const gw = await startTestGateway(policy(upstream.url, 'enforce'));
    try {
      assert.equal((await get(gw, '/v2/not-documented')).status, 404);
      writeFileSync(gw.file, policy(upstream.url, 'monitor').replaceAll('$FIXTURES', (await import('./helpers/gateway.ts')).FIXTURES));
      assert.deepEqual(await gw.runtime.reload(), { ok: true });
      assert.equal((await get(gw, '/v2/not-documented')).status, 200);
      writeFileSync(gw.file, 'mode: enforce\nlisteners: [{ port: 0 }]\nupstreams: [{ name: api, url: not-a-url }]\n');
      const refused = await gw.runtime.reload();
      assert.equal(refused.ok, false);
      assert.match(refused.error ?? '', /apiwarden\.yaml:3:\d+/);
      assert.equal((await get(gw, '/v2/not-documented')).status, 200, 'the previous policy still serves');
    } finally {
      await gw.close();
      await upstream.close();
    }
  });

  test('reloads under steady traffic drop no request', async () => {
    const upstream = await startTestUpstream();
    const gw = await startTestGateway(policy(upstream.url, 'enforce'));
    const fixtures = (await import('./helpers/gateway.ts')).FIXTURES;
    try {
      let running = true;
      const statuses: number[] = [];
      const load = Promise.all(
        [1, 2, 3, 4].map(async () => {
          while (running) {
            const res = await request(gw.url + '/v2/users/1');
            await res.body.text();
            statuses.push(res.statusCode);
          }
        }),
      );
      for (let i = 0; i < 10; i++) {
        writeFileSync(gw.file, policy(upstream.url, i % 2 ? 'enforce' : 'monitor').replaceAll('$FIXTURES', fixtures));
        assert.deepEqual(await gw.runtime.reload(), { ok: true });
      }
      running = false;
      await load;
      assert.ok(statuses.length >= 20, `${statuses.length} requests during 10 reloads`);
      assert.deepEqual(statuses.filter((s) => s !== 200), []);
    } finally {
      await gw.close();
      await upstream.close();
    }
  });

  test('the policy file is watched: saving it reloads', async () => {
    const upstream = await startTestUpstream();
    const gw = await startTestGateway(policy(upstream.url, 'enforce'), { watch: true });
    try {
      assert.equal((await get(gw, '/v2/not-documented')).status, 404);
      writeFileSync(gw.file, policy(upstream.url, 'monitor').replaceAll('$FIXTURES', (await import('./helpers/gateway.ts')).FIXTURES));
      let status = 0;
      for (let i = 0; i < 100 && status !== 200; i++) {
        status = (await get(gw, '/v2/not-documented')).status;
        if (status !== 200) await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(status, 200);
    } finally {
      await gw.close();
      await upstream.close();
    }
  });

  test('graceful shutdown lets an in-flight request finish', async () => {
    const upstream = await startTestUpstream();
    upstream.handle((_req, res) => setTimeout(() => res.end('finished'), 300));
    const gw = await startTestGateway(policy(upstream.url, 'enforce'));
    const pending = request(gw.url + '/v2/slow').then(async (r) => ({ status: r.statusCode, text: await r.body.text() }));
    await eventually(() => gw.runtime.gateway.inFlight > 0);
    await gw.close();
    const done = await pending;
    assert.equal(done.status, 200);
    assert.equal(done.text, 'finished');
    await upstream.close();
  });
});
