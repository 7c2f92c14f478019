import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { EndpointRecord } from '../store/types.ts';
import { formatInventory } from './inventory-format.ts';

/** The first tests' endpoint: fullRecord (below) with other defaults. */
function record(partial: Partial<EndpointRecord>): EndpointRecord {
  return fullRecord({
    upstream: 'api', host: '', template: '/v2/users/{id}',
    firstSeen: Date.UTC(2026, 10, 29, 4, 0), lastSeen: Date.UTC(2026, 10, 29, 5, 30),
    total: 12, status2xx: 10, status4xx: 2, documented: 12, ...partial,
  });
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

const T = Date.UTC(2025, 0, 15, 12, 34, 56);

function fullRecord(overrides: Partial<EndpointRecord>): EndpointRecord {
  return {
    upstream: 'users',
    host: 'api.example.com',
    method: 'GET',
    template: '/users/{id}',
    operationId: 'getUser',
    class: 'documented',
    firstSeen: T,
    lastSeen: T + 3_600_000,
    total: 0,
    status1xx: 0,
    status2xx: 0,
    status3xx: 0,
    status4xx: 0,
    status5xx: 0,
    statusNone: 0,
    documented: 0,
    shadow: 0,
    zombie: 0,
    unknown: 0,
    rejected: 0,
    ...overrides,
  };
}

describe('formatInventory: details', () => {
  test('an aligned table and a summary line', () => {
    const text = formatInventory([
      fullRecord({ total: 1204, status2xx: 1200, status4xx: 3, status5xx: 1, documented: 1204 }),
      fullRecord({ class: 'shadow', template: '/internal/debug', operationId: null, total: 17, status4xx: 17, shadow: 17 }),
      fullRecord({ class: 'zombie', host: '', method: 'POST', template: '/v1/login', operationId: 'loginV1', total: 3, status3xx: 3 }),
    ]);
    assert.equal(
      text,
      [
        'CLASS       METHOD  ENDPOINT                        OPERATION  TOTAL   2xx  3xx  4xx  5xx  FIRST SEEN        LAST SEEN',
        'documented  GET     api.example.com/users/{id}      getUser     1204  1200    0    3    1  2025-01-15 12:34  2025-01-15 13:34',
        'shadow      GET     api.example.com/internal/debug  -             17     0    0   17    0  2025-01-15 12:34  2025-01-15 13:34',
        'zombie      POST    /v1/login                       loginV1        3     0    3    0    0  2025-01-15 12:34  2025-01-15 13:34',
        '',
        '3 endpoints: 1 documented, 1 shadow, 1 zombie',
      ].join('\n'),
    );
  });

  test('the summary counts endpoints per class in a fixed order and leaves out empty classes', () => {
    const records = [
      ...Array.from({ length: 3 }, (_, i) => fullRecord({ class: 'shadow', template: `/s${i}` })),
      ...Array.from({ length: 7 }, (_, i) => fullRecord({ template: `/d${i}` })),
      ...Array.from({ length: 2 }, (_, i) => fullRecord({ class: 'zombie', template: `/z${i}` })),
    ];
    assert.equal(formatInventory(records).split('\n').at(-1), '12 endpoints: 7 documented, 3 shadow, 2 zombie');
    assert.equal(formatInventory([fullRecord({ class: 'unknown', upstream: '' })]).split('\n').at(-1), '1 endpoint: 1 unknown');
  });

  test('an empty inventory says so', () => {
    assert.equal(formatInventory([]), 'no endpoints recorded yet');
  });

  test('strings from the wire cannot drive the terminal', () => {
    const text = formatInventory([
      fullRecord({ class: 'shadow', template: '/a\x1b[2J\x1b[31mfake\r\n/b\u202egnp.exe\u0085', method: 'G\x07T', host: '' }),
    ]);
    assert.ok(!/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]/.test(text), 'no control or bidi characters besides newlines');
    assert.match(text, /\/a\\x1b\[2J\\x1b\[31mfake\\x0d\\x0a\/b\\u202egnp\.exe\\x85/);
    assert.match(text, /G\\x07T/);
  });

  test('long endpoints and operations are cut to keep the table readable', () => {
    const text = formatInventory([fullRecord({ template: '/' + 'a'.repeat(2047), operationId: 'o'.repeat(100) })]);
    const [, row] = text.split('\n');
    assert.ok(row);
    assert.match(row, / api\.example\.com\/a+… /);
    assert.match(row, / o{39}… /);
    assert.ok(row.length < 220);
  });

  test('colour wraps the class without breaking the alignment', () => {
    const records = [
      fullRecord({ total: 10 }),
      fullRecord({ class: 'shadow', template: '/x', total: 2 }),
      fullRecord({ class: 'rejected', template: '(malformed)', total: 1 }),
    ];
    const plain = formatInventory(records);
    const coloured = formatInventory(records, { color: true });
    assert.notEqual(coloured, plain);
    assert.match(coloured, /\x1b\[33mshadow {4}\x1b\[0m/);
    assert.match(coloured, /\x1b\[31mrejected {2}\x1b\[0m/);
    assert.equal(coloured.replace(/\x1b\[\d+m/g, ''), plain);
    assert.match(plain, /api\.example\.com \(malformed\)/);
    assert.ok(plain.split('\n').every((l) => l === l.trimEnd()), 'no trailing blanks');
  });

  test('times are UTC at minute precision; nonsense times show as -', () => {
    const text = formatInventory([fullRecord({ firstSeen: 0, lastSeen: Number.NaN })]);
    assert.match(text, /1970-01-01 00:00 {2}-$/m);
  });
});
