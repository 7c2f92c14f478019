import assert from 'node:assert/strict';
import { appendFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { batchFromLines, parseBatch } from './batch.ts';
import { splitBatch } from './nats-publisher.ts';
import { openSpool, parseSegment } from './spool.ts';
import { silentLog } from './log.ts';
import { tempDir, testEvent } from './test-helpers.ts';

const dirs: string[] = [];
function dir(): string {
  const d = tempDir('apiwarden-spool-test-');
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function lines(from: number, n: number): string[] {
  return Array.from({ length: n }, (_, i) => JSON.stringify(testEvent(`ev-${from + i}`, 1000 + from + i)));
}

async function drainAll(spool: Awaited<ReturnType<typeof openSpool>>): Promise<string[]> {
  const ids: string[] = [];
  for (let segment = await spool.takeOldest(); segment; segment = await spool.takeOldest()) {
    for (const record of await spool.read(segment)) {
      ids.push(...parseBatch(record.batch.payload).events.map((e) => e.id));
      spool.acked(segment, record);
    }
    await spool.finish(segment);
  }
  return ids;
}

describe('spool', () => {
  test('batches come back in order, with the same message ids, and files are deleted after', async () => {
    const d = dir();
    const spool = await openSpool({ dir: d, maxBytes: 1024 * 1024, log: silentLog });
    const batches = [batchFromLines(lines(0, 3)), batchFromLines(lines(3, 2)), batchFromLines(lines(5, 4))];
    for (const b of batches) spool.append(b);
    await spool.sync();
    assert.equal(spool.stats().spooled, 9);
    assert.equal(spool.stats().events, 9);
    const segment = await spool.takeOldest();
    assert.ok(segment);
    const records = await spool.read(segment);
    assert.deepEqual(
      records.map((r) => r.batch.msgId),
      batches.map((b) => b.msgId),
    );
    for (const r of records) spool.acked(segment, r);
    await spool.finish(segment);
    assert.equal(spool.hasData(), false);
    assert.equal(spool.stats().bytes, 0);
    await spool.close();
    assert.deepEqual(readdirSync(d), []);
  });

  test('past maxBytes the oldest segments are deleted and their events counted as dropped', async () => {
    const d = dir();
    const spool = await openSpool({ dir: d, maxBytes: 20_000, segmentBytes: 4096, log: silentLog });
    let sent = 0;
    for (let i = 0; i < 40; i++) {
      spool.append(batchFromLines(lines(sent, 5)));
      sent += 5;
    }
    await spool.sync();
    const s = spool.stats();
    assert.ok(s.bytes <= 20_000, `spool holds ${s.bytes} bytes`);
    assert.ok(s.dropped > 0);
    assert.equal(s.dropped + s.events, sent);
    const ids = await drainAll(spool);
    assert.equal(ids.length, s.events);
    // what is left is the newest, contiguous, in order
    assert.deepEqual(
      ids,
      Array.from({ length: ids.length }, (_, i) => `ev-${sent - ids.length + i}`),
    );
    await spool.close();
  });

  test('a new process finds the segments, counts them, and writes to a new segment', async () => {
    const d = dir();
    const first = await openSpool({ dir: d, maxBytes: 1024 * 1024, log: silentLog });
    first.append(batchFromLines(lines(0, 10)));
    await first.close();
    const second = await openSpool({ dir: d, maxBytes: 1024 * 1024, log: silentLog });
    assert.equal(second.stats().events, 10);
    second.append(batchFromLines(lines(10, 5)));
    await second.sync();
    assert.equal(readdirSync(d).filter((n) => n.startsWith('seg-')).length, 2);
    assert.deepEqual(
      await drainAll(second),
      Array.from({ length: 15 }, (_, i) => `ev-${i}`),
    );
    await second.close();
  });

  test('a torn write at the end of a segment: complete lines are kept, the partial one dropped', async () => {
    const d = dir();
    const good = lines(0, 3);
    const file = join(d, 'seg-000000000001.jsonl');
    writeFileSync(file, `${good.slice(0, 2).join('\n')}\n\n`);
    appendFileSync(file, `${good[2]}\n${lines(3, 1)[0]!.slice(0, 40)}`);
    const parsed = parseSegment(Buffer.from(`${good.join('\n')}\n\n${good[0]}\n{"id":`));
    assert.deepEqual(
      parsed.records.map((r) => r.count),
      [3, 1],
    );
    assert.equal(parsed.tornLines, 1);

    const spool = await openSpool({ dir: d, maxBytes: 1024 * 1024, log: silentLog });
    assert.deepEqual(await drainAll(spool), ['ev-0', 'ev-1', 'ev-2']);
    assert.equal(spool.stats().dropped, 1);
    await spool.close();
  });

  test('one spool dir, one publisher', async () => {
    const d = dir();
    const spool = await openSpool({ dir: d, maxBytes: 1024, log: silentLog });
    await assert.rejects(openSpool({ dir: d, maxBytes: 1024, log: silentLog }), /already open/);
    await spool.close();
    // a stale lock of a process that is gone is taken over
    writeFileSync(join(d, 'LOCK'), '999999999');
    const again = await openSpool({ dir: d, maxBytes: 1024, log: silentLog });
    await again.close();
  });

  test('splitBatch keeps whole lines under the size', () => {
    const batch = batchFromLines(lines(0, 10));
    const parts = splitBatch(batch, 1500);
    assert.ok(parts.every((p) => p.payload.length <= 1500));
    assert.equal(
      parts.reduce((n, p) => n + p.count, 0),
      10,
    );
    assert.deepEqual(
      parts.flatMap((p) => parseBatch(p.payload).events.map((e) => e.id)),
      Array.from({ length: 10 }, (_, i) => `ev-${i}`),
    );
  });
});
