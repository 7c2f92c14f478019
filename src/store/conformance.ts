import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import type { Alert } from '../alerts/types.ts';
import type { GatewayEvent } from '../events/types.ts';
import type { InventoryEndpoint } from '../discovery/types.ts';
import type { EndpointRecord, Store } from './types.ts';

/**
 * The behaviour every Store implementation must show, run by each
 * implementation's own test file (SQLite now, PostgreSQL later):
 *
 *   runStoreConformance('sqlite :memory:', () => createSqliteStore(':memory:'));
 *
 * `create` must return a fresh, empty store on every call.
 */

const T0 = Date.UTC(2025, 0, 15, 12, 0, 0);

/** A complete, valid event; tests override only what they look at. */
export function makeTestEvent(overrides: Partial<GatewayEvent> = {}): GatewayEvent {
  return {
    id: randomUUID(),
    time: T0,
    clientIp: '203.0.113.7',
    clientSubnet: '203.0.113.0/24',
    peerIp: '203.0.113.7',
    method: 'GET',
    host: 'api.example.com',
    rawPath: '/users/42',
    path: '/users/42',
    upstream: 'users',
    template: '/users/{id}',
    operationId: 'getUser',
    class: 'documented',
    mode: 'monitor',
    decision: 'forwarded',
    code: null,
    status: 200,
    latencyMs: 3,
    upstreamLatencyMs: 2,
    bytesIn: 0,
    bytesOut: 120,
    userAgent: 'conformance/1.0',
    limit: null,
    principal: null,
    auth: null,
    ...overrides,
  };
}

function find(records: readonly EndpointRecord[], template: string): EndpointRecord {
  const record = records.find((r) => r.template === template);
  assert.ok(record, `no record for template ${JSON.stringify(template)}`);
  return record;
}

