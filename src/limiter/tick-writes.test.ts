/**
 * Commands sent in one turn leave the client in one write: the socket's
 * writes are counted where Node hands them to the system (a Writable's
 * _write for one chunk, _writev for several), against the Redis on this
 * machine.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createTickWrites } from './tick-writes.ts';

async function connect(): Promise<Redis | string> {
  const client = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    await client.connect();
    return client;
  } catch (error) {
    client.disconnect();
    return `no Redis at 127.0.0.1:6379 (${(error as Error).message}): start one to run these tests`;
  }
}

const probe = await connect();
const skip = typeof probe === 'string' ? probe : false;
const redis = typeof probe === 'string' ? null : probe;
if (skip) console.log(`# skipped: ${skip}`);
after(() => redis?.disconnect());

interface Writes {
  single: number;
  vectored: number;
  chunks: number;
}

/** counts the socket's system-level writes while `send` runs and its replies come back */
async function countWrites(client: Redis, send: () => Array<Promise<unknown>>): Promise<Writes> {
  const socket = client.stream as unknown as { _write: (...a: unknown[]) => void; _writev: (chunks: unknown[], cb: unknown) => void };
  const writes: Writes = { single: 0, vectored: 0, chunks: 0 };
  const [write, writev] = [socket._write, socket._writev];
  socket._write = function (this: unknown, ...a: unknown[]) {
    writes.single++;
    writes.chunks++;
    return write.apply(this, a);
  };
  socket._writev = function (this: unknown, chunks: unknown[], cb: unknown) {
    writes.vectored++;
    writes.chunks += chunks.length;
    return writev.call(this, chunks, cb);
  };
  try {
    await Promise.all(send());
  } finally {
    socket._write = write;
    socket._writev = writev;
  }
  return writes;
}

describe('tick writes', { skip }, () => {
  it('sends the commands of one turn in one write, and replies come back to each', async () => {
    const ticks = createTickWrites(redis!);
    const held = await countWrites(redis!, () => Array.from({ length: 50 }, (_, i) => {
      ticks.hold();
      return redis!.echo(`m${i}`).then((reply) => assert.equal(reply, `m${i}`));
    }));
    assert.deepEqual(held, { single: 0, vectored: 1, chunks: 50 });
    // without it, one write per command
    const loose = await countWrites(redis!, () => Array.from({ length: 50 }, (_, i) => redis!.echo(`m${i}`)));
    assert.ok(loose.single + loose.vectored >= 25, `${JSON.stringify(loose)}: the client wrote each command on its own`);
  });

  it('holds nothing past the turn: a command of the next turn leaves on its own', async () => {
    const ticks = createTickWrites(redis!);
    const writes = await countWrites(redis!, () => {
      ticks.hold();
      const first = redis!.echo('a');
      const second = new Promise<unknown>((resolve) => setImmediate(() => {
        ticks.hold();
        resolve(redis!.echo('b'));
      }));
      return [first, second];
    });
    assert.equal(writes.chunks, 2);
    assert.equal(writes.single + writes.vectored, 2, 'two turns, two writes');
  });

  it('leaves a Cluster client alone', () => {
    const fake = { isCluster: true } as unknown as Redis;
    assert.doesNotThrow(() => createTickWrites(fake).hold());
  });
});
