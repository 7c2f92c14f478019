import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { EndpointStats, SmallCounts, statusClass, valueType, valueTypeAt } from './endpoint-stats.ts';
import type { ObservedRequest } from './types.ts';

/** the definition valueType implements by hand */
function valueTypeByRegex(value: string): string {
  if (value === '') return 'empty';
  if (/^-?(0|[1-9][0-9]{0,15})$/.test(value)) return 'integer';
  if (/^-?(0|[1-9][0-9]*)\.[0-9]+$/.test(value)) return 'number';
  if (value === 'true' || value === 'false') return 'boolean';
  return 'string';
}

function request(init: Partial<ObservedRequest>): ObservedRequest {
  return {
    time: 1, method: 'GET', host: '', path: '/', query: null, status: 200, clientIp: null, userAgent: null, bytesOut: null, latencyMs: null,
    requestHeaders: null, responseHeaders: null, requestBody: null, responseBody: null, ...init,
  };
}

describe('valueType', () => {
  it('types as the regular expressions say', () => {
    for (const value of ['', '0', '-0', '00', '7', '-12', '1234567890123456', '12345678901234567', '1.5', '-0.25', '0.', '.5', '-', '-.5', '1e5', 'true', 'false', 'True', '-true', 'x1', '12a', '1.2.3', '٣'] ) {
      assert.equal(valueType(value), valueTypeByRegex(value), JSON.stringify(value));
    }
    fc.assert(fc.property(fc.stringMatching(/^-?[0-9.a-z]{0,20}$/), (value) => valueType(value) === valueTypeByRegex(value)), { numRuns: 2000 });
    fc.assert(fc.property(fc.string(), fc.string(), fc.string(), (a, value, b) => valueTypeAt(a + value + b, a.length, a.length + value.length) === valueTypeByRegex(value)), { numRuns: 2000 });
  });
});

describe('statusClass', () => {
  it('is the hundreds class from 100 to 599, else 0', () => {
    for (const [status, cls] of [[0, '0'], [99, '0'], [100, '1xx'], [204, '2xx'], [299.5, '2xx'], [404, '4xx'], [599, '5xx'], [600, '0'], [-1, '0']] as const) assert.equal(statusClass(status), cls);
  });
});

describe('EndpointStats query and counters', () => {
  it('counts query parameters by type in first-seen order, decoding only what needs it', () => {
    const stats = new EndpointStats();
    for (const query of ['page=2&limit=20', 'page=x&q=a+b', 'q=%41%42&flag', 'limit=&page=3', 'a%20b=1.5&=nameless', '__proto__=1']) stats.add(request({ query }), null);
    const record = stats.toRecord({ host: '', method: 'GET', template: '/', operationId: null }, null);
    assert.equal(JSON.stringify(record.query), JSON.stringify({ page: { integer: 2, string: 1 }, limit: { integer: 1, empty: 1 }, q: { string: 2 }, flag: { empty: 1 }, 'a b': { number: 1 }, ['__proto__']: { integer: 1 } }));
    assert.ok(Object.hasOwn(record.query, '__proto__'));
  });

  it('keeps statuses and auth in first-seen order through merge and a stored record', () => {
    const a = new EndpointStats();
    a.add(request({ status: 404 }), 'none');
    a.add(request({ status: 200 }), 'bearer');
    a.add(request({ status: 201 }), 'none');
    const b = new EndpointStats();
    b.add(request({ status: 500 }), 'apikey');
    b.add(request({ status: 404 }), null);
    a.merge(b);
    const record = a.toRecord({ host: '', method: 'GET', template: '/', operationId: null }, null);
    assert.equal(JSON.stringify(record.statuses), JSON.stringify({ '4xx': 2, '2xx': 2, '5xx': 1 }));
    assert.equal(JSON.stringify(record.auth), JSON.stringify({ none: 2, bearer: 1, apikey: 1 }));
    const again = EndpointStats.fromRecord(record).toRecord({ host: '', method: 'GET', template: '/', operationId: null }, null);
    assert.equal(JSON.stringify(again.statuses), JSON.stringify(record.statuses));
    assert.equal(JSON.stringify(again.auth), JSON.stringify(record.auth));
  });

  it('SmallCounts behaves as a Map of counts', () => {
    const counts = new SmallCounts();
    const map = new Map<string, number>();
    for (const key of ['b', 'a', 'b', 'c', 'a', 'b']) {
      counts.add(key, 2);
      map.set(key, (map.get(key) ?? 0) + 2);
    }
    assert.deepEqual(counts.toObject(), Object.fromEntries(map));
    assert.deepEqual(Object.keys(counts.toObject()), [...map.keys()]);
  });
});
