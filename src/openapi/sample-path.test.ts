import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { samplePath, sampleValue } from './sample-path.ts';
import { operation } from './test-helpers.ts';
import type { OperationParameter } from './types.ts';

const param = (schema: Record<string, unknown> | null): OperationParameter => ({ name: 'x', in: 'path', required: true, schema });

describe('sample values', () => {
  it('follows the schema', () => {
    assert.equal(sampleValue(param({ type: 'integer' })), '42');
    assert.equal(sampleValue(param({ type: ['integer', 'null'] })), '42');
    assert.equal(sampleValue(param({ type: 'string', format: 'uuid' })), '3fa85f64-5717-4562-b3fc-2c963f66afa6');
    assert.equal(sampleValue(param({ type: 'string', enum: ['live', 'test'] })), 'live');
    assert.equal(sampleValue(param({ allOf: [{ type: 'string', enum: ['a'] }] })), 'a');
    assert.equal(sampleValue(param({ type: 'string', pattern: '^[a-z]+$' })), 'abc');
    assert.equal(sampleValue(param({ type: 'string', pattern: '^[0-9]+$' })), '42');
    assert.equal(sampleValue(param({ type: 'string' })), 'a1B2c3');
    assert.equal(sampleValue(param(null)), 'a1B2c3');
    assert.equal(sampleValue(undefined), 'a1B2c3');
  });

  it('offers other values on later attempts', () => {
    assert.equal(sampleValue(param({ type: 'string' }), 1), 'Zq9Xw8');
    assert.equal(sampleValue(param({ type: 'string', enum: ['a', 'b'] }), 1), 'b');
    assert.equal(sampleValue(param({ type: 'string' }), 99), 'k7M5n3p1');
  });

  it('fills a template, percent-encoding the values', () => {
    const op = operation('GET /a/{id}/b/{name}.json');
    assert.equal(samplePath(op), '/a/a1B2c3/b/a1B2c3.json');
    op.parameters[0] = { ...param({ type: 'string', enum: ['x y'] }), name: 'id' };
    assert.equal(samplePath(op), '/a/x%20y/b/a1B2c3.json');
  });
});
