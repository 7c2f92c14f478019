/**
 * The admin API against a running gateway: the token guards every route
 * (none, wrong, malformed), the inventory pages and filters, and each action
 * does what an operator expects at the gateway: a ban refuses the client,
 * an unban serves it again, an alert is acknowledged and resolved.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { compileErrors, validate } from '@readme/openapi-parser';
import { DEMO, startDemoUpstream, type DemoUpstream } from '../../src/demo/upstream.ts';
import { clientAddress, requestFrom } from './helpers/client.ts';
import { PHONE_LOOKUP_DOC, startTestGateway, type TestGateway, eventually } from './helpers/gateway.ts';

/** Wait until an async probe finds something, polling; fails after `ms`. */
async function found<T>(probe: () => Promise<T | null>, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error('not found in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const TOKEN = 'admin-test-token-0123456789';
describe('admin API', () => {
  let upstream: DemoUpstream;
  let gw: TestGateway;
  let admin: string;
  const api = (path: string, init: RequestInit = {}) => fetch(`${admin}${path}`, { ...init, headers: { authorization: `Bearer ${TOKEN}`, ...(init.body ? { 'content-type': 'application/json' } : {}), ...init.headers } });

  before(async () => {
    upstream = await startDemoUpstream();
    gw = await startTestGateway(`
mode: enforce
listeners: [{ host: 127.0.0.1, port: 0 }]
upstreams:
  # the documented lookup is enforced; the rest of the API is watched (monitor), so its shadow endpoints answer
  - { name: lookup, url: ${upstream.url}, pathPrefix: /v2/phones, openapi: ['${PHONE_LOOKUP_DOC}'] }
  - { name: rest, url: ${upstream.url}, mode: monitor, openapi: ['${PHONE_LOOKUP_DOC}'] }
store: { sqlite: ':memory:' }
accessLog: off
discovery: { sampleRate: 1 }
detection: { evaluateEvery: 100ms }
alerts: { groupWait: 0s }
admin:
  listen: { host: 127.0.0.1, port: 0 }
  token: { value: ${TOKEN} }
`);
    admin = gw.runtime.admin!.url;
  });

  after(async () => {
    await gw?.close();
    await upstream?.close();
  });

  it('refuses every API route without the token, with a wrong one, or another scheme, and serves the dashboard page to anyone', async () => {
    for (const path of ['/api/v1/overview', '/api/v1/inventory', '/api/v1/bans', '/metrics', '/api/v1/config', '/healthz']) {
      assert.equal((await fetch(`${admin}${path}`)).status, 401, path);
      assert.equal((await fetch(`${admin}${path}`, { headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status, 401, path);
      assert.equal((await fetch(`${admin}${path}`, { headers: { authorization: `Basic ${TOKEN}` } })).status, 401, path);
    }
    const refused = await fetch(`${admin}/api/v1/bans`, { method: 'POST', body: JSON.stringify({ key: 'ip:127.0.0.9', duration: '1h' }), headers: { 'content-type': 'application/json' } });
    assert.equal(refused.status, 401);
    assert.equal(gw.runtime.limiter.bans.find(['ip:127.0.0.9'], Date.now()), null, 'nothing was banned without the token');
    assert.equal((await api('/healthz')).status, 200);
    const page = await fetch(`${admin}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    assert.equal((await fetch(`${admin}/ui/..%2F..%2Fserver.ts`)).status, 404, 'no file outside the UI folder');
  });

  it('lists the inventory with shadow endpoints, filtered, sorted and paginated, and shows one endpoint', async () => {
    const from = clientAddress(30);
    for (let i = 0; i < 12; i++) await requestFrom(from, `${gw.url}/v2/phones/${encodeURIComponent(DEMO.knownPhone)}/status`);
    for (let i = 0; i < 8; i++) await requestFrom(from, `${gw.url}/v2/accounts/acc_${1001 + i}`);
    const shadow = await found(async () => {
      const body = await (await api('/api/v1/inventory?class=shadow')).json() as { items: { template: string; class: string; id: string }[]; total: number };
      return body.items.find((e) => e.template.includes('/accounts/')) ?? null;
    });
    assert.equal(shadow.class, 'shadow');
    const all = await (await api('/api/v1/inventory?sort=count&order=desc&limit=1')).json() as { items: { template: string; count: number }[]; total: number; limit: number };
    assert.equal(all.limit, 1);
    assert.equal(all.items.length, 1);
    assert.ok(all.total >= 2);
    const second = await (await api('/api/v1/inventory?sort=count&order=desc&limit=1&offset=1')).json() as { items: { count: number }[] };
    assert.ok(second.items[0]!.count <= all.items[0]!.count, 'sorted by count, descending, across pages');
    const searched = await (await api('/api/v1/inventory?q=PHONES')).json() as { items: { template: string }[] };
    assert.ok(searched.items.every((e) => e.template.includes('phones')) && searched.items.length > 0);
    const detail = await api(`/api/v1/inventory/${shadow.id}`);
    assert.equal(detail.status, 200);
    const body = await detail.json() as { endpoint: { template: string }; findings: { kind: string }[]; traffic: { count: number }[] };
    assert.ok(body.findings.some((f) => f.kind === 'shadow'));
    // requests made before discovery learned the template count under their literal path
    const charted = body.traffic.reduce((n, p) => n + p.count, 0);
    assert.ok(charted >= 4 && charted <= 8, `the chart counts the endpoint's requests (${charted})`);
    assert.equal((await api('/api/v1/inventory/nope')).status, 404);
    assert.equal((await api('/api/v1/inventory?limit=0')).status, 400);
    assert.equal((await api('/api/v1/inventory?sort=bogus')).status, 400);
  });

  it('bans a client at the gateway from the API, and lifts the ban', async () => {
    const target = clientAddress(40);
    const bystander = clientAddress(41);
    const url = `${gw.url}/v2/phones/${encodeURIComponent(DEMO.knownPhone)}/status`;
    const res = await api('/api/v1/bans', { method: 'POST', body: JSON.stringify({ key: `ip:${target}`, duration: '10m', reason: 'test' }) });
    assert.equal(res.status, 201);
    const refused = await requestFrom(target, url);
    assert.equal(refused.status, 429);
    assert.match(refused.body, /BANNED/);
    const seen = await eventually(() => gw.events.findLast((e) => e.clientIp === target));
    assert.equal(seen.limit?.rule, 'operator: test');
    const listed = await (await api('/api/v1/bans')).json() as { items: { key: string; kind: string }[] };
    assert.ok(listed.items.some((b) => b.key === `ip:${target}` && b.kind === 'ban'));
    const clients = await (await api('/api/v1/clients')).json() as { items: { ip: string; ban: { key: string } | null }[] };
    assert.equal(clients.items.find((c) => c.ip === target)?.ban?.key, `ip:${target}`);
    assert.equal((await requestFrom(bystander, url)).status, 200);
    assert.equal((await api(`/api/v1/bans/${encodeURIComponent(`ip:${target}`)}`, { method: 'DELETE' })).status, 204);
    assert.equal(gw.runtime.limiter.bans.find([`ip:${target}`], Date.now()), null);
    assert.equal((await requestFrom(target, url)).status, 200, 'served again once the ban is lifted');
    assert.equal((await api(`/api/v1/bans/${encodeURIComponent(`ip:${target}`)}`, { method: 'DELETE' })).status, 404);
    for (const bad of [{ key: 'nonsense', duration: '1h' }, { key: 'ip:1.2.3.4', duration: 'forever' }, { key: 'ip:1.2.3.4', duration: '1h', extra: 1 }]) {
      assert.equal((await api('/api/v1/bans', { method: 'POST', body: JSON.stringify(bad) })).status, 400, JSON.stringify(bad));
    }
  });

  it('acknowledges and resolves an alert', async () => {
    gw.runtime.alerts.signal({ rule: 'enumeration', severity: 'high', labels: { identity: 'ip:203.0.113.7' }, summary: 'walks numbers', evidence: { topIdentities: [], counts: {}, exampleRequests: [] }, time: Date.now() });
    gw.runtime.alerts.tick();
    const listed = await found(async () => {
      const body = await (await api('/api/v1/alerts?status=firing')).json() as { items: { fingerprint: string; rule: string }[] };
      return body.items.find((a) => a.rule === 'enumeration') ?? null;
    });
    const acked = await (await api(`/api/v1/alerts/${listed.fingerprint}/acknowledge`, { method: 'POST' })).json() as { acknowledgedBy: string | null; status: string };
    assert.equal(acked.acknowledgedBy, 'admin');
    const resolved = await (await api(`/api/v1/alerts/${listed.fingerprint}/resolve`, { method: 'POST' })).json() as { status: string };
    assert.equal(resolved.status, 'resolved');
    assert.equal((await api(`/api/v1/alerts/${listed.fingerprint}/resolve`, { method: 'POST' })).status, 404);
  });

  it('exposes Prometheus metrics with bounded labels, the redacted config, and its own document', async () => {
    const text = await (await api('/metrics')).text();
    assert.match(text, /apiwarden_requests_total\{class="documented",operation="getPhoneStatus",decision="forwarded",status="2xx"\} \d+/);
    assert.match(text, /apiwarden_request_duration_seconds_bucket/);
    assert.ok(!/acc_100\d/.test(text), 'no raw path in any label');
    const config = await (await api('/api/v1/config')).json() as { admin: { token: { value: string } } };
    assert.equal(config.admin.token.value, '[redacted]');
    assert.ok(!JSON.stringify(config).includes(TOKEN));
    const doc = await (await api('/openapi.json')).json() as { openapi: string; paths: Record<string, unknown> };
    assert.equal(doc.openapi, '3.1.0');
    assert.ok('/api/v1/inventory' in doc.paths);
    const result = await validate(structuredClone(doc) as never);
    assert.ok(result.valid, compileErrors(result));
  });

  it('reloads the policy from its file, and keeps the running one when the file is broken', async () => {
    const original = readFileSync(gw.file, 'utf8');
    try {
      writeFileSync(gw.file, original.replace('evaluateEvery: 100ms', 'evaluateEvery: 200ms'));
      const ok = await api('/api/v1/reload', { method: 'POST' });
      assert.equal(ok.status, 200);
      assert.deepEqual(await ok.json(), { ok: true });
      writeFileSync(gw.file, `${original}
listeners: oops
`);
      const refused = await api('/api/v1/reload', { method: 'POST' });
      assert.equal(refused.status, 409);
      const body = await refused.json() as { ok: boolean; error: string };
      assert.equal(body.ok, false);
      assert.match(body.error, /listeners/);
      assert.equal((await requestFrom(clientAddress(50), `${gw.url}/v2/phones/${encodeURIComponent(DEMO.knownPhone)}/status`)).status, 200, 'still serving on the old policy');
    } finally {
      writeFileSync(gw.file, original);
    }
  });
});