export function runStoreConformance(name: string, create: () => Promise<Store> | Store): void {
  async function withStore(fn: (store: Store) => Promise<void>): Promise<void> {
    const store = await create();
    try {
      await fn(store);
    } finally {
      await store.close();
    }
  }

  describe(`Store conformance: ${name}`, () => {
    test('a new store lists no endpoints, and an empty batch changes nothing', () =>
      withStore(async (store) => {
        assert.deepEqual(await store.listEndpoints(), []);
        await store.recordEvents([]);
        assert.deepEqual(await store.listEndpoints(), []);
      }));

    test('one event becomes one complete record', () =>
      withStore(async (store) => {
        await store.recordEvents([makeTestEvent()]);
        assert.deepEqual(await store.listEndpoints(), [
          {
            upstream: 'users',
            host: 'api.example.com',
            method: 'GET',
            template: '/users/{id}',
            operationId: 'getUser',
            class: 'documented',
            firstSeen: T0,
            lastSeen: T0,
            total: 1,
            status1xx: 0,
            status2xx: 1,
            status3xx: 0,
            status4xx: 0,
            status5xx: 0,
            statusNone: 0,
            documented: 1,
            shadow: 0,
            zombie: 0,
            unknown: 0,
            rejected: 0,
          },
        ]);
      }));

    test('counters stay exact over several batches', () =>
      withStore(async (store) => {
        const statuses = [200, 201, 204, 301, 404, 429, 500, 503, 101, 0];
        let expected = 0;
        for (let batch = 0; batch < 5; batch += 1) {
          const events = [];
          for (let i = 0; i < 100 + 10 * batch; i += 1) {
            events.push(makeTestEvent({ status: statuses[i % statuses.length], time: T0 + batch * 1000 + i }));
            // another endpoint in the same batches must not disturb the first
            events.push(makeTestEvent({ template: '/orders', path: '/orders', operationId: 'listOrders' }));
          }
          expected += 100 + 10 * batch;
          await store.recordEvents(events);
        }
        const user = find(await store.listEndpoints(), '/users/{id}');
        assert.equal(user.total, expected);
        assert.equal(user.documented, expected);
        const perStatus = expected / statuses.length;
        assert.equal(user.status1xx, perStatus);
        assert.equal(user.status2xx, 3 * perStatus);
        assert.equal(user.status3xx, perStatus);
        assert.equal(user.status4xx, 2 * perStatus);
        assert.equal(user.status5xx, 2 * perStatus);
        assert.equal(user.statusNone, perStatus);
        assert.equal(find(await store.listEndpoints(), '/orders').total, expected);
      }));

    test('status 0 and values that are not HTTP statuses count as no response', () =>
      withStore(async (store) => {
        await store.recordEvents([
          makeTestEvent({ status: 0 }),
          makeTestEvent({ status: 99 }),
          makeTestEvent({ status: 600 }),
          makeTestEvent({ status: 199 }),
          makeTestEvent({ status: 599 }),
        ]);
        const [record] = await store.listEndpoints();
        assert.ok(record);
        assert.equal(record.total, 5);
        assert.equal(record.statusNone, 3);
        assert.equal(record.status1xx, 1);
        assert.equal(record.status5xx, 1);
      }));

    test('first and last seen are the min and max over batches, whatever the arrival order', () =>
      withStore(async (store) => {
        await store.recordEvents([makeTestEvent({ time: T0 + 5000 }), makeTestEvent({ time: T0 + 1000 })]);
        await store.recordEvents([makeTestEvent({ time: T0 + 3000 })]);
        await store.recordEvents([makeTestEvent({ time: T0 })]);
        await store.recordEvents([makeTestEvent({ time: T0 + 9000 })]);
        const [record] = await store.listEndpoints();
        assert.ok(record);
        assert.equal(record.firstSeen, T0);
        assert.equal(record.lastSeen, T0 + 9000);
      }));

    test('the class is the class of the latest event, counts keep every class', () =>
      withStore(async (store) => {
        const shadow = { template: null, path: '/internal/debug', operationId: null } as const;
        await store.recordEvents([
          makeTestEvent({ ...shadow, class: 'shadow', time: T0 + 10 }),
          makeTestEvent({ ...shadow, class: 'zombie', time: T0 + 30 }),
          makeTestEvent({ ...shadow, class: 'shadow', time: T0 + 20 }),
        ]);
        let [record] = await store.listEndpoints();
        assert.equal(record?.class, 'zombie');
        // an older event in a later batch does not change the class
        await store.recordEvents([makeTestEvent({ ...shadow, class: 'rejected', time: T0 })]);
        [record] = await store.listEndpoints();
        assert.equal(record?.class, 'zombie');
        await store.recordEvents([makeTestEvent({ ...shadow, class: 'unknown', time: T0 + 40 })]);
        [record] = await store.listEndpoints();
        assert.ok(record);
        assert.equal(record.class, 'unknown');
        assert.deepEqual(
          [record.documented, record.shadow, record.zombie, record.unknown, record.rejected],
          [0, 2, 1, 1, 1],
        );
      }));

    test('keys: upstream null is "", template falls back to the path, then to (malformed)', () =>
      withStore(async (store) => {
        await store.recordEvents([
          makeTestEvent({ upstream: null, template: null, operationId: null, path: '/nowhere', class: 'unknown', status: 404 }),
          makeTestEvent({ upstream: null, template: null, operationId: null, path: null, class: 'rejected', status: 400 }),
          makeTestEvent({ template: null, operationId: null, path: '/users/42/secret', class: 'shadow' }),
          makeTestEvent({ host: '', method: 'POST', template: '/users', operationId: 'createUser' }),
        ]);
        const records = await store.listEndpoints();
        assert.equal(records.length, 4);
        const nowhere = find(records, '/nowhere');
        assert.equal(nowhere.upstream, '');
        assert.equal(nowhere.class, 'unknown');
        assert.equal(nowhere.operationId, null);
        assert.equal(find(records, '(malformed)').upstream, '');
        assert.equal(find(records, '/users/42/secret').upstream, 'users');
        const created = find(records, '/users');
        assert.equal(created.host, '');
        assert.equal(created.method, 'POST');
        assert.equal(created.operationId, 'createUser');
      }));

    test('the key is (upstream, host, method, template)', () =>
      withStore(async (store) => {
        await store.recordEvents([
          makeTestEvent(),
          makeTestEvent({ upstream: 'users-v2' }),
          makeTestEvent({ host: 'API.example.com' }),
          makeTestEvent({ method: 'DELETE' }),
          makeTestEvent({ template: '/users/{userId}' }),
          makeTestEvent(),
        ]);
        const records = await store.listEndpoints();
        assert.equal(records.length, 5);
        assert.equal(records.reduce((sum, r) => sum + r.total, 0), 6);
      }));

    test('ordered by total descending, then template', () =>
      withStore(async (store) => {
        const events: GatewayEvent[] = [];
        const totals: Record<string, number> = { '/a': 2, '/b': 5, '/c': 2, '/d': 1, '/B': 2 };
        for (const [template, total] of Object.entries(totals)) {
          for (let i = 0; i < total; i += 1) events.push(makeTestEvent({ template, path: template }));
        }
        await store.recordEvents(events);
        const records = await store.listEndpoints();
        // byte order of the template: upper case before lower case
        assert.deepEqual(
          records.map((r) => [r.template, r.total]),
          [['/b', 5], ['/B', 2], ['/a', 2], ['/c', 2], ['/d', 1]],
        );
      }));

    test('filters by class, upstream and limit', () =>
      withStore(async (store) => {
        await store.recordEvents([
          makeTestEvent(),
          makeTestEvent(),
          makeTestEvent({ template: null, path: '/admin', operationId: null, class: 'shadow' }),
          makeTestEvent({ upstream: 'billing', template: '/v1/invoices', class: 'zombie', operationId: null }),
          makeTestEvent({ upstream: 'billing', template: '/v2/invoices' }),
          makeTestEvent({ upstream: 'billing', template: '/v2/invoices' }),
          makeTestEvent({ upstream: 'billing', template: '/v2/invoices' }),
          makeTestEvent({ upstream: null, template: null, path: '/x', class: 'unknown' }),
        ]);
        assert.equal((await store.listEndpoints()).length, 5);
        assert.deepEqual((await store.listEndpoints({ class: 'shadow' })).map((r) => r.template), ['/admin']);
        assert.deepEqual((await store.listEndpoints({ class: 'unknown' })).map((r) => r.upstream), ['']);
        assert.deepEqual(
          (await store.listEndpoints({ upstream: 'billing' })).map((r) => r.template),
          ['/v2/invoices', '/v1/invoices'],
        );
        assert.deepEqual(
          (await store.listEndpoints({ upstream: 'billing', class: 'documented' })).map((r) => r.template),
          ['/v2/invoices'],
        );
        assert.deepEqual((await store.listEndpoints({ upstream: '' })).map((r) => r.template), ['/x']);
        assert.deepEqual((await store.listEndpoints({ upstream: 'nobody' })), []);
        assert.deepEqual(
          (await store.listEndpoints({ limit: 2 })).map((r) => r.template),
          ['/v2/invoices', '/users/{id}'],
        );
        assert.deepEqual(await store.listEndpoints({ limit: 0 }), []);
        await assert.rejects(store.listEndpoints({ limit: -1 }), RangeError);
        await assert.rejects(store.listEndpoints({ limit: 1.5 }), RangeError);
      }));

    test('strings from the wire are stored intact: quotes, unicode, 2 KB paths', () =>
      withStore(async (store) => {
        const weird = [
          `/it's/"quoted"/\`tick\`/back\\slash/%27;DROP TABLE endpoints;--`,
          '/ünïcødé/日本語/🦀/\u202eevil\u202c/\u0007bell/\r\n',
          '/' + 'a'.repeat(2047),
          '/' + 'é'.repeat(1023),
        ];
        await store.recordEvents(
          weird.map((path) =>
            makeTestEvent({
              template: null,
              path,
              class: 'shadow',
              operationId: null,
              host: `hôst-"${path.length}'.example`,
              method: 'M"\'X',
            }),
          ),
        );
        const records = await store.listEndpoints();
        assert.deepEqual(records.map((r) => r.template).sort(), [...weird].sort());
        for (const record of records) {
          assert.equal(record.host, `hôst-"${record.template.length}'.example`);
          assert.equal(record.method, 'M"\'X');
        }
        assert.deepEqual(await store.listEndpoints({ upstream: "users' OR '1'='1" }), []);
      }));

    test('a malformed event does not lose the batch', () =>
      withStore(async (store) => {
        const bad = { ...makeTestEvent(), time: Number.NaN, status: 'x', class: 'bogus', method: 42 } as unknown as GatewayEvent;
        await store.recordEvents([makeTestEvent(), bad, null as unknown as GatewayEvent, makeTestEvent()]);
        const records = await store.listEndpoints();
        // the null is skipped; the bad event is counted with coerced fields
        assert.equal(records.reduce((sum, r) => sum + r.total, 0), 3);
        const good = records.find((r) => r.method === 'GET');
        assert.equal(good?.total, 2);
        assert.equal(good?.status2xx, 2);
      }));

    test('returned records are copies', () =>
      withStore(async (store) => {
        await store.recordEvents([makeTestEvent()]);
        const [first] = await store.listEndpoints();
        assert.ok(first);
        first.total = 1000;
        const [again] = await store.listEndpoints();
        assert.equal(again?.total, 1);
      }));

    test('keeps the inventory snapshot last saved, busiest first', () =>
      withStore(async (store) => {
        assert.deepEqual(await store.listInventory(), []);
        const endpoint = (template: string, count: number): InventoryEndpoint => ({
          host: 'api.example.com', method: 'GET', template, operationId: null, firstSeen: T0, lastSeen: T0 + count, count,
          statuses: { '2xx': count }, latency: { count, sumMs: count, maxMs: 1, p95Ms: 1 }, auth: { none: count }, query: { q: { string: 1 } },
          requestContentTypes: {}, responseContentTypes: { 'application/json': count }, requestShape: null, responseShapes: { 200: { types: { object: count } } },
          dataClasses: { phone: { request: 1, response: 2, unauthenticatedResponse: 2, paths: ['response.phone'], examples: ['+1415•••2671'] } },
          clients: 1, sampled: count, deprecationHeaders: 0, learned: null,
        });
        await store.saveInventory([endpoint('/a', 1), endpoint('/b/{id}', 5)]);
        const saved = await store.listInventory();
        assert.deepEqual(saved.map((e) => e.template), ['/b/{id}', '/a']);
        assert.deepEqual(saved[0], endpoint('/b/{id}', 5));
        // a later snapshot replaces the earlier one: merged-away endpoints go
        await store.saveInventory([endpoint('/b/{id}', 7)]);
        assert.deepEqual((await store.listInventory()).map((e) => [e.template, e.count]), [['/b/{id}', 7]]);
        assert.equal((await store.listInventory({ limit: 0 })).length, 0);
      }));

    test('idempotent by event id: the same batch twice counts once', () =>
      withStore(async (store) => {
        const batch = [
          makeTestEvent(),
          makeTestEvent({ status: 500 }),
          makeTestEvent({ template: null, path: '/debug', operationId: null, class: 'shadow' }),
        ];
        await store.recordEvents(batch);
        const before = await store.listEndpoints();
        await store.recordEvents(batch);
        // a copy, as a redelivery over the wire would be
        await store.recordEvents(batch.map((event) => ({ ...event })));
        assert.deepEqual(await store.listEndpoints(), before);
        assert.equal(find(before, '/users/{id}').total, 2);
        assert.equal(find(before, '/users/{id}').status5xx, 1);
        assert.equal(find(before, '/debug').total, 1);
      }));

    test('idempotent by event id: duplicates within one batch count once, the first one wins', () =>
      withStore(async (store) => {
        const first = makeTestEvent({ status: 201, time: T0 + 5 });
        // the same id with other contents is still a repeat, not a new event
        const repeat = { ...first, status: 503, class: 'zombie' as const, time: T0 + 9 };
        await store.recordEvents([first, makeTestEvent({ time: T0 }), repeat, first, first]);
        const [record] = await store.listEndpoints();
        assert.ok(record);
        assert.equal(record.total, 2);
        assert.equal(record.status2xx, 2);
        assert.equal(record.status5xx, 0);
        assert.equal(record.zombie, 0);
        assert.equal(record.lastSeen, T0 + 5);
      }));

    test('idempotent by event id: an event re-sent after other batches counts once', () =>
      withStore(async (store) => {
        const early = makeTestEvent({ id: 'redelivered-1', time: T0 });
        await store.recordEvents([early, makeTestEvent()]);
        for (let batch = 1; batch <= 5; batch += 1) {
          await store.recordEvents([makeTestEvent({ time: T0 + batch * 1000 }), makeTestEvent({ time: T0 + batch * 1000 })]);
        }
        // redelivered in a batch of new events, once alone, and once after a
        // batch that held only repeats
        await store.recordEvents([makeTestEvent({ time: T0 + 9000 }), early]);
        await store.recordEvents([early]);
        await store.recordEvents([early, makeTestEvent({ time: T0 + 10_000 })]);
        const [record] = await store.listEndpoints();
        assert.equal(record?.total, 2 + 10 + 1 + 1);
      }));

    test('idempotent by event id: ids compare exactly, long and unusual ids included', () =>
      withStore(async (store) => {
        const ids = [
          'A', 'a', 'a ', 'sha256:' + 'f'.repeat(64), 'x'.repeat(10_000), 'x'.repeat(10_001),
          'nul\u0000one', 'nul\u0000two', 'lone\ud800', 'lone\udbff', 'lone\ufffd', 'ünï-🦀',
        ];
        const events = ids.map((id) => makeTestEvent({ id }));
        await store.recordEvents(events);
        await store.recordEvents(events);
        assert.equal((await store.listEndpoints())[0]?.total, ids.length);
      }));

    test('idempotent by event id: a malformed event redelivered counts once', () =>
      withStore(async (store) => {
        const bad = { ...makeTestEvent(), time: Number.NaN, status: 'x', class: 'bogus' } as unknown as GatewayEvent;
        await store.recordEvents([bad]);
        await store.recordEvents([{ ...bad }, makeTestEvent()]);
        const [record] = await store.listEndpoints();
        assert.equal(record?.total, 2);
      }));

    test('an event without a usable id is counted each time it is seen', () =>
      withStore(async (store) => {
        const anonymous = [
          { ...makeTestEvent(), id: undefined } as unknown as GatewayEvent,
          makeTestEvent({ id: '' }),
          { ...makeTestEvent(), id: 42 } as unknown as GatewayEvent,
        ];
        await store.recordEvents(anonymous);
        await store.recordEvents(anonymous);
        assert.equal((await store.listEndpoints())[0]?.total, 6);
      }));

    test('times that are fractional, huge or negative do not lose the batch', () =>
      withStore(async (store) => {
        await store.recordEvents([
          makeTestEvent({ time: T0 + 0.5 }),
          makeTestEvent({ time: 1e300 }),
          makeTestEvent({ time: -1e300 }),
          makeTestEvent({ time: Number.POSITIVE_INFINITY }),
          makeTestEvent(),
        ]);
        assert.equal((await store.listEndpoints())[0]?.total, 5);
      }));

    test('alerts are saved by fingerprint, the newest state kept whoever saves last, newest start first', () =>
      withStore(async (store) => {
        const alert = (fingerprint: string, startsAt: number, lastSeenAt: number, status: 'firing' | 'resolved'): Alert => ({
          fingerprint, rule: 'enumeration', status, severity: 'high', summary: 'walks numbers', groupLabels: { identity: 'ip:203.0.113.7' },
          labels: { identity: 'ip:203.0.113.7', rule: 'enumeration' }, startsAt, lastSeenAt, endsAt: status === 'resolved' ? lastSeenAt : null, count: 3,
          acknowledgedAt: null, acknowledgedBy: null, resolvedBy: null, evidence: { topIdentities: [], counts: { requests: 40 }, exampleRequests: [] },
        });
        assert.deepEqual(await store.listAlerts(), []);
        await store.saveAlerts([alert('a1', T0, T0 + 10, 'firing'), alert('b2', T0 + 5, T0 + 6, 'firing')]);
        await store.saveAlerts([alert('a1', T0, T0 + 60, 'resolved')]);
        // an analyser that saw less saves after: the newer state stays
        await store.saveAlerts([alert('a1', T0, T0 + 20, 'firing')]);
        const listed = await store.listAlerts();
        assert.deepEqual(listed.map((a) => [a.fingerprint, a.status, a.lastSeenAt]), [['b2', 'firing', T0 + 6], ['a1', 'resolved', T0 + 60]]);
        assert.deepEqual(listed[1], alert('a1', T0, T0 + 60, 'resolved'));
        assert.equal((await store.listAlerts({ limit: 1 })).length, 1);
        await store.saveAlerts([]);
      }));

    test('close is idempotent and later calls reject', async () => {
      const store = await create();
      await store.recordEvents([makeTestEvent()]);
      await store.close();
      await store.close();
      await assert.rejects(store.recordEvents([makeTestEvent()]), { code: 'STORE_CLOSED' });
      await assert.rejects(store.listEndpoints(), { code: 'STORE_CLOSED' });
    });
  });
}
