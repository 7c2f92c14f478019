/**
 * Discovery end to end through the demo API: the gateway in monitor mode
 * lets the mobile apps' undocumented phone lookup through, the inventory
 * learns it from traffic, and the spec diff names it: a critical exposure
 * (anyone may ask whether a phone number has an account), beside the
 * documented operations. Then the same traffic, out of band, from a HAR
 * file through `apiwarden discover`.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { main } from '../../src/cli/main.ts';
import { compileDocumentedRoutes } from '../../src/discovery/documented-routes.ts';
import { diffInventory } from '../../src/discovery/spec-diff.ts';
import { startDemoUpstream, DEMO, type DemoUpstream } from '../../src/demo/upstream.ts';
import { loadDocument } from '../../src/openapi/load.ts';
import { loadOperationDetails } from '../../src/openapi/responses.ts';
import { createSqliteStore } from '../../src/store/sqlite.ts';
import { eventually, startTestGateway, type TestGateway } from './helpers/gateway.ts';

const DEMO_DIR = fileURLToPath(new URL('../../examples/demo/', import.meta.url));
const V2 = join(DEMO_DIR, 'openapi-v2.yaml');
const V1 = join(DEMO_DIR, 'openapi-v1.yaml');

/** phone numbers an enumerator walks: a few have accounts, most do not */
function phones(n: number): string[] {
  const out = [DEMO.knownPhone, '+14155551004', '+14155551008'];
  for (let i = 0; out.length < n; i++) out.push(`+1415555${String(2000 + i * 7).padStart(4, '0')}`);
  return out;
}

