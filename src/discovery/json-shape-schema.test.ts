import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { emptyShape, mergeShapes, shapeOf, type Shape } from './json-shape.ts';
import { toJsonSchema } from './json-shape-schema.ts';

function learn(samples: readonly unknown[]): Shape {
  return samples.reduce<Shape>((acc, s) => mergeShapes(acc, shapeOf(s)), emptyShape());
}

const ACCOUNT_SAMPLES = [
  { data: [{ accountId: 'acc_1', phone: '+14155552671', email: 'a@example.com', status: 'active', devices: 2, lastSeen: '2024-06-01T12:00:00Z' }],
    meta: { total: 1, next: null } },
  { data: [{ accountId: 'acc_2', phone: '+447911123456', status: 'locked', devices: 0, lastSeen: null },
    { accountId: 'acc_3', phone: '+33612345678', email: 'c@example.org', status: 'active', devices: 1.5, lastSeen: '2024-06-02T08:30:00+02:00' }],
    meta: { total: 2, next: 'cursor-2' } },
  { data: [], meta: { total: 0, next: null }, warnings: ['partial'] },
];

describe('toJsonSchema', () => {
  it('states what every sample had', () => {
    assert.deepEqual(toJsonSchema(learn(ACCOUNT_SAMPLES)), {
      type: 'object',
      properties: {
        data: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              accountId: { type: 'string' },
              devices: { type: 'number' },
              email: { type: 'string', format: 'email' },
              lastSeen: { type: ['string', 'null'], format: 'date-time' },
              phone: { type: 'string' },
              status: { type: 'string' },
            },
            required: ['accountId', 'devices', 'lastSeen', 'phone', 'status'],
          },
        },
        meta: {
          type: 'object',
          properties: { next: { type: ['string', 'null'] }, total: { type: 'integer' } },
          required: ['next', 'total'],
        },
        warnings: { type: 'array', items: { type: 'string' } },
      },
      required: ['data', 'meta'],
    });
  });

  it('compiles under ajv in strict mode (JSON Schema 2020-12) and accepts its samples', () => {
    const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, ownProperties: true });
    addFormats.default(ajv);
    const validate = ajv.compile(toJsonSchema(learn(ACCOUNT_SAMPLES)));
    for (const s of ACCOUNT_SAMPLES) assert.ok(validate(s), ajv.errorsText(validate.errors));
    assert.equal(validate({ data: [{ accountId: 1 }], meta: { total: 0, next: null } }), false);
    assert.equal(validate({ data: [], meta: { total: 0.5, next: null } }), false);
  });

  it('gives maps and overflowing objects an additionalProperties schema', () => {
    assert.deepEqual(toJsonSchema(shapeOf({ '1': 'a', '2': 'b' })), { type: 'object', additionalProperties: { type: 'string' } });
    assert.deepEqual(toJsonSchema(shapeOf({ a: 1, b: 2, c: 'x' }, { maxProperties: 1 })), {
      type: 'object', properties: { a: { type: 'integer' } }, required: ['a'], additionalProperties: { type: ['string', 'integer'] },
    });
  });

  it('says nothing of what it did not see', () => {
    assert.deepEqual(toJsonSchema(emptyShape()), {});
    assert.deepEqual(toJsonSchema(shapeOf([])), { type: 'array' });
    assert.deepEqual(toJsonSchema(shapeOf({})), { type: 'object' });
    assert.deepEqual(toJsonSchema(learn([1, 'a', null, true, [], {}])), {
      type: ['string', 'integer', 'boolean', 'object', 'array', 'null'],
    });
  });
});
