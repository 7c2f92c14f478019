import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { addSample, emptyShape, mergeShapes, normaliseShape, shapeOf, type Shape, type ShapeLimits } from './json-shape.ts';
import { toJsonSchema } from './json-shape-schema.ts';

// Samples with what makes shapes interesting: formatted strings, id-like keys
// (maps), hostile names, repeated names (required tracking), deep nesting.
const stringArb = fc.oneof(
  fc.string({ maxLength: 4 }),
  fc.constantFrom('2024-01-01', '2024-02-29T10:00:00Z', 'a@example.com', '550e8400-e29b-41d4-a716-446655440000', '10.0.0.1',
    '::1', 'fe80::1', 'https://example.com/x', 'urn:a:b'),
);
function samplesWith(names: readonly string[]) {
  const keyArb = fc.oneof(
    fc.constantFrom(...names),
    fc.constantFrom('1', '2', '42', '2024-01-01', '550e8400-e29b-41d4-a716-446655440000'),
  );
  return fc.letrec((tie) => ({
    sample: fc.oneof({ depthSize: 'small', withCrossShrink: true }, tie('leaf'), tie('array'), tie('object')),
    leaf: fc.oneof(fc.constant(null), fc.boolean(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), stringArb),
    array: fc.array(tie('sample'), { maxLength: 4 }),
    object: fc.dictionary(keyArb, tie('sample'), { maxKeys: 6, noNullPrototype: true }),
  })).sample;
}
const NAMES = ['a', 'b', 'c', 'd', 'e', 'id', 'email', 'constructor', 'toString', 'a.b', ''];
const sample = samplesWith([...NAMES, '__proto__']);
// ajv never validates a property named "__proto__" (vocabularies/code.js
// filters it out of `properties`), so the validation test leaves it out.
const sampleForAjv = samplesWith(NAMES);

/** Small limits, so that caps, depth and the node budget are reached often. */
const limitsArb = fc.record({
  maxDepth: fc.integer({ min: 1, max: 4 }),
  maxProperties: fc.integer({ min: 1, max: 4 }),
  maxNodes: fc.integer({ min: 3, max: 40 }),
});

function shapeOfAll(samples: readonly unknown[], limits?: Partial<ShapeLimits>): Shape {
  return samples.reduce<Shape>((acc, s) => mergeShapes(acc, shapeOf(s, limits), limits), emptyShape());
}

/** Splits a list at the given cut points into consecutive batches. */
function batches<T>(list: readonly T[], cuts: readonly number[]): T[][] {
  const points = [...new Set(cuts.map((c) => c % (list.length + 1)))].sort((a, b) => a - b);
  const out: T[][] = [];
  let from = 0;
  for (const p of [...points, list.length]) {
    out.push(list.slice(from, p));
    from = p;
  }
  return out;
}

describe('merging shapes (property)', () => {
  it('is commutative', () => {
    fc.assert(fc.property(sample, sample, fc.option(limitsArb, { nil: undefined }), (x, y, limits) => {
      const a = shapeOf(x, limits);
      const b = shapeOf(y, limits);
      assert.deepEqual(mergeShapes(a, b, limits), mergeShapes(b, a, limits));
    }), { numRuns: 300 });
  });

  it('is associative', () => {
    fc.assert(fc.property(sample, sample, sample, fc.option(limitsArb, { nil: undefined }), (x, y, z, limits) => {
      const [a, b, c] = [shapeOf(x, limits), shapeOf(y, limits), shapeOf(z, limits)];
      assert.deepEqual(mergeShapes(mergeShapes(a, b, limits), c, limits), mergeShapes(a, mergeShapes(b, c, limits), limits));
    }), { numRuns: 300 });
  });

  it('per-batch shapes merged in any order equal the shape of all samples', () => {
    fc.assert(fc.property(fc.array(sample, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 4 }), fc.option(limitsArb, { nil: undefined }), fc.boolean(),
      (samples, cuts, limits, reversed) => {
        const all = shapeOfAll(samples, limits);
        // each batch accumulated in place, as one gateway instance would
        const perBatch = batches(samples, cuts).map((batch) => {
          const shape = emptyShape();
          for (const s of batch) addSample(shape, s, limits);
          return normaliseShape(shape);
        });
        if (reversed) perBatch.reverse();
        const merged = perBatch.reduce((acc, s) => mergeShapes(acc, s, limits), emptyShape());
        assert.deepEqual(merged, all);
        assert.equal(JSON.stringify(merged), JSON.stringify(all)); // the same stored text, too
      }), { numRuns: 300 });
  });
});

describe('toJsonSchema (property)', () => {
  // ownProperties: a property named "__proto__" or "constructor" is looked up
  // on the object itself, not on Object.prototype; allowUnionTypes: ["string",
  // "integer"] is the point of a union.
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, ownProperties: true });
  addFormats.default(ajv);

  it('accepts every sample the shape was learned from', () => {
    fc.assert(fc.property(fc.array(sampleForAjv, { minLength: 1, maxLength: 8 }), fc.option(limitsArb, { nil: undefined }), (samples, limits) => {
      const schema = toJsonSchema(shapeOfAll(samples, limits));
      const validate = ajv.compile(schema);
      for (const s of samples) assert.ok(validate(s), `${JSON.stringify(s)} against ${JSON.stringify(schema)}: ${ajv.errorsText(validate.errors)}`);
    }), { numRuns: 300 });
  });
});