describe('discovery through the demo API', () => {
  let upstream: DemoUpstream;
  let gw: TestGateway;
  let db: string;
  let receiver: http.Server;
  const alerts: string[] = [];

  before(async () => {
    upstream = await startDemoUpstream();
    receiver = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        alerts.push(body);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    db = join(mkdtempSync(join(tmpdir(), 'apiwarden-discovery-')), 'apiwarden.db');
    gw = await startTestGateway(`
mode: monitor
listeners: [{ host: 127.0.0.1, port: 0 }]
upstreams:
  - name: accounts
    url: ${upstream.url}
    openapi: ['${V2}', '${V1}']
store: { sqlite: '${db}', flushInterval: 50ms }
accessLog: off
discovery: { sampleRate: 1, saveInterval: 100ms }
alerts:
  groupWait: 0s
  sinks: [{ type: webhook, url: 'http://127.0.0.1:${(receiver.address() as AddressInfo).port}/', secret: { value: test-secret } }]
auth:
  schemes:
    bearerAuth:
      jwt: { issuer: https://id.demo.apiwarden.test/, audiences: [demo-accounts-api], jwksUri: '${upstream.jwksUri}', algorithms: [ES256] }
`);
  });

  after(async () => {
    await gw?.close();
    await upstream?.close();
    await new Promise<void>((resolve) => receiver?.close(() => resolve()));
  });

  it('learns the shadow lookup from traffic and reports it as a critical exposure', async () => {
    for (const phone of phones(40)) {
      const res = await fetch(`${gw.url}/v2/phones/${encodeURIComponent(phone)}/status`);
      await res.arrayBuffer();
    }
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${gw.url}/v2/accounts/${DEMO.knownAccount}`, { headers: { authorization: `Bearer ${upstream.token}` } });
      assert.equal(res.status, 200);
      await res.arrayBuffer();
    }
    const endpoints = gw.runtime.discovery!.inventory.endpoints();
    const lookup = endpoints.find((e) => e.method === 'GET' && /^\/v2\/phones\/\{[A-Za-z]+\}\/status$/.test(e.template));
    assert.ok(lookup, `the lookup is learned as one template: ${endpoints.map((e) => `${e.method} ${e.template}`).join(', ')}`);
    assert.equal(lookup.count, 40);
    assert.equal(lookup.operationId, null, 'no document declares it');
    assert.equal(lookup.auth.none, 40);
    assert.ok((lookup.dataClasses.phone?.unauthenticatedLookup ?? 0) >= 3);
    const documented = endpoints.find((e) => e.operationId !== null && e.template === '/v2/accounts/{accountId}');
    assert.equal(documented?.count, 5);
    assert.equal(documented?.auth.bearer, 5);

    const current = [await loadDocument(V2), await loadDocument(V1)];
    const details = new Map([...await loadOperationDetails(V2), ...await loadOperationDetails(V1)]);
    const findings = diffInventory(endpoints, { current, details });
    const first = findings[0]!;
    assert.equal(first.kind, 'exposure');
    assert.equal(first.severity, 'critical');
    assert.equal(first.template, lookup.template);
    assert.ok(findings.some((f) => f.kind === 'shadow' && f.template === lookup.template));
    // no phone number in the clear anywhere in the findings
    assert.ok(!JSON.stringify(findings).includes(DEMO.knownPhone.slice(2)), 'evidence is masked');
    assert.ok(compileDocumentedRoutes(current).match('GET', '', '/v2/accounts/acc_1') !== null);
    // the exposure also reaches the alert sinks, without a phone number in the clear
    const alert = await eventually(() => alerts.find((a) => a.includes('discovery-exposure')), 5000);
    assert.match(alert, /answers lookups by phone/);
    assert.ok(!alert.includes(DEMO.knownPhone.slice(2)));
  });

  it('keeps saving after a save that had nothing new', async () => {
    await gw.runtime.discovery!.save();
    // nothing new since: this save writes nothing, and must not stop the next ones
    await gw.runtime.discovery!.save();
    const count = async (): Promise<number> => (await gw.runtime.store.listInventory()).find((e) => e.template === '/v2/health')?.count ?? 0;
    const before = await count();
    const seen = gw.runtime.discovery!.inventory.stats().requests;
    await fetch(`${gw.url}/v2/health`);
    await eventually(() => gw.runtime.discovery!.inventory.stats().requests > seen);
    await gw.runtime.discovery!.save();
    assert.equal(await count(), before + 1);
  });

  it('saves the inventory to the store, where a restart finds it', async () => {
    await gw.runtime.discovery!.save();
    const store = createSqliteStore(db);
    try {
      const saved = await store.listInventory();
      const lookup = saved.find((e) => e.template.startsWith('/v2/phones/'));
      assert.equal(lookup?.count, 40);
      assert.equal(lookup?.auth.none, 40);
    } finally {
      await store.close();
    }
    // `apiwarden findings` reads the same snapshot against the policy's documents
    const out: string[] = [];
    const code = await main(['node', 'apiwarden', 'findings', '-c', gw.file, '--fail-on', 'critical', '--min-severity', 'high'], { out: (l) => out.push(l), err: () => {} });
    assert.equal(code, 1);
    assert.match(out.join("\n"), /CRITICAL exposure +GET (127\.0\.0\.1(:[0-9]+)?)?\/v2\/phones\/\{[A-Za-z]+\}\/status answers lookups by phone/);
  });
});

describe('apiwarden discover (out of band)', () => {
  it('reads a HAR of the same traffic and fails on the critical exposure', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'apiwarden-discover-'));
    const entries = phones(30).map((phone, i) => {
      const exists = i < 3;
      const text = JSON.stringify(exists ? { exists: true, accountId: `acc_100${i}`, status: 'active', devices: 2 } : { exists: false });
      return {
        startedDateTime: new Date(Date.UTC(2026, 10, 1, 12, 0, i)).toISOString(),
        time: 3,
        request: { method: 'GET', url: `https://api.demo.test/v2/phones/${encodeURIComponent(phone)}/status`, httpVersion: 'HTTP/1.1', headers: [{ name: 'User-Agent', value: 'okhttp/4.12' }], queryString: [], cookies: [], headersSize: -1, bodySize: 0 },
        response: { status: exists ? 200 : 404, statusText: '', httpVersion: 'HTTP/1.1', headers: [{ name: 'Content-Type', value: 'application/json' }], cookies: [], content: { size: text.length, mimeType: 'application/json', text }, redirectURL: '', headersSize: -1, bodySize: text.length },
        cache: {}, timings: { send: 0, wait: 3, receive: 0 },
      };
    });
    const har = join(dir, 'capture.har');
    writeFileSync(har, JSON.stringify({ log: { version: '1.2', creator: { name: 'test', version: '1' }, entries } }));
    const out: string[] = [];
    const err: string[] = [];
    const openapi = join(dir, 'discovered.yaml');
    const json = join(dir, 'report.json');
    const code = await main(['node', 'apiwarden', 'discover', '--spec', V2, '--fail-on', 'critical', '--no-progress', '--openapi', openapi, '--json', json, har], { out: (l) => out.push(l), err: (l) => err.push(l) });
    assert.equal(code, 1, `exit 1 on a critical finding; stderr: ${err.join('\n')}`);
    const text = out.join('\n');
    assert.match(text, /30 requests, 0 malformed/);
    assert.match(text, /CRITICAL exposure +GET (api\.demo\.test)?\/v2\/phones\/\{[A-Za-z]+\}\/status answers lookups by phone to unauthenticated callers/);
    // the OpenAPI draft loads as a document with the learned operation in it
    const draft = await loadDocument(openapi);
    assert.ok(draft.operations.some((o) => o.method === 'GET' && /^\/v2\/phones\/\{[A-Za-z]+\}\/status$/.test(o.template)));
    const report = JSON.parse(readFileSync(json, 'utf8')) as { findings: Array<{ kind: string }> };
    assert.equal(report.findings[0]!.kind, 'exposure');
  });

  it('counts a malformed line with its number and goes on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'apiwarden-discover-'));
    const log = join(dir, 'access.log');
    const line = (path: string, status: number): string => `203.0.113.9 - - [10/Oct/2026:13:55:36 +0000] "GET ${path} HTTP/1.1" ${status} 12 "-" "curl/8.5"`;
    writeFileSync(log, [line('/v2/health', 200), '\u0016\u0003\u0001 garbage', line('/v2/health', 200), line('/internal/debug/vars', 200)].join('\n') + '\n');
    const out: string[] = [];
    const code = await main(['node', 'apiwarden', 'discover', '--spec', V2, '--no-progress', log], { out: (l) => out.push(l), err: () => {} });
    assert.equal(code, 0);
    const text = out.join('\n');
    assert.match(text, /3 requests, 1 malformed/);
    assert.match(text, /line 2: /);
    assert.match(text, /shadow +GET \/internal\/debug\/vars/);
  });
});
