/**
 * Detection decisions enforced at the gateway beyond bans: a login
 * operation's failures counted per account tried (the gateway reads the
 * account from the body), so credential stuffing is banned; and a `delay`
 * decision holding each of the client's requests in the tarpit.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEMO, startDemoUpstream, type DemoUpstream } from '../../src/demo/upstream.ts';
import { clientAddress, requestFrom } from './helpers/client.ts';
import { phoneLookupPolicy, startTestGateway, type TestGateway, eventually } from './helpers/gateway.ts';

/** A rule that slows a busy client down: 30 lookups in a minute → 250 ms per request for a minute. */
const DELAY_RULES = `
rules:
  - name: busy-lookups
    description: a client looking up many numbers quickly is slowed, not refused
    on: [ip]
    window: 1m
    when:
      requests: { min: 30 }
    severity: low
    decision: { action: delay, delay: 250ms, duration: 1m, mode: enforce }
`;

const login = (gw: TestGateway, source: string, email: string) =>
  requestFrom(source, `${gw.url}/v2/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: 'Winter2024!' }) });

describe('detection decisions enforced at the gateway', () => {
  let upstream: DemoUpstream;
  let gw: TestGateway;

  before(async () => {
    upstream = await startDemoUpstream();
    const dir = mkdtempSync(join(tmpdir(), 'apiwarden-enforce-'));
    writeFileSync(join(dir, 'rules.yaml'), DELAY_RULES);
    gw = await startTestGateway(`${phoneLookupPolicy(upstream.url)}detection: { evaluateEvery: 100ms, rules: ['${join(dir, 'rules.yaml')}'] }
`);
  });

  after(async () => {
    await gw?.close();
    await upstream?.close();
  });

  it('reads the account each login tried and bans a client failing across many accounts, not a person mistyping', async () => {
    const person = clientAddress(10);
    for (let i = 0; i < 3; i++) assert.equal((await login(gw, person, 'Alice@example.com')).status, 401);

    const stuffer = clientAddress(11);
    let refusedAt: number | null = null;
    for (let i = 0; i < 80 && refusedAt === null; i++) {
      const res = await login(gw, stuffer, `user${i}@example.net`);
      if (res.status === 429) refusedAt = i;
      else assert.equal(res.status, 401);
      if (i % 10 === 9) await new Promise((r) => setTimeout(r, 150));
    }
    assert.ok(refusedAt !== null && refusedAt >= 20, `banned after the rule's 20 failures, before 80 (at ${refusedAt})`);
    const decision = gw.runtime.detection!.decisions.find((d) => d.rule === 'credential-stuffing');
    assert.ok(decision, 'credential stuffing was decided');
    assert.equal(decision.banKey, `ip:${stuffer}`);
    assert.equal((await login(gw, person, 'alice@example.com')).status, 401, 'the person is still answered');
    assert.ok(!gw.runtime.detection!.decisions.some((d) => d.banKey === `ip:${person}`));
  });

  it('holds every request of a client under a delay decision in the tarpit, and serves it', async () => {
    const busy = clientAddress(20);
    const lookup = () => requestFrom(busy, `${gw.url}/v2/phones/${encodeURIComponent(DEMO.knownPhone)}/status`);
    for (let i = 0; i < 35; i++) assert.equal((await lookup()).status, 200);
    await eventually(() => gw.runtime.detection!.decisions.find((d) => d.rule === 'busy-lookups'), 3000);
    const res = await lookup();
    assert.equal(res.status, 200, 'a delayed request is still answered');
    const event = await eventually(() => gw.events.findLast((e) => e.clientIp === busy));
    assert.equal(event.limit?.action, 'delay');
    assert.equal(event.limit?.rule, 'detect:busy-lookups');
    assert.equal(event.limit?.delayMs, 250);
    // the tarpit held it at least the delay (a lower bound: held, then forwarded)
    assert.ok(event.latencyMs >= 250, `held ${event.latencyMs} ms`);

    // another client is not slowed
    const other = clientAddress(21);
    await requestFrom(other, `${gw.url}/v2/phones/${encodeURIComponent(DEMO.knownPhone)}/status`);
    const otherEvent = await eventually(() => gw.events.findLast((e) => e.clientIp === other));
    assert.equal(otherEvent.limit, null);
  });
});
