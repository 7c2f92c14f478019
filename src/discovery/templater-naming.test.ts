import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nameFromSegment, paramName, singular } from './templater-naming.ts';

describe('singular', () => {
  const cases: Array<[string, string]> = [
    ['users', 'user'],
    ['categories', 'category'],
    ['addresses', 'address'],
    ['statuses', 'status'],
    ['boxes', 'box'],
    ['branches', 'branch'],
    ['people', 'person'],
    ['analyses', 'analysis'],
    ['status', 'status'],
    ['news', 'news'],
    ['user', 'user'],
  ];
  for (const [plural, one] of cases) it(`${plural} → ${one}`, () => assert.equal(singular(plural), one));
  it('reads words that are also Object.prototype keys as words', () => {
    assert.equal(singular('constructor'), 'constructor');
    assert.equal(singular('toString'), 'toString');
    assert.equal(nameFromSegment('aaa_constructor'), 'aaaConstructorId');
    assert.equal(nameFromSegment('__proto__'), null);
    assert.equal(nameFromSegment('constructors'), 'constructorId');
  });
});

describe('nameFromSegment', () => {
  it('singularises and camel-cases the segment before the parameter', () => {
    assert.equal(nameFromSegment('orders'), 'orderId');
    assert.equal(nameFromSegment('categories'), 'categoryId');
    assert.equal(nameFromSegment('payment_intents'), 'paymentIntentId');
    assert.equal(nameFromSegment('credit-notes'), 'creditNoteId');
    assert.equal(nameFromSegment('user'), 'userId');
  });
  it('gives nothing for segments that do not read as a name', () => {
    assert.equal(nameFromSegment('v2'), null);
    assert.equal(nameFromSegment('chat.postMessage'), null);
    assert.equal(nameFromSegment('x'), null);
    assert.equal(nameFromSegment('caf%C3%A9'), null);
  });
});

describe('paramName', () => {
  it("falls back to 'id', then 'param<n>' on a clash", () => {
    assert.equal(paramName(null, 0, new Set()), 'id');
    assert.equal(paramName('users', 0, new Set()), 'userId');
    assert.equal(paramName('users', 1, new Set(['userId'])), 'param2');
    assert.equal(paramName(null, 2, new Set(['id', 'param3'])), 'param4');
  });
});
