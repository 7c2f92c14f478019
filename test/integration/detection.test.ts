/**
 * Detection end to end: an enumerator walks phone numbers through the
 * gateway's public lookup; the detector sees many distinct numbers and
 * mostly misses, bans the client at the gateway (its next request gets
 * 429 BANNED), and the alert reaches a real webhook receiver, signed.
 * Benign clients asking for their own number are left alone.
 */
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { main } from '../../src/cli/main.ts';
import { DEMO, startDemoUpstream, type DemoUpstream } from '../../src/demo/upstream.ts';
import { makeTestEvent } from '../../src/store/conformance.ts';
import { clientAddress, requestFrom } from './helpers/client.ts';
import { phoneLookupPolicy, startTestGateway, type TestGateway, eventually } from './helpers/gateway.ts';

const SECRET = 'webhook-test-secret';

interface Received {
  body: string;
  signature: string | undefined;
  timestamp: string | undefined;
}

describe('detection through the gateway', () => {
  let upstream: DemoUpstream;
  let gw: TestGateway;
  let receiver: http.Server;
  const received: Received[] = [];

  before(async () => {
    upstream = await startDemoUpstream();
    receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ body: Buffer.concat(chunks).toString('utf8'), signature: req.headers['x-apiwarden-signature'] as string | undefined, timestamp: req.headers['x-apiwarden-timestamp'] as string | undefined });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    gw = await startTestGateway(`${phoneLookupPolicy(upstream.url)}detection: { evaluateEvery: 100ms }
alerts:
  groupWait: 0s
  sinks:
    - { type: webhook, url: 'http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook', secret: { value: ${SECRET} } }
`);
  });

  after(async () => {
    await gw?.close();
    await upstream?.close();
    await new Promise<void>((resolve) => receiver?.close(() => resolve()));
  });

  it('bans an enumerator at the gateway and alerts a webhook, leaving people who look up their own number alone', async () => {
    const lookup = (source: string, phone: string) => requestFrom(source, `${gw.url}/v2/phones/${encodeURIComponent(phone)}/status`);
    // benign: a few people, each asking for their own (existing) number a few times
    const people = [1, 2, 3].map((n) => clientAddress(n));
    for (const who of people) for (let i = 0; i < 3; i++) assert.equal((await lookup(who, DEMO.knownPhone)).status, 200);

    // the enumerator: one address, numbers walked, nearly all misses
    const attacker = clientAddress(200);
    let refused: number | null = null;
    for (let i = 0; i < 200 && refused === null; i++) {
      const res = await lookup(attacker, `+1415556${String(1000 + i * 3).padStart(4, '0')}`);
      if (res.status === 429) refused = i;
      else assert.equal(res.status, 404, `an unknown number is a miss (${res.status})`);
      // give the detector (every 100 ms) a chance to see the walk as it goes
      if (i % 20 === 19) await new Promise((r) => setTimeout(r, 150));
    }
    assert.ok(refused !== null, 'the enumerator is refused before it walks 200 numbers');
    const banned = await lookup(attacker, DEMO.knownPhone);
    assert.equal(banned.status, 429);
    assert.match(banned.body, /BANNED/);
    const decision = gw.runtime.detection!.decisions.find((d) => d.action === 'ban');
    assert.ok(decision, 'a ban decision was made');
    assert.equal(decision.banKey, `ip:${attacker}`);

    // the people are still served
    for (const who of people) assert.equal((await lookup(who, DEMO.knownPhone)).status, 200);
    assert.ok(!gw.runtime.detection!.decisions.some((d) => people.some((p) => d.banKey === `ip:${p}`)), 'no benign client was acted on');

    // the alert reached the webhook, signed with the shared secret
    const alert = await eventually(() => received.find((r) => r.body.includes('enumeration')), 5000);
    assert.ok(alert.signature?.startsWith('sha256='));
    const expected = createHmac('sha256', SECRET).update(`${alert.timestamp}.${alert.body}`).digest('hex');
    assert.ok(timingSafeEqual(Buffer.from(alert.signature!.slice(7)), Buffer.from(expected)), 'the signature verifies');
    assert.ok(!alert.body.includes(SECRET));
  });
});

describe('apiwarden replay', () => {
  it('runs two simulated hours of recorded events through detection in moments and says when the enumeration was caught', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'apiwarden-replay-'));
    const file = join(dir, 'events.jsonl');
    const t0 = Date.UTC(2026, 10, 1, 9, 0, 0);
    const lines: string[] = [];
    // two hours of people looking up their own numbers: a request every ~20 s, nearly always a hit
    for (let i = 0; i < 360; i++) {
      const ip = `198.51.100.${(i % 40) + 1}`;
      const phone = `+1415555${String(1000 + (i % 40)).padStart(4, '0')}`;
      lines.push(JSON.stringify(makeTestEvent({ time: t0 + i * 20_000 + (i % 7) * 1_300, clientIp: ip, peerIp: ip, clientSubnet: '198.51.100.0/24', rawPath: `/v2/phones/${phone}/status`, path: `/v2/phones/${phone}/status`, template: '/v2/phones/{phone}/status', operationId: 'getPhoneStatus', status: 200 })));
    }
    // from +60 min: one address walks numbers, one every 4 s, 97 % misses
    const start = t0 + 60 * 60_000;
    for (let i = 0; i < 600; i++) {
      const phone = `+1415556${String(1000 + i).padStart(4, '0')}`;
      lines.push(JSON.stringify(makeTestEvent({ time: start + i * 4_000, clientIp: '203.0.113.66', peerIp: '203.0.113.66', clientSubnet: '203.0.113.0/24', rawPath: `/v2/phones/${phone}/status`, path: `/v2/phones/${phone}/status`, template: '/v2/phones/{phone}/status', operationId: 'getPhoneStatus', status: i % 33 === 0 ? 200 : 404 })));
    }
    lines.sort((a, b) => (JSON.parse(a) as { time: number }).time - (JSON.parse(b) as { time: number }).time);
    writeFileSync(file, `${lines.join('\n')}\nnot json\n`);
    const out: string[] = [];
    const code = await main(['node', 'apiwarden', 'replay', file], { out: (l) => out.push(l), err: () => {} });
    assert.equal(code, 0);
    const text = out.join('\n');
    assert.match(text, /960 events \(1 malformed\)/);
    const line = out.find((l) => l.startsWith('  enumeration:'));
    assert.ok(line, text);
    const minutes = Number(/\(\+([0-9.]+) min\)/.exec(line)![1]);
    assert.ok(minutes >= 60 && minutes <= 65, `caught within 5 simulated minutes of the start at +60 (${minutes})`);
    assert.ok(out.some((l) => /ban +ip:203\.0\.113\.66/.test(l)), text);
    assert.ok(!out.some((l) => /198\.51\.100\./.test(l)), 'no benign client acted on');
  });
});
