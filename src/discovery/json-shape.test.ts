import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { addSample, emptyShape, mergeShapes, normaliseShape, shapeCount, shapeOf, type Shape } from './json-shape.ts';
import { toJsonSchema } from './json-shape-schema.ts';

function shapeOfAll(samples: readonly unknown[], limits?: Parameters<typeof shapeOf>[1]): Shape {
  return samples.map((s) => shapeOf(s, limits)).reduce((a, b) => mergeShapes(a, b, limits));
}

describe('shapeOf', () => {
  it('counts types, tells integers from numbers, and finds string formats', () => {
    assert.deepEqual(shapeOf({ id: 1, price: 9.99, name: 'x', ok: true, none: null, at: '2024-06-01T12:00:00Z' }), {
      types: { object: 1 },
      properties: {
        at: { types: { string: 1 }, formats: ['date-time'] },
        id: { types: { integer: 1 } },
        name: { types: { string: 1 }, formats: [] },
        none: { types: { null: 1 } },
        ok: { types: { boolean: 1 } },
        price: { types: { number: 1 } },
      },
    });
  });

  it('merges every element of an array into one item shape', () => {
    assert.deepEqual(shapeOf([1, 'a', null, 2]), {
      types: { array: 1 },
      items: { types: { string: 1, integer: 2, null: 1 }, formats: [] },
    });
    assert.deepEqual(shapeOf([]), { types: { array: 1 } });
  });

  it('is plain JSON: it survives a round trip through JSON text', () => {
    const shape = shapeOf({ a: [{ b: 'x@example.com' }], m: { '1': 2 } });
    assert.deepEqual(JSON.parse(JSON.stringify(shape)), shape);
  });

  it('keeps property names such as __proto__ and constructor as names', () => {
    const sample = JSON.parse('{"__proto__": {"x": 1}, "constructor": "c", "toString": 1}');
    const shape = shapeOf(sample);
    assert.deepEqual(Object.keys(shape.properties!), ['__proto__', 'constructor', 'toString']);
    assert.equal(Object.getPrototypeOf(shape.properties), Object.prototype);
    assert.deepEqual(shape.properties!['__proto__'], { types: { object: 1 }, properties: { x: { types: { integer: 1 } } } });
    const merged = mergeShapes(shape, shapeOf(JSON.parse('{"__proto__": {"y": true}}')));
    assert.deepEqual(Object.keys(merged.properties!['__proto__']!.properties!), ['x', 'y']);
    assert.equal(({} as Record<string, unknown>).x, undefined);
  });
});

describe('mergeShapes', () => {
  it('tracks how many objects had each property: required is present in every sample', () => {
    const shape = shapeOfAll([{ id: 1, email: 'a@example.com' }, { id: 2 }, { id: 3, email: 'b@example.com' }]);
    assert.equal(shape.types.object, 3);
    assert.equal(shapeCount(shape.properties!.id!), 3);
    assert.equal(shapeCount(shape.properties!.email!), 2);
    assert.deepEqual(toJsonSchema(shape).required, ['id']);
  });

  it('tracks required fields of array items across arrays and samples', () => {
    const shape = shapeOfAll([
      { data: [{ id: 1, name: 'a' }, { id: 2, name: 'b' }] },
      { data: [{ id: 3 }] },
      { data: [] },
    ]);
    const items = shape.properties!.data!.items!;
    assert.equal(items.types.object, 3);
    assert.deepEqual(toJsonSchema(items), {
      type: 'object', properties: { id: { type: 'integer' }, name: { type: 'string' } }, required: ['id'],
    });
  });

  it('builds type unions with null, and integer within number', () => {
    const shape = shapeOfAll([{ v: 'a', n: 1 }, { v: null, n: 2.5 }, { v: 'b', n: 3 }]);
    assert.deepEqual(toJsonSchema(shape.properties!.v!), { type: ['string', 'null'] });
    assert.deepEqual(toJsonSchema(shape.properties!.n!), { type: 'number' });
    assert.deepEqual(shape.properties!.n!.types, { integer: 2, number: 1 });
  });

  it('keeps a format only while every string agrees, null values aside', () => {
    const dates = shapeOfAll([{ d: '2024-01-01' }, { d: null }, { d: '2024-02-29' }]);
    assert.deepEqual(dates.properties!.d!.formats, ['date']);
    const mixed = mergeShapes(dates, shapeOf({ d: 'yesterday' }));
    assert.deepEqual(mixed.properties!.d!.formats, []);
    const again = mergeShapes(mixed, shapeOf({ d: '2024-03-01' }));
    assert.deepEqual(again.properties!.d!.formats, []);
    // a value in two formats keeps the one it shares with the rest
    assert.deepEqual(shapeOfAll(['fe80::1', 'https://example.com/']).formats, ['uri']);
    assert.deepEqual(shapeOfAll(['fe80::1', '::1']).formats, ['ipv6']);
  });

  it('finds every supported format', () => {
    const cases: Array<[string, string]> = [
      ['2024-06-01T12:00:00Z', 'date-time'], ['2024-06-01T12:00:00.123+02:00', 'date-time'], ['2024-06-01', 'date'],
      ['550e8400-e29b-41d4-a716-446655440000', 'uuid'], ['jane@example.com', 'email'], ['203.0.113.7', 'ipv4'],
      ['2001:db8::7', 'ipv6'], ['https://example.com/a?b=c', 'uri'], ['urn:isbn:0451450523', 'uri'],
    ];
    for (const [value, format] of cases) assert.equal(shapeOf(value).formats![0], format, value);
    for (const value of ['2024-06-01T12:00:00', '2024-13-01', 'hello', '/relative/path', '1.2.3', '', 'x'.repeat(3000)]) {
      assert.deepEqual(shapeOf(value).formats, [], value);
    }
  });

  it('does not modify its inputs', () => {
    const a = shapeOf({ x: [1], y: { '1': 'a' } });
    const b = shapeOf({ x: ['s'], z: true, y: { name: 1 } });
    const copyA = structuredClone(a);
    const copyB = structuredClone(b);
    const merged = mergeShapes(a, b);
    merged.properties!.x!.items!.types.integer = 99;
    assert.deepEqual(a, copyA);
    assert.deepEqual(b, copyB);
  });

  it('an empty shape is neutral', () => {
    const a = shapeOf({ x: [1, { y: 'z' }] });
    assert.deepEqual(mergeShapes(a, emptyShape()), a);
    assert.deepEqual(mergeShapes(emptyShape(), a), a);
  });
});

