import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { displayPath, isIdLikeKey, itemsPath, mapValuesPath, propertyPath } from './json-shape-keys.ts';

describe('paths', () => {
  it('writes places as findings show them', () => {
    assert.equal(propertyPath('', 'data'), 'data');
    assert.equal(propertyPath(itemsPath('data'), 'email'), 'data[].email');
    assert.equal(propertyPath(mapValuesPath('byId'), 'iban'), 'byId{*}.iban');
    assert.equal(propertyPath('meta', 'x.y'), 'meta["x.y"]');
    assert.equal(propertyPath('', ''), '[""]');
    assert.equal(propertyPath('', 'a b'), '["a b"]');
    assert.equal(propertyPath('', 'snake_case-and-$'), 'snake_case-and-$');
    assert.equal(itemsPath(''), '[]');
    assert.equal(displayPath(''), '(body)');
    assert.equal(displayPath('a'), 'a');
  });
});

describe('isIdLikeKey', () => {
  it('recognises keys that are data', () => {
    for (const key of ['1', '42', '1700000000123', '550e8400-e29b-41d4-a716-446655440000', '507f1f77bcf86cd799439011',
      'd41d8cd98f00b204e9800998ecf8427e', '01ARZ3NDEKTSV4RRFFQ69G5FAV', '2024-06-01', 'cus_9s6XKzkNRiz8i3', 'acc_8f2k3xyz']) {
      assert.equal(isIdLikeKey(key), true, key);
    }
  });

  it('leaves field names alone', () => {
    for (const key of ['id', 'name', 'email', 'address2', 'line_1', 'v2', 'ipv4', 'sha256', 'created_at', 'utf8_name', 'deadbeefcafe',
      'first_name_2', 'x-request-id', '', '123456789012345678901', 'cus_short1', 'Cus_9s6XKzkNRiz8i3', 'a.b']) {
      assert.equal(isIdLikeKey(key), false, key);
    }
  });
});
