import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createHll } from '../limiter/hll.ts';
import { ClientCounter, sketchHash } from './client-counter.ts';

const clients = (prefix: string, from: number, count: number): string[] => Array.from({ length: count }, (_, i) => `${prefix}.${from + i}`);

/** the count a sketch fed with every distinct client once gives */
function sketchCount(all: readonly string[]): number {
  const sketch = createHll();
  for (const client of new Set(all)) sketch.add(sketchHash(client));
  return sketch.estimate();
}

describe('ClientCounter', () => {
  it('counts exactly up to 256 clients, then as the sketch does, repeats and queued clients included', () => {
    const counter = new ClientCounter();
    const few = clients('10.0.0', 0, 256);
    for (const client of [...few, ...few]) counter.add(client);
    assert.equal(counter.count, 256);
    assert.deepEqual(counter.examples(3), few.slice(0, 3));
    const seen = [...few];
    // counts read in the middle of a queue, and after it was emptied
    for (const [from, count] of [[256, 1], [257, 10], [267, 63], [330, 64], [394, 5000]] as const) {
      const more = clients('10.0.0', from, count);
      for (const client of more) counter.add(client);
      // heavy hitters come back: the same registers, nothing grows
      for (const client of few.slice(0, 40)) counter.add(client);
      seen.push(...more);
      assert.equal(counter.count, sketchCount(seen), `after ${seen.length} clients`);
    }
    assert.deepEqual(counter.examples(3), []);
  });

  it('merges exact and sketched counters, with clients still queued on either side', () => {
    const a = clients('a', 0, 3000);
    const b = clients('b', 0, 2000);
    const small = clients('s', 0, 100);
    const left = new ClientCounter();
    const right = new ClientCounter();
    const exact = new ClientCounter();
    for (const client of a) left.add(client);
    for (const client of b) right.add(client);
    for (const client of small) exact.add(client);
    left.merge(right);
    assert.equal(left.count, sketchCount([...a, ...b]));
    left.merge(exact);
    assert.equal(left.count, sketchCount([...a, ...b, ...small]));
    exact.merge(right);
    assert.equal(exact.count, sketchCount([...small, ...b]));
  });

  it('never counts below the floor set from a stored count', () => {
    const counter = new ClientCounter();
    counter.add('192.0.2.1');
    counter.setFloor(40);
    assert.equal(counter.count, 40);
  });
});
