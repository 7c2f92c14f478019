import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CASES } from '../../src/http/canonical.cases.ts';
import { rawRequest, startTestUpstream, statusOf, type TestUpstream } from './helpers/upstream.ts';
import { eventually, startTestGateway, type TestGateway } from './helpers/gateway.ts';

/**
 * Every row of the canonicalisation table, sent as raw bytes through a real
 * gateway to a real upstream (monitor mode, so that shadow paths are
 * forwarded too): a refused shape gets 400 and reaches nothing; any other
 * reaches the upstream as exactly the canonical path the gateway classified,
 * and the event names the class it was classified as.
 */
let upstream: TestUpstream;
let gw: TestGateway;
before(async () => {
  upstream = await startTestUpstream();
  gw = await startTestGateway(`
mode: monitor
listeners: [{ host: 127.0.0.1, port: 0 }]
upstreams:
  - name: api
    url: ${upstream.url}
    openapi: [$FIXTURES/api-v2.yaml]
    retired: [{ prefix: /v1 }]
store: { sqlite: ':memory:' }
accessLog: off
`);
});
after(async () => {
  await gw.close();
  await upstream.close();
});

test(`${CASES.length} bypass shapes: the upstream receives exactly the path that was classified`, async () => {
  let forwarded = 0;
  let refused = 0;
  for (const [raw, expected, query] of CASES) {
    const receivedBefore = upstream.received.length;
    const eventsBefore = gw.events.length;
    const answer = await rawRequest(gw.port, Buffer.from(`GET ${raw} HTTP/1.1\r\nHost: api.test\r\nConnection: close\r\n\r\n`, 'latin1'));
    const status = statusOf(answer);
    const name = JSON.stringify(raw.length > 60 ? `${raw.slice(0, 60)}…` : raw);
    if (raw.length > 16 * 1024) {
      // longer than the head the gateway accepts (limits.headerBytes): refused before any parsing
      assert.equal(status, 431, `${name} is over the header cap`);
      assert.equal(upstream.received.length, receivedBefore);
      refused++;
      continue;
    }
    if (expected.startsWith('!')) {
      // refused by the canonicaliser, or already by Node's parser (raw control characters, spaces)
      assert.equal(status, 400, `${name} must be refused`);
      assert.equal(upstream.received.length, receivedBefore, `${name} must not reach the upstream`);
      refused++;
      continue;
    }
    assert.equal(status, 200, `${name} is forwarded`);
    const got = upstream.received.at(-1)!;
    assert.equal(got.url, query ? `${expected}?${query}` : expected, `${name} reaches the upstream canonical`);
    const event = await eventually(() => gw.events.slice(eventsBefore).find((e) => raw.startsWith(e.rawPath)));
    assert.equal(event.path, expected, 'the classified path is the forwarded path');
    const expectedClass = /^\/v1(\/|$)/i.test(expected) ? 'zombie' : event.template ? 'documented' : 'shadow';
    assert.equal(event.class, expectedClass, `${name} classified as ${expectedClass}`);
    forwarded++;
  }
  assert.ok(forwarded >= 20 && refused >= 40, `${forwarded} forwarded, ${refused} refused`);
});
