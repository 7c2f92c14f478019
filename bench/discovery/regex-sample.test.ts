import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRandom } from './random.ts';
import { compilePattern } from './regex-sample.ts';

function draw(pattern: string, n: number): string[] {
  const sample = compilePattern(pattern);
  assert.ok(sample !== null, `${pattern} compiles`);
  const random = createRandom(`regex|${pattern}`);
  return Array.from({ length: n }, () => sample(random));
}

describe('compilePattern: values a client would send', () => {
  it('draws values that match the pattern', () => {
    for (const pattern of ['^[a-z]{2,4}-[0-9]{3}$', '^arn:aws:[a-z0-9-]+:[0-9]{12}$', '^(dev|prod)_[A-F0-9]{8}$']) {
      for (const value of draw(pattern, 200)) assert.match(value, new RegExp(pattern));
    }
  });

  it('sends no one- to three-character ids under a wide bound (AWS [a-zA-Z0-9]{1,26}: not "W" or "7")', () => {
    const values = draw('^[a-zA-Z0-9]{1,26}$', 2000);
    for (const value of values) assert.match(value, /^[a-zA-Z0-9]{4,26}$/);
    assert.ok(values.some((v) => v.length === 26) && values.some((v) => v.length === 4));
  });

  it('keeps short values where the bound itself is short ([a-z]{1,3})', () => {
    const lengths = new Set(draw('^[a-z]{1,3}$', 500).map((v) => v.length));
    assert.deepEqual([...lengths].sort(), [1, 2, 3]);
  });
});

describe('compilePattern: wildcards', () => {
  it('fills "." and negated classes with the characters of ids and names, not punctuation (arn:.+)', () => {
    for (const value of draw('^arn:.+$', 300)) assert.match(value, /^arn:[A-Za-z0-9_-]+$/);
    for (const value of draw('^[^/]{3,8}$', 300)) assert.match(value, /^[A-Za-z0-9_-]{3,8}$/);
  });
});
