import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EndpointRecord } from '../store/types.ts';
import { formatInventory } from './inventory-format.ts';

function record(partial: Partial<EndpointRecord>): EndpointRecord {
  return {
    upstream: 'api', host: '', method: 'GET', template: '/v2/users/{id}', operationId: 'getUser', class: 'documented',
    firstSeen: Date.UTC(2026, 10, 29, 4, 0), lastSeen: Date.UTC(2026, 10, 29, 5, 30), total: 12,
    status1xx: 0, status2xx: 10, status3xx: 0, status4xx: 2, status5xx: 0, statusNone: 0,
    documented: 12, shadow: 0, zombie: 0, unknown: 0, rejected: 0, ...partial,
  };
}

test('an aligned table with a summary per class', () => {
  const text = formatInventory([
    record({}),
    record({ class: 'shadow', template: '/v2/phones/%2B14155551012/status', operationId: null, total: 3, status2xx: 0, status4xx: 3 }),
    record({ class: 'zombie', host: 'api.example.com', template: '/v1/users/{id}', operationId: 'getUserV1', total: 1 }),
  ]);
  const lines = text.split('\n');
  assert.match(lines[0]!, /^CLASS\s+METHOD\s+ENDPOINT\s+OPERATION\s+TOTAL\s+2xx\s+3xx\s+4xx\s+5xx\s+FIRST SEEN\s+LAST SEEN$/);
  assert.match(lines[1]!, /^documented\s+GET\s+\/v2\/users\/\{id\}\s+getUser\s+12\s+10\s+0\s+2\s+0\s+2026-11-29 04:00\s+2026-11-29 05:30$/);
  assert.match(lines[2]!, /^shadow\s+GET\s+\/v2\/phones\/%2B14155551012\/status\s+-\s+3\s/);
  assert.match(lines[3]!, /^zombie\s+GET\s+api\.example\.com\/v1\/users\/\{id\}\s+getUserV1/);
  // columns line up: ENDPOINT starts at the same offset on every line
  const offset = lines[0]!.indexOf('ENDPOINT');
  for (const l of lines.slice(1, 4)) assert.equal(l[offset - 1], ' ');
  assert.equal(lines.at(-1), '3 endpoints: 1 documented, 1 shadow, 1 zombie');
});

test('colour only when asked, and a clear line when empty', () => {
  assert.doesNotMatch(formatInventory([record({})]), /\x1b\[/);
  assert.match(formatInventory([record({})], { color: true }), /\x1b\[32mdocumented/);
  assert.equal(formatInventory([]), 'no endpoints recorded yet');
});
