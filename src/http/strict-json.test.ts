import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseStrictJson } from './strict-json.ts';

describe('parseStrictJson', () => {
  it('parses ordinary documents', () => {
    assert.deepEqual(parseStrictJson('{"phone":"+15551234567","n":[1,{"a":2}]}'), { ok: true, value: { phone: '+15551234567', n: [1, { a: 2 }] } });
    assert.deepEqual(parseStrictJson('[{"a":1},{"a":2}]'), { ok: true, value: [{ a: 1 }, { a: 2 }] });
  });

  it('refuses a repeated member name at any depth, also when escaped differently', () => {
    assert.deepEqual(parseStrictJson('{"phone":"+1555","phone":"+1666"}'), { ok: false, reason: 'duplicate-key' });
    assert.deepEqual(parseStrictJson('{"a":{"b":1,"b":2}}'), { ok: false, reason: 'duplicate-key' });
    assert.deepEqual(parseStrictJson('{"phone":1,"\\u0070hone":2}'), { ok: false, reason: 'duplicate-key' });
  });

  it('does not confuse values, strings with quotes or sibling objects with names', () => {
    assert.equal(parseStrictJson('{"a":"a","b":"\\"a\\""}').ok, true);
    assert.equal(parseStrictJson('{"x":{"a":1},"y":{"a":1}}').ok, true);
    assert.equal(parseStrictJson('{"a":["a","a"],"b":1}').ok, true);
    assert.equal(parseStrictJson('{"a\\\\":1,"a":2}').ok, true);
  });

  it('refuses what JSON.parse refuses, and absurd nesting', () => {
    assert.deepEqual(parseStrictJson('{"a":1,}'), { ok: false, reason: 'syntax' });
    assert.deepEqual(parseStrictJson("{'a':1}"), { ok: false, reason: 'syntax' });
    assert.deepEqual(parseStrictJson('['.repeat(100) + ']'.repeat(100)), { ok: false, reason: 'too-deep' });
  });

  it('agrees with JSON.parse on every document without duplicate names', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
      const text = JSON.stringify(value);
      const result = parseStrictJson(text);
      assert.equal(result.ok, true, text);
      if (result.ok) assert.deepEqual(result.value, JSON.parse(text));
    }), { numRuns: 300 });
  });
});
