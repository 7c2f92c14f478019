import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isIdLikeKey, itemsPath, mapValuesPath, propertyPath } from './json-shape-keys.ts';
import { walkJsonText } from './sensitive-json-text.ts';

type Leaf = [value: string | number, path: string, name: string | undefined];

function walk(text: string, max = 100_000, isTruncated = true): Leaf[] {
  const leaves: Leaf[] = [];
  walkJsonText(text, (value, path, name) => leaves.push([value, path, name]), max, isTruncated);
  return leaves;
}

/** The same walk over a parsed value: what walkJsonText must agree with on complete documents. */
function reference(value: unknown, path = '', name: string | undefined = undefined, out: Leaf[] = []): Leaf[] {
  if (typeof value === 'string' || typeof value === 'number') out.push([value, path, name]);
  else if (Array.isArray(value)) for (const v of value) reference(v, itemsPath(path), name, out);
  else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      if (isIdLikeKey(k)) reference(v, mapValuesPath(path), name, out);
      else reference(v, propertyPath(path, k), k, out);
    }
  }
  return out;
}

describe('walkJsonText', () => {
  it('visits strings and numbers with their paths and field names', () => {
    const text = '{"data":[{"email":"a@example.com","n":1.5},{"email":"b\\u0040example.com"}],"byId":{"42":{"phone":"+14155552671"}},"ok":true,"x":null}';
    assert.deepEqual(walk(text), [
      ['a@example.com', 'data[].email', 'email'],
      [1.5, 'data[].n', 'n'],
      ['b@example.com', 'data[].email', 'email'],
      ['+14155552671', 'byId{*}.phone', 'phone'],
    ]);
  });

  it('agrees with a walk over the parsed value on complete documents', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 5 }), fc.boolean(), (value, pretty) => {
      const text = JSON.stringify(value, null, pretty ? 2 : undefined);
      assert.deepEqual(walk(text, 100_000, false), reference(JSON.parse(text)));
    }), { numRuns: 300 });
  });

  it('on a document cut anywhere, visits a prefix of what the whole visits: never a partial value', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), fc.nat(), (value, at) => {
      const text = JSON.stringify(value);
      const whole = walk(text);
      const cut = walk(text.slice(0, at % (text.length + 1)));
      assert.deepEqual(cut, whole.slice(0, cut.length));
    }), { numRuns: 500 });
    assert.deepEqual(walk('{"phone":"+1415555'), []);
    assert.deepEqual(walk('{"phone":"+14155552671","n":12'), [['+14155552671', 'phone', 'phone']]);
  });

  it('keeps going through malformed text', () => {
    // "}" closes the object early: "y" is then a value at the top
    assert.deepEqual(walk('{"a":"x",,"b":}"y" ]] {"c":"z"'), [['x', 'a', 'a'], ['y', '', undefined], ['z', 'c', 'c']]);
    assert.deepEqual(walk('not json at all "but a string" 12 '), [['but a string', '', undefined], [12, '', undefined]]);
    assert.deepEqual(walk('12', 10, false), [[12, '', undefined]]);
    assert.deepEqual(walk('12', 10, true), []);
    assert.deepEqual(walk('{"a":"bad \\x escape","b":"ok"}'), [['ok', 'b', 'b']]);
  });

  it('stops after the given number of values and containers', () => {
    const text = JSON.stringify(Array.from({ length: 1000 }, (_, i) => `v${i}`));
    assert.equal(walk(text, 10).length, 9); // the array itself counts
  });
});
