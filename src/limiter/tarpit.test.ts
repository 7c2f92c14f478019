import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTarpit } from './tarpit.ts';

describe('tarpit', () => {
  it('holds up to the caps, refuses past them, and frees slots when holds end', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const tarpit = createTarpit({ maxHeld: 3, maxHeldPerClient: 2 });
    const a1 = tarpit.hold('a', 1000);
    const a2 = tarpit.hold('a', 1000);
    assert.equal(await tarpit.hold('a', 1000), false, 'a third hold for one client is refused');
    const b1 = tarpit.hold('b', 500);
    assert.equal(await tarpit.hold('c', 10), false, 'the total cap holds across clients');
    assert.equal(tarpit.held, 3);
    assert.equal(tarpit.overflowed, 2);
    t.mock.timers.tick(500);
    assert.equal(await b1, true);
    assert.equal(tarpit.held, 2);
    const c1 = tarpit.hold('c', 100);
    t.mock.timers.tick(500);
    assert.deepEqual(await Promise.all([a1, a2, c1]), [true, true, true]);
    assert.equal(tarpit.held, 0);
  });

  it('releases a hold when the client leaves, and everything at shutdown', async () => {
    const tarpit = createTarpit({ maxHeld: 10, maxHeldPerClient: 10 });
    const abort = new AbortController();
    const left = tarpit.hold('a', 60_000, abort.signal);
    const other = tarpit.hold('b', 60_000);
    abort.abort();
    assert.equal(await left, true);
    assert.equal(tarpit.held, 1);
    tarpit.releaseAll();
    assert.equal(await other, true);
    assert.equal(tarpit.held, 0);
  });
});
