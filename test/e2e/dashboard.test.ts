/**
 * The console in a real browser: Chromium (Debian's, driven by
 * playwright-core) against a gateway, the demo API behind it and the admin
 * listener, all started here. Each test does what an operator does and
 * checks what they would notice: a shadow endpoint appearing in the
 * inventory while the page stays open, a ban made from the Clients page
 * refusing that client at the gateway (and the unban serving it again), an
 * enumeration alert showing up and being acknowledged.
 *
 * With APIWARDEN_SCREENSHOTS=1 the pages are also saved to docs/screenshots
 * (1280×800, full page), after extra traffic so that they look lived in.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it, type TestContext } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { DEMO, demoAccount, startDemoUpstream, type DemoUpstream } from '../../src/demo/upstream.ts';
import { makeTestEvent } from '../../src/store/conformance.ts';
import { clientAddress, requestFrom } from '../integration/helpers/client.ts';
import { startTestGateway, type TestGateway } from '../integration/helpers/gateway.ts';

const CHROMIUM = '/usr/bin/chromium';
const HAS_CHROMIUM = existsSync(CHROMIUM);
const NO_CHROMIUM = `Chromium is not installed at ${CHROMIUM} (apt-get install chromium): browser tests skipped`;
const SCREENSHOTS = process.env.APIWARDEN_SCREENSHOTS === '1';
const SHOT_DIR = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));
const EXAMPLES = fileURLToPath(new URL('../../examples/demo/', import.meta.url));
const TOKEN = 'test-admin-token';

/** The demo's phone lookup, documented as public (as in the incident). */
const LOOKUP_DOC = `
openapi: 3.0.3
info: { title: lookup, version: '1' }
servers: [{ url: http://127.0.0.1/v2 }]
paths:
  /phones/{phone}/status:
    get:
      operationId: getPhoneStatus
      security: []
      x-apiwarden-public: true
      parameters: [{ name: phone, in: path, required: true, schema: { type: string } }]
      responses: { '200': { description: found }, '404': { description: no account } }
`;