describe('maps', () => {
  it('collapses objects keyed by ids into their value shape', () => {
    const byId = { '101': { name: 'a' }, '102': { name: 'b', vip: true } };
    const byUuid = { '550e8400-e29b-41d4-a716-446655440000': 1, '123e4567-e89b-12d3-a456-426614174000': 2 };
    const byDay = { '2024-06-01': 10, '2024-06-02': 12 };
    const byStripeId = { cus_9s6XKzkNRiz8i3: { email: 'a@example.com' } };
    const shape = shapeOf({ byId, byUuid, byDay, byStripeId });
    assert.equal(shape.properties!.byId!.isMap, true);
    assert.equal(shape.properties!.byId!.properties, undefined);
    assert.deepEqual(toJsonSchema(shape.properties!.byId!), {
      type: 'object',
      additionalProperties: { type: 'object', properties: { name: { type: 'string' }, vip: { type: 'boolean' } }, required: ['name'] },
    });
    for (const key of ['byUuid', 'byDay', 'byStripeId']) assert.equal(shape.properties![key]!.isMap, true, key);
  });

  it('a position that was a map once stays a map, folding the named properties in', () => {
    const record = shapeOf({ m: { name: 'x' } });
    const map = shapeOf({ m: { '1': 'y', '2': 3 } });
    const expected = { types: { object: 2 }, isMap: true, additional: { types: { string: 2, integer: 1 }, formats: [] } };
    assert.deepEqual(mergeShapes(record, map).properties!.m, expected);
    assert.deepEqual(mergeShapes(map, record).properties!.m, expected);
  });

  it('objects with names and ids mixed, or empty, are not maps', () => {
    assert.equal(shapeOf({ '1': 'a', name: 'b' }).isMap, undefined);
    assert.equal(shapeOf({}).isMap, undefined);
    assert.equal(shapeOf({ status: 'a', total: 1 }).isMap, undefined);
  });
});

describe('bounds', () => {
  it('does not look into objects and arrays below maxDepth, but still counts them', () => {
    const deep = { a: { b: { c: { d: 1 } } } };
    const shape = shapeOf(deep, { maxDepth: 2 });
    const b = shape.properties!.a!.properties!.b!;
    assert.deepEqual(b, { types: { object: 1 }, isTruncated: true });
    assert.deepEqual(toJsonSchema(b), { type: 'object' });
    assert.equal(shapeOf({ a: {}, b: [] }, { maxDepth: 1 }).properties!.a!.isTruncated, undefined); // nothing was left unseen
  });

  it('keeps the first maxProperties names in code-unit order, the others in additional', () => {
    const sample = Object.fromEntries(['d', 'a', 'c', 'b', 'e'].map((k, i) => [k, i]));
    const shape = shapeOf(sample, { maxProperties: 3 });
    assert.deepEqual(Object.keys(shape.properties!), ['a', 'b', 'c']);
    assert.equal(shape.hasOverflow, true);
    assert.deepEqual(shape.additional, { types: { integer: 2 } });
    // the choice depends on all names seen, not on which sample came first
    const one = mergeShapes(shapeOf({ x: 1, y: 2, z: 3 }, { maxProperties: 2 }), shapeOf({ a: 1 }, { maxProperties: 2 }), { maxProperties: 2 });
    const two = mergeShapes(shapeOf({ a: 1 }, { maxProperties: 2 }), shapeOf({ x: 1, y: 2, z: 3 }, { maxProperties: 2 }), { maxProperties: 2 });
    assert.deepEqual(one, two);
    assert.deepEqual(Object.keys(one.properties!), ['a', 'x']);
    assert.deepEqual(one.additional, { types: { integer: 2 } });
  });

  it('after maxNodes values, counts what is left without looking into it', () => {
    const sample = { list: Array.from({ length: 50 }, (_, i) => ({ i })) };
    const shape = shapeOf(sample, { maxNodes: 10 });
    const items = shape.properties!.list!.items!;
    assert.equal(items.types.object, 50);
    assert.equal(items.isTruncated, true);
    assert.equal(shapeCount(items.properties!.i!) < 50, true);
    assert.deepEqual(toJsonSchema(items), { type: 'object' }); // says nothing it did not check
  });

  it('copes with nesting far deeper than maxDepth', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 10_000; i++) deep = [deep];
    const shape = shapeOf(deep);
    assert.equal(shape.types.array, 1);
  });
});

describe('addSample', () => {
  it('accumulates in place with the same result as mergeShapes', () => {
    const samples = [{ a: 1, b: ['x'] }, { a: 'two', c: { '5': null } }, { b: [], c: { d: 1 } }, null, [1]];
    const accumulated = emptyShape();
    for (const s of samples) addSample(accumulated, s);
    assert.deepEqual(normaliseShape(accumulated), shapeOfAll(samples));
    assert.deepEqual(JSON.stringify(normaliseShape(accumulated)), JSON.stringify(shapeOfAll(samples)));
  });
});
