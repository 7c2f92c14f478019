import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { emptyShape, mergeShapes, shapeOf, type Shape } from './json-shape.ts';
import { diffShapes } from './json-shape-diff.ts';

function learn(...samples: unknown[]): Shape {
  return samples.reduce<Shape>((acc, s) => mergeShapes(acc, shapeOf(s)), emptyShape());
}

const ACCOUNT = {
  type: 'object',
  required: ['accountId', 'status'],
  properties: {
    accountId: { type: 'string' },
    status: { type: 'string', enum: ['active', 'locked'] },
    devices: { type: 'integer' },
    lastSeen: { type: 'string', format: 'date-time', nullable: true },
  },
};

describe('diffShapes', () => {
  it('reports nothing when traffic matches the document', () => {
    const observed = learn({ accountId: 'a', status: 'active', devices: 2, lastSeen: null }, { accountId: 'b', status: 'locked' });
    assert.deepEqual(diffShapes(ACCOUNT, observed), []);
  });

  it('reports undocumented fields once, without what is inside them', () => {
    const observed = learn({ accountId: 'a', status: 'active', phone: '+14155552671', owner: { email: 'a@example.com', name: 'A' } });
    assert.deepEqual(diffShapes(ACCOUNT, observed), [
      { path: 'owner', kind: 'undocumented-field', observed: 'object' },
      { path: 'phone', kind: 'undocumented-field', observed: 'string' },
    ]);
  });

  it('reports types the document does not allow: null without nullable, fractions for integers', () => {
    const observed = learn({ accountId: 1, status: null, devices: 2.5, lastSeen: null }, { accountId: 'x', status: 'active', devices: 1 });
    assert.deepEqual(diffShapes(ACCOUNT, observed), [
      { path: 'accountId', kind: 'type-mismatch', documented: 'string', observed: 'integer' },
      { path: 'devices', kind: 'type-mismatch', documented: 'integer', observed: 'number' },
      { path: 'status', kind: 'type-mismatch', documented: 'string', observed: 'null' },
    ]);
    // integers are numbers
    assert.deepEqual(diffShapes({ type: 'number' }, learn(1, 2.5)), []);
    assert.deepEqual(diffShapes({ type: 'string' }, learn(1)), [{ path: '(body)', kind: 'type-mismatch', documented: 'string', observed: 'integer' }]);
  });

  it('reports required fields that some or all samples lacked', () => {
    const observed = learn({ accountId: 'a' }, { accountId: 'b', status: 'active' }, { accountId: 'c' });
    assert.deepEqual(diffShapes(ACCOUNT, observed), [
      { path: 'status', kind: 'missing-required', documented: 'required', observed: 'absent in 2 of 3 objects' },
    ]);
    assert.deepEqual(diffShapes(ACCOUNT, learn({ status: 'active' })), [
      { path: 'accountId', kind: 'missing-required', documented: 'required', observed: 'absent in 1 of 1 objects' },
    ]);
  });

  it('walks arrays of objects and nested objects', () => {
    const schema = {
      type: 'object',
      properties: { data: { type: 'array', items: ACCOUNT }, meta: { type: 'object', properties: { total: { type: 'integer' } } } },
    };
    const observed = learn({ data: [{ accountId: 'a', status: 'active', email: 'a@example.com' }, { accountId: 'b' }], meta: { total: 2, cursor: 'x' } });
    assert.deepEqual(diffShapes(schema, observed), [
      { path: 'data[].email', kind: 'undocumented-field', observed: 'string' },
      { path: 'data[].status', kind: 'missing-required', documented: 'required', observed: 'absent in 1 of 2 objects' },
      { path: 'meta.cursor', kind: 'undocumented-field', observed: 'string' },
    ]);
  });

  it('reads allOf, oneOf and anyOf loosely', () => {
    const schema = {
      allOf: [
        { type: 'object', required: ['id'], properties: { id: { type: 'string' } } },
        {
          oneOf: [
            { type: 'object', required: ['kind', 'card'], properties: { kind: { type: 'string' }, card: { type: 'object' } } },
            { type: 'object', required: ['kind', 'iban'], properties: { kind: { type: 'string' }, iban: { type: 'string' } } },
          ],
        },
      ],
    };
    // card and iban are each documented in a branch; kind is required by both branches, id by allOf
    assert.deepEqual(diffShapes(schema, learn({ id: 'a', kind: 'card', card: {} }, { id: 'b', kind: 'iban', iban: 'DE89' })), []);
    assert.deepEqual(diffShapes(schema, learn({ id: 'a', card: {}, extra: 1 })), [
      { path: 'extra', kind: 'undocumented-field', observed: 'integer' },
      { path: 'kind', kind: 'missing-required', documented: 'required', observed: 'absent in 1 of 1 objects' },
    ]);
    const anyType = { anyOf: [{ type: 'string' }, { type: 'integer' }] };
    assert.deepEqual(diffShapes(anyType, learn('a', 1)), []);
    assert.deepEqual(diffShapes(anyType, learn(true)), [{ path: '(body)', kind: 'type-mismatch', documented: 'string|integer', observed: 'boolean' }]);
  });

  it('allows null by nullable (3.0), a "null" type (3.1), or null in enum', () => {
    const observed = learn({ a: null, b: null, c: null, d: null });
    const schema = {
      type: 'object',
      properties: {
        a: { type: 'string', nullable: true },
        b: { type: ['string', 'null'] },
        c: { type: 'string', enum: ['x', null] },
        d: { allOf: [{ type: 'object' }], nullable: true },
      },
    };
    assert.deepEqual(diffShapes(schema, observed), []);
  });

  it('honours additionalProperties: a schema for extra fields, true for any, and maps', () => {
    const withSchema = { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: { type: 'integer' } };
    assert.deepEqual(diffShapes(withSchema, learn({ a: 'x', b: 1, c: 'no' })), [
      { path: 'c', kind: 'type-mismatch', documented: 'integer', observed: 'string' },
    ]);
    const open = { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: true };
    assert.deepEqual(diffShapes(open, learn({ a: 'x', b: 1 })), []);
    const closed = { type: 'object', additionalProperties: false };
    assert.deepEqual(diffShapes(closed, learn({ b: 1 })), [{ path: 'b', kind: 'undocumented-field', observed: 'integer' }]);
    const map = { type: 'object', additionalProperties: { type: 'object', properties: { name: { type: 'string' } } } };
    assert.deepEqual(diffShapes(map, learn({ '101': { name: 'a' }, '102': { name: 'b', vip: true } })), [
      { path: '{*}.vip', kind: 'undocumented-field', observed: 'boolean' },
    ]);
    assert.deepEqual(diffShapes({ type: 'object', properties: { a: { type: 'string' } } }, learn({ '101': 'x' })), [
      { path: '{*}', kind: 'undocumented-field', observed: 'string' },
    ]);
  });

  it('treats free-form objects and untyped schemas as documenting anything', () => {
    assert.deepEqual(diffShapes({ type: 'object' }, learn({ anything: 1, goes: { here: true } })), []);
    assert.deepEqual(diffShapes({}, learn({ a: 1 }, 'x', [1])), []);
    assert.deepEqual(diffShapes(undefined, learn({ a: 1 })), []);
    assert.deepEqual(diffShapes({ type: 'array' }, learn([{ a: 1 }])), []);
    assert.deepEqual(diffShapes({ description: 'no type' }, learn(1)), []);
  });

  it('does not require readOnly fields in requests, nor writeOnly fields in responses', () => {
    const schema = {
      type: 'object', required: ['id', 'password'],
      properties: { id: { type: 'string', readOnly: true }, password: { type: 'string', writeOnly: true } },
    };
    assert.deepEqual(diffShapes(schema, learn({ password: 'x' }), { direction: 'request' }), []);
    assert.deepEqual(diffShapes(schema, learn({ id: 'x' }), { direction: 'response' }), []);
    assert.equal(diffShapes(schema, learn({}), { direction: 'response' }).length, 1);
    assert.equal(diffShapes(schema, learn({})).length, 2);
  });

  it('terminates on cyclic dereferenced schemas and caps the number of items', () => {
    const node: Record<string, unknown> = { type: 'object', properties: { name: { type: 'string' } } };
    (node.properties as Record<string, unknown>).children = { type: 'array', items: node };
    node.allOf = [node];
    const observed = learn({ name: 'a', children: [{ name: 'b', children: [{ name: 'c', x: 1, children: [] }] }] });
    assert.deepEqual(diffShapes(node, observed), [{ path: 'children[].children[].x', kind: 'undocumented-field', observed: 'integer' }]);
    const many = learn(Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`f${i}`, i])));
    assert.equal(diffShapes({ type: 'object', properties: { a: {} } }, many, { maxItems: 10 }).length, 10);
  });

  it('does not claim required fields are missing where it did not look', () => {
    const schema = { type: 'object', properties: { a: { type: 'object', required: ['x'], properties: { x: {} } } } };
    const deep = shapeOf({ a: { y: 1 } }, { maxDepth: 1 });
    assert.deepEqual(diffShapes(schema, deep), []);
  });
});