function policy(upstream: DemoUpstream, lookupDoc: string): string {
  return `
mode: enforce
listeners: [{ host: 127.0.0.1, port: 0 }]
upstreams:
  # the public lookup is enforced (bans and limits apply); the rest of the API is
  # watched (monitor), so its shadow and zombie endpoints answer and are recorded
  - { name: lookup, url: ${upstream.url}, pathPrefix: /v2/phones, openapi: ['${lookupDoc}'] }
  - name: accounts
    url: ${upstream.url}
    mode: monitor
    openapi: ['${join(EXAMPLES, 'openapi-v2.yaml')}', '${join(EXAMPLES, 'openapi-v1.yaml')}']
    retired: [{ prefix: /v0 }]
auth:
  schemes:
    bearerAuth:
      jwt: { issuer: 'https://id.demo.apiwarden.test/', audiences: [demo-accounts-api], jwksUri: '${upstream.jwksUri}', algorithms: [ES256] }
store: { sqlite: ':memory:' }
accessLog: off
discovery: { sampleRate: 1 }
detection: { evaluateEvery: 100ms }
alerts: { groupWait: 0s }
admin:
  listen: { host: 127.0.0.1, port: 0 }
  token: { value: '${TOKEN}' }
`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the console in a browser', () => {
  let upstream: DemoUpstream;
  let gw: TestGateway;
  let browser: Browser;
  let page: Page;
  let admin: string;
  const pageErrors: string[] = [];
  const lookupUrl = (phone: string) => `${gw.url}/v2/phones/${encodeURIComponent(phone)}/status`;

  /** Skip the test when there is no browser; true when it should go on. */
  function hasBrowser(t: TestContext): boolean {
    if (HAS_CHROMIUM) return true;
    t.skip(NO_CHROMIUM);
    return false;
  }

  async function screenshot(name: string): Promise<void> {
    if (!SCREENSHOTS) return;
    mkdirSync(SHOT_DIR, { recursive: true });
    // no hover effect or tooltip in the picture; let the last render settle
    await page.mouse.move(1, 1);
    await sleep(400);
    await page.screenshot({ path: join(SHOT_DIR, `${name}.png`), fullPage: true });
  }

  async function go(nav: 'overview' | 'inventory' | 'alerts' | 'clients'): Promise<void> {
    await page.getByTestId(`nav-${nav}`).click();
    await page.getByTestId(`page-${nav}`).waitFor();
  }

  before(async () => {
    if (!HAS_CHROMIUM) return;
    upstream = await startDemoUpstream();
    const dir = mkdtempSync(join(tmpdir(), 'apiwarden-e2e-'));
    writeFileSync(join(dir, 'lookup.yaml'), LOOKUP_DOC);
    gw = await startTestGateway(policy(upstream, join(dir, 'lookup.yaml')));
    assert.ok(gw.runtime.admin, 'the policy starts the admin listener');
    admin = gw.runtime.admin.url;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US', timezoneId: 'UTC' });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/Failed to load resource.*401/.test(m.text())) pageErrors.push(m.text());
    });
  });

  after(async () => {
    await browser?.close();
    await gw?.close();
    await upstream?.close();
  });

  it('asks for the admin token, refuses a wrong one, and opens the overview with the right one', async (t) => {
    if (!hasBrowser(t)) return;
    await page.goto(`${admin}/`);
    await page.getByTestId('token-input').fill('not-the-admin-token');
    await page.getByTestId('token-submit').click();
    await page.getByTestId('token-error').filter({ hasText: 'refused' }).waitFor();
    assert.ok(!(await page.getByTestId('page-overview').isVisible()), 'no page behind a refused token');

    await page.getByTestId('token-input').fill(TOKEN);
    await page.getByTestId('token-submit').click();
    await page.getByTestId('page-overview').waitFor();
    await page.getByTestId('tile-requests').waitFor();
    assert.equal(await page.getByTestId('mode').textContent(), 'enforce');
    // the live stream is connected (fetch + reader, with the bearer header)
    await page.locator('[data-testid=stream-state][data-state=live]').waitFor();
    // pages can be opened by address, the token is kept for the tab
    await page.goto(`${admin}/#/alerts`);
    await page.getByTestId('page-alerts').waitFor();

    // a token the server stops accepting sends the user back to the sign-in form
    await page.evaluate(() => {
      const storage = (globalThis as unknown as { sessionStorage: { setItem(k: string, v: string): void } }).sessionStorage;
      storage.setItem('apiwarden.adminToken', 'a-token-that-was-rotated');
    });
    await page.reload();
    await page.getByTestId('token-error').filter({ hasText: 'sign in again' }).waitFor();
    await page.getByTestId('token-input').fill(TOKEN);
    await page.getByTestId('token-submit').click();
    await page.getByTestId('page-alerts').waitFor();
    assert.deepEqual(pageErrors, []);
  });

  it('shows a shadow endpoint in the inventory as traffic reaches it, without reloading the page', async (t) => {
    if (!hasBrowser(t)) return;
    await go('inventory');
    await page.evaluate(() => {
      (globalThis as Record<string, unknown>).__stayed = true;
    });
    const shadowRow = page.locator('[data-testid=inventory-row][data-template^="/v2/internal/export/"]');
    assert.equal(await shadowRow.count(), 0, 'nothing there before the traffic');

    const prober = clientAddress(10);
    for (const id of [1017, 2048, 3391, 4410, 5123, 6078, 7001, 8642]) {
      await requestFrom(prober, `${gw.url}/v2/internal/export/${id}`);
    }
    if (SCREENSHOTS) await sendVariedTraffic();

    // it appears while the page stays open, with the shadow badge
    await shadowRow.first().getByTestId('badge-shadow').waitFor();
    assert.equal(await page.evaluate(() => (globalThis as Record<string, unknown>).__stayed), true, 'the page was not reloaded');
    // the class filter keeps it, the documented filter does not
    const settled = page.locator('[data-testid=inventory-results]:not([aria-busy])');
    await page.getByTestId('filter-class-shadow').click();
    await settled.waitFor();
    await shadowRow.first().waitFor();
    assert.equal(await page.locator('[data-testid=inventory-row]:not([data-class=shadow])').count(), 0, 'only shadow endpoints');
    await page.getByTestId('filter-class-documented').click();
    await settled.waitFor();
    assert.equal(await shadowRow.count(), 0, 'not among the documented ones');
    await page.getByTestId('filter-class-all').click();
    await settled.waitFor();
    await shadowRow.first().waitFor();
    if (SCREENSHOTS) {
      await page.locator('[data-testid=inventory-row][data-class=zombie]').first().waitFor();
      await screenshot('inventory');
    }

    // a row opens the endpoint's page, with what discovery found
    await shadowRow.first().click();
    await page.getByTestId('page-endpoint').waitFor();
    assert.match(await page.getByTestId('endpoint-title').textContent() ?? '', /\/v2\/internal\/export\//);
    await page.getByTestId('page-endpoint').getByTestId('badge-shadow').first().waitFor();
    await page.locator('[data-testid=finding][data-kind=shadow]').first().waitFor();
    await page.getByTestId('endpoint-traffic-chart').waitFor();

    if (SCREENSHOTS) {
      // the picture: the zombie v1 lookup, which answers phone numbers to anyone
      await page.goto(`${admin}/#/inventory?class=zombie`);
      await page.locator('[data-testid=inventory-row][data-template^="/v1/accounts"]').first().click();
      await page.locator('[data-testid=finding]').first().waitFor();
      await screenshot('endpoint');
    }
    assert.deepEqual(pageErrors, []);
  });

  it('bans a client from the Clients page: the gateway refuses it, serves the others, and serves it again once unbanned', async (t) => {
    if (!hasBrowser(t)) return;
    const target = clientAddress(20);
    const bystander = clientAddress(21);
    for (let i = 0; i < 3; i++) {
      assert.equal((await requestFrom(target, lookupUrl(DEMO.knownPhone))).status, 200);
      assert.equal((await requestFrom(bystander, lookupUrl(DEMO.knownPhone))).status, 200);
    }
    await go('clients');
    const row = page.locator(`[data-testid=client-row][data-ip="${target}"]`);
    await row.getByTestId('ban-button').click();
    const dialog = page.getByTestId('ban-dialog');
    await dialog.waitFor();
    assert.equal(await page.getByTestId('ban-key').inputValue(), `ip:${target}`);
    await page.getByTestId('ban-duration').selectOption('10m');
    await page.getByTestId('ban-reason').fill('e2e: scraping');
    await page.getByTestId('ban-submit').click();
    await dialog.waitFor({ state: 'hidden' });

    // the page shows it, and the gateway enforces it
    await row.getByTestId('client-ban-state').waitFor();
    const banRow = page.locator(`[data-testid=ban-row][data-key="ip:${target}"]`);
    await banRow.waitFor();
    assert.match(await banRow.textContent() ?? '', /e2e: scraping/);
    const refused = await requestFrom(target, lookupUrl(DEMO.knownPhone));
    assert.equal(refused.status, 429);
    assert.match(refused.body, /BANNED/);
    assert.equal((await requestFrom(bystander, lookupUrl(DEMO.knownPhone))).status, 200, 'another address is still served');

    await banRow.getByTestId('unban-button').click();
    await banRow.waitFor({ state: 'detached' });
    await row.getByTestId('ban-button').waitFor();
    assert.equal((await requestFrom(target, lookupUrl(DEMO.knownPhone))).status, 200, 'served again once unbanned');
    assert.deepEqual(pageErrors, []);
  });

  it('shows the alert an enumeration raises, and acknowledges it', async (t) => {
    if (!hasBrowser(t)) return;
    await go('alerts');
    // one address walks phone numbers, nearly all misses, until detection bans it
    const attacker = clientAddress(200);
    let refused = false;
    for (let i = 0; i < 200 && !refused; i++) {
      const res = await requestFrom(attacker, lookupUrl(`+1415556${String(1000 + i * 3).padStart(4, '0')}`));
      refused = res.status === 429;
      if (i % 20 === 19) await sleep(150);
    }
    assert.ok(refused, 'detection banned the enumerator');

    const alert = page.locator('[data-testid=alert-row][data-status=firing]').filter({ hasText: /enumerat/i }).first();
    await alert.waitFor();
    assert.match(await alert.getByTestId('severity').textContent() ?? '', /\w+/);
    await alert.getByTestId('ack-button').click();
    await alert.getByTestId('alert-acknowledged').waitFor();
    await alert.getByTestId('ack-button').waitFor({ state: 'detached' });

    // the acknowledgement is the server's: it survives a reload
    await page.reload();
    const again = page.locator('[data-testid=alert-row][data-status=firing]').filter({ hasText: /enumerat/i }).first();
    await again.getByTestId('alert-acknowledged').waitFor();
    await screenshot('alerts');
    if (SCREENSHOTS) backfillHistory();

    // the overview counts it, and the clients page shows the ban detection made
    await go('overview');
    await page.locator('[data-testid=tile-alerts-value]').filter({ hasNotText: /^0$/ }).waitFor();
    await page.locator('[data-testid=tile-shadow-value]').filter({ hasNotText: /^0$/ }).waitFor();
    await screenshot('overview');
    await go('clients');
    await page.locator(`[data-testid=ban-row][data-key="ip:${attacker}"]`).waitFor();
    await page.getByTestId('decision-row').first().waitFor();
    await screenshot('clients');
    assert.deepEqual(pageErrors, []);
  });

  /**
   * For the screenshots: people using the API, through the gateway:
   * documented lookups with tokens, logins, the zombie v1 and v0 APIs,
   * calls without a token.
   */
  async function sendVariedTraffic(): Promise<void> {
    const token = upstream.token;
    const people = Array.from({ length: 6 }, (_, n) => clientAddress(60 + n));
    for (const [n, who] of people.entries()) {
      for (let i = 0; i < 4 + n; i++) {
        const account = demoAccount((n * 5 + i) % 50);
        await requestFrom(who, `${gw.url}/v2/accounts/${account.id}`, { headers: { authorization: `Bearer ${token}` } });
        await requestFrom(who, lookupUrl(account.phone));
      }
      await requestFrom(who, `${gw.url}/v2/accounts/${demoAccount(n).id}/devices`, { headers: { authorization: `Bearer ${token}` } });
      await requestFrom(who, `${gw.url}/v2/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: `user${1001 + n}@example.com`, password: n % 3 === 0 ? 'wrong' : `correct-horse-acc_${1001 + n}` }) });
    }
    // the zombies: the deprecated v1 lookup answers phone numbers without a credential; v0 is retired
    const legacy = clientAddress(80);
    for (let i = 0; i < 12; i++) await requestFrom(legacy, `${gw.url}/v1/accounts/${demoAccount(i).id}`);
    for (let i = 0; i < 4; i++) await requestFrom(legacy, `${gw.url}/v0/accounts/${demoAccount(i).id}`);
    await requestFrom(legacy, `${gw.url}/v1/phones/check`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ phone: DEMO.knownPhone }) });
    // a few calls without a token to the documented API
    for (let i = 0; i < 5; i++) await requestFrom(clientAddress(81), `${gw.url}/v2/accounts/${demoAccount(i).id}`);
  }

  /**
   * For the screenshots: the gateway started seconds ago, so the hour's
   * traffic chart and the client table get an hour of history, published
   * as events on the bus (which the console's charts and client table
   * read; the inventory and detection do not). Illustration only.
   */
  function backfillHistory(): void {
    const now = Date.now();
    for (let m = 55; m >= 1; m--) {
      const perMinute = 30 + Math.round(18 * Math.sin(m / 7)) + (m % 5) * 3;
      for (let i = 0; i < perMinute; i++) {
        const ip = `198.51.100.${((i * 7 + m) % 12) + 10}`;
        const kind = i % 10;
        const isLogin = kind === 9;
        const refused = isLogin && m % 9 === 0;
        gw.runtime.bus.publish(makeTestEvent({
          time: now - m * 60_000 + i * Math.floor(55_000 / perMinute), clientIp: ip, peerIp: ip, clientSubnet: '198.51.100.0/24', host: '127.0.0.1',
          rawPath: '/', path: null, template: null, operationId: null, upstream: 'accounts', mode: 'enforce', userAgent: 'DemoApp/4.2 (iOS)',
          method: isLogin ? 'POST' : 'GET', class: kind === 8 ? 'zombie' : 'documented',
          decision: refused ? 'limited' : 'forwarded', status: refused ? 429 : isLogin ? 401 : m > 20 && m < 26 && kind === 7 ? 404 : 200,
          bytesOut: isLogin ? 30 : 96,
        }));
      }
      if (m < 12) {
        for (let i = 0; i < 6 + m; i++) {
          const ip = '203.0.113.66';
          gw.runtime.bus.publish(makeTestEvent({
            time: now - m * 60_000 + i * 900, clientIp: ip, peerIp: ip, clientSubnet: '203.0.113.0/24', host: '127.0.0.1',
            rawPath: '/', path: null, template: null, operationId: null, upstream: 'accounts', mode: 'enforce',
            class: 'shadow', status: i % 4 === 0 ? 429 : 404, decision: i % 4 === 0 ? 'banned' : 'forwarded', bytesOut: 20,
          }));
        }
      }
    }
  }
});
