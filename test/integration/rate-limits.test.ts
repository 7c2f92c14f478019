/**
 * Rate limits through the real gateway, with requests from many loopback
 * addresses: keys on what is asked for (the phone number), distinct limits,
 * count by outcome, bans, the tarpit, dry runs and monitor mode.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestUpstream, type TestUpstream } from './helpers/upstream.ts';
import { eventually, withGateway } from './helpers/gateway.ts';
import { clientAddress, requestFrom } from './helpers/client.ts';

const KNOWN_PHONES = new Set(['+15550000001', '+15550000002']);

function policy(upstream: TestUpstream, rateLimits: string, mode = 'enforce'): string {
  return `
mode: ${mode}
listeners: [{ port: 0 }]
accessLog: 'off'
store: { sqlite: ':memory:' }
upstreams:
  - name: lookup
    url: ${upstream.url}
    openapi: $FIXTURES/lookup.yaml
rateLimits:
${rateLimits}
`;
}

let upstream: TestUpstream;

before(async () => {
  upstream = await startTestUpstream();
  // the reference breach's endpoint: 200 for a known number, 404 otherwise
  upstream.handle((req, res) => {
    const phone = /\/phones\/([^/]+)\/status/.exec(req.url ?? '')?.[1];
    const known = phone !== undefined && KNOWN_PHONES.has(decodeURIComponent(phone));
    const body = known ? '{"account":"a-1","devices":2}' : '{"error":"not found"}';
    res.writeHead(phone === undefined || known ? 200 : 404, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
after(() => upstream.close());

describe('rate limits through the gateway', () => {
  it('no phone number is looked up more than 5 times an hour, by all clients together', async () => {
    const yaml = policy(upstream, `
  rules:
    - name: phone-lookups
      match: { operations: [getPhoneStatus] }
      key: path.phone
      limits: [5/1h]`);
    await withGateway(yaml, async (gw) => {
      const statuses: number[] = [];
      // eight different clients, from eight addresses in three subnets, ask for the same number
      for (let i = 0; i < 8; i++) {
        const res = await requestFrom(clientAddress(i * 100), `${gw.url}/v1/phones/%2B15550000001/status`);
        statuses.push(res.status);
        if (res.status === 429) {
          assert.equal(JSON.parse(res.body).code, 'RATE_LIMITED');
          assert.ok(Number(res.headers['retry-after']) > 0, 'Retry-After is set');
          assert.match(String(res.headers['ratelimit-policy']), /^"phone-lookups#0";q=5;w=3600$/);
          assert.match(String(res.headers.ratelimit), /^"phone-lookups#0";r=0;t=\d+$/);
        }
      }
      assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429, 429]);
      // another number is untouched
      const other = await requestFrom(clientAddress(1), `${gw.url}/v1/phones/%2B15550000002/status`);
      assert.equal(other.status, 200);
      assert.match(String(other.headers.ratelimit), /"phone-lookups#0";r=4;t=\d+/);
      const limited = await eventually(() => gw.events.find((e) => e.decision === 'limited'));
      assert.deepEqual(limited.limit, {
        rule: 'phone-lookups', key: 'path.phone=%2B15550000001', remaining: 0, action: 'reject', delayMs: 0,
      });
      assert.equal(limited.status, 429);
    });
  });

  it('keys on a JSON body field, and refuses bodies that could mean two things', async () => {
    const yaml = policy(upstream, `
  rules:
    - name: body-lookups
      match: { operations: [lookupPhone] }
      key: body.phone
      limits: [2/1h]`);
    await withGateway(yaml, async (gw) => {
      const post = (body: string, source = clientAddress(1), type = 'application/json') =>
        requestFrom(source, `${gw.url}/v1/lookup`, { method: 'POST', headers: { 'content-type': type }, body });
      assert.equal((await post('{"phone":"+15551112222"}')).status, 200);
      assert.equal((await post('{"phone":"+15551112222"}', clientAddress(2))).status, 200);
      assert.equal((await post('{"phone":"+15551112222"}', clientAddress(3))).status, 429);
      // the same number in a form body, or without a content type, is the same key
      assert.equal((await post('phone=%2B15551112222', clientAddress(4), 'application/x-www-form-urlencoded')).status, 429);
      assert.equal((await post('{"phone":"+15551112222"}', clientAddress(5), 'text/plain')).status, 429);
      // a duplicate member could be limited on one number and answered for the other
      const dup = await post('{"phone":"+15559990000","phone":"+15551112222"}');
      assert.equal(dup.status, 400);
      assert.equal(JSON.parse(dup.body).code, 'BAD_REQUEST_BODY');
      assert.equal((await post('{"phone":')).status, 400);
      // the upstream got exactly the bytes that were checked
      const forwarded = upstream.received.filter((r) => r.url === '/v1/lookup').at(-1)!;
      assert.equal(forwarded.body.toString(), '{"phone":"+15551112222"}');
    });
  });

  it('refuses a repeated query parameter that a key reads', async () => {
    const yaml = policy(upstream, `
  rules:
    - name: by-query
      match: { operations: [search] }
      key: query.q
      limits: [100/1h]`);
    await withGateway(yaml, async (gw) => {
      assert.equal((await requestFrom(clientAddress(1), `${gw.url}/v1/search?q=a`)).status, 200);
      const res = await requestFrom(clientAddress(1), `${gw.url}/v1/search?q=a&q=b`);
      assert.equal(res.status, 400);
      assert.equal(JSON.parse(res.body).code, 'AMBIGUOUS_PARAMETER');
    });
  });

  it('caps the distinct accounts one client may touch, and lets it touch them again', async () => {
    const yaml = policy(upstream, `
  rules:
    - name: accounts-per-client
      match: { operations: [getAccount] }
      key: ip
      distinct: { of: path.accountId, limit: 3, per: 1d }`);
    await withGateway(yaml, async (gw) => {
      const get = (id: string, source = clientAddress(7)) => requestFrom(source, `${gw.url}/v1/accounts/${id}`).then((r) => r.status);
      assert.deepEqual([await get('a'), await get('b'), await get('c'), await get('d')], [200, 200, 200, 429]);
      assert.equal(await get('a'), 200, 'an account already touched stays reachable');
      assert.equal(await get('d', clientAddress(8)), 200, 'another client has its own count');
    });
  });

  it('counts only misses (404) when asked, and refuses the next request once they are spent', async () => {
    const yaml = policy(upstream, `
  rules:
    - name: misses
      match: { tags: [lookup] }
      key: subnet
      limits: [3/1h]
      countStatus: [404]`);
    await withGateway(yaml, async (gw) => {
      const get = (phone: string) => requestFrom(clientAddress(20), `${gw.url}/v1/phones/${encodeURIComponent(phone)}/status`).then((r) => r.status);
      // hits are free
      for (let i = 0; i < 5; i++) assert.equal(await get('+15550000001'), 200);
      assert.deepEqual([await get('+1999001'), await get('+1999002'), await get('+1999003')], [404, 404, 404]);
      // the third miss is counted when its response completes: allow the gateway a moment
      let status = 0;
      for (let i = 0; i < 50 && status !== 429; i++) {
        status = await get('+15550000001');
        if (status !== 429) await new Promise((r) => setTimeout(r, 10));
      }
      assert.equal(status, 429);
      // a neighbour in the same /24 shares the subnet's budget
      assert.equal((await requestFrom(clientAddress(21), `${gw.url}/v1/phones/%2B15550000001/status`)).status, 429);
    });
  });

  it('bans a client after repeated violations, with Retry-After, and leaves others alone', async () => {
    const yaml = policy(upstream, `
  rules:
    - name: strict
      match: { operations: [ping] }
      key: ip
      limits: [1/1m]
      ban: { key: ip, after: 2, within: 1m, durations: [1m, 10m] }`);
    await withGateway(yaml, async (gw) => {
      const get = (source: string) => requestFrom(source, `${gw.url}/v1/ping`);
      const a = clientAddress(30);
      assert.equal((await get(a)).status, 200);
      assert.equal((await get(a)).status, 429);
      const second = await get(a);
      assert.equal(second.status, 429);
      // the ban now applies to every operation, limited or not
      const banned = await requestFrom(a, `${gw.url}/v1/accounts/x`);
      assert.equal(banned.status, 429);
      assert.equal(JSON.parse(banned.body).code, 'CLIENT_BANNED');
      const retry = Number(banned.headers['retry-after']);
      assert.ok(retry > 50 && retry <= 60, `Retry-After ${retry} is about the 1 m ban`);
      assert.equal((await get(clientAddress(31))).status, 200);
      const bans = await gw.runtime.limiter.store.listBans(Date.now());
      assert.deepEqual(bans.map((b) => [b.key, b.level]), [[`ip:${a}`, 1]]);
      const event = await eventually(() => gw.events.find((e) => e.decision === 'banned'));
      assert.equal(event.limit?.action, 'ban');
    });
  });

  it('holds over-limit requests in the tarpit instead of refusing them, up to maxDelay', async () => {
    const yaml = policy(upstream, `
  tarpit: { maxHeld: 50, maxHeldPerClient: 50 }
  rules:
    - name: slow-down
      match: { operations: [ping] }
      key: ip
      limits: [{ limit: 2, per: 1s, burst: 2 }]
      action: delay
      maxDelay: 3s`);
    await withGateway(yaml, async (gw) => {
      const source = clientAddress(40);
      const results = await Promise.all(Array.from({ length: 5 }, () => requestFrom(source, `${gw.url}/v1/ping`)));
      assert.deepEqual(results.map((r) => r.status).sort(), [200, 200, 200, 200, 200]);
      const events = await eventually(() => {
        const list = gw.events.filter((e) => e.limit?.rule === 'slow-down');
        return list.length === 5 ? list : null;
      });
      const delays = events.map((e) => e.limit!.delayMs).sort((x, y) => x - y);
      assert.deepEqual(delays.slice(0, 2), [0, 0], 'the burst passes at once');
      // each request past the burst waits for its turn at 2/s: about 0.5 s, 1 s, 1.5 s
      assert.ok(delays[2]! > 300 && delays[4]! > delays[2]!, `delays grow with the excess: ${delays.join(', ')}`);
      assert.ok(events.filter((e) => e.limit!.action === 'delay').every((e) => e.latencyMs >= e.limit!.delayMs - 5));
      // past maxDelay the answer is 429
      const flood = await Promise.all(Array.from({ length: 10 }, () => requestFrom(source, `${gw.url}/v1/ping`)));
      assert.ok(flood.some((r) => r.status === 429), 'requests that would wait past maxDelay are refused');
    });
  });

  it('never holds more than tarpit.maxHeld requests, and keeps serving other clients', async () => {
    const yaml = policy(upstream, `
  tarpit: { maxHeld: 8, maxHeldPerClient: 4 }
  rules:
    - name: slow-down
      match: { operations: [ping] }
      key: ip
      limits: [{ limit: 1, per: 10s, burst: 1 }]
      action: delay
      maxDelay: 2m`);
    await withGateway(yaml, async (gw) => {
      let maxHeld = 0;
      const sampler = setInterval(() => {
        maxHeld = Math.max(maxHeld, gw.runtime.limiter.tarpit.held);
      }, 5);
      // four bots, 15 requests each, all over the limit after their first
      const flood = Array.from({ length: 4 }, (_, bot) => Array.from({ length: 15 }, () =>
        requestFrom(clientAddress(50 + bot), `${gw.url}/v1/ping`, { headers: { connection: 'close' } }).then((r) => r.status).catch(() => 0))).flat();
      await eventually(() => gw.runtime.limiter.tarpit.held >= 8, 3000);
      // a normal client on another operation is served at once while the tarpit is full
      const normal = await requestFrom(clientAddress(99), `${gw.url}/v1/accounts/1`);
      assert.equal(normal.status, 200);
      assert.ok(gw.runtime.limiter.tarpit.held <= 8);
      assert.ok(gw.runtime.limiter.tarpit.overflowed > 0, 'past the bound requests are refused');
      gw.runtime.limiter.tarpit.releaseAll();
      const statuses = await Promise.all(flood);
      clearInterval(sampler);
      assert.ok(maxHeld <= 8, `held at most 8 (saw ${maxHeld})`);
      const refused = statuses.filter((s) => s === 429).length;
      assert.ok(refused >= 60 - 8 - 4, `most of the flood was refused at once (${refused} of 60)`);
      const full = gw.events.find((e) => e.code === 'TARPIT_FULL');
      assert.ok(full, 'refusals carry TARPIT_FULL');
    });
  });

  it('dry-run rules and monitor mode decide and report, but let the request pass', async () => {
    const rules = `
  rules:
    - name: watch-only
      match: { operations: [search] }
      key: ip
      limits: [1/1h]
      dryRun: true
    - name: enforced
      match: { operations: [getAccount] }
      key: ip
      limits: [1/1h]`;
    await withGateway(policy(upstream, rules), async (gw) => {
      const s = clientAddress(60);
      assert.deepEqual([(await requestFrom(s, `${gw.url}/v1/search`)).status, (await requestFrom(s, `${gw.url}/v1/search`)).status], [200, 200]);
      const dry = await eventually(() => gw.events.find((e) => e.limit?.action === 'dry-run'));
      assert.equal(dry.limit?.rule, 'watch-only');
      assert.equal(dry.status, 200);
    });
    await withGateway(policy(upstream, rules, 'monitor'), async (gw) => {
      const s = clientAddress(61);
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await requestFrom(s, `${gw.url}/v1/accounts/1`)).status);
      assert.deepEqual(statuses, [200, 200, 200]);
      const reported = await eventually(() => gw.events.find((e) => e.limit?.rule === 'enforced' && e.limit.action === 'dry-run'));
      assert.equal(reported.decision, 'forwarded');
    });
  });

  it('tiers: an API key on the gold plan gets the gold windows; keys are counted apart whatever the address', async () => {
    const yaml = `
listeners: [{ port: 0 }]
accessLog: 'off'
store: { sqlite: ':memory:' }
upstreams:
  - { name: secured, url: ${upstream.url}, openapi: $FIXTURES/secured.yaml }
rateLimits:
  rules:
    - name: reports-per-key
      match: { operations: [getReports] }
      key: apiKey
      limits: [2/1h]
      tiers: { gold: ['5/1h'] }
`;
    await withGateway(yaml, async (gw) => {
      const { key: basic } = await gw.runtime.apiKeys.create({ owner: 'free-user', scopes: [] });
      const { key: gold } = await gw.runtime.apiKeys.create({ owner: 'paying-user', scopes: [], plan: 'gold' });
      const run = async (key: string) => {
        const out: number[] = [];
        // each request from another address: the key, not the address, is what is counted
        for (let i = 0; i < 6; i++) out.push((await requestFrom(clientAddress(80 + i), `${gw.url}/v1/reports`, { headers: { 'x-api-key': key } })).status);
        return out;
      };
      assert.deepEqual(await run(basic), [200, 200, 429, 429, 429, 429]);
      assert.deepEqual(await run(gold), [200, 200, 200, 200, 200, 429]);
      const event = await eventually(() => gw.events.find((e) => e.limit?.rule === 'reports-per-key' && e.status === 429));
      assert.match(event.limit!.key, /^apiKey=apikey%3A/);
    });
  });

  it('never limits the allow-list, weighs costly operations, and reads rules written on operations', async () => {
    const yaml = policy(upstream, `
  allow: [${clientAddress(70)}]
  rules:
    - name: budget
      match: { operations: [search, getAccount] }
      key: ip
      limits: [10/1h]`);
    await withGateway(yaml, async (gw) => {
      const allowed = clientAddress(70);
      for (let i = 0; i < 12; i++) assert.equal((await requestFrom(allowed, `${gw.url}/v1/search`)).status, 200);
      // search costs 5 (x-apiwarden-cost): two searches spend the budget of ten
      const s = clientAddress(71);
      assert.equal((await requestFrom(s, `${gw.url}/v1/search`)).status, 200);
      assert.equal((await requestFrom(s, `${gw.url}/v1/search`)).status, 200);
      assert.equal((await requestFrom(s, `${gw.url}/v1/accounts/1`)).status, 429);
      // x-apiwarden-rate-limit on exportAll: 2 an hour per address
      const e = clientAddress(72);
      const exports = [];
      for (let i = 0; i < 3; i++) exports.push((await requestFrom(e, `${gw.url}/v1/export`)).status);
      assert.deepEqual(exports, [200, 200, 429]);
    });
  });
});
