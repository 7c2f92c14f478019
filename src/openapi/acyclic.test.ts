import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { breakCycles } from './acyclic.ts';

describe('breakCycles', () => {
  it('replaces the edges that close a cycle with {}', () => {
    const node: Record<string, unknown> = { type: 'object' };
    node.properties = { child: node, list: { type: 'array', items: node } };
    const out = breakCycles(node);
    assert.deepEqual(JSON.parse(JSON.stringify(out)), {
      type: 'object',
      properties: { child: {}, list: { type: 'array', items: {} } },
    });
  });

  it('keeps shared sub-schemas that are not cycles, and runs in linear time on a deep DAG', () => {
    let schema: Record<string, unknown> = { type: 'string' };
    // 2^60 paths, 60 nodes: a walk without memory would never end
    for (let i = 0; i < 60; i++) schema = { allOf: [schema, schema] };
    const out = breakCycles(schema);
    assert.equal(out, schema);
    let leaf: unknown = out;
    for (let i = 0; i < 60; i++) leaf = (leaf as { allOf: unknown[] }).allOf[1];
    assert.deepEqual(leaf, { type: 'string' });
  });

  it('passes scalars and null through', () => {
    assert.equal(breakCycles(null), null);
    assert.equal(breakCycles(3), 3);
  });
});
